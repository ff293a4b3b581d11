import numpy as np
import onnxruntime as ort
import pytest

from gateway.model.session import open_session, unchecked_run
from tests.support import ORIGINAL_ROW


def test_onnxruntime_still_has_the_unchecked_run(settings):
    session = ort.InferenceSession(str(settings.model_path), providers=["CPUExecutionProvider"])
    try:
        run = unchecked_run(session)
    except AttributeError:
        pytest.fail(f"onnxruntime {ort.__version__} no longer has InferenceSession._sess: see gateway.model.session")
    rows = np.array([list(ORIGINAL_ROW)], dtype=np.float32)
    labels, probabilities = run(["label", "probabilities"], {"input": rows}, None)
    assert labels.tolist() == [0] and probabilities.shape == (1, 3)


def test_the_serving_options_are_the_documented_ones(settings):
    options = open_session(settings.model_path.read_bytes(), intra_op_threads=2).get_session_options()
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (2, 1)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"

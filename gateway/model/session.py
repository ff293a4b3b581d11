"""The one way an ONNX session is opened and run: the gateway serves through it, and
the export stage's parity gate proves the model through it (export/runtime.py), so
the gate exercises exactly what serves. onnxruntime alone: the train image copies
this file beside export/."""
from typing import Callable

import numpy as np
import onnxruntime as ort

Run = Callable[[list[str], dict[str, np.ndarray], ort.RunOptions], list[np.ndarray]]


def open_session(payload: bytes, intra_op_threads: int = 1) -> ort.InferenceSession:
    """A CPU session with the serving options; raises onnxruntime's own errors."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = intra_op_threads
    options.inter_op_num_threads = 1
    # Spinning burns a core waiting for work that, for one small model, never overlaps.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])


def unchecked_run(session: ort.InferenceSession) -> Run:
    """The session's C++ run, without the Python wrapper's per-call checks of input
    names and types: the codecs guarantee both, and the signature is checked once at
    load. This halves onnxruntime's cost for one row. `_sess` is not public API: the
    one place it is used; tests/gateway/model/test_session.py fails naming the installed
    onnxruntime if an upgrade removes it."""
    return session._sess.run

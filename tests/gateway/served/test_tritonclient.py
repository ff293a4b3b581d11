"""Round trips with a real Open Inference Protocol client (tritonclient) against a
real `python -m gateway`."""
import httpx
import numpy as np
import pytest
import tritonclient.http as triton
from tritonclient.utils import InferenceServerException

from tests.support import running_gateway
from tests.support import ORIGINAL_ROW


@pytest.fixture(scope="module")
def served(repo_root, tmp_path_factory):
    with running_gateway(repo_root, tmp_path_factory.mktemp("logs") / "gateway.log") as gateway:
        yield gateway


@pytest.fixture(scope="module")
def triton_client(served):
    connection = triton.InferenceServerClient(f"127.0.0.1:{served.port}")
    yield connection
    connection.close()


def test_liveness_readiness_and_metadata(triton_client):
    assert triton_client.is_server_live() and triton_client.is_server_ready()
    assert triton_client.is_model_ready("iris") and triton_client.is_model_ready("iris", "1")
    assert "binary_tensor_data" in triton_client.get_server_metadata()["extensions"]
    metadata = triton_client.get_model_metadata("iris")
    assert [(t["name"], t["datatype"], t["shape"]) for t in metadata["inputs"]] == [("input", "FP32", [-1, 4])]
    assert [(t["name"], t["datatype"]) for t in metadata["outputs"]] == [("label", "INT64"), ("probabilities", "FP32")]


@pytest.mark.parametrize("rows", [1, 1000])
@pytest.mark.parametrize(("binary_in", "binary_out"), [(False, False), (True, False), (False, True), (True, True)])
def test_infer_equals_predict(triton_client, served, rows, binary_in, binary_out):
    features = np.random.default_rng(rows).uniform([4, 2, 1, 0.1], [8, 4.5, 7, 2.5], size=(rows, 4)).astype(np.float32)
    tensor = triton.InferInput("input", list(features.shape), "FP32")
    tensor.set_data_from_numpy(features, binary_data=binary_in)
    outputs = [triton.InferRequestedOutput(name, binary_data=binary_out) for name in ("label", "probabilities")]
    result = triton_client.infer("iris", [tensor], outputs=outputs, request_id=f"rows-{rows}")
    assert result.get_response()["id"] == f"rows-{rows}"
    predict = httpx.post(served.url + "/predict", json={"instances": features.tolist()}, timeout=30).json()
    np.testing.assert_array_equal(result.as_numpy("label"), predict["predictions"])
    np.testing.assert_allclose(result.as_numpy("probabilities"), predict["probabilities"], rtol=1e-6)


def test_fp64_input_is_converted(triton_client):
    features = np.array([list(ORIGINAL_ROW)], dtype=np.float64)
    tensor = triton.InferInput("input", [1, 4], "FP64")
    tensor.set_data_from_numpy(features)
    assert triton_client.infer("iris", [tensor]).as_numpy("label").tolist() == [0]


def test_errors_reach_the_client_with_the_reason(triton_client):
    tensor = triton.InferInput("input", [1, 3], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(InferenceServerException, match=r"does not match the model's \[-1, 4\]"):
        triton_client.infer("iris", [tensor])
    with pytest.raises(InferenceServerException, match="unknown model"):
        triton_client.get_model_metadata("setosa")

import struct

import numpy as np
import orjson
import pytest

from gateway.codecs.v2 import RequestedOutput, TensorSpec, decode_infer, encode_infer, split_body
from gateway.errors import InvalidInput
from tests.support import ORIGINAL_ROW

SPEC = TensorSpec("input", "FP32", (-1, 4))
OUTPUTS = ("label", "probabilities")
ROWS = [list(ORIGINAL_ROW), [6.7, 3.0, 5.2, 2.3]]
# A valid request, as the endpoint derives it from the card (infer_example).
EXAMPLE = '{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'


def request(inputs=None, **extra) -> dict:
    return {"inputs": inputs if inputs is not None else [tensor()], **extra}


def tensor(data=None, shape=(2, 4), datatype="FP32", **extra) -> dict:
    entry = {"name": "input", "shape": list(shape), "datatype": datatype, **extra}
    if data is not None or "parameters" not in extra:
        entry["data"] = data if data is not None else [v for row in ROWS for v in row]
    return entry


def decode(document, binary: bytes = b"", header_length=None, max_rows=100):
    header = orjson.dumps(document) if not isinstance(document, bytes) else document
    if binary and header_length is None:
        header_length = str(len(header)).encode()
    return decode_infer(header + binary, header_length, {SPEC.name: SPEC}, OUTPUTS, max_rows, EXAMPLE)


def binary_request(rows: np.ndarray, datatype="FP32", size=None, **request_extra):
    payload = rows.astype("<f4" if datatype == "FP32" else "<f8").tobytes()
    parameters = {"binary_data_size": len(payload) if size is None else size}
    document = request([tensor(shape=rows.shape, datatype=datatype, parameters=parameters)], **request_extra)
    return document, payload


def test_flat_json_data():
    decoded = decode(request(id="42"))
    assert decoded.id == "42"
    assert decoded.rows.dtype == np.float32 and decoded.rows.shape == (2, 4) and decoded.rows.flags.c_contiguous
    np.testing.assert_array_equal(decoded.rows, np.array(ROWS, dtype=np.float32))
    assert list(decoded.outputs) == [RequestedOutput("label", False), RequestedOutput("probabilities", False)]


def test_nested_json_data_and_fp64():
    decoded = decode(request([tensor(ROWS, datatype="FP64")]))
    np.testing.assert_array_equal(decoded.rows, np.array(ROWS, dtype=np.float32))


def test_outputs_requested_and_binary_flags():
    decoded = decode(request(
        outputs=[{"name": "probabilities", "parameters": {"binary_data": True}}, {"name": "label"}],
        parameters={"binary_data_output": False},
    ))
    assert decoded.outputs == [RequestedOutput("probabilities", True), RequestedOutput("label", False)]
    everything_binary = decode(request(parameters={"binary_data_output": True}))
    assert all(output.binary for output in everything_binary.outputs)


@pytest.mark.parametrize("datatype", ["FP32", "FP64"])
def test_binary_input(datatype):
    rows = np.array(ROWS * 3)
    document, payload = binary_request(rows, datatype)
    decoded = decode(document, payload)
    np.testing.assert_array_equal(decoded.rows, rows.astype(np.float32))


@pytest.mark.parametrize(("document", "message"), [
    (request([tensor(datatype="INT32")]), "datatype 'INT32' is not supported"),
    (request([tensor(datatype="BYTES")]), "send FP32"),
    (request([tensor(shape=(3, 4))]), "shape [3, 4] needs 12 values; data holds 8"),
    (request([tensor(shape=(2, 3))]), "does not match the model's [-1, 4]"),
    (request([tensor(shape=(8,))]), "does not match"),
    (request([tensor(shape=(0, 4), data=[])]), "at least one row"),
    (request([tensor(shape=(2, -4))]), "non-negative integers"),
    (request([tensor(ROWS[:1] + [[1, 2, 3]])]), "ragged"),
    (request([tensor([[1, 2, 3, 4, 5, 6, 7, 8]], shape=(2, 4))]), "nested as [1, 8]"),
    (request([tensor([1, 2, 3, "4", 1, 2, 3, 4])]), "a string found"),
    (request([tensor([1, 2, 3, True, 1, 2, 3, 4])]), "a boolean found"),
    (request([tensor([1, 2, 3, {}, 1, 2, 3, 4])]), "an object found"),
    (request([tensor([1, 2, 3, 1e39, 1, 2, 3, 4])]), "out-of-FP32-range"),
    (request([tensor([[1, 2, 3, 1e39]] * 20, shape=(20, 4))]), "out-of-FP32-range"),
    (request([{**tensor(), "name": "features"}]), "unknown input 'features'"),
    (request([tensor(), tensor()]), "given more than once"),
    (request([]), '"inputs" must be a non-empty list'),
    ({"inputs": "x"}, '"inputs" must be a non-empty list'),
    ({}, '"inputs" must be a non-empty list'),
    (request([{"name": "input", "shape": [2, 4], "datatype": "FP32"}]), 'neither "data" nor'),
    (request(outputs=[{"name": "scores"}]), "unknown output 'scores'"),
    (request(outputs=[{"name": "label"}, {"name": "label"}]), "requested more than once"),
    (request(outputs={"name": "label"}), '"outputs" must be a list'),
    (request(outputs=[{"name": "label", "parameters": {"binary_data": "yes"}}]), "must be true or false"),
    (request(id=42), '"id" must be a string'),
    (request(parameters=[1]), '"parameters" must be a JSON object'),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"inputs": [NaN]}', "not valid JSON"),
    (b"", "request body is empty"),
])
def test_json_errors_name_the_problem(document, message):
    with pytest.raises(InvalidInput) as error:
        decode(document)
    assert message in error.value.message


def test_binary_size_must_match_shape_and_dtype():
    document, payload = binary_request(np.array(ROWS), size=31)
    with pytest.raises(InvalidInput, match="binary_data_size is 31, but shape \\[2, 4\\] of float32 needs 32 bytes"):
        decode(document, payload[:31])


def test_binary_size_beyond_the_body_is_refused_not_over_read():
    document, payload = binary_request(np.array(ROWS))
    with pytest.raises(InvalidInput, match="needs 32 bytes of binary data; the body holds 16"):
        decode(document, payload[:16])


def test_trailing_bytes_are_refused():
    document, payload = binary_request(np.array(ROWS))
    with pytest.raises(InvalidInput, match="4 bytes follow the binary tensors"):
        decode(document, payload + b"\0\0\0\0")


def test_binary_section_without_any_binary_input_is_refused():
    with pytest.raises(InvalidInput, match="8 bytes follow"):
        decode(request(), b"12345678")


def test_binary_infinity_is_refused():
    for bad in (np.inf, -np.inf):
        rows = np.array(ROWS)
        rows[1, 2] = bad
        document, payload = binary_request(rows)
        with pytest.raises(InvalidInput, match="infinite"):
            decode(document, payload)


def test_a_gap_is_nan_in_binary_and_null_in_json_and_is_flagged():
    """The decoder passes a gap on as NaN and says so; the model decides whether the
    column takes one (tests/gateway/model/test_gaps.py)."""
    rows = np.array(ROWS)
    rows[1, 2] = np.nan
    document, payload = binary_request(rows)
    binary = decode(document, payload)
    as_json = decode(request([tensor([1, 2, 3, None, 1, 2, 3, 4])]))
    complete = decode(request())
    assert binary.gaps and np.isnan(binary.rows[1, 2]) and np.isfinite(np.delete(binary.rows.ravel(), 6)).all()
    assert as_json.gaps and np.isnan(as_json.rows[0, 3]) and as_json.rows.dtype == np.float32
    assert not complete.gaps


def test_fp64_beyond_fp32_is_refused():
    rows = np.array(ROWS)
    rows[0, 0] = 1e300
    document, payload = binary_request(rows, "FP64")
    with pytest.raises(InvalidInput, match="out-of-FP32-range"):
        decode(document, payload)


def test_both_data_and_binary_size_is_refused():
    entry = tensor(parameters={"binary_data_size": 32})
    entry["data"] = [1] * 8
    with pytest.raises(InvalidInput, match='both "data" and binary_data_size'):
        decode(request([entry]), b"\0" * 32)


@pytest.mark.parametrize(("value", "message"), [
    (b"abc", "is not a number"), (b"0", "does not fit"), (b"9999", "does not fit a body of"), (b"-5", "does not fit"),
])
def test_header_length_is_checked_against_the_body(value, message):
    with pytest.raises(InvalidInput, match=message):
        split_body(b'{"inputs": []}', value)


def test_encode_json_and_binary_outputs():
    labels = np.array([0, 2], dtype=np.int64)
    probabilities = np.array([[0.9, 0.05, 0.05], [0.1, 0.2, 0.7]], dtype=np.float32)
    content_type, body, headers = encode_infer("iris", "1", "42", [
        (RequestedOutput("label", False), "INT64", labels),
        (RequestedOutput("probabilities", True), "FP32", probabilities),
    ])
    assert content_type == b"application/octet-stream"
    (name, value), = headers
    assert name == b"inference-header-content-length"
    header_length = int(value)
    document = orjson.loads(body[:header_length])
    assert document["id"] == "42" and document["model_name"] == "iris" and document["model_version"] == "1"
    label, probability = document["outputs"]
    assert label == {"name": "label", "datatype": "INT64", "shape": [2], "data": [0, 2]}
    assert probability["parameters"] == {"binary_data_size": 24} and "data" not in probability
    blob = body[header_length:]
    assert len(blob) == 24
    assert struct.unpack("<6f", blob) == pytest.approx(probabilities.ravel().tolist())


def test_encode_json_only_is_plain_json_without_id_when_none_given():
    content_type, body, headers = encode_infer("iris", "1", None, [
        (RequestedOutput("label", False), "INT64", np.array([1], dtype=np.int64)),
    ])
    assert content_type == b"application/json" and headers == []
    assert "id" not in orjson.loads(body)

import onnx

from export.contract import TARGET_OPSET
from gateway.model.contract import INPUT_NAME, LABEL_NAME, PROBABILITIES_NAME
from export.convert import serialize, to_onnx


def _shape(value: onnx.ValueInfoProto) -> list:
    return [d.dim_value if d.HasField("dim_value") else None for d in value.type.tensor_type.shape.dim]


def test_tensor_names_types_and_shapes(logistic_payload):
    model = onnx.load_from_string(logistic_payload)
    (inp,) = model.graph.input
    label, probabilities = model.graph.output
    assert (inp.name, inp.type.tensor_type.elem_type, _shape(inp)) == (INPUT_NAME, onnx.TensorProto.FLOAT, [None, 4])
    assert (label.name, label.type.tensor_type.elem_type, _shape(label)) == (LABEL_NAME, onnx.TensorProto.INT64, [None])
    assert (probabilities.name, probabilities.type.tensor_type.elem_type, _shape(probabilities)) == (
        PROBABILITIES_NAME, onnx.TensorProto.FLOAT, [None, 3],
    )


def test_graph_name_and_opset_are_fixed(logistic_payload):
    model = onnx.load_from_string(logistic_payload)
    assert model.graph.name == "iris"
    assert {o.version for o in model.opset_import if o.domain in ("", "ai.onnx")} == {TARGET_OPSET}


def test_two_exports_are_byte_identical(logistic):
    assert serialize(to_onnx(logistic)) == serialize(to_onnx(logistic))

"""Read an ONNX file back: a text summary and a picture of the graph."""
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import onnx
from onnx import helper

from export.errors import InputError
from export.files import sha256

if TYPE_CHECKING:
    import pydot

PictureFormat = Literal["dot", "svg", "png"]
# Attributes that can hold thousands of numbers (tree nodes, coefficients) are
# summarised by their size; printing them whole would drown the structure.
_MAX_LISTED_VALUES: Final = 6


def _tensor_type(value: onnx.ValueInfoProto) -> str:
    tensor = value.type.tensor_type
    dims = ["?" if d.dim_param or not d.HasField("dim_value") else str(d.dim_value) for d in tensor.shape.dim]
    return f"{onnx.TensorProto.DataType.Name(tensor.elem_type).lower()}[{', '.join(dims)}]"


def _attribute(attribute: onnx.AttributeProto) -> str:
    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, list):
        if len(value) > _MAX_LISTED_VALUES:
            return f"{attribute.name}=<{len(value)} values>"
        value = [v.decode(errors="replace") if isinstance(v, bytes) else v for v in value]
    if isinstance(value, onnx.TensorProto):
        return f"{attribute.name}=<tensor {list(value.dims)}>"
    return f"{attribute.name}={value}"


def summary(model: onnx.ModelProto, payload: bytes) -> str:
    graph = model.graph
    opsets = ", ".join(f"{entry.domain or 'ai.onnx'}={entry.version}" for entry in model.opset_import)
    lines = [
        f"graph    {graph.name}",
        f"producer {model.producer_name} {model.producer_version}",
        f"ir       {model.ir_version}",
        f"opsets   {opsets}",
        f"sha256   {sha256(payload)}",
        "inputs",
        *(f"  {value.name}: {_tensor_type(value)}" for value in graph.input),
        "outputs",
        *(f"  {value.name}: {_tensor_type(value)}" for value in graph.output),
        f"nodes ({len(graph.node)})",
    ]
    for node in graph.node:
        domain = f"{node.domain}." if node.domain else ""
        call = f"{domain}{node.op_type}({', '.join(node.input)}) -> {', '.join(node.output)}"
        lines.append(f"  {node.name or '-'}: {call}")
        lines.extend(f"      {_attribute(attribute)}" for attribute in node.attribute)
    return "\n".join(lines)


def _graph(model: onnx.ModelProto) -> "pydot.Dot":
    """Tensors as ellipses, operators as boxes."""
    import pydot

    graph = pydot.Dot(model.graph.name or "graph", graph_type="digraph", rankdir="TB")
    graph.set_node_defaults(fontname="Helvetica", fontsize="11")
    endpoints = {value.name: _tensor_type(value) for value in [*model.graph.input, *model.graph.output]}
    tensors: set[str] = set()

    def tensor_node(name: str) -> str:
        key = f"t_{name}"
        if name not in tensors:
            tensors.add(name)
            label = f"{name}\\n{endpoints[name]}" if name in endpoints else name
            style = "filled" if name in endpoints else "solid"
            graph.add_node(pydot.Node(key, label=label, shape="ellipse", style=style, fillcolor="#dbe9f6"))
        return key

    for index, node in enumerate(model.graph.node):
        key = f"n_{index}"
        domain = f"{node.domain}." if node.domain else ""
        graph.add_node(pydot.Node(key, label=f"{domain}{node.op_type}\\n{node.name}", shape="box", style="rounded"))
        for name in node.input:
            if name:
                graph.add_edge(pydot.Edge(tensor_node(name), key))
        for name in node.output:
            graph.add_edge(pydot.Edge(key, tensor_node(name)))
    return graph


def to_dot(model: onnx.ModelProto) -> str:
    """The graph in Graphviz's language."""
    return _graph(model).to_string()


def write_picture(model: onnx.ModelProto, output: Path, picture_format: PictureFormat) -> None:
    if picture_format == "dot":
        output.write_text(to_dot(model))
    else:
        output.write_bytes(_graph(model).create(format=picture_format))


def load(path: Path) -> tuple[onnx.ModelProto, bytes]:
    payload = path.read_bytes()
    try:
        return onnx.load_from_string(payload), payload
    except Exception as error:  # protobuf's DecodeError, or onnx's own on a foreign file
        raise InputError(f"{path} is not an ONNX model: {error}") from None

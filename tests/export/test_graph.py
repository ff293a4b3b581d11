import pytest

from export import graph


@pytest.fixture(scope="module")
def committed(repo_root):
    return graph.load(repo_root / "models" / "iris.onnx")


def test_summary_lists_tensors_opsets_nodes_and_hash(committed, repo_root):
    model, payload = committed
    text = graph.summary(model, payload)
    assert "input: float[?, 4]" in text
    assert "label: int64[?]" in text
    assert "probabilities: float[?, 3]" in text
    assert "ai.onnx=22" in text
    assert "LinearClassifier" in text and "post_transform=SOFTMAX" in text
    assert graph.sha256(payload) in text


def test_dot_names_every_node_and_tensor(committed):
    model, _ = committed
    source = graph.to_dot(model)
    for node in model.graph.node:
        assert node.op_type in source
    for name in ("input", "label", "probabilities"):
        assert f"t_{name}" in source


@pytest.mark.apt  # graphviz's dot: `make graphviz`
@pytest.mark.parametrize(("picture_format", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_pictures_are_rendered(committed, tmp_path, picture_format, magic):
    model, _ = committed
    output = tmp_path / f"graph.{picture_format}"
    graph.write_picture(model, output, picture_format)
    assert output.read_bytes().startswith(magic)

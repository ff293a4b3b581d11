import shutil

import onnx
import pytest
from onnx import helper

from export.cli import EXIT_GATE_FAILED, EXIT_HASH_MISMATCH, EXIT_MISSING_INPUT, EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def model_dir(tmp_path, repo_root):
    for name in ("iris.onnx", "iris.json"):
        shutil.copy(repo_root / "models" / name, tmp_path / name)
    return tmp_path


def _gates(model_dir, *extra):
    return main(["gates", "--model", str(model_dir / "iris.onnx"), "--card", str(model_dir / "iris.json"), *extra])


def test_gates_pass_on_the_committed_model(model_dir, capsys):
    assert _gates(model_dir) == EXIT_OK
    out = capsys.readouterr().out
    assert "parity gate: PASS" in out and "accuracy gate: PASS" in out
    assert "100000" in out


def test_gates_fail_on_a_tampered_model(model_dir, capsys):
    model = onnx.load(model_dir / "iris.onnx")
    (node,) = [n for n in model.graph.node if n.op_type == "LinearClassifier"]
    (intercepts,) = [a for a in node.attribute if a.name == "intercepts"]
    values = [value + 1.0 for value in intercepts.floats]
    values[0] -= 2.0
    node.attribute.remove(intercepts)
    node.attribute.append(helper.make_attribute("intercepts", values))
    onnx.save(model, model_dir / "iris.onnx")
    assert _gates(model_dir) == EXIT_GATE_FAILED
    assert "parity gate: FAIL" in capsys.readouterr().out


def test_an_unreachable_threshold_fails_the_accuracy_gate(model_dir, capsys):
    assert _gates(model_dir, "--threshold", "1.01", "--random-points", "100") == EXIT_GATE_FAILED
    assert "accuracy gate: FAIL" in capsys.readouterr().out


def test_missing_card_is_its_own_exit_code(model_dir):
    (model_dir / "iris.json").unlink()
    assert _gates(model_dir) == EXIT_MISSING_INPUT


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--estimator", "svm"])
    assert exit_info.value.code == EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err


def test_failed_build_writes_nothing(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path), "--threshold", "1.01", "--random-points", "100"]) == EXIT_GATE_FAILED
    assert list(tmp_path.iterdir()) == []
    assert "nothing written" in capsys.readouterr().err


def test_inspect_prints_and_draws(repo_root, tmp_path, capsys):
    output = tmp_path / "g.dot"
    assert main(["inspect", str(repo_root / "models" / "iris.onnx"), "--format", "dot", "--output", str(output)]) == 0
    assert "LinearClassifier" in capsys.readouterr().out
    assert output.read_text().startswith("digraph")


def test_verify_accepts_the_committed_pair_and_refuses_another_model(model_dir, tmp_path, capsys):
    arguments = ["verify", "--model", str(model_dir / "iris.onnx"), "--card", str(model_dir / "iris.json")]
    assert main(arguments) == EXIT_OK
    assert main(["build", "--estimator", "random_forest", "--out", str(tmp_path / "rf"), "--random-points", "100"]) == 0
    other = ["verify", "--model", str(tmp_path / "rf" / "iris.onnx"), "--card", str(model_dir / "iris.json")]
    assert main(other) == EXIT_HASH_MISMATCH
    assert "says" in capsys.readouterr().err


def _resaved(model_dir, tmp_path, change) -> str:
    """A copy of the committed model with `change` applied to it."""
    model = onnx.load(model_dir / "iris.onnx")
    change(model)
    path = tmp_path / "other.onnx"
    onnx.save(model, path)
    return str(path)


def _verify_against(model_dir, candidate):
    return main([
        "verify", "--model", candidate, "--card", str(model_dir / "iris.json"),
        "--reference", str(model_dir / "iris.onnx"),
    ])


def _same_outputs_other_bytes(model):
    model.doc_string = "rebuilt on another CPU"


def _other_outputs(model):
    (node,) = [n for n in model.graph.node if n.op_type == "LinearClassifier"]
    (intercepts,) = [a for a in node.attribute if a.name == "intercepts"]
    intercepts.floats[0] += 5.0


@pytest.mark.parametrize(
    "machine, change, expected, verdict",
    [
        ("x86_64", _same_outputs_other_bytes, EXIT_HASH_MISMATCH, "bytes are promised on this machine"),
        ("aarch64", _same_outputs_other_bytes, EXIT_OK, "outputs agree: accepted"),
        ("aarch64", _other_outputs, EXIT_HASH_MISMATCH, "outputs differ"),
    ],
)
def test_verify_compares_outputs_where_bytes_differ(
    model_dir, tmp_path, capsys, monkeypatch, machine, change, expected, verdict
):
    monkeypatch.setattr("export.equivalence.platform.machine", lambda: machine)
    candidate = _resaved(model_dir, tmp_path, change)
    assert _verify_against(model_dir, candidate) == expected
    out, err = capsys.readouterr()
    assert "has sha256" in err and "says" in err, "both hashes are reported"
    assert verdict in err
    assert "100000" in out, "the outputs were compared on the parity probes"

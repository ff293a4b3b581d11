import json
import shutil

import onnx
import pytest
from onnx import helper

from export import spec as spec_module
from export.cli import (
    EXIT_BAD_INPUT,
    EXIT_GATE_FAILED,
    EXIT_HASH_MISMATCH,
    EXIT_MISSING_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    main,
)
from export.files import sha256


@pytest.fixture
def model_dir(tmp_path, repo_root):
    for name in ("iris.onnx", "iris.json", "iris.toml"):
        shutil.copy(repo_root / "models" / name, tmp_path / name)
    return tmp_path


def _rewrite_card(model_dir, change):
    card = json.loads((model_dir / "iris.json").read_text())
    change(card)
    (model_dir / "iris.json").write_text(json.dumps(card))


def _gates(model_dir, *extra):
    return main(["gates", "--model", str(model_dir / "iris.onnx"), "--card", str(model_dir / "iris.json"), *extra])


def test_gates_pass_on_the_committed_model(model_dir, capsys):
    assert _gates(model_dir) == EXIT_OK
    out = capsys.readouterr().out
    assert "parity gate: PASS" in out and "quality gate: PASS" in out
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
    assert _gates(model_dir) == EXIT_HASH_MISMATCH, "a model its card does not describe is refused first"
    assert "do not belong together" in capsys.readouterr().err
    # The same tampered model with a card that matches it: now parity judges it.
    _rewrite_card(model_dir, lambda card: card["onnx"].update(sha256=sha256((model_dir / "iris.onnx").read_bytes())))
    assert _gates(model_dir) == EXIT_GATE_FAILED
    assert "parity gate: FAIL" in capsys.readouterr().out


def test_a_drop_in_accuracy_fails_the_accuracy_gate(model_dir, capsys):
    # Class 0's intercept pushed far down: the model stops predicting setosa
    # (a third of the test split), and its card is made to match it.
    model = onnx.load(model_dir / "iris.onnx")
    (node,) = [n for n in model.graph.node if n.op_type == "LinearClassifier"]
    (intercepts,) = [a for a in node.attribute if a.name == "intercepts"]
    intercepts.floats[0] -= 100.0
    onnx.save(model, model_dir / "iris.onnx")
    _rewrite_card(model_dir, lambda card: card["onnx"].update(sha256=sha256((model_dir / "iris.onnx").read_bytes())))
    assert _gates(model_dir, "--random-points", "100") == EXIT_GATE_FAILED
    out = capsys.readouterr().out
    assert "quality gate: FAIL" in out and "below the threshold" in out


def test_missing_card_is_its_own_exit_code(model_dir):
    (model_dir / "iris.json").unlink()
    assert _gates(model_dir) == EXIT_MISSING_INPUT


@pytest.mark.parametrize("command", ["build", "gates"])
def test_each_command_parses_its_spec_once(model_dir, tmp_path, monkeypatch, command):
    parsed = []
    parse = spec_module.parse_spec
    monkeypatch.setattr(spec_module, "parse_spec", lambda path, text: parsed.append(path) or parse(path, text))
    if command == "build":
        assert main(["build", "--out", str(tmp_path / "built"), "--random-points", "100"]) == EXIT_OK
    else:
        assert _gates(model_dir, "--random-points", "100") == EXIT_OK
    assert len(parsed) == 1, parsed


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--estimator", "svm"])
    assert exit_info.value.code == EXIT_USAGE
    assert "invalid choice" in capsys.readouterr().err


def test_failed_build_writes_no_model_and_no_card(tmp_path, capsys):
    # A tolerance no float32 graph meets fails the parity gate; only its failing rows
    # are written (tests/export/test_failures.py).
    assert main(["build", "--out", str(tmp_path), "--tolerance", "1e-15", "--random-points", "100"]) == EXIT_GATE_FAILED
    assert [path.name for path in tmp_path.iterdir()] == ["iris.parity-failures.jsonl"]
    assert "the model and card are not written" in capsys.readouterr().err


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


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--tolerance", "inf"), ("--tolerance", "nan"), ("--tolerance", "0"), ("--tolerance", "-1e-5"),
        ("--threshold", "nan"), ("--threshold", "1.5"), ("--threshold", "-0.1"),
        ("--margin", "inf"), ("--margin", "-0.1"),
        ("--random-points", "-1"), ("--random-points", "0"), ("--random-points", "1.5"),
    ],
)
def test_nonsense_flags_exit_with_usage_and_a_message(model_dir, capsys, flag, value):
    with pytest.raises(SystemExit) as exit_info:
        _gates(model_dir, f"{flag}={value}")
    assert exit_info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert flag in err and value in err


def _truncate(model_dir):
    payload = (model_dir / "iris.onnx").read_bytes()
    (model_dir / "iris.onnx").write_bytes(payload[: len(payload) // 2])


def _rename_input(model_dir):
    model = onnx.load(model_dir / "iris.onnx")
    model.graph.input[0].name = "features"
    for node in model.graph.node:
        node.input[:] = ["features" if name == "input" else name for name in node.input]
    onnx.save(model, model_dir / "iris.onnx")


def _card_not_json(model_dir):
    (model_dir / "iris.json").write_text("{ this is not json")


@pytest.mark.parametrize(
    "damage, message", [(_truncate, "cannot load"), (_rename_input, "contract"), (_card_not_json, "not JSON")]
)
def test_a_broken_input_has_its_own_exit_code_not_a_gate_failure(model_dir, capsys, damage, message):
    damage(model_dir)
    # The card is made to match the damaged model, so the damage itself is what is met.
    if damage is not _card_not_json:
        digest = sha256((model_dir / "iris.onnx").read_bytes())
        _rewrite_card(model_dir, lambda card: card["onnx"].update(sha256=digest))
    assert _gates(model_dir, "--random-points", "100") == EXIT_BAD_INPUT
    assert message in capsys.readouterr().err


def test_inspect_refuses_a_file_that_is_not_onnx(tmp_path, capsys):
    (tmp_path / "x.onnx").write_bytes(b"\x00\x01 not a protobuf")
    assert main(["inspect", str(tmp_path / "x.onnx")]) == EXIT_BAD_INPUT
    assert "not an ONNX model" in capsys.readouterr().err

"""The smoke script the pipeline runs after a deploy, against a real gateway."""
import hashlib
import json
import subprocess
import sys

import onnx
from onnx import helper

from tests.support import free_port


def smoke(repo_root, url: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(repo_root / ".ci" / "smoke.py"), url, *extra],
        capture_output=True, text=True, timeout=60,
    )


def test_smoke_passes_against_the_gateway(repo_root, start_gateway):
    gateway = start_gateway()
    result = smoke(repo_root, gateway.url, "--wait", "10")
    assert result.returncode == 0, result.stderr
    assert "3 examples of iris's card answered as it says" in result.stdout


def test_smoke_fails_when_nothing_answers(repo_root):
    result = smoke(repo_root, f"http://127.0.0.1:{free_port()}", "--wait", "2")
    assert result.returncode != 0
    assert "did not answer 200" in result.stderr


def test_smoke_fails_on_a_wrong_prediction(repo_root, start_gateway, tmp_path):
    # A gateway serving another (valid) model answers, but not with the seed's class 0.
    model = onnx.load(repo_root / "models" / "iris.onnx")
    (node,) = [n for n in model.graph.node if n.op_type == "LinearClassifier"]
    (intercepts,) = [a for a in node.attribute if a.name == "intercepts"]
    node.attribute.remove(intercepts)
    node.attribute.append(helper.make_attribute("intercepts", [-100.0, 100.0, 0.0]))
    onnx.save(model, tmp_path / "iris.onnx")
    card = json.loads((repo_root / "models" / "iris.json").read_text())
    card["onnx"]["sha256"] = hashlib.sha256((tmp_path / "iris.onnx").read_bytes()).hexdigest()
    (tmp_path / "iris.json").write_text(json.dumps(card))
    gateway = start_gateway(model_path=str(tmp_path / "iris.onnx"), card_path=str(tmp_path / "iris.json"))
    result = smoke(repo_root, gateway.url)
    assert result.returncode == 1
    assert "expected prediction 0" in result.stderr


def test_smoke_passes_when_the_expected_release_answers(repo_root, start_gateway):
    gateway = start_gateway(release="0123abcd")
    result = smoke(repo_root, gateway.url, "--release", "0123abcd")
    assert result.returncode == 0, result.stderr
    assert "every answer from release 0123abcd" in result.stdout


def test_smoke_fails_when_an_old_release_answers(repo_root, start_gateway):
    # What a circuit-breaker rollback looks like from outside: the service is
    # healthy and correct, but it is the previous release answering.
    gateway = start_gateway(release="previous")
    result = smoke(repo_root, gateway.url, "--release", "0123abcd")
    assert result.returncode == 1
    assert "20 of 20 predictions came from release previous, expected 0123abcd" in result.stderr

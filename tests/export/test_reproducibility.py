"""`make model` from the lock reproduces the committed files byte for byte."""
import json
import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory, repo_root):
    out = tmp_path_factory.mktemp("rebuilt")
    # A child process, as `make model` runs it, so nothing this test session has
    # imported or seeded can leak into the result.
    subprocess.run(
        [sys.executable, "-m", "export", "build", "--out", str(out)],
        cwd=repo_root, check=True, capture_output=True, env={**os.environ, "ORT_DISABLE_TELEMETRY": "1"},
    )
    return out


@pytest.mark.parametrize("name", ["iris.onnx", "iris.json"])
def test_rebuild_is_byte_identical(rebuilt, repo_root, name):
    committed = (repo_root / "models" / name).read_bytes()
    assert (rebuilt / name).read_bytes() == committed, f"{name} differs from a rebuild: run `make model` and commit"


def test_committed_card_was_built_by_the_locked_versions(repo_root):
    card = json.loads((repo_root / "models" / "iris.json").read_text())
    lock = (repo_root / "train.lock").read_text()
    for package in ("scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy"):
        assert f"\n{package}=={card['versions'][package]} " in lock

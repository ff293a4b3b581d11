"""The gateway runs from the serve lock alone: no scikit-learn, skl2onnx, scipy, joblib, pandas or boosters."""
import ast
import subprocess

import httpx
import pytest

from tests.support import ONE_ROW

TRAINING_ONLY = ("sklearn", "skl2onnx", "scipy", "joblib", "pandas", "onnx", "onnxmltools", "xgboost", "lightgbm")


def test_gateway_serves_from_the_serve_venv(start_gateway, serve_python):
    gateway = start_gateway(python=serve_python)
    response = httpx.post(gateway.url + "/predict", json=ONE_ROW)
    assert response.status_code == 200 and response.json()["prediction"] == 0


@pytest.mark.parametrize("module", TRAINING_ONLY)
def test_training_packages_are_absent_from_the_serve_venv(serve_python, module):
    result = subprocess.run([serve_python, "-c", f"import {module}"], capture_output=True, text=True)
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr


def test_gateway_source_imports_no_training_package(repo_root):
    for path in (repo_root / "gateway").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in TRAINING_ONLY, f"{path} imports {name}"

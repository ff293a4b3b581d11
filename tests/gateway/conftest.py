import os
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings
from tests.support import VENVS


@pytest.fixture(scope="session")
def settings(repo_root: Path) -> Settings:
    return Settings(
        model_path=repo_root / "models" / "iris.onnx",
        card_path=repo_root / "models" / "iris.json",
        max_body_bytes=64 * 1024,
        max_batch_rows=1000,
    )


@pytest.fixture(scope="session")
def admin_url(settings: Settings) -> str:
    """The test client's base URL for the admin port's routes (/metrics, /model)."""
    return f"http://testserver:{settings.admin_port}"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def make_client(settings: Settings):
    """A client for an app built with some settings changed."""
    clients = []

    def build(**changes) -> TestClient:
        test_client = TestClient(create_app(replace(settings, **changes)), raise_server_exceptions=False)
        clients.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in clients:
        test_client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def serve_python(repo_root: Path) -> str:
    """The serve venv's Python (serve.lock alone): the same target `make serve` uses,
    rebuilt when the lock changes."""
    subprocess.run(
        ["make", "-s", f"{VENVS}/serve/.installed"], cwd=repo_root, check=True, capture_output=True,
        env={**os.environ, "VENVS": str(VENVS)},
    )
    return str(VENVS / "serve" / "bin" / "python")

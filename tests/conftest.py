import os
from pathlib import Path

import pytest

# onnxruntime writes a device id and an event queue under the user's cache at
# import unless told not to; tests must not leave files behind.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT

"""Fixtures only; what tests share beyond fixtures is in tests/support.py."""
import itertools
import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.browser import chromium
from tests.support import EXAMPLES, REPO_ROOT, GatewayProcess, running_gateway

# onnxruntime writes a device id and an event queue under the user's cache at
# import unless told not to; tests must not leave files behind.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def start_gateway(repo_root: Path, tmp_path: Path):
    """Start gateways within one test: `start_gateway(drain_seconds="1")`."""
    numbers = itertools.count()
    with ExitStack() as stack:
        def start(python: str = sys.executable, **settings: str) -> GatewayProcess:
            log = tmp_path / f"gateway-{next(numbers)}.log"
            return stack.enter_context(running_gateway(repo_root, log, python, **settings))

        yield start


@pytest.fixture
def browser():
    """Headless Chromium (tests/browser.py), recording every request the page makes;
    a test ends with `browser.assert_stayed_clean()`."""
    with chromium() as recorded:
        yield recorded


@pytest.fixture(scope="session")
def built_examples(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each example built as a user builds it (`make model SPEC=...`), once per run:
    name -> the folder holding its .onnx and .json."""
    built = {}
    for name in EXAMPLES:
        folder = tmp_path_factory.mktemp(f"example-{name}")
        subprocess.run(
            ["make", "--no-print-directory", "model", f"SPEC=models/examples/{name}/{name}.toml",
             f"MODEL_DIR={folder}"],
            cwd=repo_root, check=True, capture_output=True, text=True, timeout=600,
        )
        built[name] = folder
    return built


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the examples built is slow: building all of them (`make model`
    per example, `built_examples`) takes most of a minute before the first one runs."""
    for item in items:
        if "built_examples" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter) -> None:
    """What the image and rehearsal tests used (engine, base image) and measured."""
    from tests import summary

    if summary.lines:
        terminalreporter.section("images and rehearsal")
        for line in summary.lines:
            terminalreporter.write_line(line)

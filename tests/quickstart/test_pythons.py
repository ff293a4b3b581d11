"""The quick start on every supported CPython: `make serve` answers the original
service's example, and `make check` passes, on 3.11, 3.12 and 3.13.

Each Python gets its own set of venvs (VENVS=.venvs/py3.x), built by make from the
same universal, hash-pinned locks, so the venvs of the main run are left alone.
An interpreter that is not installed is a skip on a developer's machine and a
failure in CI (CI=true), where all three are promised.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import ONE_ROW, REPO_ROOT, free_port, health_is_200, running_make
from tests.waiting import wait_until

pytestmark = pytest.mark.pythons

SUPPORTED = ("3.11", "3.12", "3.13")
# Bounds for a cold install on a busy machine, not estimates.
SERVE_READY_SECONDS = 900


VERSION_CHECK = "import sys, platform; print('%d.%d' % sys.version_info[:2], platform.python_implementation())"


def runs_as(candidate: str, version: str) -> bool:
    """Run it: pyenv's shims exist for versions that are not selected, and fail."""
    try:
        done = subprocess.run([candidate, "-c", VERSION_CHECK], capture_output=True, text=True, timeout=60)
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.split() == [version, "CPython"]


def interpreter(version: str) -> str | None:
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"), reverse=True)
    return next((c for c in candidates if c and runs_as(c, version)), None)


@pytest.fixture(params=SUPPORTED)
def python(request) -> tuple[str, str]:
    version = request.param
    found = interpreter(version)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"CPython {version} is not installed on this CI machine")
        pytest.skip(f"CPython {version} is not installed here")
    return version, found


def venvs_of(version: str) -> Path:
    return REPO_ROOT / ".venvs" / f"py{version}"


def make_env(version: str, python: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GATEWAY_", "PYTEST_"))}
    env.update({"PYTHON": python, "VENVS": str(venvs_of(version))})
    return env


@pytest.mark.timeout(SERVE_READY_SECONDS + 120)
def test_make_serve_answers_the_original_example(python, tmp_path):
    version, interpreter_path = python
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-serve.log"
    args = ["serve", f"PORT={port}", f"ADMIN_PORT={free_port()}"]
    with running_make(args, log, make_env(version, interpreter_path)) as make:
        def healthy() -> bool:
            make.raise_if_exited()
            return health_is_200(url)

        wait_until(healthy, SERVE_READY_SECONDS, f"make serve on Python {version} to answer /health", poll=0.5)
        response = httpx.post(url + "/predict", json=ONE_ROW, timeout=10)
        assert response.status_code == 200
        assert response.json()["prediction"] == 0
        served_by = subprocess.run(
            [str(venvs_of(version) / "serve" / "bin" / "python"), "-c",
             "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        assert served_by == version


@pytest.mark.timeout(1800)
def test_make_check_passes(python):
    version, interpreter_path = python
    if sys.version_info[:2] == tuple(int(part) for part in version.split(".")):
        pytest.skip(f"this run is on Python {version}: every test runs in it already")
    done = subprocess.run(
        ["make", "-s", "check"], cwd=REPO_ROOT, env=make_env(version, interpreter_path),
        capture_output=True, text=True,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    tail = "\n".join([*done.stdout.splitlines()[-30:], *done.stderr.splitlines()[-10:]])
    assert done.returncode == 0, f"make check on Python {version}:\n{tail}"
    # pytest's own last line, e.g. "315 passed in 61.2s": the tests ran, and none failed.
    assert re.match(r"\d+ passed", summary) and "failed" not in summary, summary

"""Which interpreter make takes (.ci/find-python), and what it says when none fits."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT

FIND = REPO_ROOT / ".ci" / "find-python"
# Found before PATH is narrowed to the fake interpreters.
BASH = shutil.which("bash")


def fake_python(folder: Path, name: str, version: str, implementation: str = "CPython") -> None:
    """An executable that answers the version check as that interpreter would."""
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{version} {implementation}'\n")
    path.chmod(0o755)


def find(path: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHON"}
    environment.update({"PATH": path, **env})
    return subprocess.run([BASH, str(FIND)], env=environment, capture_output=True, text=True)


def test_takes_the_first_supported_one(tmp_path):
    fake_python(tmp_path, "python3.11", "3.10")  # a wrongly named link: run, not trusted by name
    fake_python(tmp_path, "python3.12", "3.12")
    fake_python(tmp_path, "python3.13", "3.13")
    done = find(f"{tmp_path}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "python3.12"


def test_refuses_another_implementation(tmp_path):
    fake_python(tmp_path, "python3", "3.12", "PyPy")
    done = find(str(tmp_path))
    assert done.returncode == 1
    assert "python3 is 3.12 PyPy" in done.stderr


def test_none_found_names_the_versions_that_work(tmp_path):
    fake_python(tmp_path, "python3", "3.10")
    done = find(str(tmp_path))
    assert done.returncode == 1
    assert "CPython 3.11, 3.12 or 3.13 is required" in done.stderr
    assert "python3 is 3.10 CPython" in done.stderr and "python3.13: not found" in done.stderr
    assert "PYTHON=" in done.stderr


def test_an_unsupported_python_named_by_the_user_is_refused(tmp_path):
    fake_python(tmp_path, "old", "3.10")
    done = find("/usr/bin:/bin", PYTHON=str(tmp_path / "old"))
    assert done.returncode == 1
    assert f"PYTHON={tmp_path / 'old'} is 3.10 CPython" in done.stderr


def test_the_python_running_these_tests_is_accepted():
    done = find(os.environ["PATH"], PYTHON=sys.executable)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == sys.executable


def test_make_serve_stops_with_the_message(tmp_path):
    fake_python(tmp_path, "old", "3.10")
    environment = {**os.environ, "PYTHON": str(tmp_path / "old"), "VENVS": str(tmp_path / "venvs")}
    done = subprocess.run(["make", "-s", "serve"], cwd=REPO_ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode != 0
    assert "CPython 3.11, 3.12 or 3.13 is required" in done.stderr
    assert not (tmp_path / "venvs" / "serve").exists()

"""The make targets a user runs on each example: `make gates` re-proves the built model
against a retraining from the spec its card names; `make serve MODEL_DIR=...` serves it
and answers its card's example rows as the card says (the smoke test)."""
import os
import subprocess
import sys

import pytest

from tests.support import EXAMPLES, free_port, health_is_200, running_make
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

SERVE_READY_SECONDS = 60


@pytest.mark.parametrize("name", EXAMPLES)
def test_make_gates_re_proves_the_built_example(repo_root, built_examples, name):
    done = subprocess.run(["make", "--no-print-directory", "gates", f"MODEL_DIR={built_examples[name]}"],
                          cwd=repo_root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "parity gate: PASS" in done.stdout and "quality gate: PASS" in done.stdout


@pytest.mark.timeout(SERVE_READY_SECONDS + 120)
@pytest.mark.parametrize("name", EXAMPLES)
def test_make_serve_serves_the_example_as_its_card_says(repo_root, built_examples, tmp_path, name):
    port, folder = free_port(), built_examples[name]
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GATEWAY_", "PYTEST_"))}
    args = ["serve", f"PORT={port}", f"ADMIN_PORT={free_port()}", f"MODEL_DIR={folder}"]
    with running_make(args, tmp_path / "make-serve.log", env) as make:
        def healthy() -> bool:
            make.raise_if_exited()
            return health_is_200(url)

        wait_until(healthy, SERVE_READY_SECONDS, f"make serve MODEL_DIR={folder} to answer /health", poll=0.5)
        smoke = subprocess.run([sys.executable, str(repo_root / ".ci" / "smoke.py"), url,
                                "--card", str(folder / f"{name}.json")], capture_output=True, text=True, timeout=60)
    assert smoke.returncode == 0, smoke.stderr
    assert f"of {name}'s card answered as it says" in smoke.stdout

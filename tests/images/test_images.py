"""Both images built and the serve image run like production, here, on every `make test`.

A Docker daemon is used when one answers, else podman (.ci/engine); the base image
is the official one where a registry answers, else a stand-in built from Debian
packages (.ci/base-image). What was used is printed in the test summary.
"""
import json
import subprocess

import pytest

from tests.conftest import EXAMPLES, free_port
from tests import summary

pytestmark = pytest.mark.container

# The serve image's own layers above the base: venv, gateway, model.
OWN_LAYERS_BUDGET_MB = 160


def make(repo_root, *args: str) -> str:
    done = subprocess.run(["make", "--no-print-directory", *args], cwd=repo_root, capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"make {' '.join(args)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


@pytest.fixture(scope="module")
def report(repo_root, tmp_path_factory):
    base = make(repo_root, "base-image").strip().splitlines()[-1]
    summary.lines.append(base)
    make(repo_root, "images", "TAG=test")
    path = tmp_path_factory.mktemp("image-check") / "report.json"
    ports = f"PORT={free_port()}", f"ADMIN_PORT={free_port()}"
    out = make(repo_root, "image-check", "TAG=test", *ports, f"REPORT={path}")
    summary.lines.append(out.strip().splitlines()[-1])
    return {**json.loads(path.read_text()), "base_line": base}


def test_the_serve_image_answers_the_original_contract_and_v2(report):
    assert report["smoke_passed"], report["smoke"]


def test_the_serve_image_runs_as_production_expects(report):
    assert report["uid"] != 0
    assert not report["sklearn_importable"]
    assert not report["pip_present"]
    assert not report["root_writable"] and report["tmp_writable"]


def test_the_healthcheck_survives_the_build_and_passes(report):
    assert report["healthcheck"] and report["healthcheck"][0] == "CMD"
    assert report["healthcheck_passed"]


def test_sigterm_drains_and_exits_0(report):
    assert report["exit_code_after_sigterm"] == 0
    assert report["drain_logged"]


def test_own_layers_stay_within_budget(report):
    assert 0 < report["own_layers_mb"] < OWN_LAYERS_BUDGET_MB, report


def test_operator_routes_are_on_the_admin_port_only(report):
    assert report["operator_routes_public"] == []
    assert report["operator_routes_on_admin_port"]


def test_an_image_built_on_the_stand_in_base_is_never_pushed(report, repo_root):
    """make push refuses it before tagging anything: the stand-in (Debian's Python,
    not the official image) is for building here when no registry answers."""
    target = f"127.0.0.1:{free_port()}/never/pushed:test"
    done = subprocess.run(["make", "--no-print-directory", "push", "TAG=test", f"IMAGE={target}"], cwd=repo_root,
                          capture_output=True, text=True)
    tagged = subprocess.run([str(repo_root / ".ci" / "engine"), "image", "inspect", target], capture_output=True)
    if "stand-in" in report["base_line"]:
        assert done.returncode != 0
        assert "refusing iris-serve:test: it was built on the stand-in base" in done.stderr
        assert tagged.returncode != 0, "nothing was tagged for the registry"
    else:  # built on the official image: the refusal lets it through
        refusal = subprocess.run([str(repo_root / ".ci" / "base-image"), "--refuse-standin", "iris-serve:test"],
                                 capture_output=True, text=True)
        assert refusal.returncode == 0, refusal.stderr


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_images_build_and_serve_a_model_of_another_spec(repo_root, report, tmp_path, name):
    """Each example through both Dockerfiles: trained and gated from its spec in the
    train image, served by the serve image, its card's example rows answered as the
    card says (on /predict and v2; BYTES inputs for the mixed example). After
    `report`, so the base image and the dependency layers are cached."""
    images = (f"SPEC=models/examples/{name}/{name}.toml", "TAG=test")  # images named for the model
    make(repo_root, "images", *images)
    path = tmp_path / "report.json"
    make(repo_root, "image-check", *images, f"PORT={free_port()}", f"ADMIN_PORT={free_port()}", f"REPORT={path}")
    checked = json.loads(path.read_text())
    assert checked["model"] == name
    assert checked["smoke_passed"] and f"of {name}'s card answered as it says" in checked["smoke"], checked["smoke"]

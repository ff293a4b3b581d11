"""Both images built and the serve image run like production, here, on every `make test`.

A Docker daemon is used when one answers, else podman (.ci/engine); the base image
is the official one where a registry answers, else a stand-in built from Debian
packages (.ci/base-image). What was used is printed in the test summary.
"""
import json
import subprocess

import httpx
import pytest

from bench.otlp import attributes_of, otlp_receiver
from tests import summary
from tests.support import EXAMPLES, ONE_ROW, free_port, health_is_200
from tests.waiting import wait_until

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
    """make image-check's report on the serve image, whether it passed or not (its
    verdict is the first test's to judge)."""
    base = make(repo_root, "base-image").strip().splitlines()[-1]
    summary.lines.append(base)
    make(repo_root, "images", "TAG=test")
    path = tmp_path_factory.mktemp("image-check") / "report.json"
    ports = f"PORT={free_port()}", f"ADMIN_PORT={free_port()}"
    done = subprocess.run(["make", "--no-print-directory", "image-check", "TAG=test", *ports, f"REPORT={path}"],
                          cwd=repo_root, capture_output=True, text=True)
    if not path.exists():
        pytest.fail(f"make image-check wrote no report:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    summary.lines.append(done.stdout.strip().splitlines()[-1])
    return {**json.loads(path.read_text()), "base_line": base, "verdict": done}


def test_the_serve_image_passes_every_image_check_requirement(report):
    """Smoke (the original contract and v2), non-root, no scikit-learn or pip, read-only
    root, HEALTHCHECK, operator routes on the admin port only, SIGTERM drains to exit 0
    (.ci/image_check.py REQUIREMENTS; tests/images/test_dockerfiles.py shows each one
    failing the check)."""
    verdict = report["verdict"]
    assert verdict.returncode == 0, verdict.stdout[-3000:] + verdict.stderr[-2000:]
    assert report["healthcheck"][0] == "CMD", "the HEALTHCHECK runs the gateway's probe without a shell"


def test_own_layers_stay_within_budget(report):
    assert 0 < report["own_layers_mb"] < OWN_LAYERS_BUDGET_MB, report


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


def test_the_image_built_for_tracing_sends_its_spans(repo_root, report):
    """The serve image built with TRACING=true, run read-only on the host's network with
    tracing on: its spans reach an OTLP receiver on the host. After `report`, so the
    train image and the base are cached."""
    image = "iris-serve-tracing:test"
    make(repo_root, "images", "TAG=test", "TRACING=1", f"SERVE_IMAGE={image}")
    engine = str(repo_root / ".ci" / "engine")
    port, admin_port = free_port(), free_port()
    with otlp_receiver() as receiver:
        started = subprocess.run(
            [engine, "run", "--detach", "--rm", "--network", "host", "--read-only", "--tmpfs", "/tmp",
             "--env", "GATEWAY_HOST=127.0.0.1", "--env", f"GATEWAY_PORT={port}",
             "--env", f"GATEWAY_ADMIN_PORT={admin_port}", "--env", "GATEWAY_TRACE_RATIO=1",
             "--env", f"OTEL_EXPORTER_OTLP_ENDPOINT={receiver.endpoint}", image],
            capture_output=True, text=True, check=True)
        container = started.stdout.strip().splitlines()[-1]
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: health_is_200(url), 60, "the tracing image's /health")
            response = httpx.post(url + "/predict", json=ONE_ROW)
            assert response.status_code == 200 and response.json()["prediction"] == 0
            [(resource, span)] = wait_until(receiver.received, 60, "the span of the request at the receiver")
        finally:
            logs = subprocess.run([engine, "logs", container], capture_output=True, text=True).stdout
            subprocess.run([engine, "rm", "--force", container], capture_output=True)
    assert span.name == "POST /predict", logs
    assert attributes_of(span.attributes)["gateway.request_id"] == response.headers["x-request-id"]
    assert resource["service.version"] == "test"  # the image's release: its TAG

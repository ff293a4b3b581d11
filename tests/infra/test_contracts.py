"""The Terraform defaults agree with the gateway and the image: read from the code, not retyped."""
from pathlib import Path

import re

import hcl2
import pytest
from hcl2 import SerializationOptions

from gateway.routes import HEALTH_PATH, LIVE_PATH
from gateway.settings import Settings
from tests.images.dockerfile import parse


OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)


def defaults(path: Path) -> dict:
    document = hcl2.loads(path.read_text(), serialization_options=OPTIONS)
    values = {}
    for block in document["variable"]:
        for name, body in block.items():
            if "default" in body:
                values[name] = body["default"]
    return values


@pytest.fixture(scope="module")
def service_defaults(infra) -> dict:
    return defaults(infra / "service" / "variables.tf")


def test_ports_and_probe_routes_are_the_gateways(service_defaults):
    assert service_defaults["container_port"] == Settings().port
    assert service_defaults["admin_port"] == Settings().admin_port
    assert service_defaults["health_check_path"] == HEALTH_PATH
    assert service_defaults["liveness_path"] == LIVE_PATH


def test_container_user_is_the_images(service_defaults, repo_root):
    (user,) = parse(repo_root / "Dockerfile.serve")[-1].all("USER")
    assert service_defaults["container_user"] == user.arguments


def test_default_shutdown_timings_are_ordered(service_defaults):
    d = service_defaults
    assert d["deregistration_delay"] < d["drain_seconds"]
    assert d["drain_seconds"] + d["shutdown_seconds"] < d["stop_timeout"] <= 120


def test_every_variable_is_typed_and_described(infra):
    for root in ("bootstrap", "ecr", "service"):
        document = hcl2.loads((infra / root / "variables.tf").read_text(), serialization_options=OPTIONS)
        for block in document["variable"]:
            for name, body in block.items():
                assert body.get("type"), f"{root}: variable {name} has no type"
                assert body.get("description"), f"{root}: variable {name} has no description"


def _strings(node, skip=("description", "error_message")):
    """Every string value in parsed HCL, leaving out prose (descriptions, error messages)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in skip:
                yield from _strings(value, skip)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, skip)
    elif isinstance(node, str):
        yield node


def test_nothing_account_or_region_specific_is_hard_coded(infra):
    account = re.compile(r"\b\d{12}\b")
    region = re.compile(r"\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|northeast|southeast)-\d\b")
    for path in infra.glob("*/*.tf"):
        document = hcl2.loads(path.read_text(), serialization_options=OPTIONS)
        for value in _strings(document):
            assert not account.search(value), f"{path} hard-codes an account id: {value}"
            assert not region.search(value), f"{path} hard-codes a region: {value}"


def test_provider_locks_verify_on_every_developer_platform(infra):
    """Each lock names the provider's published zip hashes (`zh:`, one per platform
    release: linux and darwin on amd64 and arm64 among them), so `terraform init`
    on a Mac or an arm64 machine verifies its download instead of failing. The
    list was copied from public lock files of other projects (identical in two
    independent repositories); its h1 for linux_amd64 is the one terraform computes
    here from the offline mirror."""
    blocks = set()
    for root in ("bootstrap", "ecr", "service"):
        text = (infra / root / ".terraform.lock.hcl").read_text()
        zh = re.findall(r'"zh:([0-9a-f]{64})"', text)
        assert len(zh) == len(set(zh)) == 15, root
        assert '"h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0="' in text, root
        blocks.add(tuple(sorted(zh)))
    assert len(blocks) == 1, "the three roots lock the same provider build"


def test_the_makefiles_project_is_the_roots(infra, repo_root):
    """make repository-url asks ECR for the repository the roots name `project`."""
    (project,) = re.findall(r"^PROJECT \?= (\S+)$", (repo_root / "Makefile").read_text(), flags=re.M)
    for root in ("bootstrap", "ecr", "service"):
        assert defaults(infra / root / "variables.tf")["project"] == project, root

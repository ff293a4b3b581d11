"""The Terraform defaults agree with the gateway and the image: read from the code, not retyped."""
import base64
import hashlib
import re
from pathlib import Path

import hcl2
import pytest

from gateway.api.probes import HEALTH_PATH, LIVE_PATH
from gateway.settings import Settings
from tests.images.dockerfile import parse
from tests.infra.terraform import OPTIONS, PROVIDER, ROOTS, defaults, plugin_dir


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


def dirhash_h1(folder: Path) -> str:
    """The `h1:` hash terraform records for an unpacked provider: Go's dirhash.Hash1,
    the sha256 of the lines "<sha256 hex>  <file>" of the sorted files."""
    lines = "".join(
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder).as_posix()}\n"
        for path in sorted(p for p in folder.rglob("*") if p.is_file())
    )
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def locked(infra: Path, root: str) -> tuple[str, list[str], list[str]]:
    """The provider version, its h1 hashes and its zh hashes in a root's lock file."""
    text = (infra / root / ".terraform.lock.hcl").read_text()
    (version,) = re.findall(r'^\s*version\s*=\s*"([^"]+)"', text, flags=re.M)
    return version, re.findall(r'"(h1:[^"]+)"', text), re.findall(r'"zh:([0-9a-f]{64})"', text)


def test_the_three_roots_lock_the_same_provider_build_for_every_platform(infra):
    """One provider build for all roots, with a published zip hash (`zh:`) per platform
    release, so `terraform init` on a Mac or an arm64 machine checks its download
    against the lock instead of refusing it (those hashes are the registry's; offline,
    only their number and agreement can be checked)."""
    locks = {root: locked(infra, root) for root in ROOTS}
    for root, (_, _, zh) in locks.items():
        assert len(zh) == len(set(zh)) == 15, root
    assert len({(version, tuple(h1), tuple(sorted(zh))) for version, h1, zh in locks.values()}) == 1, locks


@pytest.mark.terraform
def test_the_lock_holds_the_hash_of_the_provider_terraform_runs(infra):
    """The h1 hash in each lock is the one of the provider in the local mirror, as
    terraform computes it: init with -plugin-dir accepts it, and a changed provider
    would be refused. Without a mirror, terraform init itself checks the download."""
    mirror = plugin_dir()
    if mirror is None:
        pytest.skip("no local provider mirror: terraform init checks the registry's download against the lock")
    for root in ROOTS:
        version, h1, _ = locked(infra, root)
        (platform,) = (mirror / PROVIDER / version).iterdir()
        assert dirhash_h1(platform) in h1, f"{root}: the lock does not hold the mirror's {platform.name} hash"


def test_the_makefiles_project_is_the_roots(infra, repo_root):
    """make repository-url asks ECR for the repository the roots name `project`."""
    (project,) = re.findall(r"^PROJECT \?= (\S+)$", (repo_root / "Makefile").read_text(), flags=re.M)
    for root in ("bootstrap", "ecr", "service"):
        assert defaults(infra / root / "variables.tf")["project"] == project, root

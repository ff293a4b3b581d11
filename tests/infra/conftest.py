import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

from tests.conftest import free_port
from tests.infra.emulator import DOMAIN, GITHUB_REPOSITORY, REGION, ZONE_ID, Emulator, rehearsal_copy

ROOTS = ("bootstrap", "ecr", "service")
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"


def plugin_dir() -> Path | None:
    """A local mirror of the AWS provider, so init needs no network (machines of this
    project's kind carry one); None means init downloads from the registry."""
    candidates = [os.environ.get("TF_PLUGIN_DIR"), "/opt/tf-plugins", "~/.terraform.d/plugins"]
    for candidate in filter(None, candidates):
        path = Path(candidate).expanduser()
        if (path / PROVIDER).is_dir():
            return path
    return None


class Terraform:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
        configured = self.env.get("TF_CLI_CONFIG_FILE")
        if configured and not Path(configured).exists():
            self.env["TF_CLI_CONFIG_FILE"] = os.devnull  # the preset names a missing file
        self.plugins = plugin_dir()

    def run(self, cwd: Path, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [self.binary, *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"terraform {' '.join(args)} failed in {cwd}:\n{result.stdout}\n{result.stderr}")
        return result

    def init(self, cwd: Path, backend: bool = False) -> None:
        args = ["init", "-input=false", "-no-color"]
        if not backend:
            args.append("-backend=false")
        if self.plugins is not None:
            args.append(f"-plugin-dir={self.plugins}")
        self.run(cwd, *args)


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail(
            "terraform is not installed: the infra tests need terraform >= 1.10 on PATH "
            "(machines of this project's kind carry 1.11 and an offline AWS provider mirror)"
        )
    return Terraform(binary)


@pytest.fixture(scope="session")
def infra(repo_root: Path) -> Path:
    return repo_root / "infra"


@pytest.fixture(scope="session")
def emulator():
    """moto on a free loopback port, recording the actions called (tests/infra/emulator.py)."""
    # moto 5.2.5 lacks Application Auto Scaling's tag API, which the provider calls
    # on every read of a scalable target; answer it with "no tags" rather than let
    # the provider retry a 500 for ever. Everything else is moto's own behaviour.
    patched = {}
    for action, reply in (("list_tags_for_resource", '{"Tags": {}}'), ("tag_resource", "{}"), ("untag_resource", "{}")):
        patched[action] = getattr(ApplicationAutoScalingResponse, action, None)
        setattr(ApplicationAutoScalingResponse, action, lambda self, reply=reply: reply)
    emulator = Emulator(free_port())
    emulator.start()
    yield emulator
    emulator.stop()
    for action, original in patched.items():
        if original is None:
            delattr(ApplicationAutoScalingResponse, action)
        else:
            setattr(ApplicationAutoScalingResponse, action, original)


@pytest.fixture(scope="session")
def bootstrap(terraform, infra, emulator, tmp_path_factory) -> dict[str, dict]:
    """The bootstrap root applied to the emulator, as an admin applies it once; returns
    the policy documents it rendered, by data source address (`deploy`,
    `github_trust["push"]`, ...), as AWS received them."""
    root = rehearsal_copy(infra / "bootstrap", tmp_path_factory.mktemp("bootstrap") / "bootstrap", emulator.url)
    terraform.init(root, backend=True)
    terraform.run(
        root, "apply", "-input=false", "-no-color", "-auto-approve", f"-var=aws_region={REGION}",
        "-var=state_bucket_name=rehearsal-state", f"-var=github_repository={GITHUB_REPOSITORY}",
        f"-var=route53_zone_id={ZONE_ID}", f"-var=domain_name={DOMAIN}",
    )
    state = json.loads(terraform.run(root, "show", "-json").stdout)
    documents = {}
    for resource in state["values"]["root_module"]["resources"]:
        if resource["type"] == "aws_iam_policy_document":
            key = resource["name"] + (f'["{resource["index"]}"]' if "index" in resource else "")
            documents[key] = json.loads(resource["values"]["json"])
    return documents

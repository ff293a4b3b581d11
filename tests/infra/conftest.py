import json
import shutil
from pathlib import Path

import pytest
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

from tests.infra.emulator import DOMAIN, GITHUB_REPOSITORY, REGION, ZONE_ID, Emulator, rehearsal_copy
from tests.infra.terraform import Terraform
from tests.support import free_port


@pytest.fixture(scope="session")
def terraform() -> Terraform:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.fail(
            "terraform is not installed: the infra tests need terraform >= 1.10 on PATH "
            "(and, offline, a provider mirror in TF_PLUGIN_DIR or /opt/tf-plugins)"
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
        "-var=tracing=true",  # the task role's X-Ray policy exists, so the analyser reads it too
    )
    state = json.loads(terraform.run(root, "show", "-json").stdout)
    documents = {}
    for resource in state["values"]["root_module"]["resources"]:
        if resource["type"] == "aws_iam_policy_document":
            key = resource["name"] + (f'["{resource["index"]}"]' if "index" in resource else "")
            documents[key] = json.loads(resource["values"]["json"])
    return documents

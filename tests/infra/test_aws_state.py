"""The build job's AWS steps (.ci/aws_state.py) against the emulator: the repository's
URL, and the scan gate that stops a deploy on critical findings. Each call they
make is one the push role allows."""
import json

import httpx
import pytest

from tests.infra.emulator import REGION, aws_state
from tests.infra.iam import allows

pytestmark = pytest.mark.terraform

REPOSITORY = "iris-gateway"
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {}, "layers": [],
})


@pytest.fixture(scope="module")
def repository(emulator):
    ecr = emulator.client("ecr")
    created = ecr.create_repository(repositoryName=REPOSITORY, imageScanningConfiguration={"scanOnPush": True})
    yield created["repository"]["repositoryUri"]
    ecr.delete_repository(repositoryName=REPOSITORY, force=True)


def pushed(emulator, repository: str, tag: str) -> str:
    emulator.client("ecr").put_image(repositoryName=REPOSITORY, imageTag=tag, imageManifest=MANIFEST)
    return f"{repository}:{tag}"


def findings_for(emulator, tag: str, counts: dict[str, int], names: list[tuple[str, str]]) -> None:
    """moto's documented way to set what a scan of one image finds."""
    result = {
        "imageScanFindings": {
            "findings": [{"name": name, "severity": severity, "uri": f"https://example.com/{name}"}
                         for name, severity in names],
            "findingSeverityCounts": counts,
        },
        "registryId": "123456789012", "repositoryName": REPOSITORY, "imageId": {"imageTag": tag},
        "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
    }
    reply = httpx.post(f"{emulator.url}/moto-api/static/ecr/scan-finding-results",
                       json={"results": [result], "region": REGION})
    assert reply.status_code == 201, reply.text


def test_the_repository_url_comes_from_ecr(emulator, repository):
    assert aws_state(emulator, "repository-url", REPOSITORY) == repository


def test_an_image_without_critical_findings_passes(emulator, repository):
    # moto's own scan result: one HIGH finding.
    image = pushed(emulator, repository, "clean")
    gate = aws_state(emulator, "scan-gate", image, "--wait", "60", check=False)
    assert gate.returncode == 0, gate.stderr
    assert "1 HIGH" in gate.stdout


def test_a_blocked_severity_stops_the_deploy(emulator, repository):
    image = pushed(emulator, repository, "high")
    gate = aws_state(emulator, "scan-gate", image, "--block", "CRITICAL,HIGH", "--wait", "60", check=False)
    assert gate.returncode == 1
    assert "the deploy stops: HIGH findings" in gate.stderr


def test_a_critical_finding_stops_the_deploy_and_is_named(emulator, repository):
    image = pushed(emulator, repository, "critical")
    findings_for(emulator, "critical", {"CRITICAL": 1, "LOW": 3}, [("CVE-2099-0001", "CRITICAL"), ("CVE-x", "LOW")])
    gate = aws_state(emulator, "scan-gate", image, "--wait", "60", check=False)
    assert gate.returncode == 1
    assert "CRITICAL CVE-2099-0001" in gate.stderr and "CVE-x" not in gate.stderr
    assert "the deploy stops: CRITICAL findings" in gate.stderr


def test_the_build_jobs_calls_are_the_push_roles(emulator, repository, bootstrap):
    start = len(emulator.calls)
    image = pushed(emulator, repository, "calls")
    aws_state(emulator, "repository-url", REPOSITORY)
    aws_state(emulator, "image-exists", image)
    aws_state(emulator, "scan-gate", image, "--wait", "60", check=False)
    calls = set(emulator.calls[start:])
    assert {"ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:DescribeImageScanFindings"} <= calls
    assert sorted(a for a in calls if not allows(bootstrap["push"], a)) == []

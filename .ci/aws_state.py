"""What AWS itself says, as opposed to what Terraform's state recorded.

    python .ci/aws_state.py running-image --cluster C --service S
    python .ci/aws_state.py image-exists <repository url>:<tag>
    python .ci/aws_state.py repository-url <repository name>
    python .ci/aws_state.py scan-gate <repository url>:<tag> [--block CRITICAL,HIGH] [--wait 600]

running-image prints the image of the task definition the ECS service runs now.
After a failed deployment the circuit breaker rolls the service back to the
previous task definition while the AWS provider reports success
(hashicorp/terraform-provider-aws#20858): the pipeline compares this with the
image it deployed. image-exists prints "yes" when the tag is already in the
repository (tags are immutable: a re-run deploys it instead of pushing again),
"no" when it is not; any error exits non-zero, never a "no". repository-url
asks ECR for the repository's URL (the build job reads no Terraform state).
scan-gate waits for ECR's scan of the pushed image and exits 1 when it found
anything of a blocked severity (CRITICAL by default), listing the findings: the
deploy needs the build job, so such an image is never deployed. AWS_ENDPOINT_URL
points all of them at an emulator (the tests use moto).
"""
import argparse
import sys
import time

import boto3
from botocore.exceptions import ClientError


def running_image(cluster: str, service: str) -> str:
    ecs = boto3.client("ecs")
    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    task = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])["taskDefinition"]
    (container,) = task["containerDefinitions"]
    return container["image"]


def image_reference(image: str) -> dict[str, str]:
    """<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> as ECR's API names it."""
    repository_url, _, tag = image.rpartition(":")
    registry, _, repository = repository_url.partition("/")
    return {"registryId": registry.split(".", 1)[0], "repositoryName": repository, "imageTag": tag}


def image_exists(image: str) -> bool:
    reference = image_reference(image)
    try:
        boto3.client("ecr").describe_images(
            registryId=reference["registryId"], repositoryName=reference["repositoryName"],
            imageIds=[{"imageTag": reference["imageTag"]}],
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ImageNotFoundException":
            return False
        raise
    return True


def repository_url(name: str) -> str:
    (repository,) = boto3.client("ecr").describe_repositories(repositoryNames=[name])["repositories"]
    return repository["repositoryUri"]


def blocking(counts: dict[str, int], blocked: set[str]) -> dict[str, int]:
    """The severities of `counts` (ECR's findingSeverityCounts) that stop a deploy."""
    return {severity: count for severity, count in counts.items() if severity in blocked and count > 0}


def scan_findings(image: str, wait_seconds: float) -> dict:
    """ECR's completed scan of the image: scan-on-push starts it; if none was
    started (an image pushed before scanning was on), start one."""
    ecr = boto3.client("ecr")
    reference = image_reference(image)
    where = {"registryId": reference["registryId"], "repositoryName": reference["repositoryName"],
             "imageId": {"imageTag": reference["imageTag"]}}
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            result = ecr.describe_image_scan_findings(**where)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ScanNotFoundException":
                raise
            ecr.start_image_scan(**where)
            continue
        status = result["imageScanStatus"]["status"]
        if status == "COMPLETE":
            return result["imageScanFindings"]
        if status == "FAILED" or time.monotonic() > deadline:
            raise SystemExit(f"scan of {image}: {status} ({result['imageScanStatus'].get('description', '')})")
        time.sleep(5)  # ECR's own waiter polls as often


def scan_gate(image: str, blocked: set[str], wait_seconds: float) -> int:
    findings = scan_findings(image, wait_seconds)
    counts = findings.get("findingSeverityCounts", {})
    stopped = blocking(counts, blocked)
    print(f"scan of {image}: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no findings"))
    if not stopped:
        return 0
    for finding in findings.get("findings", []):
        if finding.get("severity") in blocked:
            print(f"  {finding['severity']} {finding.get('name')} {finding.get('uri', '')}", file=sys.stderr)
    print(f"the deploy stops: {', '.join(sorted(stopped))} findings", file=sys.stderr)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("running-image")
    running.add_argument("--cluster", required=True)
    running.add_argument("--service", required=True)
    exists = commands.add_parser("image-exists")
    exists.add_argument("image", help="<repository url>:<tag>")
    url = commands.add_parser("repository-url")
    url.add_argument("name", help="the repository's name (the Terraform variable project)")
    gate = commands.add_parser("scan-gate")
    gate.add_argument("image", help="<repository url>:<tag>")
    gate.add_argument("--block", default="CRITICAL", help="comma-separated severities that stop the deploy")
    gate.add_argument("--wait", type=float, default=600, help="most seconds to wait for the scan")
    args = parser.parse_args()
    if args.command == "running-image":
        print(running_image(args.cluster, args.service))
    elif args.command == "image-exists":
        print("yes" if image_exists(args.image) else "no")
    elif args.command == "repository-url":
        print(repository_url(args.name))
    else:
        return scan_gate(args.image, {s.strip().upper() for s in args.block.split(",")}, args.wait)
    return 0


if __name__ == "__main__":
    sys.exit(main())

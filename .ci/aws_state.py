"""What AWS itself says, as opposed to what Terraform's state recorded.

    python .ci/aws_state.py running-image --cluster C --service S
    python .ci/aws_state.py image-exists <repository url>:<tag>

running-image prints the image of the task definition the ECS service runs now.
After a failed deployment the circuit breaker rolls the service back to the
previous task definition while the AWS provider reports success
(hashicorp/terraform-provider-aws#20858): the pipeline compares this with the
image it deployed. image-exists prints "yes" when the tag is already in the
repository (tags are immutable: a re-run deploys it instead of pushing again),
"no" when it is not; any error exits non-zero, never a "no". AWS_ENDPOINT_URL
points both at an emulator (the tests use moto).
"""
import argparse
import sys

import boto3
from botocore.exceptions import ClientError


def running_image(cluster: str, service: str) -> str:
    ecs = boto3.client("ecs")
    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    task = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])["taskDefinition"]
    (container,) = task["containerDefinitions"]
    return container["image"]


def image_exists(image: str) -> bool:
    repository_url, _, tag = image.rpartition(":")
    registry, _, repository = repository_url.partition("/")
    try:
        boto3.client("ecr").describe_images(
            registryId=registry.split(".", 1)[0], repositoryName=repository, imageIds=[{"imageTag": tag}]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ImageNotFoundException":
            return False
        raise
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    running = commands.add_parser("running-image")
    running.add_argument("--cluster", required=True)
    running.add_argument("--service", required=True)
    exists = commands.add_parser("image-exists")
    exists.add_argument("image", help="<repository url>:<tag>")
    args = parser.parse_args()
    if args.command == "running-image":
        print(running_image(args.cluster, args.service))
        return 0
    print("yes" if image_exists(args.image) else "no")
    return 0


if __name__ == "__main__":
    sys.exit(main())

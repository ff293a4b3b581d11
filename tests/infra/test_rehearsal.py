"""A full apply and destroy of the ecr and service roots against moto, a local AWS
emulator started here on 127.0.0.1.

This is a rehearsal, not a deployment: it proves the configuration applies and
destroys cleanly through the real AWS provider and creates what it says (checked
with boto3). No container ever runs in moto, so it proves nothing about the image,
the health checks passing, or real AWS permissions and quotas."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.routes import HEALTH_PATH
from gateway.settings import Settings
from tests.infra.emulator import REGION, REPO, aws_state, rehearsal_copy
from tests.infra.iam import allows

pytestmark = [pytest.mark.terraform, pytest.mark.timeout(900)]


def output(terraform, root: Path, name: str, default: str | None = None) -> str:
    """An output as the Makefile reads it: `terraform output -json` through .ci/tf_output.py."""
    state = terraform.run(root, "output", "-json").stdout
    extra = ["--default", default] if default is not None else []
    done = subprocess.run(
        [sys.executable, str(REPO / ".ci" / "tf_output.py"), name, *extra], input=state, capture_output=True,
        text=True, check=True,
    )
    return done.stdout.strip()


def test_apply_then_destroy_ecr_and_service(terraform, infra, tmp_path, emulator, bootstrap):
    # bootstrap (an admin, once) has made the service's roles; from here on every
    # call is the pipeline's, recorded to check against its roles' policies.
    emulator.calls.clear()
    ecr_root = rehearsal_copy(infra / "ecr", tmp_path / "ecr", emulator.url)
    service_root = rehearsal_copy(infra / "service", tmp_path / "service", emulator.url)
    common = [f"-var=aws_region={REGION}", "-input=false", "-no-color", "-auto-approve"]

    terraform.init(ecr_root, backend=True)
    terraform.run(ecr_root, "apply", *common)
    repository_url = terraform.run(ecr_root, "output", "-raw", "repository_url").stdout.strip()
    image = f"{repository_url}:rehearsal1"

    service_vars = [
        f"-var=image={image}", "-var=wait_for_steady_state=false", "-var=alb_deletion_protection=false",
        "-var=alarm_email=oncall@example.com", f"-var=container_port={Settings().port}",
        f"-var=health_check_path={HEALTH_PATH}",
    ]
    terraform.init(service_root, backend=True)
    # Before the first deploy the state is empty: "none", never a warning box.
    assert output(terraform, service_root, "image", default="none") == "none"
    terraform.run(service_root, "apply", *common, *service_vars, timeout=900)
    outputs = json.loads(terraform.run(service_root, "output", "-json").stdout)
    assert output(terraform, service_root, "image", default="none") == image

    # ---- what was created, as AWS (the emulator) reports it ----
    repository = emulator.client("ecr").describe_repositories()["repositories"][0]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"]["scanOnPush"]

    ecs = emulator.client("ecs")
    cluster = ecs.describe_clusters(clusters=[outputs["cluster_name"]["value"]], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    service = ecs.describe_services(cluster=cluster["clusterName"], services=[outputs["service_name"]["value"]])
    service = service["services"][0]
    # moto does not report deployment settings; the applied state does.
    state = json.loads(terraform.run(service_root, "show", "-json").stdout)
    applied = {r["address"]: r["values"] for r in state["values"]["root_module"]["resources"]}
    assert applied["aws_ecs_service.this"]["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert service["desiredCount"] == 2 and service["launchType"] == "FARGATE"
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    (container,) = task["containerDefinitions"]
    assert container["image"] == image
    assert container["readonlyRootFilesystem"] is True
    assert task["requiresCompatibilities"] == ["FARGATE"]

    elb = emulator.client("elbv2")
    (target_group,) = elb.describe_target_groups()["TargetGroups"]
    assert target_group["HealthCheckPath"] == HEALTH_PATH and target_group["Port"] == Settings().port
    (balancer,) = elb.describe_load_balancers()["LoadBalancers"]
    assert outputs["predict_url"]["value"] == f"http://{balancer['DNSName']}/predict"

    ec2 = emulator.client("ec2")
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups()["SecurityGroups"]}
    task_group, alb_group = groups["iris-gateway-task"], groups["iris-gateway-alb"]
    (ingress,) = task_group["IpPermissions"]
    assert ingress["FromPort"] == ingress["ToPort"] == Settings().port
    assert ingress["IpRanges"] == [] and [p["GroupId"] for p in ingress["UserIdGroupPairs"]] == [alb_group["GroupId"]]

    scaling = emulator.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
    (target,) = scaling["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    alarms = {a["AlarmName"] for a in emulator.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    assert {"iris-gateway-5xx-rate", "iris-gateway-unhealthy-targets", "iris-gateway-p99-latency"} <= alarms

    # The alarm topic's key is bootstrap's, named by alias, and its policy lets CloudWatch publish.
    (topic,) = emulator.client("sns").list_topics()["Topics"]
    alias = emulator.client("sns").get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["KmsMasterKeyId"]
    key_id = emulator.client("kms").describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    policy = json.loads(emulator.client("kms").get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    cloudwatch = [st for st in policy["Statement"] if st["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["Action"])

    # The balancer forwards everything to the public port, which has no operator
    # routes; no path rule is relied on (uvicorn decodes paths the rule would see raw).
    (listener,) = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert [r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]] == []
    assert [m["containerPort"] for m in container["portMappings"]] == [Settings().port, Settings().admin_port]

    # What ECS runs, asked of ECS (as the pipeline does after each deploy), and an
    # update: the state's image and the running one move together.
    assert aws_state(emulator, "running-image", "--cluster", cluster["clusterName"],
                     "--service", service["serviceName"]) == image
    updated = f"{repository_url}:rehearsal2"
    service_vars[0] = f"-var=image={updated}"
    terraform.run(service_root, "apply", *common, *service_vars, timeout=900)
    assert output(terraform, service_root, "image", default="none") == updated
    assert aws_state(emulator, "running-image", "--cluster", cluster["clusterName"],
                     "--service", service["serviceName"]) == updated

    # A re-run finds a pushed tag and builds nothing; an unknown tag is "no".
    emulator.client("ecr").put_image(
        repositoryName=repository["repositoryName"], imageTag="rehearsal2",
        imageManifest=json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {}, "layers": [],
        }),
    )
    build_job_starts = len(emulator.calls)
    assert aws_state(emulator, "image-exists", updated) == "yes"
    assert aws_state(emulator, "image-exists", f"{repository_url}:never-pushed") == "no"
    build_job_ends = len(emulator.calls)

    # ---- and all of it goes away again; the repository survives the service ----
    terraform.run(service_root, "destroy", *common, *service_vars, timeout=900)
    pipeline_ends = len(emulator.calls)
    assert emulator.client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    remaining = ecs.list_clusters()["clusterArns"]
    if remaining:
        assert {c["status"] for c in ecs.describe_clusters(clusters=remaining)["clusters"]} == {"INACTIVE"}
    assert emulator.client("ecr").describe_repositories()["repositories"], "the repository outlives the service"
    # The repository refuses deletion while it holds images (no force_delete): empty it first.
    emulator.client("ecr").batch_delete_image(
        repositoryName=repository["repositoryName"], imageIds=[{"imageTag": "rehearsal2"}]
    )
    terraform.run(ecr_root, "destroy", *common)
    assert emulator.client("ecr").describe_repositories()["repositories"] == []

    # ---- every call the pipeline made is one its role allows (the ecr destroy is an admin's) ----
    build = set(emulator.calls[build_job_starts:build_job_ends])
    deploy = set(emulator.calls[:build_job_starts] + emulator.calls[build_job_ends:pipeline_ends])
    deploy.discard("sts:GetCallerIdentity")  # allowed to every identity; no policy grants it
    assert sorted(a for a in build if not allows(bootstrap["push"], a)) == []
    assert sorted(a for a in deploy if not allows(bootstrap["deploy"], a)) == []
    assert len(deploy) > 100, "the recorder saw the apply"

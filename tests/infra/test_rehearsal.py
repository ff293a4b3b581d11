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

from gateway.api.probes import HEALTH_PATH
from gateway.model.card import ModelCard
from gateway.settings import Settings
from gateway.signals import emf
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


@pytest.fixture(scope="module")
def rehearsal(terraform, infra, tmp_path_factory, emulator, bootstrap) -> dict:
    """The pipeline's life of the ecr and service roots against the emulator: apply,
    an update to a second image, a re-run's checks, destroy. What AWS (the emulator)
    reported at each step is recorded for the tests below to judge one by one."""
    # bootstrap (an admin, once) has made the service's roles; from here on every
    # call is the pipeline's, recorded to check against its roles' policies.
    emulator.calls.clear()
    work = tmp_path_factory.mktemp("rehearsal")
    ecr_root = rehearsal_copy(infra / "ecr", work / "ecr", emulator.url)
    service_root = rehearsal_copy(infra / "service", work / "service", emulator.url)
    common = [f"-var=aws_region={REGION}", "-input=false", "-no-color", "-auto-approve"]
    seen: dict = {}

    terraform.init(ecr_root, backend=True)
    terraform.run(ecr_root, "apply", *common)
    repository_url = terraform.run(ecr_root, "output", "-raw", "repository_url").stdout.strip()
    image = seen["image"] = f"{repository_url}:rehearsal1"
    service_vars = [
        f"-var=image={image}", "-var=wait_for_steady_state=false", "-var=alb_deletion_protection=false",
        "-var=alarm_email=oncall@example.com", f"-var=container_port={Settings().port}",
        f"-var=health_check_path={HEALTH_PATH}",
    ]
    terraform.init(service_root, backend=True)
    seen["image_output_before"] = output(terraform, service_root, "image", default="none")
    terraform.run(service_root, "apply", *common, *service_vars, timeout=900)
    outputs = seen["outputs"] = json.loads(terraform.run(service_root, "output", "-json").stdout)
    seen["image_output"] = output(terraform, service_root, "image", default="none")

    # What was created, as AWS (the emulator) reports it.
    ecr, ecs, elb = emulator.client("ecr"), emulator.client("ecs"), emulator.client("elbv2")
    repository = seen["repository"] = ecr.describe_repositories()["repositories"][0]
    cluster = ecs.describe_clusters(clusters=[outputs["cluster_name"]["value"]], include=["SETTINGS"])["clusters"][0]
    seen["cluster"] = cluster
    service = ecs.describe_services(cluster=cluster["clusterName"], services=[outputs["service_name"]["value"]])
    service = seen["service"] = service["services"][0]
    # moto does not report deployment settings; the applied state does.
    state = json.loads(terraform.run(service_root, "show", "-json").stdout)
    seen["applied"] = {r["address"]: r["values"] for r in state["values"]["root_module"]["resources"]}
    seen["task"] = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    seen["target_groups"] = elb.describe_target_groups()["TargetGroups"]
    (balancer,) = seen["balancers"] = elb.describe_load_balancers()["LoadBalancers"]
    (listener,) = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    seen["rules"] = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    seen["security_groups"] = {
        g["GroupName"]: g for g in emulator.client("ec2").describe_security_groups()["SecurityGroups"]
    }
    seen["scaling"] = emulator.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="ecs")
    cloudwatch = emulator.client("cloudwatch")
    seen["alarm_details"] = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    seen["alarms"] = set(seen["alarm_details"])
    seen["dashboard"] = json.loads(cloudwatch.get_dashboard(DashboardName="iris-gateway")["DashboardBody"])
    (topic,) = emulator.client("sns").list_topics()["Topics"]
    alias = emulator.client("sns").get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"]["KmsMasterKeyId"]
    kms = emulator.client("kms")
    key_id = kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    seen["topic_key_policy"] = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])

    # What ECS runs, asked of ECS (as the pipeline does after each deploy), and an update.
    where = ("--cluster", cluster["clusterName"], "--service", service["serviceName"])
    seen["running"] = aws_state(emulator, "running-image", *where)
    updated = seen["updated"] = f"{repository_url}:rehearsal2"
    service_vars[0] = f"-var=image={updated}"
    terraform.run(service_root, "apply", *common, *service_vars, timeout=900)
    seen["image_output_updated"] = output(terraform, service_root, "image", default="none")
    seen["running_updated"] = aws_state(emulator, "running-image", *where)

    # A re-run finds a pushed tag and builds nothing; an unknown tag is "no".
    ecr.put_image(
        repositoryName=repository["repositoryName"], imageTag="rehearsal2",
        imageManifest=json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {}, "layers": [],
        }),
    )
    build_job_starts = len(emulator.calls)
    seen["exists"] = aws_state(emulator, "image-exists", updated)
    seen["exists_unknown"] = aws_state(emulator, "image-exists", f"{repository_url}:never-pushed")
    build_job_ends = len(emulator.calls)

    # And all of it goes away again; the repository survives the service.
    terraform.run(service_root, "destroy", *common, *service_vars, timeout=900)
    pipeline_ends = len(emulator.calls)
    seen["balancers_after"] = elb.describe_load_balancers()["LoadBalancers"]
    remaining = ecs.list_clusters()["clusterArns"]
    seen["clusters_after"] = ecs.describe_clusters(clusters=remaining)["clusters"] if remaining else []
    seen["repositories_after_service"] = ecr.describe_repositories()["repositories"]
    # The repository refuses deletion while it holds images (no force_delete): empty it first.
    ecr.batch_delete_image(repositoryName=repository["repositoryName"], imageIds=[{"imageTag": "rehearsal2"}])
    terraform.run(ecr_root, "destroy", *common)  # an admin's step
    seen["repositories_after_ecr"] = ecr.describe_repositories()["repositories"]

    seen["build_calls"] = set(emulator.calls[build_job_starts:build_job_ends])
    deploy = set(emulator.calls[:build_job_starts] + emulator.calls[build_job_ends:pipeline_ends])
    deploy.discard("sts:GetCallerIdentity")  # allowed to every identity; no policy grants it
    seen["deploy_calls"] = deploy
    return seen


def test_before_the_first_deploy_the_image_output_is_none_then_the_applied_image(rehearsal):
    assert rehearsal["image_output_before"] == "none"  # never a warning box
    assert rehearsal["image_output"] == rehearsal["image"]


def test_the_repository_is_immutable_and_scans_on_push(rehearsal):
    assert rehearsal["repository"]["imageTagMutability"] == "IMMUTABLE"
    assert rehearsal["repository"]["imageScanningConfiguration"]["scanOnPush"]


def test_the_service_runs_the_image_read_only_on_fargate_with_a_rolling_back_breaker(rehearsal):
    assert {"name": "containerInsights", "value": "enabled"} in rehearsal["cluster"]["settings"]
    assert rehearsal["applied"]["aws_ecs_service.this"]["deployment_circuit_breaker"] == [
        {"enable": True, "rollback": True}
    ]
    assert rehearsal["service"]["desiredCount"] == 2 and rehearsal["service"]["launchType"] == "FARGATE"
    task = rehearsal["task"]
    (container,) = task["containerDefinitions"]
    assert container["image"] == rehearsal["image"]
    assert container["readonlyRootFilesystem"] is True
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert [m["containerPort"] for m in container["portMappings"]] == [Settings().port, Settings().admin_port]


def test_the_balancer_checks_the_gateways_health_route_and_serves_predict(rehearsal):
    (target_group,) = rehearsal["target_groups"]
    assert target_group["HealthCheckPath"] == HEALTH_PATH and target_group["Port"] == Settings().port
    (balancer,) = rehearsal["balancers"]
    assert rehearsal["outputs"]["predict_url"]["value"] == f"http://{balancer['DNSName']}/predict"


def test_the_balancer_forwards_everything_with_no_path_rule(rehearsal):
    """Everything goes to the public port, which has no operator routes; no path rule is
    relied on (uvicorn decodes paths the rule would see raw)."""
    assert [rule for rule in rehearsal["rules"] if not rule["IsDefault"]] == []


def test_only_the_balancer_reaches_the_tasks_on_the_gateways_port(rehearsal):
    groups = rehearsal["security_groups"]
    task_group, alb_group = groups["iris-gateway-task"], groups["iris-gateway-alb"]
    (ingress,) = task_group["IpPermissions"]
    assert ingress["FromPort"] == ingress["ToPort"] == Settings().port
    assert ingress["IpRanges"] == [] and [p["GroupId"] for p in ingress["UserIdGroupPairs"]] == [alb_group["GroupId"]]


def test_the_service_scales_and_alarms(rehearsal):
    (target,) = rehearsal["scaling"]["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    expected = {"iris-gateway-5xx-rate", "iris-gateway-unhealthy-targets", "iris-gateway-p99-latency"}
    assert expected <= rehearsal["alarms"]


def test_the_alarm_topics_key_lets_cloudwatch_publish(rehearsal):
    statements = rehearsal["topic_key_policy"]["Statement"]
    cloudwatch = [st for st in statements if st["Principal"].get("Service") == "cloudwatch.amazonaws.com"]
    assert cloudwatch and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(cloudwatch[0]["Action"])


def test_an_update_moves_the_state_and_the_running_image_together(rehearsal):
    assert rehearsal["running"] == rehearsal["image"]
    assert rehearsal["image_output_updated"] == rehearsal["updated"]
    assert rehearsal["running_updated"] == rehearsal["updated"]


def test_a_rerun_finds_the_pushed_tag_and_not_an_unknown_one(rehearsal):
    assert (rehearsal["exists"], rehearsal["exists_unknown"]) == ("yes", "no")


def test_destroy_removes_the_service_and_keeps_the_repository_until_its_own_destroy(rehearsal):
    assert rehearsal["balancers_after"] == []
    assert {c["status"] for c in rehearsal["clusters_after"]} <= {"INACTIVE"}
    assert rehearsal["repositories_after_service"], "the repository outlives the service"
    assert rehearsal["repositories_after_ecr"] == []


def test_every_call_the_pipeline_made_is_one_its_role_allows(rehearsal, bootstrap):
    """The build job's calls against the push role, the deploy job's (apply, update,
    destroy) against the deploy role; the ecr destroy is an admin's."""
    assert sorted(a for a in rehearsal["build_calls"] if not allows(bootstrap["push"], a)) == []
    assert sorted(a for a in rehearsal["deploy_calls"] if not allows(bootstrap["deploy"], a)) == []
    assert len(rehearsal["deploy_calls"]) > 100, "the recorder saw the apply"


def watched(alarm: dict) -> list[tuple[str, str, frozenset[str]]]:
    """(namespace, metric name, dimension names) of every metric an alarm reads."""
    if alarm.get("MetricName"):
        return [(alarm["Namespace"], alarm["MetricName"], frozenset(d["Name"] for d in alarm.get("Dimensions", [])))]
    return [
        (query["MetricStat"]["Metric"]["Namespace"], query["MetricStat"]["Metric"]["MetricName"],
         frozenset(d["Name"] for d in query["MetricStat"]["Metric"].get("Dimensions", [])))
        for query in alarm["Metrics"] if "MetricStat" in query
    ]


def test_the_gateway_alarms_watch_metrics_the_gateway_writes_with_its_dimensions(rehearsal, repo_root):
    """Every alarm on the task's EMF namespace names a metric gateway/signals/emf.py writes, with
    a DimensionSet it writes that metric with; the task tells the gateway that namespace."""
    (container,) = rehearsal["task"]["containerDefinitions"]
    environment = {pair["name"]: pair["value"] for pair in container["environment"]}
    namespace = environment["GATEWAY_EMF_NAMESPACE"]
    assert float(environment["GATEWAY_EMF_SECONDS"]) > 0
    card = ModelCard.load(repo_root / "models" / "iris.json")
    written = {(name, frozenset(dims)) for name in (emf.PREDICTED_ROWS, emf.OUT_OF_RANGE_ROWS, emf.UNPROVEN_ROWS)
               for dims in emf.MODEL_DIMENSIONS}
    written |= {(name, frozenset(dims)) for name in (emf.REQUESTS, emf.SERVER_ERRORS, emf.LATENCY_P99)
                for dims in emf.ROUTE_DIMENSIONS}
    assert {name for name, _ in written} <= emf.metric_names(card)
    on_gateway = {name: [w for w in watched(alarm) if w[0] == namespace]
                  for name, alarm in rehearsal["alarm_details"].items()}
    on_gateway = {name: metrics for name, metrics in on_gateway.items() if metrics}
    assert set(on_gateway) == {"iris-gateway-drift-rate", "iris-gateway-unproven-rate", "iris-gateway-gateway-p99",
                               "iris-gateway-gateway-5xx-rate"}
    for name, metrics in on_gateway.items():
        for _, metric, dimensions in metrics:
            assert (metric, dimensions) in written, f"{name} watches {metric} by {set(dimensions)}, never written"


def test_the_dashboard_shows_the_balancer_and_the_gateways_own_figures(rehearsal):
    titles = [widget["properties"]["title"] for widget in rehearsal["dashboard"]["widgets"]]
    assert len(titles) == 5
    assert any("Drift" in title for title in titles) and any("load balancer" in title for title in titles)

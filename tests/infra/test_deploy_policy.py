"""The pipeline's permission policies and the service's (the task role's X-Ray policy
included: bootstrap applied with tracing on), as bootstrap rendered them (applied to the
emulator), analysed by cloudsplaining with every risky action flagged: no
privilege escalation, resource exposure, credentials exposure or data
exfiltration finding beyond those justified in infra/bootstrap/analyser_findings.json,
and no service wildcard at all. Then what the analyser does not look for: the deploy
role creates no role and writes no policy, holds no KMS permission, and changes
DNS records only for the service's name in the one zone."""
import json

import pytest
from cloudsplaining.command.scan_policy_file import scan_policy

from tests.infra.emulator import DOMAIN, ZONE_ID
from tests.infra.iam import allowed_actions, statements

pytestmark = pytest.mark.terraform

PERMISSION_POLICIES = ("deploy", "push", "task_execution", "flow_logs", 'write_traces["0"]')
RISKS = ("PrivilegeEscalation", "ResourceExposure", "CredentialsExposure", "DataExfiltration")


@pytest.fixture(scope="module")
def justified(infra) -> dict:
    return json.loads((infra / "bootstrap" / "analyser_findings.json").read_text())


def findings(document: dict) -> dict[str, set[str]]:
    results = scan_policy(document, {}, flag_conditional_statements=True, flag_resource_arn_statements=True)
    found = {risk: set() for risk in (*RISKS, "ServiceWildcard")}
    for risk in found:
        for finding in results[risk]["findings"]:
            found[risk].add(finding["type"] if isinstance(finding, dict) else finding)
    return found


@pytest.mark.parametrize("policy", PERMISSION_POLICIES)
def test_every_analyser_finding_is_justified_and_no_service_is_wildcarded(bootstrap, justified, policy):
    found = findings(bootstrap[policy])
    assert found["ServiceWildcard"] == set(), f"{policy} allows every action of {found['ServiceWildcard']}"
    for risk in RISKS:
        assert found[risk] == set(justified[policy].get(risk, {})), f"{policy}: {risk}"


def test_the_deploy_role_makes_no_role_and_writes_no_policy(bootstrap):
    iam = {action for action in allowed_actions(bootstrap["deploy"]) if action.startswith("iam:")}
    assert iam == {"iam:GetRole", "iam:PassRole", "iam:CreateServiceLinkedRole"}


def test_the_deploy_role_passes_bootstrap_roles_only_to_their_services(bootstrap):
    passing = [st for st in statements(bootstrap["deploy"]) if "iam:PassRole" in st["Action"]]
    passed = {}
    for st in passing:
        assert st["Action"] == "iam:PassRole"
        service = st["Condition"]["StringEquals"]["iam:PassedToService"]
        for role in st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]:
            passed[role.rsplit("/", 1)[-1]] = service
    assert passed == {
        "iris-gateway-task-execution": "ecs-tasks.amazonaws.com",
        "iris-gateway-task": "ecs-tasks.amazonaws.com",
        "iris-gateway-flow-logs": "vpc-flow-logs.amazonaws.com",
    }


def test_the_deploy_role_holds_no_key_and_the_push_role_only_its_repository(bootstrap):
    assert not [a for a in allowed_actions(bootstrap["deploy"]) if a.startswith("kms:")]
    for st in statements(bootstrap["push"]):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        assert all(action.startswith("ecr:") for action in actions)
        if actions != ["ecr:GetAuthorizationToken"]:
            assert st["Resource"].endswith(":repository/iris-gateway")


def test_dns_changes_are_the_services_own_record_in_the_one_zone(bootstrap):
    dns = [st for st in statements(bootstrap["deploy"]) if any(a.startswith("route53:") for a in
                                                               (st["Action"] if isinstance(st["Action"], list)
                                                                else [st["Action"]]))]
    for st in dns:
        assert st["Resource"] in (f"arn:aws:route53:::hostedzone/{ZONE_ID}", "arn:aws:route53:::change/*")
    (change,) = [st for st in dns if st["Action"] == "route53:ChangeResourceRecordSets"]
    conditions = change["Condition"]["ForAllValues:StringEquals"]
    assert conditions["route53:ChangeResourceRecordSetsNormalizedRecordNames"] == DOMAIN
    assert set(conditions["route53:ChangeResourceRecordSetsRecordTypes"]) == {"A", "AAAA"}

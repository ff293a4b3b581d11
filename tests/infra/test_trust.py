"""Who may assume the pipeline's roles: the trust policies bootstrap rendered (applied
to the emulator), evaluated against the claims of the tokens GitHub issues to each
kind of job. Claims as GitHub documents them (docs.github.com, "OpenID Connect
reference"); the condition keys as AWS STS checks them for GitHub's provider."""
import pytest

from tests.infra.emulator import GITHUB_REPOSITORY
from tests.infra.iam import trusts

pytestmark = pytest.mark.terraform

REPO = GITHUB_REPOSITORY
FORK = "someone-else/proven-onnx"


def token(repository: str, ref: str, workflow: str, environment: str | None = None,
          event: str = "push") -> dict[str, str]:
    """The claims of a GitHub Actions OIDC token (the default subject template)."""
    if environment is not None:
        subject = f"repo:{repository}:environment:{environment}"
    elif event == "pull_request":
        subject = f"repo:{repository}:pull_request"
    else:
        subject = f"repo:{repository}:ref:{ref}"
    claims = {
        "aud": "sts.amazonaws.com", "sub": subject, "repository": repository, "ref": ref, "event_name": event,
        "job_workflow_ref": f"{repository}/.github/workflows/{workflow}@{ref}",
    }
    if environment is not None:
        claims["environment"] = environment
    return claims


MAIN = "refs/heads/main"
FEATURE = "refs/heads/feature"
# (case, claims, may assume the push role, may assume the deploy role)
CASES = [
    ("build job on main", token(REPO, MAIN, "ci-cd.yml"), True, False),
    ("deploy job on main", token(REPO, MAIN, "ci-cd.yml", "production"), False, True),
    ("destroy dispatched from main", token(REPO, MAIN, "destroy.yml", "production", "workflow_dispatch"), False, True),
    ("feature branch job declaring the environment", token(REPO, FEATURE, "ci-cd.yml", "production"), False, False),
    ("destroy dispatched from a feature branch",
     token(REPO, FEATURE, "destroy.yml", "production", "workflow_dispatch"), False, False),
    ("feature branch build job", token(REPO, FEATURE, "ci-cd.yml"), False, False),
    ("pull request", token(REPO, "refs/pull/7/merge", "ci-cd.yml", event="pull_request"), False, False),
    ("pull request declaring the environment",
     token(REPO, "refs/pull/7/merge", "ci-cd.yml", "production", "pull_request"), False, False),
    ("a fork's main", token(FORK, MAIN, "ci-cd.yml"), False, False),
    ("a fork's deploy job", token(FORK, MAIN, "ci-cd.yml", "production"), False, False),
    ("another workflow on main", token(REPO, MAIN, "other.yml", "production"), False, False),
    ("another environment on main", token(REPO, MAIN, "ci-cd.yml", "staging"), False, False),
    ("a token for another audience",
     {**token(REPO, MAIN, "ci-cd.yml", "production"), "aud": "https://github.com/example-org"}, False, False),
]


@pytest.fixture(scope="module")
def trust(bootstrap, emulator):
    (provider,) = emulator.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    return provider["Arn"], bootstrap['github_trust["push"]'], bootstrap['github_trust["deploy"]']


@pytest.mark.parametrize(("claims", "push", "deploy"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_only_mains_jobs_assume_the_pipeline_roles(trust, claims, push, deploy):
    provider, push_trust, deploy_trust = trust
    assert trusts(push_trust, provider, claims) is push
    assert trusts(deploy_trust, provider, claims) is deploy


def test_another_identity_provider_is_not_trusted(trust):
    _, _, deploy_trust = trust
    other = "arn:aws:iam::123456789012:oidc-provider/token.example.com"
    assert not trusts(deploy_trust, other, token(REPO, MAIN, "ci-cd.yml", "production"))


def test_the_roles_trust_what_aws_stored(trust, emulator):
    """What bootstrap rendered is what IAM holds as each role's trust policy."""
    _, push_trust, deploy_trust = trust
    iam = emulator.client("iam")
    for name, rendered in (("iris-gateway-github-push", push_trust), ("iris-gateway-github-deploy", deploy_trust)):
        assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == rendered

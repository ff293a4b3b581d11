"""IAM policy evaluation for tests: which actions a permission policy allows, and
whether a trust policy admits a web-identity token's claims.

Deliberately small: actions are matched as IAM matches them (`*` and `?`, case
insensitive), and the condition operators the trust policies use are evaluated
as AWS documents them (keys ANDed, values ORed, a missing key fails); anything
else in a trust policy is an error, so a new operator cannot be silently passed."""
import fnmatch
from typing import Any, Iterator, Mapping

GITHUB_ISSUER = "token.actions.githubusercontent.com"


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(document: Mapping[str, Any]) -> Iterator[dict]:
    yield from _listed(document["Statement"])


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def allowed_actions(document: Mapping[str, Any]) -> list[str]:
    """Every action pattern of the policy's Allow statements."""
    return [action for st in statements(document) if st["Effect"] == "Allow" for action in _listed(st["Action"])]


def allows(document: Mapping[str, Any], action: str) -> bool:
    """Some Allow statement names the action (resources and conditions aside)."""
    return any(_matches(pattern, action) for pattern in allowed_actions(document))


def _condition_holds(operator: str, key: str, values: list[str], claims: Mapping[str, str]) -> bool:
    prefix = f"{GITHUB_ISSUER}:"
    if not key.startswith(prefix):
        raise ValueError(f"a trust condition on {key} is not a GitHub token claim")
    claim = claims.get(key[len(prefix):])
    if claim is None:
        return False
    if operator == "StringEquals":
        return claim in values
    if operator == "StringLike":
        return any(fnmatch.fnmatchcase(claim, value) for value in values)
    raise ValueError(f"condition operator {operator} is not evaluated here")


def trusts(document: Mapping[str, Any], provider_arn: str, claims: Mapping[str, str]) -> bool:
    """Whether STS would let a token with these claims, from this identity
    provider, assume the role with this trust policy (AssumeRoleWithWebIdentity)."""
    admitted = False
    for st in statements(document):
        if "sts:AssumeRoleWithWebIdentity" not in _listed(st["Action"]):
            continue
        if provider_arn not in _listed(st.get("Principal", {}).get("Federated", [])):
            continue
        holds = all(
            _condition_holds(operator, key, _listed(values), claims)
            for operator, keyed in st.get("Condition", {}).items()
            for key, values in keyed.items()
        )
        if holds and st["Effect"] == "Deny":
            return False
        admitted = admitted or (holds and st["Effect"] == "Allow")
    return admitted

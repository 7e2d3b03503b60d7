"""A small evaluator of IAM policy documents, for showing what a generated policy allows.

No package on PyPI evaluates condition operators against a request context: moto 5.2's
`moto.iam.access_control` supports `StringEquals` only and treats every other operator as
satisfied; iam-ape merges policies symbolically. So this evaluates the subset of the IAM
policy language the project's policies use, following the IAM policy evaluation logic and
condition operator reference:

- an explicit Deny wins, else an Allow, else the implicit deny;
- within a statement, every condition operator, and every key under it, must hold (AND);
  the policy values of one key are alternatives (OR); a negated operator (`...Not...`) holds
  when the request value matches none of them;
- context key names are not case-sensitive (`aws:SourceIP` is `AWS:SourceIp`); values are
  compared as the operator says (IAM User Guide, "IAM JSON policy elements: Condition");
- a key missing from the request: positive operators fail, negated ones hold (every `...Not...`
  operator, `StringNotEqualsIgnoreCase` included), `...IfExists` holds, `Null` tests exactly that
  ("Condition operators": "If the policy condition requires that the key is not matched, such as
  StringNotLike or ArnNotLike, and the right key is not present, the condition is true");
- `ArnEquals` and `ArnLike` match each of the six colon-delimited components of the ARN
  separately, each may hold `*` and `?`, which never match across a colon into the next
  component; matching is case-sensitive ("Amazon Resource Name (ARN) condition operators");
- multivalued keys need `ForAnyValue:` (some request value satisfies it; false when the key
  is missing) or `ForAllValues:` (every request value does; true when missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Union

ContextValue = Union[str, Sequence[str]]

ALLOW, DENY, IMPLICIT_DENY = "Allow", "Deny", "ImplicitDeny"


@dataclass
class Request:
    action: str
    resource: str = "*"
    principal: Optional[tuple[str, str]] = None
    """("AWS", arn) or ("Service", name); None for identity-based policies."""
    context: Mapping[str, ContextValue] = field(default_factory=dict)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _like(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


ARN_COMPONENTS = 6
"""arn:partition:service:region:account:resource; the resource keeps any colons of its own."""


def _arn_like(pattern: str, value: str) -> bool:
    """Component by component, so a wildcard stays inside its component."""
    pattern_parts = pattern.split(":", ARN_COMPONENTS - 1)
    value_parts = value.split(":", ARN_COMPONENTS - 1)
    if len(pattern_parts) != ARN_COMPONENTS or len(value_parts) != ARN_COMPONENTS:
        return False
    return all(_like(p, v) for p, v in zip(pattern_parts, value_parts))


def _matches_one(operator: str, policy_value: str, request_value: str) -> bool:
    if operator == "StringEquals":
        return policy_value == request_value
    if operator == "StringEqualsIgnoreCase":
        return policy_value.lower() == request_value.lower()
    if operator == "StringLike":
        return _like(policy_value, request_value)
    if operator in ("ArnEquals", "ArnLike"):
        return _arn_like(policy_value, request_value)
    if operator == "Bool":
        return policy_value.lower() == request_value.lower()
    raise NotImplementedError(f"condition operator {operator}")


NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _value_satisfies(operator: str, policy_values: list[str], request_value: str) -> bool:
    """One request value against a key's policy values: any of them, or none for a negated operator."""
    if operator in NEGATED:
        return not any(_matches_one(NEGATED[operator], p, request_value) for p in policy_values)
    return any(_matches_one(operator, p, request_value) for p in policy_values)


def condition_holds(qualified_operator: str, key: str, policy_value: Any, context: Mapping[str, ContextValue]) -> bool:
    qualifier, _, operator = qualified_operator.rpartition(":")
    policy_values = _as_list(policy_value)
    context = {name.lower(): value for name, value in context.items()}
    key = key.lower()
    present = key in context and context[key] != []
    if operator == "Null":
        assert not qualifier, "Null takes no set qualifier"
        return (not present) == (policy_values[0].lower() == "true")
    if_exists = operator.endswith("IfExists")
    operator = operator[: -len("IfExists")] if if_exists else operator

    if qualifier == "ForAnyValue":
        return present and any(_value_satisfies(operator, policy_values, v) for v in _as_list(context[key]))
    if qualifier == "ForAllValues":
        return not present or all(_value_satisfies(operator, policy_values, v) for v in _as_list(context[key]))
    assert not qualifier, f"unknown set qualifier {qualifier}"
    if not present:
        return if_exists or operator in NEGATED
    value = context[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is multivalued: use ForAnyValue or ForAllValues with {operator}")
    return _value_satisfies(operator, policy_values, value)


def _principal_matches(principal: Any, requester: Optional[tuple[str, str]]) -> bool:
    if principal is None or requester is None:
        return principal is None  # identity-based statements have no Principal
    if principal == "*":
        return True
    kind, identity = requester
    return identity in _as_list(principal.get(kind, [])) or principal.get(kind) == "*"


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    actions = _as_list(statement["Action"])
    if not any(_like(a.lower(), request.action.lower()) for a in actions):
        return False
    if not any(_like(r, request.resource) for r in _as_list(statement.get("Resource", "*"))):
        return False
    if not _principal_matches(statement.get("Principal"), request.principal):
        return False
    return all(
        condition_holds(operator, key, value, request.context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, value in keys.items()
    )


def evaluate(policies: Sequence[Mapping[str, Any]], request: Request) -> str:
    """The decision of all `policies` together for one request."""
    applying = [s for p in policies for s in _as_list_statements(p) if statement_applies(s, request)]
    if any(s["Effect"] == "Deny" for s in applying):
        return DENY
    if any(s["Effect"] == "Allow" for s in applying):
        return ALLOW
    return IMPLICIT_DENY


def denying_statements(policy: Mapping[str, Any], request: Request) -> list[str]:
    return [s.get("Sid", "") for s in _as_list_statements(policy) if s["Effect"] == "Deny" and statement_applies(s, request)]


def _as_list_statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy["Statement"]
    return [statements] if isinstance(statements, Mapping) else list(statements)

"""Confidential Space: a workload identity provider trusting attestation must admit only a stable, pinned image.

The model owner's pool trusts the attestation verifier, and the provider's attribute condition is all that
stands between "any attested VM" and the model's key. The condition is CEL, parsed with cel-python.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Iterator, Optional

from pulumi_policy import Severity

from .props import UNKNOWN, lookup
from .rules import CIS_CONTROLS_3_11, Options, resource_policy

# Confidential Space (seed 004, notes §1.6): the model owner's pool trusts the attestation verifier, and its
# provider's attribute condition is all that stands between "any attested VM" and the model's key.
ATTESTATION_ISSUER = "https://confidentialcomputing.googleapis.com/"
_SWNAME = "assertion.swname"
_SUPPORT_ATTRIBUTES = "assertion.submods.confidential_space.support_attributes"
_IMAGE_DIGEST = "assertion.submods.container.image_digest"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# Single-child nodes of celpy's grammar that only wrap their child (precedence levels, parentheses).
_WRAPPERS = frozenset({
    "expr", "conditionalor", "conditionaland", "relation", "addition", "multiplication", "unary", "member",
    "primary", "paren_expr"})
_REQUIRED_CLAUSES = (
    ("swname", f"{_SWNAME} == 'CONFIDENTIAL_SPACE'",
     "any attested VM image, not only Confidential Space, would be admitted"),
    ("stable", f"'STABLE' in {_SUPPORT_ATTRIBUTES}",
     "debug and unsupported Confidential Space images (which allow SSH and debugging) would be admitted"),
    ("digest", f"{_IMAGE_DIGEST} == 'sha256:<64 hex digits>'",
     "any workload image would be admitted, not only the authorized one"),
)


class _Cel:
    """celpy, imported and set up on first use (its parser takes ~0.25 s to build); one parse at a time."""

    _lock = threading.Lock()
    _env: Any = None

    @classmethod
    def env(cls) -> Any:
        if cls._env is None:
            import celpy
            cls._env = celpy.Environment()
        return cls._env

    @classmethod
    def compile(cls, text: str) -> Any:
        with cls._lock:
            return cls.env().compile(text)

    @classmethod
    def string(cls, token: Any) -> Optional[str]:
        """The value of a CEL string literal token (any quoting or escapes), else None."""
        if getattr(token, "type", None) not in ("STRING_LIT", "MLSTRING_LIT"):
            return None
        with cls._lock:
            value = cls.env().program(cls.env().compile(str(token))).evaluate({})
        return str(value) if isinstance(value, str) else None


def _unwrap_cel(node: Any) -> Any:
    while getattr(node, "data", None) in _WRAPPERS and len(node.children) == 1:
        node = node.children[0]
    return node


def _conjuncts(node: Any) -> Iterator[Any]:
    """The clauses joined by top-level `&&` (through parentheses); anything else is one clause."""
    node = _unwrap_cel(node)
    if getattr(node, "data", None) == "conditionaland" and len(node.children) == 2:
        for child in node.children:
            yield from _conjuncts(child)
    else:
        yield node


def _cel_path(node: Any) -> Optional[str]:
    """`a.b.c` for a plain field selection, else None."""
    node = _unwrap_cel(node)
    if getattr(node, "data", None) == "ident":
        return str(node.children[0])
    if getattr(node, "data", None) == "member_dot" and len(node.children) == 2:
        base = _cel_path(node.children[0])
        return f"{base}.{node.children[1]}" if base else None
    return None


def _cel_string(node: Any) -> Optional[str]:
    node = _unwrap_cel(node)
    if getattr(node, "data", None) == "literal" and len(node.children) == 1:
        return _Cel.string(node.children[0])
    return None


def _cel_strings(node: Any) -> Optional[list[str]]:
    """The values of a non-empty list literal of strings, else None."""
    node = _unwrap_cel(node)
    if getattr(node, "data", None) != "list_lit" or len(node.children) != 1:
        return None
    values = [_cel_string(item) for item in node.children[0].children]
    return values if values and all(v is not None for v in values) else None


def _relation(node: Any) -> Optional[tuple[str, Any, Any]]:
    """(operator, left, right) for `left == right` / `left in right`, else None."""
    if getattr(node, "data", None) != "relation" or len(node.children) != 2:
        return None
    operator, right = node.children
    if getattr(operator, "data", None) not in ("relation_eq", "relation_in") or len(operator.children) != 1:
        return None
    return operator.data, operator.children[0], right


def _clause_kind(clause: Any) -> Optional[str]:
    """Which required clause this conjunct is ("swname", "stable", "digest"), if any."""
    relation = _relation(clause)
    if relation is None:
        return None
    operator, left, right = relation
    if operator == "relation_eq":
        for field, value in ((_cel_path(left), right), (_cel_path(right), left)):
            literal = _cel_string(value) if field in (_SWNAME, _IMAGE_DIGEST) else None
            if field == _SWNAME and literal == "CONFIDENTIAL_SPACE":
                return "swname"
            if field == _IMAGE_DIGEST and literal is not None and _DIGEST.match(literal):
                return "digest"
        return None
    if _cel_string(left) == "STABLE" and _cel_path(right) == _SUPPORT_ATTRIBUTES:
        return "stable"
    digests = _cel_strings(right) if _cel_path(left) == _IMAGE_DIGEST else None
    if digests and all(_DIGEST.match(d) for d in digests):
        return "digest"  # `image_digest in ['sha256:...', ...]`: still a fixed set of images
    return None


@lru_cache(maxsize=256)
def _attestation_condition_problems(condition: str) -> tuple[str, ...]:
    import celpy  # the parse error's class (the parser itself is set up once in _Cel)
    try:
        tree = _Cel.compile(condition)
    except celpy.CELParseError as error:
        where = f" at line {error.line}, column {error.column}" if getattr(error, "line", None) else ""
        return (f"attributeCondition is not valid CEL (syntax error{where}): Google rejects the provider.",)
    found = {_clause_kind(clause) for clause in _conjuncts(tree)}
    return tuple(
        f"attributeCondition does not require `{clause}` joined by && at its top level: {consequence}."
        for kind, clause, consequence in _REQUIRED_CLAUSES if kind not in found)


def _attestation_provider(props: Any, _options: Options) -> Iterator[str]:
    issuer = lookup(props, "oidc", "issuerUri")
    if not isinstance(issuer, str) or issuer.rstrip("/").lower() != ATTESTATION_ISSUER.rstrip("/"):
        return  # not a Confidential Space provider, or not known yet
    condition = lookup(props, "attributeCondition")
    if condition is UNKNOWN:
        return
    if condition is None:
        yield ("attributeCondition is not set: every token from the attestation verifier (any attested VM, any "
               "image, debug included) is admitted to the pool.")
        return
    yield from _attestation_condition_problems(str(condition))


iam_attestation_provider = resource_policy(
    "gcp-iam-workloadidentitypoolprovider-attestation",
    description=("Workload identity providers trusting Confidential Space attestation must admit only a stable "
                 "Confidential Space image pinned by digest."),
    resource_types=["gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"],
    check=_attestation_provider,
    severity=Severity.CRITICAL,
    remediation=("Set `attribute_condition` to a CEL expression whose top level joins, with &&, "
                 "`assertion.swname == 'CONFIDENTIAL_SPACE'`, `'STABLE' in "
                 "assertion.submods.confidential_space.support_attributes` and "
                 "`assertion.submods.container.image_digest == 'sha256:<digest>'` (plus the image reference and "
                 "the operator's service account in `assertion.google_service_accounts`); a clause under || or ! "
                 "does not count. cmek_ml.gcp.confidential_space.attestation_condition builds it."),
    control=CIS_CONTROLS_3_11,
)

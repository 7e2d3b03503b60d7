"""GCP resource policies in code: keys that stay usable and private, and who may use them.

Where ML data must be under a customer key is data (policies/cmek/catalogue/gcp); this module holds what a
key path cannot say: rotation, key ring location, IAM on keys, Confidential Space attestation, the org policy,
and Dataflow's Streaming Engine (`SPECIAL_CHECKS`, named by the catalogue's `code:`); Confidential Space
attestation is in `gcp_attestation.py`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

from pulumi_policy import EnforcementLevel, Severity

from .gcp_attestation import iam_attestation_provider
from .generated import SpecialCheck
from .props import UNKNOWN, elements, lookup
from .rules import CIS_CONTROLS_3_11, Control, Options, resource_policy

_CIS_GCP = "CIS Google Cloud Platform Foundation Benchmark"
_CIS_GCP_VERSION = "3.0.0"
_ORG_POLICY = "Google Cloud organization policy constraint"
RESTRICT_NON_CMEK = Control(
    _ORG_POLICY, "v2", "constraints/gcp.restrictNonCmekServices",
    "Restrict which services may create resources without CMEK")

def _dataflow_streaming_engine(props: Any, options: Options, generic) -> Iterator[str]:
    """The catalogue's key check, and Streaming Engine, whose state the job's key does not protect (seed 003)."""
    yield from generic()
    if not options["requireFullCmek"]:
        return
    streaming_engine = lookup(props, "enableStreamingEngine")
    experiments = [e for e in elements(lookup(props, "additionalExperiments")) if e is not UNKNOWN]
    if streaming_engine is True or "enable_streaming_engine" in experiments:
        yield ("Streaming Engine is enabled: its state and shuffle are not protected by kmsKeyName "
               "(option requireFullCmek).")


SPECIAL_CHECKS = {
    "dataflow-streaming-engine": SpecialCheck(_dataflow_streaming_engine, {
        "requireFullCmek": {
            "type": "boolean",
            "default": True,
            "description": "Block Streaming Engine, whose state the key does not protect (seed 003).",
        },
    }),
}
"""Code the catalogue's GCP entries name with `code:`."""

_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)s$")
_DAY = 86400


def _rotation(props: Any, options: Options) -> Iterator[str]:
    purpose = lookup(props, "purpose")
    if purpose is UNKNOWN or (purpose or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return  # only symmetric encryption keys can rotate automatically
    period = lookup(props, "rotationPeriod")
    max_days = int(options["maxRotationDays"])
    if period is UNKNOWN:
        return
    if period is None:
        yield f"rotationPeriod is not set: the key never rotates (maximum {max_days} days)."
        return
    match = _SECONDS.match(str(period))
    if not match:
        yield f"rotationPeriod {period!r} is not a duration in seconds such as '7776000s'."
    elif float(match.group(1)) > max_days * _DAY:
        yield f"rotationPeriod {period} is longer than {max_days} days ({max_days * _DAY}s)."
    elif float(match.group(1)) < _DAY:
        yield f"rotationPeriod {period} is shorter than one day ({_DAY}s), which Cloud KMS rejects."


kms_crypto_key_rotation = resource_policy(
    "gcp-kms-cryptokey-rotation",
    description="Symmetric Cloud KMS keys must rotate automatically within the allowed period (90 days).",
    resource_types=["gcp:kms/cryptoKey:CryptoKey"],
    check=_rotation,
    severity=Severity.MEDIUM,
    remediation=("Set `rotation_period` to at most '7776000s' (90 days); changing it is in place. Asymmetric keys "
                 "cannot rotate automatically and are not checked."),
    control=Control(_CIS_GCP, _CIS_GCP_VERSION, "1.10",
                    "Ensure KMS encryption keys are rotated within a period of 90 days"),
    options_schema={
        "maxRotationDays": {
            "type": "integer",
            "minimum": 1,
            "default": 90,
            "description": "Longest allowed rotation period in days (Fabric custom.cloudkmsAllowedRotationPeriod).",
        },
    },
)


def _key_ring_location(props: Any, _options: Options) -> Iterator[str]:
    location = lookup(props, "location")
    if isinstance(location, str) and location.lower() == "global":
        yield "location is global: regional resources (Vertex, Dataflow, buckets) cannot use global keys."


kms_key_ring_not_global = resource_policy(
    "gcp-kms-keyring-regional",
    description="Cloud KMS key rings must be regional (or multi-region), never global.",
    resource_types=["gcp:kms/keyRing:KeyRing"],
    check=_key_ring_location,
    severity=Severity.MEDIUM,
    remediation=("Create the key ring in the region of the data it protects (or us/eu/asia for multi-region "
                 "buckets). Key rings cannot be moved or deleted: create a new one with a new name."),
    control=Control(_ORG_POLICY, "v2", "constraints/gcp.resourceLocations",
                    "Restrict the locations where resources, key rings included, can be created"),
)

_KMS_IAM_TYPES = tuple(
    f"gcp:kms/{kind}IAM{mode}:{kind[0].upper()}{kind[1:]}IAM{mode}"
    for kind in ("cryptoKey", "keyRing") for mode in ("Member", "Binding", "Policy"))
_PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def _members(props: Any) -> Iterator[Any]:
    yield lookup(props, "member")
    yield from elements(lookup(props, "members"))
    policy_data = lookup(props, "policyData")
    if isinstance(policy_data, str):
        try:
            bindings = json.loads(policy_data).get("bindings", [])
        except (ValueError, AttributeError):
            return
        for binding in bindings:
            yield from binding.get("members", [])


def _public_members(props: Any, _options: Options) -> Iterator[str]:
    for member in _members(props):
        if member in _PUBLIC_MEMBERS:
            yield f"{member} is granted a role: anyone could use or read the key."


kms_iam_not_public = resource_policy(
    "gcp-kms-iam-no-public-access",
    description="Cloud KMS keys and key rings must not be accessible to allUsers or allAuthenticatedUsers.",
    resource_types=_KMS_IAM_TYPES,
    check=_public_members,
    severity=Severity.CRITICAL,
    remediation="Grant key roles to named service agents and groups only; remove allUsers and allAuthenticatedUsers.",
    control=Control(_CIS_GCP, _CIS_GCP_VERSION, "1.9",
                    "Ensure that Cloud KMS cryptokeys are not anonymously or publicly accessible"),
)


FEDERATED_MEMBER_PREFIXES = ("principalset://", "principal://")
FEDERATED_ALLOWED_ROLE = "roles/cloudkms.cryptoKeyDecrypter"


def _role_grants(props: Any) -> Iterator[tuple[Any, Any]]:
    """(role, member) pairs of a key or key ring IAM Member, Binding or Policy; either may be UNKNOWN."""
    role = lookup(props, "role")
    member = lookup(props, "member")
    if member is not None:
        yield role, member
    for item in elements(lookup(props, "members")):
        yield role, item
    policy_data = lookup(props, "policyData")
    if isinstance(policy_data, str):
        try:
            bindings = json.loads(policy_data).get("bindings", [])
        except (ValueError, AttributeError):
            return
        for binding in bindings if isinstance(bindings, list) else ():
            if isinstance(binding, dict):
                for item in binding.get("members") or ():
                    yield binding.get("role"), item


def _federated_grants(props: Any, _options: Options) -> Iterator[str]:
    for role, member in _role_grants(props):
        if not isinstance(member, str) or not member.lower().startswith(FEDERATED_MEMBER_PREFIXES):
            continue  # not a federated identity, or not known yet
        if role is UNKNOWN or role == FEDERATED_ALLOWED_ROLE:
            continue
        yield (f"{role or 'no role'} is granted to the federated identity {member}: external (attested) workloads "
               f"may only decrypt ({FEDERATED_ALLOWED_ROLE}).")


kms_iam_federated_decrypt_only = resource_policy(
    "gcp-kms-iam-federated-decrypt-only",
    description=("Cloud KMS keys and key rings may grant external federated identities (principal://, "
                 "principalSet://) only roles/cloudkms.cryptoKeyDecrypter."),
    resource_types=_KMS_IAM_TYPES,
    check=_federated_grants,
    severity=Severity.HIGH,
    remediation=("Grant `roles/cloudkms.cryptoKeyDecrypter` on the one key the workload needs, to the principal set "
                 "of the authorized image digest (principalSet://iam.googleapis.com/projects/N/locations/global/"
                 "workloadIdentityPools/POOL/attribute.image_digest/sha256:...); never encrypt, encrypter/decrypter, "
                 "admin or viewer roles. Exempt a reviewed exception with excludeFor."),
    control=CIS_CONTROLS_3_11,
)

RESTRICT_NON_CMEK_POLICY_SUFFIX = "/policies/gcp.restrictNonCmekServices"


def _denies(rule: Any) -> bool:
    """A rule that denies something (an unknown rule or value list counts as denying)."""
    if rule is UNKNOWN or lookup(rule, "denyAll") in ("TRUE", UNKNOWN):
        return True
    return any(True for _ in elements(lookup(rule, "values", "deniedValues")))


def _restrict_non_cmek(props: Any, _options: Options) -> Iterator[str]:
    name = lookup(props, "name")
    if not isinstance(name, str) or not name.endswith(RESTRICT_NON_CMEK_POLICY_SUFFIX):
        return  # another constraint, or not known yet
    spec = lookup(props, "spec")
    if spec is UNKNOWN:
        return
    if spec is None:
        yield "spec is not set: the constraint is not enforced (a dryRunSpec only reports)."
        return
    if lookup(spec, "reset") is True:
        yield "spec.reset is true: the constraint is back to its default, which restricts no service."
        return
    rules = lookup(spec, "rules")
    if rules is UNKNOWN:
        return
    rules = list(elements(rules))
    if any(rule is not UNKNOWN and lookup(rule, "allowAll") == "TRUE" for rule in rules):
        yield "a rule sets allowAll: every service may create resources without a customer key."
    elif not any(_denies(rule) for rule in rules):
        yield "no rule denies a service (deniedValues is empty): the policy restricts nothing."


orgpolicy_restrict_non_cmek = resource_policy(
    "gcp-orgpolicy-policy-cmek-effective",
    description=("An org policy for gcp.restrictNonCmekServices should deny services; allowAll or an empty "
                 "deny list is a no-op that looks like protection."),
    resource_types=["gcp:orgpolicy/policy:Policy"],
    check=_restrict_non_cmek,
    severity=Severity.MEDIUM,
    remediation=("List the services the stack runs in `spec.rules[].values.denied_values` (storage, "
                 "artifactregistry, aiplatform, bigquery, dataflow, compute, pubsub, logging, ...; not "
                 "ml.googleapis.com); drop `allow_all` and `reset`. cmek_ml.gcp.org_policies.CmekOrgPolicies "
                 "builds it."),
    control=RESTRICT_NON_CMEK,
    # Advice by design: the pack already blocks each resource without a key; the org policy is the cloud's
    # second line. prod.json makes it mandatory like every policy.
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [
    kms_crypto_key_rotation,
    kms_key_ring_not_global,
    kms_iam_not_public,
    iam_attestation_provider,
    kms_iam_federated_decrypt_only,
    orgpolicy_restrict_non_cmek,
]

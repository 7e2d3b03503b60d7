"""GCP resource policies: ML data under the customer's Cloud KMS key, and keys that stay usable and private."""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from typing import Any, Iterator, Optional

from pulumi_policy import EnforcementLevel, Severity

from .props import UNKNOWN, elements, lookup, present
from .rules import CIS_CONTROLS_3_11, Control, Options, resource_policy

_CIS_GCP = "CIS Google Cloud Platform Foundation Benchmark"
_CIS_GCP_VERSION = "3.0.0"
_ORG_POLICY = "Google Cloud organization policy constraint"
RESTRICT_NON_CMEK = Control(
    _ORG_POLICY, "v2", "constraints/gcp.restrictNonCmekServices",
    "Restrict which services may create resources without CMEK")

_GRANT_HINT = ("grant roles/cloudkms.cryptoKeyEncrypterDecrypter on that key to the service's agent first "
               "(CryptoKeyIAMMember, never project-wide)")


def _missing_key(props: Any, *path: str) -> Iterator[str]:
    if not present(lookup(props, *path)):
        yield f"{'.'.join(path)} is not set: the data is encrypted with a Google-managed key."


def _key_at(*path: str):
    """A check for resources with a single key reference at `path`."""
    return lambda props, _options: _missing_key(props, *path)


storage_bucket_cmek = resource_policy(
    "gcp-storage-bucket-cmek",
    description="Cloud Storage buckets must have a default Cloud KMS key (CMEK).",
    resource_types=["gcp:storage/bucket:Bucket"],
    check=_key_at("encryption", "defaultKmsKeyName"),
    severity=Severity.HIGH,
    remediation=("Set `encryption.default_kms_key_name` to a key in the bucket's location (us/eu/asia for a "
                 f"multi-region bucket); {_GRANT_HINT}: service-N@gs-project-accounts.iam.gserviceaccount.com. "
                 "Add `google_managed_encryption_enforcement_config` to refuse Google-managed objects."),
    control=RESTRICT_NON_CMEK,
)

artifactregistry_repository_cmek = resource_policy(
    "gcp-artifactregistry-repository-cmek",
    description="Artifact Registry repositories must be encrypted with a Cloud KMS key (CMEK).",
    resource_types=["gcp:artifactregistry/repository:Repository"],
    check=_key_at("kmsKeyName"),
    severity=Severity.HIGH,
    remediation=("Set `kms_key_name` (it is immutable: the repository is replaced) to a key in the repository's "
                 f"location; {_GRANT_HINT}: service-N@gcp-sa-artifactregistry.iam.gserviceaccount.com, created "
                 "with gcp.projects.ServiceIdentity."),
    control=RESTRICT_NON_CMEK,
)

bigquery_dataset_cmek = resource_policy(
    "gcp-bigquery-dataset-cmek",
    description="BigQuery datasets must have a default Cloud KMS key (CMEK) for their tables.",
    resource_types=["gcp:bigquery/dataset:Dataset"],
    check=_key_at("defaultEncryptionConfiguration", "kmsKeyName"),
    severity=Severity.HIGH,
    remediation=("Set `default_encryption_configuration.kms_key_name` to a key in the dataset's location (`us` "
                 f"for US); {_GRANT_HINT}: bq-N@bigquery-encryption.iam.gserviceaccount.com "
                 "(gcp.bigquery.get_default_service_account)."),
    control=Control(_CIS_GCP, _CIS_GCP_VERSION, "7.3",
                    "Ensure a default customer-managed encryption key (CMEK) is specified for all BigQuery data sets"),
)


def _dataflow_job(props: Any, options: Options) -> Iterator[str]:
    yield from _missing_key(props, "kmsKeyName")
    if not options["requireFullCmek"]:
        return
    streaming_engine = lookup(props, "enableStreamingEngine")
    experiments = [e for e in elements(lookup(props, "additionalExperiments")) if e is not UNKNOWN]
    if streaming_engine is True or "enable_streaming_engine" in experiments:
        yield ("Streaming Engine is enabled: its state and shuffle are not protected by kmsKeyName "
               "(option requireFullCmek).")


dataflow_job_cmek = resource_policy(
    "gcp-dataflow-job-cmek",
    description="Dataflow jobs must protect pipeline state with a Cloud KMS key (CMEK).",
    resource_types=["gcp:dataflow/job:Job", "gcp:dataflow/flexTemplateJob:FlexTemplateJob"],
    check=_dataflow_job,
    severity=Severity.HIGH,
    remediation=("Set `kms_key_name` (Beam `--dataflow_kms_key`) to a key in the job's region; "
                 f"{_GRANT_HINT}: the Dataflow agent service-N@dataflow-service-producer-prod and the Compute "
                 "agent service-N@compute-system. Set temp and staging locations to CMEK buckets. Where full CMEK "
                 "is required, turn off Streaming Engine (`enable_streaming_engine`, experiment "
                 "`enable_streaming_engine`): its state is outside the key."),
    control=RESTRICT_NON_CMEK,
    options_schema={
        "requireFullCmek": {
            "type": "boolean",
            "default": True,
            "description": "Block Streaming Engine, whose state the key does not protect (seed 003).",
        },
    },
)

pubsub_topic_cmek = resource_policy(
    "gcp-pubsub-topic-cmek",
    description="Pub/Sub topics must be encrypted with a Cloud KMS key (CMEK).",
    resource_types=["gcp:pubsub/topic:Topic"],
    check=_key_at("kmsKeyName"),
    severity=Severity.MEDIUM,
    remediation=f"Set `kms_key_name`; {_GRANT_HINT}: service-N@gcp-sa-pubsub.iam.gserviceaccount.com.",
    control=RESTRICT_NON_CMEK,
)

# Every pulumi_gcp 10.2 Vertex AI resource that takes `encryption_spec` (tests/policies check the list).
VERTEX_ENCRYPTION_SPEC_TYPES = (
    "gcp:vertex/aiDataset:AiDataset",
    "gcp:vertex/aiEndpoint:AiEndpoint",
    "gcp:vertex/aiEvaluationMetric:AiEvaluationMetric",
    "gcp:vertex/aiFeatureOnlineStore:AiFeatureOnlineStore",
    "gcp:vertex/aiFeatureStore:AiFeatureStore",
    "gcp:vertex/aiIndex:AiIndex",
    "gcp:vertex/aiIndexEndpoint:AiIndexEndpoint",
    "gcp:vertex/aiMetadataStore:AiMetadataStore",
    "gcp:vertex/aiPersistentResource:AiPersistentResource",
    "gcp:vertex/aiRagCorpus:AiRagCorpus",
    "gcp:vertex/aiReasoningEngine:AiReasoningEngine",
    "gcp:vertex/aiTensorboard:AiTensorboard",
)

vertex_resource_cmek = resource_policy(
    "gcp-vertex-resource-cmek",
    description="Vertex AI resources that accept an encryptionSpec must use a Cloud KMS key (CMEK).",
    resource_types=VERTEX_ENCRYPTION_SPEC_TYPES,
    check=_key_at("encryptionSpec", "kmsKeyName"),
    severity=Severity.HIGH,
    remediation=("Set `encryption_spec.kms_key_name` to a key in the resource's region (Vertex is strictly "
                 f"regional); {_GRANT_HINT}: service-N@gcp-sa-aiplatform.iam.gserviceaccount.com."),
    control=RESTRICT_NON_CMEK,
)


def _workbench_disks(props: Any, _options: Options) -> Iterator[str]:
    for disk in ("bootDisk", "dataDisks"):
        encryption = lookup(props, "gceSetup", disk, "diskEncryption")
        key = lookup(props, "gceSetup", disk, "kmsKey")
        if encryption not in ("CMEK", UNKNOWN):
            yield f"gceSetup.{disk}.diskEncryption is {encryption or 'not set (GMEK)'}, not CMEK."
        elif not present(key):
            yield f"gceSetup.{disk}.kmsKey is not set."


workbench_instance_cmek = resource_policy(
    "gcp-workbench-instance-disk-cmek",
    description="Vertex AI Workbench instances must keep boot and data disks on a Cloud KMS key (CMEK).",
    resource_types=["gcp:workbench/instance:Instance"],
    check=_workbench_disks,
    severity=Severity.HIGH,
    remediation=("Set `gce_setup.boot_disk` and `gce_setup.data_disks` to `disk_encryption=\"CMEK\"` with "
                 f"`kms_key`; {_GRANT_HINT}: the Notebooks agents and service-N@compute-system."),
    control=RESTRICT_NON_CMEK,
)


def _compute_disk(props: Any, _options: Options) -> Iterator[str]:
    yield from _missing_key(props, "diskEncryptionKey", "kmsKeySelfLink")


_CIS_VM_DISKS = Control(_CIS_GCP, _CIS_GCP_VERSION, "4.7",
                        "Ensure VM disks for critical VMs are encrypted with customer-managed keys")

compute_disk_cmek = resource_policy(
    "gcp-compute-disk-cmek",
    description="Compute Engine disks must be encrypted with a Cloud KMS key (CMEK).",
    resource_types=["gcp:compute/disk:Disk", "gcp:compute/regionDisk:RegionDisk"],
    check=_compute_disk,
    severity=Severity.MEDIUM,
    remediation=f"Set `disk_encryption_key.kms_key_self_link`; {_GRANT_HINT}: service-N@compute-system.",
    control=_CIS_VM_DISKS,
)


def _instance_boot_disk(props: Any, _options: Options) -> Iterator[str]:
    # An attached existing disk carries its own key; the Disk resource is checked by gcp-compute-disk-cmek.
    if present(lookup(props, "bootDisk", "source")):
        return
    yield from _missing_key(props, "bootDisk", "kmsKeySelfLink")


compute_instance_boot_disk_cmek = resource_policy(
    "gcp-compute-instance-boot-disk-cmek",
    description="Compute Engine instances must create their boot disk under a Cloud KMS key (CMEK).",
    resource_types=["gcp:compute/instance:Instance"],
    check=_instance_boot_disk,
    severity=Severity.MEDIUM,
    remediation=f"Set `boot_disk.kms_key_self_link`; {_GRANT_HINT}: service-N@compute-system.",
    control=_CIS_VM_DISKS,
)

logging_bucket_cmek = resource_policy(
    "gcp-logging-bucket-cmek",
    description="Cloud Logging buckets must be encrypted with a Cloud KMS key (CMEK); logs are not otherwise.",
    resource_types=["gcp:logging/projectBucketConfig:ProjectBucketConfig"],
    check=_key_at("cmekSettings", "kmsKeyName"),
    severity=Severity.MEDIUM,
    remediation=("Set `cmek_settings.kms_key_name` (it cannot be turned off later) to a key in the bucket's "
                 f"location; {_GRANT_HINT}: the logging agent from gcp.logging.get_project_settings "
                 "(kms_service_account_id)."),
    control=RESTRICT_NON_CMEK,
)

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
    storage_bucket_cmek,
    artifactregistry_repository_cmek,
    bigquery_dataset_cmek,
    dataflow_job_cmek,
    pubsub_topic_cmek,
    vertex_resource_cmek,
    workbench_instance_cmek,
    compute_disk_cmek,
    compute_instance_boot_disk_cmek,
    logging_bucket_cmek,
    kms_crypto_key_rotation,
    kms_key_ring_not_global,
    kms_iam_not_public,
    iam_attestation_provider,
    kms_iam_federated_decrypt_only,
    orgpolicy_restrict_non_cmek,
]

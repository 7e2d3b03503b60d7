"""Stack policies: relations between resources, read from the engine's dependency graph.

During a first preview a key made in the same stack has no id yet, so a bucket's `kmsKeyName` is unknown.
What *is* known is the graph the engine sends with `AnalyzeStack`: each resource's `dependencies`, and per
input property the resources it was computed from (`property_dependencies`). These policies follow that
graph instead of comparing ids, so they give the same answer in a first preview and in an update.

Each policy indexes the stack once (`StackIndex`: by URN, by type, children by parent, grants by key);
every lookup afterwards is a dict access, so a check is linear in the stack's size.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Optional

from pulumi_policy import Severity
from pulumi_policy.policy import PolicyResource

from . import aws, gcp
from .props import UNKNOWN, elements, lookup
from .rules import CIS_CONTROLS_3_11, Control, Options, canonical_type, stack_policy

GCP_KEY = "gcp:kms/cryptoKey:CryptoKey"
GCP_KEY_RING = "gcp:kms/keyRing:KeyRing"
GCP_GRANTS = ("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding")
AWS_KEYS = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"


class StackIndex:
    """The stack's resources indexed once, for the stack policies' lookups."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.by_urn: dict[str, PolicyResource] = {}
        self.by_type: dict[str, list[PolicyResource]] = defaultdict(list)
        self.children: dict[str, list[PolicyResource]] = defaultdict(list)
        for resource in resources:
            self.by_urn[resource.urn] = resource
            self.by_type[canonical_type(resource.resource_type)].append(resource)
            if resource.opts.parent:
                self.children[resource.opts.parent].append(resource)
        self._descendants: dict[str, frozenset[str]] = {}

    def of_types(self, types: Iterable[str]) -> Iterator[PolicyResource]:
        for type_ in types:
            yield from self.by_type.get(canonical_type(type_), ())

    def descendants(self, urn: str) -> frozenset[str]:
        """Everything a component contains: depending on a component waits for all of it."""
        if urn not in self._descendants:
            found: set[str] = set()
            pending = [urn]
            while pending:
                for child in self.children.get(pending.pop(), ()):
                    if child.urn not in found:
                        found.add(child.urn)
                        pending.append(child.urn)
            self._descendants[urn] = frozenset(found)
        return self._descendants[urn]

    def waits_for(self, resource: PolicyResource) -> set[str]:
        """URNs the engine finishes before creating `resource`: dependencies, property sources, their contents."""
        direct = {d.urn for d in resource.dependencies}
        for sources in resource.property_dependencies.values():
            direct.update(s.urn for s in sources)
        waited = set(direct)
        for urn in direct:
            waited |= self.descendants(urn)
        return waited


# --- 1. GCP: a resource on a same-stack key waits for its service agent's grant on that key ----------------

@dataclass(frozen=True)
class GcpConsumer:
    """What a CMEK-capable GCP resource needs (sources: notes §1.1, components/cmek_ml/gcp/service_agents.yaml)."""

    key_path: tuple[str, ...]
    """Input path of its key reference."""
    agents: tuple[str, ...]
    """Service agents, by the domain of their email, that must hold the key role."""
    location_inputs: tuple[str, ...] = ()
    """Inputs holding its location, first one set wins; zones reduce to their region."""


_VERTEX = GcpConsumer(("encryptionSpec", "kmsKeyName"), ("gcp-sa-aiplatform",), ("region", "location"))
_DATAFLOW = GcpConsumer(("kmsKeyName",), ("dataflow-service-producer-prod", "compute-system"), ("region",))
_DISK = GcpConsumer(("diskEncryptionKey", "kmsKeySelfLink"), ("compute-system",), ("zone", "region"))
GCP_CONSUMERS: Mapping[str, GcpConsumer] = {
    "gcp:storage/bucket:Bucket": GcpConsumer(
        ("encryption", "defaultKmsKeyName"), ("gs-project-accounts",), ("location",)),
    "gcp:artifactregistry/repository:Repository": GcpConsumer(
        ("kmsKeyName",), ("gcp-sa-artifactregistry",), ("location",)),
    "gcp:bigquery/dataset:Dataset": GcpConsumer(
        ("defaultEncryptionConfiguration", "kmsKeyName"), ("bigquery-encryption",), ("location",)),
    "gcp:dataflow/job:Job": _DATAFLOW,
    "gcp:dataflow/flexTemplateJob:FlexTemplateJob": _DATAFLOW,
    "gcp:pubsub/topic:Topic": GcpConsumer(("kmsKeyName",), ("gcp-sa-pubsub",)),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": GcpConsumer(
        ("cmekSettings", "kmsKeyName"), ("gcp-sa-logging",), ("location",)),
    "gcp:compute/disk:Disk": _DISK,
    "gcp:compute/regionDisk:RegionDisk": _DISK,
    "gcp:compute/instance:Instance": GcpConsumer(("bootDisk", "kmsKeySelfLink"), ("compute-system",), ("zone",)),
    "gcp:workbench/instance:Instance": GcpConsumer(
        ("gceSetup", "bootDisk", "kmsKey"), ("compute-system",), ("location",)),
    **{t: _VERTEX for t in gcp.VERTEX_ENCRYPTION_SPEC_TYPES},
}

# The agent a gcp.projects.ServiceIdentity stands for, when a grant's member comes from one.
_IDENTITY_AGENTS = {
    "storage.googleapis.com": "gs-project-accounts",
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry",
    "aiplatform.googleapis.com": "gcp-sa-aiplatform",
    "dataflow.googleapis.com": "dataflow-service-producer-prod",
    "pubsub.googleapis.com": "gcp-sa-pubsub",
    "logging.googleapis.com": "gcp-sa-logging",
    "compute.googleapis.com": "compute-system",
    "bigquery.googleapis.com": "bigquery-encryption",
}
_ANY_AGENT = "*"  # a member not known yet and not traceable: it may be the right agent
_AGENT_DOMAIN = re.compile(r"@([a-z0-9.-]+?)\.iam\.gserviceaccount\.com$")


def _agents_of_member(member: Any, sources: list[PolicyResource]) -> set[str]:
    if isinstance(member, str):
        match = _AGENT_DOMAIN.search(member)
        return {match.group(1)} if match else set()
    identities = [s for s in sources if canonical_type(s.resource_type) == "gcp:projects/serviceIdentity:ServiceIdentity"]
    services = {lookup(s.props, "service") for s in identities}
    if not identities or UNKNOWN in services:
        return {_ANY_AGENT}
    return {_IDENTITY_AGENTS[s] for s in services if s in _IDENTITY_AGENTS}


def _grant_agents(grant: PolicyResource) -> set[str]:
    """Agents a key grant gives the encrypter/decrypter role to (`*` when not knowable yet)."""
    role = lookup(grant.props, "role")
    if role is not UNKNOWN and role != ENCRYPTER_DECRYPTER:
        return set()
    sources = list(grant.property_dependencies.get("member", ())) + list(grant.property_dependencies.get("members", ()))
    members = [lookup(grant.props, "member")] + list(elements(lookup(grant.props, "members")))
    agents: set[str] = set()
    for member in members:
        if member is not None:
            agents |= _agents_of_member(member, sources)
    return agents


def _grants_by_key(index: StackIndex) -> dict[str, list[tuple[str, set[str]]]]:
    grants: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for grant in index.of_types(GCP_GRANTS):
        agents = _grant_agents(grant)
        if agents:
            for key in grant.property_dependencies.get("cryptoKeyId", ()):
                grants[key.urn].append((grant.urn, agents))
    return grants


def _same_stack_keys(resource: PolicyResource, prop: str, key_types: Iterable[str]) -> list[PolicyResource]:
    types = {canonical_type(t) for t in key_types}
    return [s for s in resource.property_dependencies.get(prop, ()) if canonical_type(s.resource_type) in types]


def _grant_before_use(resources: list[PolicyResource], _options: Options) -> Iterator[tuple[PolicyResource, str]]:
    index = StackIndex(resources)
    grants = _grants_by_key(index)
    for type_, needs in GCP_CONSUMERS.items():
        for consumer in index.of_types([type_]):
            keys = _same_stack_keys(consumer, needs.key_path[0], [GCP_KEY])
            if not keys:
                continue
            waited = index.waits_for(consumer)
            for key in keys:
                granted = set().union(*(a for urn, a in grants.get(key.urn, ()) if urn in waited))
                for agent in needs.agents:
                    if agent not in granted and _ANY_AGENT not in granted:
                        yield consumer, (
                            f"{consumer.name} uses key {key.name} but does not wait for a grant of "
                            f"{ENCRYPTER_DECRYPTER} on that key to the {agent} service agent: creation fails "
                            "with 403 until the grant exists.")


gcp_grant_before_use = stack_policy(
    "gcp-kms-cryptokey-grant-before-use",
    description="A GCP resource on a key made in the same stack must wait for its service agent's grant on that key.",
    check=_grant_before_use,
    severity=Severity.HIGH,
    remediation=("Grant roles/cloudkms.cryptoKeyEncrypterDecrypter on the key (gcp.kms.CryptoKeyIAMMember) to the "
                 "resource's service agent and make the resource depend on it: `depends_on=[grant]`, or pass the "
                 "key id through an output that depends on the grants (as components/cmek_ml/gcp/key_grants.py does)."),
    control=Control("Google Cloud documentation", "Cloud KMS CMEK", "cmek#before-you-begin",
                    "Grant the service agent the Encrypter/Decrypter role on the key before using it"),
)


# --- 2. The key lives where the resource lives ---------------------------------------------------------------

_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
_DUAL_REGIONS = {"nam4": "us", "eur4": "eu", "eur5": "eu", "eur7": "eu", "eur8": "eu", "asia1": "asia"}
_GCP_KEY_NAME = re.compile(r"/locations/([^/]+)/")
_AWS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):")

# AWS resources whose key is in one input; the key must be in the resource's region.
_AWS_KEY_INPUT = {
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "rules",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": "rules",
    "aws:ecr/repository:Repository": "encryptionConfigurations",
    "aws:sagemaker/trainingJob:TrainingJob": "outputDataConfig",
    "aws:sagemaker/notebookInstance:NotebookInstance": "kmsKeyId",
    "aws:sagemaker/domain:Domain": "kmsKeyId",
    "aws:sagemaker/endpointConfiguration:EndpointConfiguration": "kmsKeyArn",
    "aws:ebs/volume:Volume": "kmsKeyId",
    "aws:cloudwatch/logGroup:LogGroup": "kmsKeyId",
}


def _gcp_region(location: Any) -> Optional[str]:
    if not isinstance(location, str):
        return None
    location = location.lower()
    zone = _ZONE.match(location)
    return zone.group(1) if zone else location


def gcp_location_fits(resource_location: str, key_location: str) -> bool:
    """A regional resource needs a key in its region; a multi- or dual-region one, a key in that multi-region."""
    return key_location == _DUAL_REGIONS.get(resource_location, resource_location)


def _location_in_name(name: Any) -> Optional[str]:
    match = _GCP_KEY_NAME.search(name) if isinstance(name, str) else None
    return match.group(1).lower() if match else None


def _gcp_key_location(consumer: PolicyResource, key_path: tuple[str, ...]) -> Optional[str]:
    """From a known key name, else from the same-stack key's ring (its `location`, or its known id)."""
    known_location = _location_in_name(lookup(consumer.props, *key_path))
    if known_location:
        return known_location
    for key in _same_stack_keys(consumer, key_path[0], [GCP_KEY]):
        for ring in _same_stack_keys(key, "keyRing", [GCP_KEY_RING]):
            return _gcp_region(lookup(ring.props, "location"))
        return _location_in_name(lookup(key.props, "keyRing"))
    return None


def _aws_key_region(consumer: PolicyResource, prop: str) -> Optional[str]:
    for key in _same_stack_keys(consumer, prop, AWS_KEYS):
        region = lookup(key.props, "region")
        if isinstance(region, str):
            return region
    value = lookup(consumer.props, prop)
    match = _AWS_KEY_ARN.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None


def _location_mismatches(resources: list[PolicyResource], _options: Options) -> Iterator[tuple[PolicyResource, str]]:
    index = StackIndex(resources)
    for type_, needs in GCP_CONSUMERS.items():
        for consumer in index.of_types([type_]):
            location = next((_gcp_region(lookup(consumer.props, i)) for i in needs.location_inputs
                             if isinstance(lookup(consumer.props, i), str)), None)
            key_location = _gcp_key_location(consumer, needs.key_path) if location else None
            if location and key_location and not gcp_location_fits(location, key_location):
                yield consumer, (f"{consumer.name} is in {location} but its key is in {key_location}: "
                                 "the service rejects a key from another location.")
    for type_, prop in _AWS_KEY_INPUT.items():
        for consumer in index.of_types([type_]):
            region = lookup(consumer.props, "region")
            key_region = _aws_key_region(consumer, prop) if isinstance(region, str) else None
            if key_region and key_region != region:
                yield consumer, (f"{consumer.name} is in {region} but its KMS key is in {key_region}: "
                                 "KMS keys are regional; use a key (or a multi-Region replica) in the same region.")


key_location_match = stack_policy(
    "multicloud-kms-key-location-match",
    description="A resource's key must be in a location the resource can use (GCP: same region or multi-region; AWS: same region).",
    check=_location_mismatches,
    severity=Severity.HIGH,
    remediation=("Create the key ring (GCP) or key (AWS) in the resource's region: GCP multi-region buckets and "
                 "BigQuery US/EU need us/eu keys, regional resources a key in their region, never global. On AWS "
                 "use a key, or a multi-Region replica key, in the resource's region. Azure vaults may be in another "
                 "region and are not checked."),
    control=CIS_CONTROLS_3_11,
)


# --- 3. Customer keys are protected ------------------------------------------------------------------------

PROTECTED_TYPES = (GCP_KEY_RING, GCP_KEY, *AWS_KEYS, "azure-native:keyvault:Vault", "azure-native:keyvault:Key")


def _unprotected_keys(resources: list[PolicyResource], _options: Options) -> Iterator[tuple[PolicyResource, str]]:
    index = StackIndex(resources)
    for resource in index.of_types(PROTECTED_TYPES):
        if not resource.opts.protect:
            yield resource, (f"{resource.name} is not protected: one `pulumi destroy` or a refactoring could "
                             "delete it, and the data encrypted with it becomes unreadable.")


keys_protected = stack_policy(
    "multicloud-kms-key-protected",
    description="Customer keys and their containers (GCP key rings and keys, AWS KMS keys, Azure vaults and keys) must be protected.",
    check=_unprotected_keys,
    severity=Severity.CRITICAL,
    remediation=("Create them with `opts=pulumi.ResourceOptions(protect=True)`; never remove protection in the same "
                 "change that deletes them. Keep key rings in a stack that is never destroyed."),
    control=Control("Checkov", "3", "CKV_GCP_82", "Ensure KMS keys are protected from deletion"),
)


# --- 4. Every S3 bucket has default encryption under a customer key -----------------------------------------

def _buckets_without_cmk(resources: list[PolicyResource], _options: Options) -> Iterator[tuple[PolicyResource, str]]:
    index = StackIndex(resources)
    configurations: dict[str, list[PolicyResource]] = defaultdict(list)
    for sse in index.of_types(aws.S3_SSE_TYPES):
        for bucket in sse.property_dependencies.get("bucket", ()):
            configurations[bucket.urn].append(sse)
        name = lookup(sse.props, "bucket")
        if isinstance(name, str):
            configurations[name].append(sse)
    for bucket in index.of_types(aws.S3_BUCKET_TYPES):
        if any(True for _ in aws.s3_rules(bucket.props)) and not aws.s3_encryption_problems(bucket.props):
            continue  # inline default encryption under a customer key
        name = lookup(bucket.props, "bucket")
        candidates = configurations.get(bucket.urn, []) + (configurations.get(name, []) if isinstance(name, str) else [])
        if any(_uses_customer_key(sse) for sse in candidates):
            continue
        reason = ("its default-encryption configuration does not use a customer key" if candidates
                  else "it has no aws.s3.BucketServerSideEncryptionConfiguration")
        yield bucket, f"{bucket.name}: {reason}, so objects land under SSE-S3 or aws/s3."


def _uses_customer_key(sse: PolicyResource) -> bool:
    rules = lookup(sse.props, "rules")
    return rules is UNKNOWN or (any(True for _ in elements(rules)) and not aws.s3_encryption_problems(sse.props))


s3_bucket_encryption_present = stack_policy(
    "aws-s3-bucket-encryption-configured",
    description="Every S3 bucket must have a default-encryption configuration that uses a customer-managed key.",
    check=_buckets_without_cmk,
    severity=Severity.HIGH,
    remediation=("Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=<bucket>.id, rules=[{"
                 "\"apply_server_side_encryption_by_default\": {\"sse_algorithm\": \"aws:kms\", "
                 "\"kms_master_key_id\": <key ARN>}, \"bucket_key_enabled\": True}]) for each bucket."),
    control=Control("AWS Security Hub CSPM / AWS Config managed rule", "2025",
                    "S3.17 / s3-default-encryption-kms (kmsKeyArns)",
                    "S3 general purpose buckets should be encrypted at rest with AWS KMS keys"),
)

POLICIES = [gcp_grant_before_use, key_location_match, keys_protected, s3_bucket_encryption_present]

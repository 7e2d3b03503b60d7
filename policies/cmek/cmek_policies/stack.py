"""Stack policies: relations between resources, read from the engine's dependency graph.

During a first preview a key made in the same stack has no id yet, so a bucket's `kmsKeyName` is unknown.
What *is* known is the graph the engine sends with `AnalyzeStack`: each resource's `dependencies`, and per
input property the resources it was computed from (`property_dependencies`). These policies follow that
graph instead of comparing ids, so they give the same answer in a first preview and in an update.

Each policy indexes the stack once (`StackIndex`); every lookup afterwards is a dict access, so a check is
linear in the stack's size. Which types use keys, where, for which agents and locations is the catalogue's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterator, Optional

from pulumi_policy import Severity
from pulumi_policy.policy import PolicyResource

from . import catalogue
from .props import UNKNOWN, lookup
from .rules import CIS_CONTROLS_3_11, Control, Options, stack_policy
from .stack_gcp import GCP_KEY, GCP_KEY_RING, grant_before_use, location_mismatches
from .stack_index import StackIndex, same_stack_sources

AWS_KEYS = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey")
S3_SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
_AWS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):")


def _gcp_grant_before_use(cat: catalogue.Catalogue):
    return stack_policy(
        "gcp-kms-cryptokey-grant-before-use",
        description="A GCP resource on a key made in the same stack must wait for its service agent's grant on that key.",
        check=grant_before_use(cat),
        severity=Severity.HIGH,
        remediation=("Grant roles/cloudkms.cryptoKeyEncrypterDecrypter on the key (gcp.kms.CryptoKeyIAMMember; a grant "
                     "on its key ring or project also counts, by IAM inheritance, but is broader than needed) to the "
                     "resource's service agent and make the resource depend on it: `depends_on=[grant]`, or pass the "
                     "key id through an output that depends on the grants (as components/cmek_ml/gcp/key_grants.py does)."),
        control=Control("Google Cloud documentation", "Cloud KMS CMEK", "cmek#before-you-begin",
                        "Grant the service agent the Encrypter/Decrypter role on the key before using it"),
    )


# --- The key lives where the resource lives ------------------------------------------------------------------

def _aws_key_region(index: StackIndex, consumer: PolicyResource, spec: catalogue.TypeSpec) -> Optional[str]:
    inputs = {rule.steps[0].name for rule in spec.keys}
    for key in same_stack_sources(index, consumer, inputs, set(AWS_KEYS)):
        region = lookup(key.props, "region")
        if isinstance(region, str):
            return region
    for rule in spec.keys:
        for leaf in catalogue.walk(catalogue.read(consumer.props), rule.steps):
            match = _AWS_KEY_ARN.match(leaf.value) if isinstance(leaf.value, str) else None
            if match:
                return match.group(1)
    return None


def _aws_location_mismatches(cat: catalogue.Catalogue):
    specs = {catalogue.canonical_type(t.token): t for p in cat.policies if p.cloud == "aws" for t in p.types}

    def check(resources: list[PolicyResource], _options: Any) -> Iterator[tuple[PolicyResource, str]]:
        index = StackIndex(resources)
        for type_, spec in specs.items():
            for consumer in index.of_types([type_]):
                region = lookup(consumer.props, "region")
                key_region = _aws_key_region(index, consumer, spec) if isinstance(region, str) else None
                if key_region and key_region != region:
                    yield consumer, (f"{consumer.name} is in {region} but its KMS key is in {key_region}: "
                                     "KMS keys are regional; use a key (or a multi-Region replica) in the same region.")

    return check


def _key_location_match(cat: catalogue.Catalogue):
    gcp, aws = location_mismatches(cat), _aws_location_mismatches(cat)
    return stack_policy(
        "multicloud-kms-key-location-match",
        description=("A resource's key must be in a location the resource can use (GCP: the service's documented "
                     "pairing of data and key locations; AWS: same region)."),
        check=lambda resources, options: [*gcp(resources, options), *aws(resources, options)],
        severity=Severity.HIGH,
        remediation=("Create the key ring (GCP) or key (AWS) where the service wants it: GCP regional resources need a "
                     "key in their region, never global; multi-region data needs the matching KMS multi-region "
                     "(Cloud Storage and BigQuery US -> us, EU -> europe; see policies/cmek/catalogue/gcp/locations.yaml). "
                     "On AWS use a key, or a multi-Region replica key, in the resource's region. Azure vaults may be in "
                     "another region and are not checked."),
        control=CIS_CONTROLS_3_11,
    )


# --- Customer keys are protected ------------------------------------------------------------------------

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


# --- Every S3 bucket has default encryption under a customer key -----------------------------------------

def _s3_encryption(cat: catalogue.Catalogue):
    specs = {catalogue.canonical_type(t.token): t for p in cat.policies for t in p.types
             if t.token in S3_SSE_TYPES + S3_BUCKET_TYPES}

    def customer_key(resource: PolicyResource) -> bool:
        spec = specs.get(catalogue.canonical_type(resource.resource_type))
        return spec is not None and not any(catalogue.problems(spec, catalogue.read(resource.props)))

    def inline(bucket: PolicyResource) -> bool:
        return any(lookup(bucket.props, p) is not None
                   for p in ("serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations"))

    def check(resources: list[PolicyResource], _options: Options) -> Iterator[tuple[PolicyResource, str]]:
        index = StackIndex(resources)
        configurations: dict[str, list[PolicyResource]] = defaultdict(list)
        for sse in index.of_types(S3_SSE_TYPES):
            for bucket in sse.property_dependencies.get("bucket", ()):
                configurations[bucket.urn].append(sse)
            name = lookup(sse.props, "bucket")
            if isinstance(name, str):
                configurations[name].append(sse)
        for bucket in index.of_types(S3_BUCKET_TYPES):
            if inline(bucket) and customer_key(bucket):
                continue  # inline default encryption under a customer key
            name = lookup(bucket.props, "bucket")
            candidates = configurations.get(bucket.urn, []) + (configurations.get(name, []) if isinstance(name, str) else [])
            if any(lookup(sse.props, "rules") is UNKNOWN or customer_key(sse) for sse in candidates):
                continue
            reason = ("its default-encryption configuration does not use a customer key" if candidates or inline(bucket)
                      else "it has no aws.s3.BucketServerSideEncryptionConfiguration")
            yield bucket, f"{bucket.name}: {reason}, so objects land under SSE-S3 or aws/s3."

    return stack_policy(
        "aws-s3-bucket-encryption-configured",
        description="Every S3 bucket must have a default-encryption configuration that uses a customer-managed key.",
        check=check,
        severity=Severity.HIGH,
        remediation=("Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=<bucket>.id, rules=[{"
                     "\"apply_server_side_encryption_by_default\": {\"sse_algorithm\": \"aws:kms\", "
                     "\"kms_master_key_id\": <key ARN>}, \"bucket_key_enabled\": True}]) for each bucket."),
        control=Control("AWS Security Hub CSPM / AWS Config managed rule", "2025",
                        "S3.17 / s3-default-encryption-kms (kmsKeyArns)",
                        "S3 general purpose buckets should be encrypted at rest with AWS KMS keys"),
    )


def policies(cat: catalogue.Catalogue) -> list:
    """The stack policies, reading the catalogue for which types use keys where."""
    return [_gcp_grant_before_use(cat), _key_location_match(cat), keys_protected, _s3_encryption(cat)]

"""AWS resource policies in code: S3 Bucket Keys, KMS rotation, and SageMaker's NVMe rule for the catalogue.

Where ML data must be under a customer key (never an AWS-managed `aws/*` one) is data in
policies/cmek/catalogue/aws; `SPECIAL_CHECKS` holds what a key path cannot say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml
from pulumi_policy import EnforcementLevel, Severity

from .props import UNKNOWN, elements, known, lookup, present
from .generated import Generic, SpecialCheck
from .rules import Control, Options, resource_policy

_SECURITY_HUB = "AWS Security Hub CSPM / AWS Config managed rule"
_SECURITY_HUB_VERSION = "2025"

NVME_FAMILIES_FILE = Path(__file__).resolve().parent.parent / "nvme_instance_types.yaml"
NVME_FAMILIES: list[str] = yaml.safe_load(NVME_FAMILIES_FILE.read_text())["families"]

_NVME_OPTION = {
    "instanceStorageFamilies": {
        "type": "array",
        "items": {"type": "string"},
        "default": NVME_FAMILIES,
        "description": ("ML instance families with local NVMe storage (no volume key possible); "
                        "defaults to policies/cmek/nvme_instance_types.yaml."),
    },
}


def _aws_managed(key: str) -> bool:
    return key.startswith("alias/aws/") or ":alias/aws/" in key


def customer_key_problems(key: Any, path: str, managed_alias: str) -> Iterator[str]:
    """Why `key` at `path` is not a customer-managed key; nothing when it is one or is unknown."""
    if not present(key):
        yield f"{path} is not set: the data is under the AWS-managed key {managed_alias}."
    elif isinstance(key, str) and _aws_managed(key):
        # The value is not repeated: it may be a secret (messages name paths, never values).
        yield f"{path} is an AWS-managed key (alias/aws/*): its policy and rotation are not the customer's."


S3_SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def s3_rules(props: Any) -> Iterator[tuple[str, Any, Any]]:
    """(path, rule, default) for every default-encryption rule of an SSE resource or a bucket's inline block.

    `default` is the rule's applyServerSideEncryptionByDefault: an object, except in BucketV2's legacy inline
    list form, whose rules hold a list `applyServerSideEncryptionByDefaults` (one item per rule).
    """
    for i, rule in enumerate(elements(lookup(props, "rules"))):
        yield f"rules[{i}]", rule, lookup(rule, "applyServerSideEncryptionByDefault")
    inline = lookup(props, "serverSideEncryptionConfiguration", "rule")  # aws.s3.Bucket (v7)
    if inline is not None:
        yield "serverSideEncryptionConfiguration.rule", inline, lookup(inline, "applyServerSideEncryptionByDefault")
    for i, config in enumerate(elements(lookup(props, "serverSideEncryptionConfigurations"))):  # BucketV2
        for j, rule in enumerate(elements(lookup(config, "rules"))):
            for default in elements(lookup(rule, "applyServerSideEncryptionByDefaults")):
                yield f"serverSideEncryptionConfigurations[{i}].rules[{j}]", rule, default


def _bucket_key(props: Any, _options: Options) -> Iterator[str]:
    for path, rule, default in s3_rules(props):
        algorithm = lookup(default, "sseAlgorithm")
        enabled = lookup(rule, "bucketKeyEnabled")
        if algorithm == "aws:kms" and enabled is not True and enabled is not UNKNOWN:
            yield (f"{path}.bucketKeyEnabled is off: every object request calls KMS (cost, throttling). "
                   "Turn it on unless per-object CloudTrail events or object-ARN key-policy conditions are needed.")


s3_bucket_key = resource_policy(
    "aws-s3-bucket-encryption-bucket-key",
    description="SSE-KMS buckets should use S3 Bucket Keys (advisory: cost and KMS throttling, not key ownership).",
    resource_types=S3_SSE_TYPES + S3_BUCKET_TYPES,
    check=_bucket_key,
    severity=Severity.LOW,
    remediation="Set `bucket_key_enabled=True` on the encryption rule (not supported with aws:kms:dsse).",
    control=Control("Amazon S3 User Guide", "2006-03-01", "bucket-key",
                    "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"),
    enforcement_level=EnforcementLevel.ADVISORY,
)


def _family(instance_type: str) -> str:
    return instance_type.rsplit(".", 1)[0]


def _training_definition(definition: Any, path: str, nvme: frozenset[str]) -> Iterator[str]:
    """One training job (or tuning job definition): output key always; volume key unless NVMe-only."""
    prefix = f"{path}." if path else ""
    yield from customer_key_problems(
        lookup(definition, "outputDataConfig", "kmsKeyId"), f"{prefix}outputDataConfig.kmsKeyId", "aws/s3")
    resource_configs = [(f"{prefix}{name}", lookup(definition, name))
                        for name in ("resourceConfig", "hyperParameterTuningResourceConfig")]
    resource_configs = [(p, c) for p, c in resource_configs if c is not None]
    if not resource_configs:
        if lookup(definition, "serverlessJobConfig") is None:
            yield from customer_key_problems(None, f"{prefix}resourceConfig.volumeKmsKeyId", "aws/ebs")
        return
    for config_path, config in resource_configs:
        if config is UNKNOWN:
            continue
        types = [lookup(config, "instanceType")]
        types += [lookup(g, "instanceType") for group in ("instanceGroups", "instanceConfigs")
                  for g in elements(lookup(config, group))]
        types = [t for t in types if t is not None]
        if any(t is UNKNOWN for t in types):
            continue
        volume_key = lookup(config, "volumeKmsKeyId")
        on_ebs = [t for t in types if _family(t) not in nvme]
        if on_ebs or not types:
            yield from customer_key_problems(volume_key, f"{config_path}.volumeKmsKeyId", "aws/ebs")
        elif present(volume_key):
            yield (f"{config_path}.volumeKmsKeyId is set but {', '.join(types)} use local NVMe storage: "
                   "SageMaker rejects a volume key there (the storage is hardware-encrypted). Remove it.")


def _training_job(props: Any, options: Options, _generic: Generic) -> Iterator[str]:
    """Output key always; volume key unless every instance type has only NVMe storage (then none allowed)."""
    nvme = frozenset(options["instanceStorageFamilies"])
    definition = lookup(props, "trainingJobDefinition")
    definitions = list(elements(lookup(props, "trainingJobDefinitions")))
    if definition is None and not definitions:  # a TrainingJob: the resource is the definition
        yield from _training_definition(props, "", nvme)
        return
    if definition is not None and definition is not UNKNOWN:
        yield from _training_definition(definition, "trainingJobDefinition", nvme)
    for i, item in enumerate(definitions):
        if item is not UNKNOWN:
            yield from _training_definition(item, f"trainingJobDefinitions[{i}]", nvme)


def _needs_volume_key(variant: Any, nvme: frozenset[str]) -> bool:
    """Serverless variants have no volume; NVMe ones cannot take a key; unknown types get the benefit."""
    if lookup(variant, "serverlessConfig") is not None:
        return False
    instance_type = lookup(variant, "instanceType")
    return instance_type is not UNKNOWN and not (isinstance(instance_type, str) and _family(instance_type) in nvme)


_ENDPOINT_KEYS_IN_CODE = ("kmsKeyArn", "dataCaptureConfig.kmsKeyId")
"""The endpoint configuration keys judged here; the entry's other keys (async inference output, core dumps) are the
catalogue's generic verdict."""


def _endpoint_configuration(props: Any, options: Options, generic: Generic) -> Iterator[str]:
    """Volume key unless every variant is serverless or NVMe-only; data-capture key when capture is on; the
    catalogue's other keys (async inference output, core dumps of production and shadow variants) as listed."""
    nvme = frozenset(options["instanceStorageFamilies"])
    variants = list(elements(lookup(props, "productionVariants")))
    variants += list(elements(lookup(props, "shadowProductionVariants")))
    unknown_variant = any(v is UNKNOWN for v in variants)
    if not unknown_variant and (not variants or any(_needs_volume_key(v, nvme) for v in variants)):
        yield from customer_key_problems(lookup(props, "kmsKeyArn"), "kmsKeyArn", "aws/sagemaker")
    capture = lookup(props, "dataCaptureConfig")
    if known(capture) and lookup(capture, "enableCapture") is not False:
        yield from customer_key_problems(lookup(capture, "kmsKeyId"), "dataCaptureConfig.kmsKeyId", "aws/s3")
    yield from generic(skip=_ENDPOINT_KEYS_IN_CODE)


SPECIAL_CHECKS = {
    "sagemaker-training-job": SpecialCheck(_training_job, _NVME_OPTION),
    "sagemaker-endpoint-configuration": SpecialCheck(_endpoint_configuration, _NVME_OPTION),
}
"""Code the catalogue's AWS entries name with `code:` (NVMe instance storage takes no volume key)."""


def _key_rotation(props: Any, options: Options) -> Iterator[str]:
    usage = lookup(props, "keyUsage")
    spec = lookup(props, "customerMasterKeySpec")
    if usage is UNKNOWN or spec is UNKNOWN or (usage or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
        return
    if (spec or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return  # asymmetric and HMAC keys cannot rotate automatically
    if present(lookup(props, "customKeyStoreId")) or present(lookup(props, "xksKeyId")):
        return  # keys in custom key stores cannot rotate automatically
    enabled = lookup(props, "enableKeyRotation")
    if enabled is UNKNOWN:
        return
    if enabled is not True:
        yield "enableKeyRotation is not true: the key material never rotates."
        return
    days = lookup(props, "rotationPeriodInDays")
    max_days = int(options["maxRotationDays"])
    if isinstance(days, (int, float)) and days > max_days:
        yield f"rotationPeriodInDays {int(days)} is longer than {max_days} days."


kms_key_rotation = resource_policy(
    "aws-kms-key-rotation",
    description="Symmetric customer-managed KMS keys must rotate automatically.",
    resource_types=["aws:kms/key:Key"],
    check=_key_rotation,
    severity=Severity.MEDIUM,
    remediation="Set `enable_key_rotation=True` and `rotation_period_in_days` (90-2560) within the allowed maximum.",
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "KMS.4 / cmk-backing-key-rotation-enabled",
                    "AWS KMS key rotation should be enabled"),
    options_schema={
        "maxRotationDays": {
            "type": "integer",
            "minimum": 90,
            "default": 365,
            "description": "Longest allowed rotation_period_in_days (AWS default 365).",
        },
    },
)

POLICIES = [s3_bucket_key, kms_key_rotation]

"""AWS resource policies: ML data under a customer-managed KMS key, never an AWS-managed `aws/*` one."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import yaml
from pulumi_policy import EnforcementLevel, Severity

from .props import UNKNOWN, elements, known, lookup, present
from .rules import CIS_CONTROLS_3_11, Control, Options, resource_policy

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
        yield f"{path} is {key}, an AWS-managed key: its policy and rotation are not the customer's."


def s3_rule_problems(rule: Any, path: str) -> Iterator[str]:
    """Problems of one S3 default-encryption rule (the standalone resource's or a bucket's inline one)."""
    default = lookup(rule, "applyServerSideEncryptionByDefault")
    algorithm = lookup(default, "sseAlgorithm")
    if algorithm is UNKNOWN or default is UNKNOWN:
        return
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        yield (f"{path}.applyServerSideEncryptionByDefault.sseAlgorithm is {algorithm or 'not set'}: "
               "SSE-S3 uses keys AWS owns; use aws:kms or aws:kms:dsse with a customer key.")
        return
    yield from customer_key_problems(
        lookup(default, "kmsMasterKeyId"), f"{path}.applyServerSideEncryptionByDefault.kmsMasterKeyId", "aws/s3")


S3_SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def s3_rules(props: Any) -> Iterator[tuple[str, Any]]:
    """(path, rule) for every default-encryption rule of an SSE resource or a bucket's inline block."""
    for i, rule in enumerate(elements(lookup(props, "rules"))):
        yield f"rules[{i}]", rule
    inline = lookup(props, "serverSideEncryptionConfiguration", "rule")  # aws.s3.Bucket (v7)
    if inline is not None:
        yield "serverSideEncryptionConfiguration.rule", inline
    for i, config in enumerate(elements(lookup(props, "serverSideEncryptionConfigurations"))):  # BucketV2
        for j, rule in enumerate(elements(lookup(config, "rules"))):
            yield f"serverSideEncryptionConfigurations[{i}].rules[{j}]", rule


def s3_encryption_problems(props: Any) -> list[str]:
    return [problem for path, rule in s3_rules(props) for problem in s3_rule_problems(rule, path)]


def _s3_default_encryption(props: Any, _options: Options) -> Iterator[str]:
    rules = lookup(props, "rules")
    if known(rules) and not list(elements(rules)):
        yield "rules is empty: the bucket falls back to SSE-S3."
    yield from s3_encryption_problems(props)


s3_bucket_cmk = resource_policy(
    "aws-s3-bucket-encryption-cmk",
    description="S3 default encryption must be SSE-KMS (or DSSE-KMS) with a customer-managed key, not aws/s3.",
    resource_types=S3_SSE_TYPES + S3_BUCKET_TYPES,
    check=_s3_default_encryption,
    severity=Severity.HIGH,
    remediation=("Give the bucket an aws.s3.BucketServerSideEncryptionConfiguration with "
                 "`sse_algorithm=\"aws:kms\"` (or `aws:kms:dsse`) and `kms_master_key_id` set to the ARN of a "
                 "customer-managed aws.kms.Key whose policy lets the writers use it."),
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "S3.17 / s3-default-encryption-kms (kmsKeyArns)",
                    "S3 general purpose buckets should be encrypted at rest with AWS KMS keys"),
)


def _bucket_key(props: Any, _options: Options) -> Iterator[str]:
    for path, rule in s3_rules(props):
        algorithm = lookup(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm")
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


def _ecr(props: Any, _options: Options) -> Iterator[str]:
    configuration = lookup(props, "encryptionConfigurations", 0)
    if configuration is UNKNOWN:
        return
    encryption_type = lookup(configuration, "encryptionType")
    if encryption_type not in ("KMS", "KMS_DSSE", UNKNOWN):
        yield (f"encryptionConfigurations[0].encryptionType is {encryption_type or 'not set (AES256)'}: "
               "images are under keys AWS owns.")
        return
    yield from customer_key_problems(lookup(configuration, "kmsKey"), "encryptionConfigurations[0].kmsKey", "aws/ecr")


ecr_repository_cmk = resource_policy(
    "aws-ecr-repository-encryption-cmk",
    description="ECR repositories must be KMS-encrypted with a customer-managed key, not AES256 or aws/ecr.",
    resource_types=["aws:ecr/repository:Repository"],
    check=_ecr,
    severity=Severity.HIGH,
    remediation=("Set `encryption_configurations=[{\"encryption_type\": \"KMS\", \"kms_key\": <key ARN>}]` at "
                 "creation (it cannot be changed later: the repository is replaced)."),
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "ECR.5 / ecr-repository-cmk-encryption-enabled",
                    "ECR repositories should be encrypted with customer managed AWS KMS keys"),
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


def _training_job(props: Any, options: Options) -> Iterator[str]:
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


sagemaker_training_job_cmk = resource_policy(
    "aws-sagemaker-training-job-cmk",
    description=("SageMaker training and tuning jobs must encrypt the ML storage volume and the S3 output with "
                 "customer-managed keys (volume key not possible on NVMe instance storage)."),
    resource_types=["aws:sagemaker/trainingJob:TrainingJob",
                    "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob"],
    check=_training_job,
    severity=Severity.HIGH,
    remediation=("Set `output_data_config.kms_key_id` and `resource_config.volume_kms_key_id` to customer key "
                 "ARNs the execution role may use (kms:Encrypt, kms:GenerateDataKey, kms:CreateGrant). For NVMe "
                 "instance types (see policies/cmek/nvme_instance_types.yaml) leave the volume key out. Verify "
                 "with `aws sagemaker describe-training-job` (seed 001)."),
    control=CIS_CONTROLS_3_11,
    options_schema=_NVME_OPTION,
)


def _notebook(props: Any, _options: Options) -> Iterator[str]:
    yield from customer_key_problems(lookup(props, "kmsKeyId"), "kmsKeyId", "aws/sagemaker")


sagemaker_notebook_cmk = resource_policy(
    "aws-sagemaker-notebook-instance-cmk",
    description="SageMaker notebook instances must encrypt their storage volume with a customer-managed key.",
    resource_types=["aws:sagemaker/notebookInstance:NotebookInstance"],
    check=_notebook,
    severity=Severity.HIGH,
    remediation="Set `kms_key_id` to a customer-managed key ARN (it forces a new notebook instance).",
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "sagemaker-notebook-instance-kms-key-configured",
                    "SageMaker notebook instances should have a KMS key configured"),
)


def _domain(props: Any, _options: Options) -> Iterator[str]:
    yield from customer_key_problems(lookup(props, "kmsKeyId"), "kmsKeyId", "aws/elasticfilesystem")
    sharing = lookup(props, "defaultUserSettings", "sharingSettings")
    if known(sharing) and present(lookup(sharing, "s3OutputPath")):
        yield from customer_key_problems(
            lookup(sharing, "s3KmsKeyId"), "defaultUserSettings.sharingSettings.s3KmsKeyId", "aws/s3")


sagemaker_domain_cmk = resource_policy(
    "aws-sagemaker-domain-cmk",
    description="SageMaker domains must encrypt their EFS home volume (and shared notebooks) with a customer key.",
    resource_types=["aws:sagemaker/domain:Domain"],
    check=_domain,
    severity=Severity.HIGH,
    remediation=("Set `kms_key_id` (EFS; immutable) and, when notebooks are shared to S3, "
                 "`default_user_settings.sharing_settings.s3_kms_key_id` to customer-managed keys."),
    control=CIS_CONTROLS_3_11,
)


def _needs_volume_key(variant: Any, nvme: frozenset[str]) -> bool:
    """Serverless variants have no volume; NVMe ones cannot take a key; unknown types get the benefit."""
    if lookup(variant, "serverlessConfig") is not None:
        return False
    instance_type = lookup(variant, "instanceType")
    return instance_type is not UNKNOWN and not (isinstance(instance_type, str) and _family(instance_type) in nvme)


def _endpoint_configuration(props: Any, options: Options) -> Iterator[str]:
    nvme = frozenset(options["instanceStorageFamilies"])
    variants = list(elements(lookup(props, "productionVariants")))
    variants += list(elements(lookup(props, "shadowProductionVariants")))
    if any(v is UNKNOWN for v in variants):
        return
    if not variants or any(_needs_volume_key(v, nvme) for v in variants):
        yield from customer_key_problems(lookup(props, "kmsKeyArn"), "kmsKeyArn", "aws/sagemaker")
    capture = lookup(props, "dataCaptureConfig")
    if known(capture) and lookup(capture, "enableCapture") is not False:
        yield from customer_key_problems(lookup(capture, "kmsKeyId"), "dataCaptureConfig.kmsKeyId", "aws/s3")


sagemaker_endpoint_config_cmk = resource_policy(
    "aws-sagemaker-endpoint-configuration-cmk",
    description="SageMaker endpoint configurations must encrypt instance volumes and captured data with customer keys.",
    resource_types=["aws:sagemaker/endpointConfiguration:EndpointConfiguration"],
    check=_endpoint_configuration,
    severity=Severity.HIGH,
    remediation=("Set `kms_key_arn` (not possible, and not needed, for NVMe or serverless variants) and "
                 "`data_capture_config.kms_key_id` to customer-managed keys."),
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "sagemaker-endpoint-configuration-kms-key-configured",
                    "SageMaker endpoint configurations should have a KMS key configured"),
    options_schema=_NVME_OPTION,
)


def _ebs_volume(props: Any, _options: Options) -> Iterator[str]:
    encrypted = lookup(props, "encrypted")
    if encrypted is not True and encrypted is not UNKNOWN:
        yield "encrypted is not true: the volume is unencrypted unless the account default applies."
        return
    yield from customer_key_problems(lookup(props, "kmsKeyId"), "kmsKeyId", "aws/ebs")


ebs_volume_cmk = resource_policy(
    "aws-ebs-volume-encryption-cmk",
    description="EBS volumes must be encrypted with a customer-managed KMS key.",
    resource_types=["aws:ebs/volume:Volume"],
    check=_ebs_volume,
    severity=Severity.MEDIUM,
    remediation="Set `encrypted=True` and `kms_key_id` to a customer-managed key ARN.",
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "EC2.3 / encrypted-volumes (kmsId)",
                    "Attached EBS volumes should be encrypted at-rest"),
)


def _log_group(props: Any, _options: Options) -> Iterator[str]:
    yield from customer_key_problems(lookup(props, "kmsKeyId"), "kmsKeyId", "of CloudWatch Logs")


cloudwatch_log_group_cmk = resource_policy(
    "aws-cloudwatch-log-group-cmk",
    description="CloudWatch log groups must be encrypted with a customer-managed KMS key.",
    resource_types=["aws:cloudwatch/logGroup:LogGroup"],
    check=_log_group,
    severity=Severity.MEDIUM,
    remediation=("Set `kms_key_id` to a key whose policy allows logs.<region>.amazonaws.com with an "
                 "`kms:EncryptionContext:aws:logs:arn` condition on the log group's ARN."),
    control=Control(_SECURITY_HUB, _SECURITY_HUB_VERSION, "cloudwatch-log-group-encrypted",
                    "CloudWatch log groups are encrypted with a KMS key"),
)


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

POLICIES = [
    s3_bucket_cmk,
    s3_bucket_key,
    ecr_repository_cmk,
    sagemaker_training_job_cmk,
    sagemaker_notebook_cmk,
    sagemaker_domain_cmk,
    sagemaker_endpoint_config_cmk,
    ebs_volume_cmk,
    cloudwatch_log_group_cmk,
    kms_key_rotation,
]

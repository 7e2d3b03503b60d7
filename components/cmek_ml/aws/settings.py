"""The AWS landing zone's settings: read from the stack, validated before anything is built."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import pulumi

from cmek_ml.aws.partitions import REGIONS, Partition, partition_of
from cmek_ml.settings import SettingsReader

ACCOUNT_ID = r"[0-9]{12}"
# `arn:<partition>:iam::<account>:role/<path/>name`; IAM names: 1-64 of [\w+=,.@-].
IAM_NAME = r"[\w+=,.@-]{1,64}"
PRINCIPAL_ARN = re.compile(
    rf"arn:(?P<partition>[a-z-]+):iam::(?P<account>{ACCOUNT_ID}):(?P<kind>role|user)/(?:[\w+=,.@-]+/)*(?P<name>{IAM_NAME})"
)
NAME_PREFIX = r"[a-z][a-z0-9-]{0,30}[a-z0-9]"
BUCKET_NAME = r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]"
ECR_NAME = r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"
KEY_LAYOUTS = ("per-purpose", "shared")
SHARED_KEY = "shared"
KEY_PURPOSES = ("data", "volumes", "logs")
"""data: S3 buckets, SageMaker output, ECR; volumes: training volumes and EBS; logs: CloudWatch Logs."""
ROTATION_DAYS = (90, 2560)
DELETION_WINDOW_DAYS = (7, 30)
# The only values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653
)
# Where SageMaker training, processing and transform jobs write their logs.
SAGEMAKER_LOG_GROUPS = (
    "/aws/sagemaker/TrainingJobs",
    "/aws/sagemaker/ProcessingJobs",
    "/aws/sagemaker/TransformJobs",
)


@dataclass(frozen=True)
class AwsSettings:
    region: str
    """Region of the keys, buckets and jobs."""
    account_id: str
    """Account the stack deploys into; the account root anchors every key policy."""
    name_prefix: str
    """Prefix of aliases, bucket names and the guardrail policy's name."""
    key_layout: str
    """per-purpose (data, volumes, logs keys) or shared (one key)."""
    rotation_period_days: int
    """Automatic rotation period, 90-2560 days."""
    deletion_window_days: int
    """Waiting period of a scheduled key deletion, 7-30 days."""
    key_administrator_arns: list[str]
    """Roles or users that administer the keys and may not use them."""
    execution_role_arns: list[str]
    """SageMaker execution roles: the key users. They must exist before `up`: KMS rejects a key
    policy naming a principal that does not exist (MalformedPolicyDocumentException)."""
    launcher_role_arns: list[str]
    """Roles that create SageMaker jobs; the guardrail policy is attached to them."""
    pipeline_role_arns: list[str]
    """SageMaker pipeline roles (`CreatePipeline.RoleArn`): a pipeline creates its steps' jobs as
    this role, so it launches jobs and carries the guardrail too."""
    deployer_arns: list[str]
    """Who runs `pulumi up`: `awsDeployerArn` and the last role of the provider's
    `aws:assumeRoles`. ECR creates its key grants as the caller, so none may be a key administrator."""
    ebs_service_linked_role_arns: list[str]
    """Service-linked roles that launch instances while EBS encryption by default is on (the EC2
    Auto Scaling one); the volumes key grants them what AWS documents."""
    buckets: list[str]
    """Bucket name suffixes; see `bucket_name`."""
    deny_uploads_without_kms_key_header: bool
    """Strict bucket policy: also deny uploads that name no KMS key."""
    ecr_repository: str
    """ECR repository name; empty for none."""
    log_retention_days: int
    """Retention of the SageMaker log groups; a value CloudWatch Logs accepts."""
    ebs_encryption_by_default: bool
    """Turn on account-wide EBS encryption by default, with the volumes key as default key."""
    tags: dict[str, str]
    """Tags of every AWS resource that takes tags."""

    @property
    def guarded_role_arns(self) -> list[str]:
        """Every role that creates SageMaker jobs: launchers, then pipeline roles, each once."""
        return list(dict.fromkeys(self.launcher_role_arns + self.pipeline_role_arns))

    @property
    def partition(self) -> Partition:
        return partition_of(self.region)

    @property
    def key_purposes(self) -> list[str]:
        return [SHARED_KEY] if self.key_layout == "shared" else list(KEY_PURPOSES)

    def key_for(self, purpose: str) -> str:
        """The key that serves `purpose` (one of KEY_PURPOSES)."""
        return SHARED_KEY if self.key_layout == "shared" else purpose

    def bucket_name(self, suffix: str) -> str:
        return bucket_name(self.name_prefix, suffix, self.account_id, self.region)

    def log_group_arn(self, log_group: str) -> str:
        return f"arn:{self.partition.name}:logs:{self.region}:{self.account_id}:log-group:{log_group}"

    @property
    def account_root_arn(self) -> str:
        return f"arn:{self.partition.name}:iam::{self.account_id}:root"


def bucket_name(prefix: str, suffix: str, account_id: str, region: str) -> str:
    """Globally unique: the account and region keep stacks in other accounts or regions apart."""
    return f"{prefix}-{suffix}-{account_id}-{region}"


def read_aws_settings(reader: SettingsReader) -> AwsSettings:
    provider = pulumi.Config("aws")
    region = reader.string("awsRegion")
    if region not in REGIONS:
        reader.problem("awsRegion", region, "unknown region; use one of " + ", ".join(sorted(REGIONS)))
    provider_region = provider.get("region")
    if region in REGIONS and provider_region and provider_region != region:
        reader.problem("awsRegion", region, f"must equal the provider's aws:region ({provider_region})")
    partition = partition_of(region).name

    account_id = reader.matching("awsAccountId", ACCOUNT_ID, "must be a 12-digit AWS account id")
    allowed_accounts = provider.get_object("allowedAccountIds")
    if allowed_accounts and account_id not in allowed_accounts:
        reader.problem("awsAccountId", account_id, f"must be one of the provider's aws:allowedAccountIds {allowed_accounts}")
    prefix = reader.matching(
        "awsNamePrefix", NAME_PREFIX, "must be 2-32 lowercase letters, digits or dashes, starting with a letter"
    )
    layout = reader.choice("awsKeyLayout", KEY_LAYOUTS)
    rotation = reader.integer("awsKeyRotationPeriodDays", *ROTATION_DAYS)
    deletion_window = reader.integer("awsKeyDeletionWindowDays", *DELETION_WINDOW_DAYS)

    admins = _principal_arns(reader, "awsKeyAdministratorArns", partition, kinds=("role", "user"))
    execution_roles = _principal_arns(reader, "awsSageMakerExecutionRoleArns", partition, kinds=("role",))
    if not execution_roles and not _has_problem(reader, "awsSageMakerExecutionRoleArns"):
        reader.problem(
            "awsSageMakerExecutionRoleArns", execution_roles, "at least one SageMaker execution role ARN (the key users)"
        )
    for arn in sorted(set(admins) & set(execution_roles)):
        reader.problem(
            "awsKeyAdministratorArns", arn, "key administrators may not use the key: remove it from awsSageMakerExecutionRoleArns or here"
        )
    launchers = _principal_arns(reader, "awsSageMakerLauncherRoleArns", partition, kinds=("role",), account=account_id)
    pipeline_roles = _principal_arns(reader, "awsSageMakerPipelineRoleArns", partition, kinds=("role",), account=account_id)
    deployers = _deployer_arns(reader, provider, partition)
    for arn in deployers:
        if arn in admins:
            reader.problem(
                "awsKeyAdministratorArns",
                arn,
                "is also the deployer (awsDeployerArn or the provider's aws:assumeRoles), but key administrators are "
                "denied kms:CreateGrant and ECR creates its key grants as the caller, so `pulumi up` would fail: "
                "deploy with a role that is not a key administrator",
            )

    buckets = reader.strings("awsBuckets")
    # A bad prefix, account or region already has its own problem; the names would repeat it.
    name_parts_valid = not any(_has_problem(reader, k) for k in ("awsRegion", "awsAccountId", "awsNamePrefix"))
    for suffix in buckets if name_parts_valid else []:
        name = bucket_name(prefix, suffix, account_id, region)
        if not re.fullmatch(BUCKET_NAME, name) or "--" in name:
            reader.problem(
                "awsBuckets", suffix, f"bucket name {name!r} must be 3-63 lowercase letters, digits or single dashes"
            )
    ecr_repository = reader.matching(
        "awsEcrRepository", ECR_NAME, "must be 2-256 lowercase letters, digits, . _ - separated, / for namespaces", optional=True
    )
    if len(ecr_repository) == 1 or len(ecr_repository) > 256:
        reader.problem("awsEcrRepository", ecr_repository, "must be 2-256 characters")
    ebs_by_default = reader.boolean("awsEbsEncryptionByDefault")
    service_linked_roles = reader.strings("awsEbsServiceLinkedRoleArns")
    for arn in service_linked_roles:
        if not re.fullmatch(rf"arn:{partition}:iam::{account_id}:role/aws-service-role/[a-z0-9.-]+/{IAM_NAME}", arn):
            reader.problem(
                "awsEbsServiceLinkedRoleArns",
                arn,
                f"must be a service-linked role of the stack's account: arn:{partition}:iam::{account_id}:role/aws-service-role/SERVICE/NAME",
            )
    if ebs_by_default and not service_linked_roles:
        reader.problem(
            "awsEbsServiceLinkedRoleArns",
            service_linked_roles,
            "awsEbsEncryptionByDefault encrypts every new volume in the region with the volumes key, so instances that "
            "service-linked roles launch fail unless the key lets them use it; name them, at least EC2 Auto Scaling's "
            f"arn:{partition}:iam::{account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
        )
    retention = reader.integer("awsLogRetentionDays", LOG_RETENTION_DAYS[0], LOG_RETENTION_DAYS[-1])
    if retention not in LOG_RETENTION_DAYS and not _has_problem(reader, "awsLogRetentionDays"):
        reader.problem("awsLogRetentionDays", retention, "must be one of " + ", ".join(map(str, LOG_RETENTION_DAYS)))
    tags = reader.pairs(
        "awsTags",
        check_key=lambda k: None if re.fullmatch(r"[\w .:/=+@-]{1,128}", k) and not k.startswith("aws:") else "tag keys: 1-128 characters, not starting with aws:",
        check_value=lambda v: None if re.fullmatch(r"[\w .:/=+@-]{0,256}", v) else "tag values: up to 256 letters, digits, spaces and _ . : / = + @ -",
    )

    return AwsSettings(
        region=region,
        account_id=account_id,
        name_prefix=prefix,
        key_layout=layout,
        rotation_period_days=rotation,
        deletion_window_days=deletion_window,
        key_administrator_arns=admins,
        execution_role_arns=execution_roles,
        launcher_role_arns=launchers,
        pipeline_role_arns=pipeline_roles,
        deployer_arns=deployers,
        ebs_service_linked_role_arns=service_linked_roles,
        buckets=buckets,
        deny_uploads_without_kms_key_header=reader.boolean("awsDenyUploadsWithoutKmsKeyHeader"),
        ecr_repository=ecr_repository,
        log_retention_days=retention,
        ebs_encryption_by_default=ebs_by_default,
        tags=tags,
    )


def role_name(arn: str) -> str:
    """The IAM name at the end of a principal ARN (the path is not part of it)."""
    match = PRINCIPAL_ARN.fullmatch(arn)
    if not match:
        raise ValueError(f"not an IAM role or user ARN: {arn!r}")
    return match.group("name")


def _has_problem(reader: SettingsReader, key: str) -> bool:
    return any(p.key == key for p in reader.problems)


def _deployer_arns(reader: SettingsReader, provider: pulumi.Config, partition: str) -> list[str]:
    """`awsDeployerArn` if set, and the role the provider ends up in (the last of aws:assumeRoles)."""
    deployers = []
    declared = reader.string("awsDeployerArn")
    if declared:
        match = PRINCIPAL_ARN.fullmatch(declared)
        if not match or match.group("partition") != partition:
            reader.problem("awsDeployerArn", declared, f"must be an IAM ARN arn:{partition}:iam::ACCOUNT_ID:role/NAME or user/NAME, or empty")
        else:
            deployers.append(declared)
    assumed = provider.get_object("assumeRoles") or []
    if isinstance(assumed, list) and assumed and isinstance(assumed[-1], dict) and assumed[-1].get("roleArn"):
        deployers.append(assumed[-1]["roleArn"])
    return list(dict.fromkeys(deployers))


def _principal_arns(
    reader: SettingsReader, key: str, partition: str, kinds: tuple[str, ...], account: Optional[str] = None
) -> list[str]:
    shape = " or ".join(f"arn:{partition}:iam::ACCOUNT_ID:{kind}/NAME" for kind in kinds)
    arns = reader.strings(key)
    for arn in arns:
        match = PRINCIPAL_ARN.fullmatch(arn)
        if not match or match.group("kind") not in kinds:
            reader.problem(key, arn, f"must be an IAM ARN {shape}")
        elif match.group("partition") != partition:
            reader.problem(
                key, arn, f"is in partition {match.group('partition')}, but the stack's region is in partition {partition}; use {shape}"
            )
        elif account is not None and match.group("account") != account:
            reader.problem(key, arn, f"must be in the stack's account awsAccountId ({account}): a policy attaches only to roles of its own account")
    return arns

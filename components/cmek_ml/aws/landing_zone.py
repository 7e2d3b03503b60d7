"""The AWS half of the platform: KMS keys, SSE-KMS buckets, ECR, logs, and the SageMaker guardrail."""

from __future__ import annotations

from typing import Optional

import pulumi

from cmek_ml.aws.buckets import KmsBucket, KmsBucketArgs
from cmek_ml.aws.ebs_default import EbsDefaultEncryption, EbsDefaultEncryptionArgs
from cmek_ml.aws.ecr import KmsRepository, KmsRepositoryArgs
from cmek_ml.aws.kms_key import KeyPolicySpec, KmsKey, KmsKeyArgs
from cmek_ml.aws.logs import KmsLogGroups, KmsLogGroupsArgs
from cmek_ml.aws.sagemaker_guardrail import SageMakerGuardrail, SageMakerGuardrailArgs
from cmek_ml.aws.settings import KEY_PURPOSES, SAGEMAKER_LOG_GROUPS, AwsSettings
from cmek_ml.aws.training import sagemaker_training_exports

OUTPUT_BUCKET_SUFFIX = "output"


class AwsLandingZone(pulumi.ComponentResource):
    exports: dict
    keys: dict[str, KmsKey]
    """Key name (`shared`, or `data`, `volumes`, `logs`) -> its key."""
    buckets: dict[str, KmsBucket]
    """Bucket suffix -> its bucket under the data key."""
    repository: Optional[KmsRepository]
    """The ECR repository under the data key, when one is asked for."""
    log_groups: KmsLogGroups
    """SageMaker's CloudWatch log groups under the logs key."""
    ebs_default: Optional[EbsDefaultEncryption]
    """The account's EBS encryption by default, when turned on."""
    guardrail: SageMakerGuardrail
    """The policy that denies SageMaker jobs which do not name the keys."""

    def __init__(self, name: str, settings: AwsSettings, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:LandingZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        log_group_arns = [settings.log_group_arn(group) for group in SAGEMAKER_LOG_GROUPS]

        self.keys: dict[str, KmsKey] = {}
        for key_name in settings.key_purposes:
            purposes = {p for p in KEY_PURPOSES if settings.key_for(p) == key_name}
            serves_logs = "logs" in purposes
            policy = KeyPolicySpec(
                account_root_arn=settings.account_root_arn,
                administrator_arns=settings.key_administrator_arns,
                # Execution roles read and write data and volumes; CloudWatch Logs alone uses the logs key.
                user_arns=settings.execution_role_arns if purposes - {"logs"} else (),
                logs_service_principal=f"logs.{settings.region}.{settings.partition.dns_suffix}" if serves_logs else "",
                log_group_arns=log_group_arns if serves_logs else (),
                service_linked_role_arns=(
                    settings.ebs_service_linked_role_arns if settings.ebs_encryption_by_default and "volumes" in purposes else ()
                ),
            )
            self.keys[key_name] = KmsKey(
                f"{name}-key-{key_name}",
                KmsKeyArgs(
                    alias=f"alias/{settings.name_prefix}-{key_name}",
                    description=f"cmek-ml {key_name} key: " + ", ".join(sorted(purposes)),
                    policy=policy,
                    rotation_period_days=settings.rotation_period_days,
                    deletion_window_days=settings.deletion_window_days,
                    tags=settings.tags,
                ),
                child,
            )
        data_key = self.keys[settings.key_for("data")]
        volumes_key = self.keys[settings.key_for("volumes")]
        logs_key = self.keys[settings.key_for("logs")]

        self.buckets = {
            suffix: KmsBucket(
                f"{name}-bucket-{suffix}",
                KmsBucketArgs(
                    bucket=settings.bucket_name(suffix),
                    kms_key_arn=data_key.arn,
                    deny_uploads_without_kms_key_header=settings.deny_uploads_without_kms_key_header,
                    tags=settings.tags,
                ),
                child,
            )
            for suffix in settings.buckets
        }

        self.repository = None
        if settings.ecr_repository:
            self.repository = KmsRepository(
                f"{name}-ecr",
                KmsRepositoryArgs(name=settings.ecr_repository, kms_key_arn=data_key.arn, tags=settings.tags),
                child,
            )

        self.log_groups = KmsLogGroups(
            f"{name}-logs",
            KmsLogGroupsArgs(
                names=SAGEMAKER_LOG_GROUPS,
                kms_key_arn=logs_key.arn,
                key_policy=logs_key.key_policy,
                retention_in_days=settings.log_retention_days,
                tags=settings.tags,
            ),
            child,
        )

        self.ebs_default = None
        if settings.ebs_encryption_by_default:
            self.ebs_default = EbsDefaultEncryption(
                f"{name}-ebs-default",
                EbsDefaultEncryptionArgs(kms_key_arn=volumes_key.arn),
                child,
            )

        self.guardrail = SageMakerGuardrail(
            f"{name}-sagemaker-guardrail",
            SageMakerGuardrailArgs(
                policy_name=f"{settings.name_prefix}-sagemaker-kms-guardrail",
                volume_key_arn=volumes_key.arn,
                output_key_arn=data_key.arn,
                launcher_role_arns=settings.guarded_role_arns,
                tags=settings.tags,
            ),
            child,
        )

        self.exports = {
            "accountId": settings.account_id,
            "region": settings.region,
            "partition": settings.partition.name,
            "keys": {key_name: key.arn for key_name, key in self.keys.items()},
            "keyAliases": {key_name: key.alias.name for key_name, key in self.keys.items()},
            "buckets": {suffix: bucket.bucket.id for suffix, bucket in self.buckets.items()},
            "logGroups": list(SAGEMAKER_LOG_GROUPS),
            "ebsEncryptionByDefault": settings.ebs_encryption_by_default,
            "sageMakerGuardrailPolicyArn": self.guardrail.policy.arn,
            "sageMakerTraining": sagemaker_training_exports(
                volumes_key.arn, data_key.arn, self._output_path(), settings.region
            ),
        }
        if self.repository:
            self.exports["ecrRepositoryUrl"] = self.repository.repository.repository_url
        self.register_outputs(self.exports)

    def _output_path(self) -> pulumi.Input[str]:
        """The `output` bucket when there is one, else the first bucket."""
        if not self.buckets:
            return "s3://BUCKET/sagemaker-output/"
        bucket = self.buckets.get(OUTPUT_BUCKET_SUFFIX) or next(iter(self.buckets.values()))
        return pulumi.Output.concat("s3://", bucket.bucket.id, "/sagemaker-output/")

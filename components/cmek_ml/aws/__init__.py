"""AWS: KMS keys, KMS-encrypted S3, ECR and CloudWatch Logs, EBS default encryption, and the
SageMaker guardrail that denies jobs which do not name the customer's keys.

    from cmek_ml.aws import KmsKey, KmsKeyArgs, KmsBucket, KmsBucketArgs

Each name is imported from its module on first use (pulumi_aws with it); see `cmek_ml._lazy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmek_ml._lazy import lazy_exports

_EXPORTS = {
    "KmsKey": "kms_key", "KmsKeyArgs": "kms_key", "KeyPolicySpec": "kms_key",
    "KmsBucket": "buckets", "KmsBucketArgs": "buckets",
    "KmsRepository": "ecr", "KmsRepositoryArgs": "ecr",
    "KmsLogGroups": "logs", "KmsLogGroupsArgs": "logs",
    "EbsDefaultEncryption": "ebs_default", "EbsDefaultEncryptionArgs": "ebs_default",
    "SageMakerGuardrail": "sagemaker_guardrail", "SageMakerGuardrailArgs": "sagemaker_guardrail",
    "AwsLandingZone": "landing_zone", "AwsSettings": "settings", "read_aws_settings": "settings",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from .buckets import KmsBucket, KmsBucketArgs
    from .ebs_default import EbsDefaultEncryption, EbsDefaultEncryptionArgs
    from .ecr import KmsRepository, KmsRepositoryArgs
    from .kms_key import KeyPolicySpec, KmsKey, KmsKeyArgs
    from .landing_zone import AwsLandingZone
    from .logs import KmsLogGroups, KmsLogGroupsArgs
    from .sagemaker_guardrail import SageMakerGuardrail, SageMakerGuardrailArgs
    from .settings import AwsSettings, read_aws_settings

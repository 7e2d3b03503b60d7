"""AWS building blocks, as the plugin serves them: KMS key, SSE-KMS bucket, KMS-encrypted ECR.

Each checks its inputs (with the rules the settings reader applies to the same values), then builds
the Python component as its only child, named like itself.
"""

# No `from __future__ import annotations`: Pulumi's schema inference needs real annotations.
import re
from typing import Optional, TypedDict

import pulumi
from typing_extensions import NotRequired

from cmek_ml.aws.buckets import KmsBucket, KmsBucketArgs
from cmek_ml.aws.ecr import KmsRepository, KmsRepositoryArgs
from cmek_ml.aws.kms_key import KeyPolicySpec, KmsKey, KmsKeyArgs
from cmek_ml.aws.settings import ACCOUNT_ID, BUCKET_NAME, DELETION_WINDOW_DAYS, ECR_NAME, PRINCIPAL_ARN, ROTATION_DAYS
from cmek_ml.plugin.inputs import HostedComponent, InputChecks, schema_name, whole

ACCOUNT_ROOT_ARN = rf"arn:[a-z-]+:iam::{ACCOUNT_ID}:root"
# KMS CreateAlias: `alias/` then 1-250 of letters, digits, / _ -; `alias/aws/` is AWS's own.
ALIAS = r"alias/(?!aws/)[a-zA-Z0-9/_-]{1,250}"


class AwsKeyPolicyArgs(TypedDict):
    """Who may administer the key and who may use it; administrators are denied its use."""

    account_root_arn: str
    """`arn:<partition>:iam::<account>:root`; keeps the key manageable and delegates to IAM."""
    administrator_arns: NotRequired[list[str]]
    """IAM roles or users that manage the key and are denied its use."""
    user_arns: NotRequired[list[str]]
    """IAM roles that encrypt and decrypt with the key (SageMaker execution roles)."""
    logs_service_principal: NotRequired[str]
    """`logs.<region>.amazonaws.com` when CloudWatch Logs encrypts with this key."""
    log_group_arns: NotRequired[list[str]]
    """The only log groups CloudWatch Logs may use the key for."""


class AwsKmsKeyArgs(TypedDict):
    """A customer-managed KMS key."""

    alias: str
    """`alias/<name>`: what people and tools use to find the key."""
    description: str
    """What the key is for."""
    policy: AwsKeyPolicyArgs
    """Who may administer and use the key."""
    rotation_period_days: int
    """Automatic rotation period, 90-2560 days."""
    deletion_window_days: NotRequired[int]
    """Waiting period of a scheduled deletion, 7-30 days (default 30)."""
    tags: NotRequired[dict[str, str]]
    """Tags of the key."""


class AwsKmsKey(HostedComponent):
    """A symmetric key, `protect`ed, with rotation on, its key policy and its alias. Its child is
    `cmek-ml:aws:KmsKey`."""

    arn: pulumi.Output[str]
    """The key's ARN."""
    key_id: pulumi.Output[str]
    """The key's id."""
    alias_name: pulumi.Output[str]
    """The alias, `alias/<name>`."""

    def __init__(self, name: str, args: AwsKmsKeyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, AwsKmsKeyArgs)
        inputs = {key: whole(value) for key, value in args.items()}
        policy = dict(inputs.pop("policy"))
        checks.matching("alias", inputs["alias"], ALIAS, "must be alias/ then 1-250 of letters, digits, / _ -, not alias/aws/...")
        checks.within("rotationPeriodDays", inputs["rotation_period_days"], *ROTATION_DAYS)
        checks.within("deletionWindowDays", inputs.get("deletion_window_days", 30), *DELETION_WINDOW_DAYS)
        checks.matching("policy.accountRootArn", policy["account_root_arn"], ACCOUNT_ROOT_ARN, "must be arn:<partition>:iam::<account>:root")
        for field in ("administrator_arns", "user_arns"):
            for arn in policy.get(field, []):
                if not PRINCIPAL_ARN.fullmatch(arn):
                    checks.problem(f"policy.{schema_name(field)}", arn, "must be an IAM role or user ARN")
        for arn in sorted(set(policy.get("administrator_arns", [])) & set(policy.get("user_arns", []))):
            checks.problem("policy.administratorArns", arn, "key administrators may not use the key: remove it from userArns or here")
        checks.raise_if_invalid()
        super().__init__(name, opts)
        key = KmsKey(name, KmsKeyArgs(policy=KeyPolicySpec(**policy), **inputs), pulumi.ResourceOptions(parent=self))
        self.arn = key.key.arn
        self.key_id = key.key.key_id
        self.alias_name = key.alias.name
        self.register_outputs({"arn": self.arn, "keyId": self.key_id, "aliasName": self.alias_name})


class AwsKmsBucketArgs(TypedDict):
    """An S3 bucket whose objects are encrypted under the customer's key, and only that key."""

    bucket: str
    """Globally unique bucket name."""
    kms_key_arn: pulumi.Input[str]
    """Default key for new objects, and the only key uploads may name."""
    deny_uploads_without_kms_key_header: NotRequired[bool]
    """Strict mode: also deny uploads that send no key header (breaks SageMaker SDK uploads)."""
    tags: NotRequired[dict[str, str]]
    """Tags of the bucket."""


class AwsKmsBucket(HostedComponent):
    """SSE-KMS with a bucket key, no public access, owner-enforced, versioned, TLS only, no
    `force_destroy`. Its child is `cmek-ml:aws:KmsBucket`."""

    bucket_name: pulumi.Output[str]
    """The bucket's name."""
    arn: pulumi.Output[str]
    """The bucket's ARN."""

    def __init__(self, name: str, args: AwsKmsBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, AwsKmsBucketArgs)
        checks.matching("bucket", args["bucket"], BUCKET_NAME, "must be 3-63 of a-z 0-9 -, starting and ending with a letter or digit")
        checks.raise_if_invalid()
        super().__init__(name, opts)
        bucket = KmsBucket(name, KmsBucketArgs(**args), pulumi.ResourceOptions(parent=self))
        self.bucket_name = bucket.bucket.id
        self.arn = bucket.bucket.arn
        self.register_outputs({"bucketName": self.bucket_name, "arn": self.arn})


class AwsKmsRepositoryArgs(TypedDict):
    """An ECR repository for training images, encrypted with the customer's key."""

    name: str
    """Repository name (may contain / namespaces)."""
    kms_key_arn: pulumi.Input[str]
    """Key for image layers. Create-only in ECR: a change replaces the repository."""
    tags: NotRequired[dict[str, str]]
    """Tags of the repository."""


class AwsKmsRepository(HostedComponent):
    """Immutable tags, scan on push, KMS encryption whose change shows as a replacement. Its child
    is `cmek-ml:aws:KmsRepository`."""

    url: pulumi.Output[str]
    """The repository URL to push to."""

    def __init__(self, name: str, args: AwsKmsRepositoryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, AwsKmsRepositoryArgs)
        checks.matching("name", args["name"], ECR_NAME, "must be lowercase letters, digits, . _ - and / namespaces")
        checks.raise_if_invalid()
        super().__init__(name, opts)
        repository = KmsRepository(name, KmsRepositoryArgs(**args), pulumi.ResourceOptions(parent=self))
        self.url = repository.repository.repository_url
        self.register_outputs({"url": self.url})


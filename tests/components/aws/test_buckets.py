"""Every bucket: SSE-KMS with the key and a bucket key, no public access, owner-enforced,
versioned, never force-destroyed, and a policy that refuses other keys and plain HTTP."""

import pytest

from cmek_ml.aws.buckets import bucket_policy_document
from tests.components.aws.conftest import (
    BUCKET,
    BUCKET_ENCRYPTION,
    BUCKET_POLICY,
    OWNERSHIP,
    PROD_ACCOUNT,
    PUBLIC_ACCESS_BLOCK,
    VERSIONING,
    key_arns,
    policy_of,
    run_aws,
    statements_by_sid,
)
from tests.components.aws.iam_evaluator import DENY, IMPLICIT_DENY, Request, denying_statements, evaluate

SUFFIXES = ["training-data", "model-artifacts", "output"]
KEY_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"
SSE_HEADER = "s3:x-amz-server-side-encryption"
# Both write an object's encryption: PutObject (CopyObject, CreateMultipartUpload) and
# UpdateObjectEncryption, which re-keys an existing object.
WRITES = ["s3:PutObject", "s3:UpdateObjectEncryption"]


def parts(run, suffix: str) -> dict:
    """The bucket and each of its companion resources, by role."""
    prefix = f"aws-bucket-{suffix}-"
    found = {r.name.removeprefix(prefix): r for r in run.resources if r.name.startswith(prefix)}
    assert set(found) == {"bucket", "encryption", "public-access-block", "ownership", "versioning", "policy"}, set(found)
    return found


def test_prod_buckets_are_named_by_prefix_suffix_account_and_region(prod):
    names = sorted(b.inputs["bucket"] for b in prod.by_type(BUCKET))
    assert names == sorted(f"acme-ml-prod-{s}-{PROD_ACCOUNT}-eu-west-1" for s in SUFFIXES)
    assert prod.outputs["aws"]["buckets"] == {s: f"acme-ml-prod-{s}-{PROD_ACCOUNT}-eu-west-1" for s in SUFFIXES}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_bucket_is_never_force_destroyed(prod, suffix):
    bucket = parts(prod, suffix)["bucket"]
    assert bucket.inputs.get("forceDestroy") is False
    assert bucket.inputs["tags"] == {"env": "prod", "owner": "ml-platform", "data-class": "confidential"}


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_default_encryption_is_the_data_key_with_a_bucket_key(prod, suffix):
    bucket = parts(prod, suffix)
    encryption = bucket["encryption"]
    assert encryption.type == BUCKET_ENCRYPTION
    assert encryption.property_dependencies["bucket"] == [bucket["bucket"].urn]
    assert encryption.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arns(prod)["data"]},
            "bucketKeyEnabled": True,
            "blockedEncryptionTypes": ["SSE-C"],
        }
    ]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_public_access_ownership_and_versioning(prod, suffix):
    bucket = parts(prod, suffix)
    name = bucket["bucket"].inputs["bucket"]
    block = bucket["public-access-block"]
    assert block.type == PUBLIC_ACCESS_BLOCK
    assert {k: v for k, v in block.inputs.items() if k != "bucket"} == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    assert bucket["ownership"].type == OWNERSHIP
    assert bucket["ownership"].inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert bucket["versioning"].type == VERSIONING
    assert bucket["versioning"].inputs["versioningConfiguration"] == {"status": "Enabled"}
    for role in ("public-access-block", "ownership", "versioning", "policy"):
        assert bucket[role].inputs["bucket"] == name


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_bucket_policy_statements(prod, suffix):
    bucket = parts(prod, suffix)
    policy = bucket["policy"]
    assert policy.type == BUCKET_POLICY
    assert bucket["public-access-block"].urn in policy.dependencies
    arn = bucket["bucket"].state["arn"]
    key = key_arns(prod)["data"]
    statements = statements_by_sid(policy_of(policy))
    assert statements == {
        "DenyInsecureTransport": {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        "DenyUploadsEncryptedWithAnotherKey": {
            "Sid": "DenyUploadsEncryptedWithAnotherKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": WRITES,
            "Resource": f"{arn}/*",
            "Condition": {"StringNotEquals": {KEY_HEADER: key}, "Null": {KEY_HEADER: "false"}},
        },
        "DenyUploadsWithAnotherEncryption": {
            "Sid": "DenyUploadsWithAnotherEncryption",
            "Effect": "Deny",
            "Principal": "*",
            "Action": WRITES,
            "Resource": f"{arn}/*",
            "Condition": {"StringNotEquals": {SSE_HEADER: "aws:kms"}, "Null": {SSE_HEADER: "false"}},
        },
        "DenyUploadsWithAwsKmsButNoKey": {
            "Sid": "DenyUploadsWithAwsKmsButNoKey",
            "Effect": "Deny",
            "Principal": "*",
            "Action": WRITES,
            "Resource": f"{arn}/*",
            "Condition": {"StringEquals": {SSE_HEADER: "aws:kms"}, "Null": {KEY_HEADER: "true"}},
        },
    }


def test_strict_mode_also_denies_uploads_without_the_key_header():
    run = run_aws("dev", {"awsDenyUploadsWithoutKmsKeyHeader": True})
    for policy in run.by_type(BUCKET_POLICY):
        strict = statements_by_sid(policy_of(policy))["DenyUploadsWithoutKmsKeyHeader"]
        assert strict["Effect"] == "Deny" and strict["Action"] == WRITES
        assert strict["Condition"] == {"Null": {KEY_HEADER: "true"}}


# --- what the bucket policy lets through, evaluated -------------------------------------------

ARN = "arn:aws:s3:::acme-ml-prod-output-444455556666-eu-west-1"
KEY = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY = "arn:aws:kms:eu-west-1:444455556666:key/ffffffff-12ab-34cd-56ef-1234567890ab"
TLS = {"aws:SecureTransport": "true"}


@pytest.mark.parametrize("action", WRITES)
@pytest.mark.parametrize(
    "label, context, lenient, strict",
    [
        ("no header: the bucket default key applies (SageMaker SDK)", TLS, [], ["DenyUploadsWithoutKmsKeyHeader"]),
        ("our key named", {**TLS, SSE_HEADER: "aws:kms", KEY_HEADER: KEY}, [], []),
        ("another key named", {**TLS, SSE_HEADER: "aws:kms", KEY_HEADER: OTHER_KEY}, ["DenyUploadsEncryptedWithAnotherKey"], ["DenyUploadsEncryptedWithAnotherKey"]),
        ("SSE-S3 asked for", {**TLS, SSE_HEADER: "AES256"}, ["DenyUploadsWithAnotherEncryption"], ["DenyUploadsWithAnotherEncryption", "DenyUploadsWithoutKmsKeyHeader"]),
        ("DSSE-KMS asked for", {**TLS, SSE_HEADER: "aws:kms:dsse", KEY_HEADER: KEY}, ["DenyUploadsWithAnotherEncryption"], ["DenyUploadsWithAnotherEncryption"]),
        (
            "aws:kms with no key id (the AWS managed aws/s3 key)",
            {**TLS, SSE_HEADER: "aws:kms"},
            ["DenyUploadsWithAwsKmsButNoKey"],
            ["DenyUploadsWithAwsKmsButNoKey", "DenyUploadsWithoutKmsKeyHeader"],
        ),
        ("header names in another case are the same keys", {**TLS, SSE_HEADER.upper(): "aws:kms"}, ["DenyUploadsWithAwsKmsButNoKey"], ["DenyUploadsWithAwsKmsButNoKey", "DenyUploadsWithoutKmsKeyHeader"]),
        ("plain HTTP write with our key", {"aws:SecureTransport": "false", SSE_HEADER: "aws:kms", KEY_HEADER: KEY}, ["DenyInsecureTransport"], ["DenyInsecureTransport"]),
    ],
)
def test_bucket_policy_write_decisions(action, label, context, lenient, strict):
    request = Request(action=action, resource=f"{ARN}/model.tar.gz", principal=("AWS", "arn:aws:iam::444455556666:role/x"), context=context)
    for strict_mode, expected in ((False, lenient), (True, strict)):
        policy = bucket_policy_document(ARN, KEY, strict_mode)
        assert denying_statements(policy, request) == expected, label
        assert evaluate([policy], request) == (DENY if expected else IMPLICIT_DENY), label


@pytest.mark.parametrize(
    "label, action, context, lenient, strict",
    [
        ("plain HTTP read", "s3:GetObject", {"aws:SecureTransport": "false"}, ["DenyInsecureTransport"], ["DenyInsecureTransport"]),
        ("TLS read", "s3:GetObject", TLS, [], []),
    ],
)
def test_bucket_policy_decisions(label, action, context, lenient, strict):
    request = Request(action=action, resource=f"{ARN}/model.tar.gz", principal=("AWS", "arn:aws:iam::444455556666:role/x"), context=context)
    for strict_mode, expected in ((False, lenient), (True, strict)):
        policy = bucket_policy_document(ARN, KEY, strict_mode)
        assert denying_statements(policy, request) == expected, label
        assert evaluate([policy], request) == (DENY if expected else IMPLICIT_DENY), label


def test_string_not_equals_if_exists_would_deny_header_less_uploads():
    """Why the policy does not use the `...IfExists` form the notes suggest (pitfall 2)."""
    if_exists = {
        "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{ARN}/*",
             "Condition": {"StringNotEqualsIfExists": {KEY_HEADER: KEY}}}
        ]
    }
    request = Request(action="s3:PutObject", resource=f"{ARN}/model.tar.gz", principal=("AWS", "arn:aws:iam::444455556666:role/x"), context=TLS)
    assert evaluate([if_exists], request) == DENY
    assert evaluate([bucket_policy_document(ARN, KEY, False)], request) == IMPLICIT_DENY

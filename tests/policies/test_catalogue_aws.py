"""AWS catalogue entries: the provider-key forms each entry must reject, and the cases its examples do not show.

The generic tests (test_catalogue.py) run every entry's own examples; these tests vary the key itself across every
entry (AWS-managed aliases in every partition and form, customer aliases that merely look alike) and pin the
semantics that need more than one example: keys inside JSON documents, exemptions, inherited defaults.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cmek_policies import CATALOGUE
from tests.policies.harness import UNKNOWN, Res, analyzer, of

KEY = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
AWS_MANAGED = [
    "alias/aws/s3",
    "arn:aws:kms:eu-west-1:444455556666:alias/aws/ebs",
    "arn:aws-us-gov:kms:us-gov-west-1:444455556666:alias/aws/rds",
    "arn:aws-cn:kms:cn-north-1:444455556666:alias/aws/sagemaker",
    "arn:aws-iso:kms:us-iso-east-1:444455556666:alias/aws/kms",
]
CUSTOMER = [
    KEY,
    "alias/ml-data",
    "alias/aws-ml",                                             # not the aws/ namespace
    "arn:aws:kms:eu-west-1:444455556666:alias/awsome/key",
    "mrk-1234abcd12ab34cd56ef1234567890ab",
]


def _set(node: Any, path: str, value: Any) -> bool:
    """Set the value at a catalogue path (first element of each list) in an example; False if the path is not there."""
    steps = path.split(".")
    for i, step in enumerate(steps):
        name, each = (step[:-2], True) if step.endswith("[]") else (step, False)
        if not isinstance(node, dict) or name not in node:
            return False
        if i == len(steps) - 1:
            if each:
                return False
            node[name] = value
            return True
        node = node[name]
        if each:
            if not isinstance(node, list) or not node:
                return False
            node = node[0]
    return False


def _alias_cases():
    """(policy, token, compliant example, key path) for every AWS key that rejects AWS-managed aliases."""
    for policy in CATALOGUE.policies:
        if policy.cloud != "aws" or policy.code:
            continue
        for spec in policy.types:
            for rule in spec.keys:
                if "aws-managed-alias" in rule.managed and "~json" not in rule.path:
                    example = copy.deepcopy(dict(spec.compliant))
                    if _set(example, rule.path, KEY):
                        yield pytest.param(policy.name, spec.token, example, rule.path, id=f"{spec.token}:{rule.path}")


ALIAS_CASES = list(_alias_cases())


def test_the_alias_cases_cover_the_aws_catalogue():
    tokens = {case.values[1] for case in ALIAS_CASES}
    assert len(tokens) >= 100, sorted(tokens)


@pytest.mark.parametrize("policy,token,example,path", ALIAS_CASES)
def test_every_form_of_an_aws_managed_alias_is_a_provider_key(policy, token, example, path):
    for alias in AWS_MANAGED:
        changed = copy.deepcopy(example)
        _set(changed, path, alias)
        found = of(analyzer("prod").analyze(Res(token, changed)), policy)
        assert found, (alias, path)
        assert alias not in found[0].message  # the key is named by its path, never printed


@pytest.mark.parametrize("policy,token,example,path", ALIAS_CASES)
def test_customer_keys_and_lookalike_aliases_pass(policy, token, example, path):
    for key in CUSTOMER + [UNKNOWN]:
        changed = copy.deepcopy(example)
        _set(changed, path, key)
        assert of(analyzer("prod").analyze(Res(token, changed)), policy) == [], key


EMR = "aws:emr/securityConfiguration:SecurityConfiguration"


def _emr(s3: dict, disk: dict, at_rest: Any = True) -> dict:
    return {"configuration": json.dumps({"EncryptionConfiguration": {
        "EnableAtRestEncryption": at_rest,
        "AtRestEncryptionConfiguration": {"S3EncryptionConfiguration": s3, "LocalDiskEncryptionConfiguration": disk}}})}


@pytest.mark.parametrize("s3,disk,at_rest,violates", [
    ({"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY}, True, False),
    ({"EncryptionMode": "CSE-KMS", "AwsKmsKey": KEY}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY}, "true", False),
    ({"EncryptionMode": "sse-kms", "AwsKmsKey": UNKNOWN}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY}, True, False),
    ({"EncryptionMode": "SSE-S3"}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY}, True, True),
    ({"EncryptionMode": "SSE-KMS", "AwsKmsKey": "alias/aws/s3"}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY}, True, True),
    ({"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY}, {"EncryptionKeyProviderType": "Custom"}, True, True),
    ({"EncryptionMode": "SSE-KMS", "AwsKmsKey": KEY}, {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": KEY}, False, True),
])
def test_emr_keys_are_read_inside_the_json_configuration(s3, disk, at_rest, violates):
    found = of(analyzer("prod").analyze(Res(EMR, _emr(s3, disk, at_rest))), "aws-emr-security-configuration-cmk")
    assert bool(found) is violates


def test_emr_configuration_that_is_unknown_or_not_json():
    assert analyzer("prod").analyze(Res(EMR, {"configuration": UNKNOWN})) == []
    assert of(analyzer("prod").analyze(Res(EMR, {"configuration": "{not json"})), "aws-emr-security-configuration-cmk")


FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"


def test_firehose_from_a_kinesis_stream_takes_the_stream_key_but_not_aws_s3_at_the_destination():
    from_stream = {"destination": "extended_s3", "kinesisSourceConfiguration": {"kinesisStreamArn": "arn:aws:kinesis:eu-west-1:1:stream/s"},
                   "extendedS3Configuration": {"bucketArn": "arn:aws:s3:::acme"}}
    assert of(analyzer("prod").analyze(Res(FIREHOSE, from_stream)), "aws-kinesis-firehose-delivery-stream-cmk") == []
    from_stream["extendedS3Configuration"]["kmsKeyArn"] = "arn:aws:kms:eu-west-1:1:alias/aws/s3"
    assert of(analyzer("prod").analyze(Res(FIREHOSE, from_stream)), "aws-kinesis-firehose-delivery-stream-cmk")
    direct_put = {"destination": "extended_s3", "extendedS3Configuration": {"bucketArn": "arn:aws:s3:::acme"}}
    assert of(analyzer("prod").analyze(Res(FIREHOSE, direct_put)), "aws-kinesis-firehose-delivery-stream-cmk")


@pytest.mark.parametrize("token,props,policy", [
    # Replication into an existing file system keeps that file system's key.
    ("aws:efs/replicationConfiguration:ReplicationConfiguration",
     {"sourceFileSystemId": "fs-1", "destination": {"fileSystemId": "fs-2", "region": "eu-central-1"}}, "aws-efs-file-system-cmk"),
    # A read replica ignores storage_encrypted; kms_key_id decides.
    ("aws:rds/instance:Instance", {"replicateSourceDb": "arn:aws:rds:eu-west-1:1:db:src", "instanceClass": "db.m6g.large",
                                   "kmsKeyId": KEY}, "aws-rds-instance-cmk"),
    # Objects, vector indexes and S3 tables without their own setting inherit the bucket's default (checked on the bucket).
    ("aws:s3/bucketObjectv2:BucketObjectv2", {"bucket": "acme", "key": "model.bin"}, "aws-s3-object-cmk"),
    ("aws:s3/vectorsIndex:VectorsIndex", {"vectorBucketName": "emb", "indexName": "docs"}, "aws-s3-vectors-cmk"),
    ("aws:s3tables/table:Table", {"name": "t", "namespace": "n"}, "aws-s3-tables-cmk"),
    # A schedule that names its job definition is checked on that definition.
    ("aws:sagemaker/monitoringSchedule:MonitoringSchedule",
     {"monitoringScheduleConfig": {"monitoringJobDefinitionName": "dq", "monitoringType": "DataQuality"}}, "aws-sagemaker-monitoring-job-cmk"),
    # Managed log persistence switched off keeps no logs.
    ("aws:emrserverless/application:Application", {"releaseLabel": "emr-7.2.0", "type": "spark",
     "monitoringConfiguration": {"managedPersistenceMonitoringConfiguration": {"enabled": False}}}, "aws-emr-serverless-application-cmk"),
])
def test_documented_exemptions_and_inherited_defaults_pass(token, props, policy):
    assert of(analyzer("prod").analyze(Res(token, props)), policy) == []


@pytest.mark.parametrize("token,props,policy", [
    ("aws:s3/bucketObjectv2:BucketObjectv2", {"bucket": "acme", "key": "m", "serverSideEncryption": "AES256"}, "aws-s3-object-cmk"),
    ("aws:s3/bucketObjectv2:BucketObjectv2", {"bucket": "acme", "key": "m", "serverSideEncryption": "aws:kms"}, "aws-s3-object-cmk"),
    ("aws:dsql/cluster:Cluster", {"kmsEncryptionKey": "aws_owned_kms_key"}, "aws-dsql-cluster-cmk"),
    ("aws:neptunegraph/graph:Graph", {"provisionedMemory": 16}, "aws-neptune-graph-cmk"),
    ("aws:emrserverless/application:Application", {"releaseLabel": "emr-7.2.0", "type": "spark"}, "aws-emr-serverless-application-cmk"),
    ("aws:sagemaker/featureGroup:FeatureGroup", {"onlineStoreConfig": {"enableOnlineStore": True, "storageType": "InMemory"}},
     "aws-sagemaker-feature-group-cmk"),
    ("aws:dynamodb/table:Table", {"hashKey": "id"}, "aws-dynamodb-table-cmk"),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 100}}]},
     "aws-ec2-instance-volume-cmk"),
])
def test_provider_defaults_are_reported(token, props, policy):
    assert of(analyzer("prod").analyze(Res(token, props)), policy)

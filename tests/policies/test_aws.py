"""AWS resource policies through the analyzer protocol: each way to fail is caught (compliant cases: test_unknowns)."""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.policies.examples import AWS_KEY, COMPLIANT
from tests.policies.harness import PACK_DIR, POLICIES, Analyzer, Res, messages, of
from cmek_policies import aws

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _sse(default: dict, **rule) -> dict:
    return {"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True, **rule}]}


@pytest.mark.parametrize("default, expected", [
    ({"sseAlgorithm": "AES256"}, "rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is not one of aws:kms, aws:kms:dsse"),
    ({"sseAlgorithm": "aws:kms"}, "rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is not set: "
                                  "the data is under an AWS-managed key."),
    ({"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}, "is an AWS-managed key (alias/aws/*)"),
    ({"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": "arn:aws:kms:eu-west-1:444455556666:alias/aws/s3"},
     "an AWS-managed key"),
    ({}, "sseAlgorithm is not one of aws:kms, aws:kms:dsse"),
])
def test_s3_default_encryption_not_on_customer_key(default, expected):
    found = messages("aws-s3-bucket-encryption-cmk", SSE, _sse(default))
    assert len(found) == 1 and expected in found[0]


def test_s3_dsse_with_customer_key_passes():
    assert messages("aws-s3-bucket-encryption-cmk", SSE, _sse({"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": AWS_KEY})) == []


def test_s3_customer_key_alias_passes():
    assert messages("aws-s3-bucket-encryption-cmk", SSE,
                    _sse({"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/acme-ml-data"})) == []


def test_s3_empty_rules_fail():
    assert messages("aws-s3-bucket-encryption-cmk", SSE, {"bucket": "b", "rules": []}) == [
        "rules.applyServerSideEncryptionByDefault.sseAlgorithm is not one of aws:kms, aws:kms:dsse: "
        "the data is under an AWS-managed key."]


@pytest.mark.parametrize("type_, props", [
    ("aws:s3/bucket:Bucket", {"bucket": "b", "serverSideEncryptionConfiguration": {"rule": {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}}}),
    ("aws:s3/bucketV2:BucketV2", {"bucket": "b", "serverSideEncryptionConfigurations": [{"rules": [{
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "alias/aws/s3"}}]}]}),
])
def test_s3_inline_encryption_on_buckets_is_checked(type_, props):
    assert len(messages("aws-s3-bucket-encryption-cmk", type_, props)) == 1


def test_bucket_key_off_is_advisory_in_dev_and_mandatory_in_prod():
    props = _sse({"sseAlgorithm": "aws:kms", "kmsMasterKeyId": AWS_KEY}, bucketKeyEnabled=False)
    for env, level in (("dev", "advisory"), ("prod", "mandatory")):
        found = of(Analyzer(env).analyze(Res(SSE, props)), "aws-s3-bucket-encryption-bucket-key")
        assert [f.level for f in found] == [level]
        assert "bucketKeyEnabled is off" in found[0].message
    # Without any configuration the policy's own level applies: advice.
    assert [f.level for f in of(Analyzer().analyze(Res(SSE, props)), "aws-s3-bucket-encryption-bucket-key")] == ["advisory"]


def test_bucket_key_not_asked_for_dsse():
    props = _sse({"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": AWS_KEY}, bucketKeyEnabled=False)
    assert messages("aws-s3-bucket-encryption-bucket-key", SSE, props) == []


@pytest.mark.parametrize("configurations, expected", [
    (None, "encryptionConfigurations.encryptionType is not one of KMS, KMS_DSSE"),
    ([{"encryptionType": "AES256"}], "encryptionConfigurations[0].encryptionType is not one of KMS"),
    ([{"encryptionType": "KMS"}], "kmsKey is not set: the data is under an AWS-managed key."),
    ([{"encryptionType": "KMS", "kmsKey": "arn:aws:kms:eu-west-1:444455556666:alias/aws/ecr"}], "AWS-managed key"),
])
def test_ecr_not_on_customer_key(configurations, expected):
    props = {"name": "ml"} if configurations is None else {"name": "ml", "encryptionConfigurations": configurations}
    found = messages("aws-ecr-repository-encryption-cmk", "aws:ecr/repository:Repository", props)
    assert len(found) == 1 and expected in found[0]


TRAINING = COMPLIANT["aws-sagemaker-training-job-cmk"]


def _training(**resource_config) -> dict:
    props = copy.deepcopy(TRAINING[1])
    props["resourceConfig"].update(resource_config)
    props["resourceConfig"] = {k: v for k, v in props["resourceConfig"].items() if v is not None}
    return props


def test_training_job_without_volume_key_fails():
    assert messages("aws-sagemaker-training-job-cmk", TRAINING[0], _training(volumeKmsKeyId=None)) == [
        "resourceConfig.volumeKmsKeyId is not set: the data is under the AWS-managed key aws/ebs."]


def test_training_job_without_output_key_fails():
    props = copy.deepcopy(TRAINING[1])
    del props["outputDataConfig"]["kmsKeyId"]
    assert messages("aws-sagemaker-training-job-cmk", TRAINING[0], props) == [
        "outputDataConfig.kmsKeyId is not set: the data is under the AWS-managed key aws/s3."]


def test_training_job_without_either_key_reports_both():
    props = {"roleArn": "r", "resourceConfig": {"instanceType": "ml.p3.2xlarge", "instanceCount": 1},
             "outputDataConfig": {"s3OutputPath": "s3://out"}}
    assert len(messages("aws-sagemaker-training-job-cmk", TRAINING[0], props)) == 2


@pytest.mark.parametrize("instance_type", ["ml.p4d.24xlarge", "ml.g5.2xlarge", "ml.m5d.large", "ml.g4dn.xlarge"])
def test_nvme_training_needs_only_the_output_key(instance_type):
    assert messages("aws-sagemaker-training-job-cmk", TRAINING[0],
                    _training(instanceType=instance_type, volumeKmsKeyId=None)) == []


def test_nvme_training_with_volume_key_fails_because_sagemaker_rejects_it():
    found = messages("aws-sagemaker-training-job-cmk", TRAINING[0], _training(instanceType="ml.p4d.24xlarge"))
    assert len(found) == 1 and "rejects a volume key" in found[0]


def test_heterogeneous_cluster_with_an_ebs_group_needs_the_volume_key():
    props = _training(instanceType=None, volumeKmsKeyId=None, instanceGroups=[
        {"instanceGroupName": "gpu", "instanceType": "ml.p4d.24xlarge", "instanceCount": 1},
        {"instanceGroupName": "cpu", "instanceType": "ml.c5.xlarge", "instanceCount": 2}])
    assert len(messages("aws-sagemaker-training-job-cmk", TRAINING[0], props)) == 1


def test_nvme_families_are_configurable():
    props = _training(instanceType="ml.m5.xlarge", volumeKmsKeyId=None)
    custom = Analyzer({"all": "mandatory", "aws-sagemaker-training-job-cmk": {"instanceStorageFamilies": ["ml.m5"]}})
    assert of(custom.analyze(Res(TRAINING[0], props)), "aws-sagemaker-training-job-cmk") == []
    assert messages("aws-sagemaker-training-job-cmk", TRAINING[0], props)


def test_nvme_list_is_the_data_file():
    data = yaml.safe_load((PACK_DIR / "nvme_instance_types.yaml").read_text())["families"]
    assert aws.NVME_FAMILIES == data and "ml.p4d" in data and "ml.m5" not in data
    assert POLICIES["aws-sagemaker-training-job-cmk"].config_schema.properties["instanceStorageFamilies"]["default"] == data


def test_tuning_job_definitions_are_checked():
    definition = {"roleArn": "r", "resourceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": 1},
                  "outputDataConfig": {"s3OutputPath": "s3://out", "kmsKeyId": AWS_KEY}}
    props = {"name": "tune", "trainingJobDefinition": definition}
    assert messages("aws-sagemaker-training-job-cmk", "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob",
                    props) == ["trainingJobDefinition.resourceConfig.volumeKmsKeyId is not set: "
                               "the data is under the AWS-managed key aws/ebs."]
    props = {"name": "tune", "trainingJobDefinitions": [definition]}
    assert len(messages("aws-sagemaker-training-job-cmk",
                        "aws:sagemaker/hyperParameterTuningJob:HyperParameterTuningJob", props)) == 1


@pytest.mark.parametrize("key", [None, "alias/aws/sagemaker"])
def test_notebook_instance_without_customer_key_fails(key):
    props = {"roleArn": "r", "instanceType": "ml.t3.medium", **({"kmsKeyId": key} if key else {})}
    assert len(messages("aws-sagemaker-notebook-instance-cmk", "aws:sagemaker/notebookInstance:NotebookInstance", props)) == 1


def test_domain_without_efs_key_fails():
    type_, props = copy.deepcopy(COMPLIANT["aws-sagemaker-domain-cmk"])
    del props["kmsKeyId"]
    assert messages("aws-sagemaker-domain-cmk", type_, props) == [
        "kmsKeyId is not set: the data is under an AWS-managed key."]


def test_domain_sharing_notebooks_without_s3_key_fails():
    type_, props = copy.deepcopy(COMPLIANT["aws-sagemaker-domain-cmk"])
    del props["defaultUserSettings"]["sharingSettings"]["s3KmsKeyId"]
    assert len(messages("aws-sagemaker-domain-cmk", type_, props)) == 1


ENDPOINT = COMPLIANT["aws-sagemaker-endpoint-configuration-cmk"]


def test_endpoint_configuration_without_key_fails():
    props = copy.deepcopy(ENDPOINT[1])
    del props["kmsKeyArn"]
    assert messages("aws-sagemaker-endpoint-configuration-cmk", ENDPOINT[0], props) == [
        "kmsKeyArn is not set: the data is under the AWS-managed key aws/sagemaker."]


def test_endpoint_data_capture_without_key_fails():
    props = copy.deepcopy(ENDPOINT[1])
    del props["dataCaptureConfig"]["kmsKeyId"]
    assert messages("aws-sagemaker-endpoint-configuration-cmk", ENDPOINT[0], props) == [
        "dataCaptureConfig.kmsKeyId is not set: the data is under the AWS-managed key aws/s3."]


@pytest.mark.parametrize("variant", [
    {"modelName": "m", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 1},
    {"modelName": "m", "serverlessConfig": {"maxConcurrency": 5, "memorySizeInMb": 2048}},
])
def test_endpoint_variants_without_a_volume_need_no_volume_key(variant):
    props = {"productionVariants": [variant]}
    assert messages("aws-sagemaker-endpoint-configuration-cmk", ENDPOINT[0], props) == []


@pytest.mark.parametrize("props, expected", [
    ({"size": 10}, "encrypted is not one of true"),
    ({"size": 10, "encrypted": False, "kmsKeyId": AWS_KEY}, "encrypted is not one of true"),
    ({"size": 10, "encrypted": True}, "kmsKeyId is not set: the data is under an AWS-managed key."),
    ({"size": 10, "encrypted": True, "kmsKeyId": "alias/aws/ebs"}, "an AWS-managed key"),
])
def test_ebs_volume_not_on_customer_key(props, expected):
    found = messages("aws-ebs-volume-encryption-cmk", "aws:ebs/volume:Volume", {"availabilityZone": "a", **props})
    assert len(found) == 1 and expected in found[0]


def test_log_group_without_key_fails():
    assert len(messages("aws-cloudwatch-log-group-cmk", "aws:cloudwatch/logGroup:LogGroup", {"name": "/x"})) == 1


@pytest.mark.parametrize("props, expected", [
    ({}, "enableKeyRotation is not true: the key material never rotates."),
    ({"enableKeyRotation": False}, "enableKeyRotation is not true: the key material never rotates."),
    ({"enableKeyRotation": True, "rotationPeriodInDays": 730}, "rotationPeriodInDays 730 is longer than 365 days."),
])
def test_kms_key_rotation(props, expected):
    assert messages("aws-kms-key-rotation", "aws:kms/key:Key", props) == [expected]


@pytest.mark.parametrize("props", [
    {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"},
    {"customerMasterKeySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
    {"customKeyStoreId": "cks-1234"},
])
def test_keys_that_cannot_rotate_are_not_checked(props):
    assert messages("aws-kms-key-rotation", "aws:kms/key:Key", props) == []

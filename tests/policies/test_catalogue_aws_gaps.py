"""AWS keys the first catalogue left out, through the analyzer protocol: SageMaker endpoint configurations' async
inference output and core dumps, launch template mappings without an EBS volume, and NVMe instance storage on the
SageMaker job types whose volume key cannot exist there.

Facts (each key path is also checked against pulumi_aws's input types by test_catalogue.py):
- SageMaker API reference, ProductionVariantCoreDumpConfig.KmsKeyId: "If you don't provide a KMS key ID, SageMaker
  uses the default KMS key for Amazon S3 for your role's account"; AsyncInferenceOutputConfig.KmsKeyId: the key that
  "SageMaker uses to encrypt the asynchronous inference output in Amazon S3".
"""

from __future__ import annotations

import copy

import pytest

from tests.policies.examples import AWS_KEY
from cmek_policies import CATALOGUE
from tests.policies.harness import UNKNOWN, messages

ENDPOINT = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
ENDPOINT_POLICY = "aws-sagemaker-endpoint-configuration-cmk"
VARIANT = {"modelName": "m", "instanceType": "ml.m5.large", "initialInstanceCount": 1}
ENDPOINT_PROPS = {"kmsKeyArn": AWS_KEY, "productionVariants": [VARIANT]}


@pytest.mark.parametrize("extra, path", [
    ({"asyncInferenceConfig": {"outputConfig": {"s3OutputPath": "s3://async"}}},
     "asyncInferenceConfig.outputConfig.kmsKeyId"),
    ({"asyncInferenceConfig": {"outputConfig": {"s3OutputPath": "s3://async", "kmsKeyId": "alias/aws/s3"}}},
     "asyncInferenceConfig.outputConfig.kmsKeyId"),
    ({"productionVariants": [{**VARIANT, "coreDumpConfig": {"destinationS3Uri": "s3://dumps"}}]},
     "productionVariants[0].coreDumpConfig.kmsKeyId"),
    ({"productionVariants": [VARIANT, {**VARIANT, "coreDumpConfig": {
        "destinationS3Uri": "s3://dumps", "kmsKeyId": "arn:aws:kms:eu-west-1:444455556666:alias/aws/s3"}}]},
     "productionVariants[1].coreDumpConfig.kmsKeyId"),
    ({"shadowProductionVariants": [{**VARIANT, "coreDumpConfig": {"destinationS3Uri": "s3://dumps"}}]},
     "shadowProductionVariants[0].coreDumpConfig.kmsKeyId"),
])
def test_endpoint_async_output_and_core_dumps_need_a_customer_key(extra, path):
    found = messages(ENDPOINT_POLICY, ENDPOINT, {**copy.deepcopy(ENDPOINT_PROPS), **extra})
    assert len(found) == 1 and found[0].startswith(path + " ")


def test_endpoint_async_output_and_core_dumps_with_customer_keys_pass():
    dump = {"destinationS3Uri": "s3://dumps", "kmsKeyId": AWS_KEY}
    props = {**ENDPOINT_PROPS, "productionVariants": [{**VARIANT, "coreDumpConfig": dump}, VARIANT],
             "shadowProductionVariants": [{**VARIANT, "coreDumpConfig": dump}],
             "asyncInferenceConfig": {"outputConfig": {"s3OutputPath": "s3://async", "kmsKeyId": "alias/ml-async"}}}
    assert messages(ENDPOINT_POLICY, ENDPOINT, props) == []


def test_endpoint_core_dump_keys_are_checked_on_nvme_and_serverless_variants_too():
    """The NVMe/serverless rule is about the volume key only: a core dump still lands in S3."""
    props = {"productionVariants": [{"modelName": "m", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 1,
                                     "coreDumpConfig": {"destinationS3Uri": "s3://dumps"}}]}
    assert messages(ENDPOINT_POLICY, ENDPOINT, props) == [
        "productionVariants[0].coreDumpConfig.kmsKeyId is not set: the data is under an AWS-managed key."]


# --- NVMe instance storage: `families: nvme` exemptions ---------------------------------------------------------

NVME_TYPE, EBS_TYPE = "ml.g5.xlarge", "ml.m5.large"  # ml.g5 is in policies/cmek/nvme_instance_types.yaml, ml.m5 not
OUTPUT = {"s3OutputPath": "s3://out", "kmsKeyId": AWS_KEY}


def _schedule(cluster: dict) -> dict:
    return {"monitoringScheduleConfig": {"monitoringType": "DataQuality", "monitoringJobDefinition": {
        "roleArn": "arn:aws:iam::444455556666:role/ml",
        "monitoringOutputConfig": {"monitoringOutputs": {"s3Output": {"s3Uri": "s3://out"}}, "kmsKeyId": AWS_KEY},
        "monitoringResources": {"clusterConfig": {"instanceCount": 1, "volumeSizeInGb": 20, **cluster}}}}}


def _data_quality(cluster: dict) -> dict:
    return {"roleArn": "arn:aws:iam::444455556666:role/ml",
            "dataQualityJobOutputConfig": {"monitoringOutputs": {"s3Output": {"s3Uri": "s3://out"}}, "kmsKeyId": AWS_KEY},
            "jobResources": {"clusterConfig": {"instanceCount": 1, "volumeSizeInGb": 20, **cluster}}}


def _algorithm_training(resources: dict) -> dict:
    return {"algorithmName": "algo", "validationSpecification": {"validationRole": "r", "validationProfiles": {
        "profileName": "p", "trainingJobDefinition": {"trainingInputMode": "File", "outputDataConfig": OUTPUT,
                                                      "resourceConfig": {"instanceCount": 1, **resources}}}}}


def _algorithm_transform(resources: dict) -> dict:
    props = _algorithm_training({"instanceType": EBS_TYPE, "volumeKmsKeyId": AWS_KEY})
    props["validationSpecification"]["validationProfiles"]["transformJobDefinition"] = {
        "transformOutput": OUTPUT, "transformResources": {"instanceCount": 1, **resources}}
    return props


NVME_CASES = [
    ("aws-sagemaker-monitoring-job-cmk", "aws:sagemaker/monitoringSchedule:MonitoringSchedule", _schedule,
     "monitoringScheduleConfig.monitoringJobDefinition.monitoringResources.clusterConfig.volumeKmsKeyId"),
    ("aws-sagemaker-monitoring-job-cmk", "aws:sagemaker/dataQualityJobDefinition:DataQualityJobDefinition",
     _data_quality, "jobResources.clusterConfig.volumeKmsKeyId"),
    ("aws-sagemaker-algorithm-cmk", "aws:sagemaker/algorithm:Algorithm", _algorithm_training,
     "validationSpecification.validationProfiles.trainingJobDefinition.resourceConfig.volumeKmsKeyId"),
    ("aws-sagemaker-algorithm-cmk", "aws:sagemaker/algorithm:Algorithm", _algorithm_transform,
     "validationSpecification.validationProfiles.transformJobDefinition.transformResources.volumeKmsKeyId"),
]


@pytest.mark.parametrize("policy, token, build, path", NVME_CASES)
def test_nvme_instances_need_no_volume_key(policy, token, build, path):
    assert messages(policy, token, build({"instanceType": NVME_TYPE})) == []


@pytest.mark.parametrize("policy, token, build, path", NVME_CASES)
@pytest.mark.parametrize("key", [None, "alias/aws/sagemaker"])
def test_ebs_instances_still_need_a_customer_volume_key(policy, token, build, path, key):
    found = messages(policy, token, build({"instanceType": EBS_TYPE, **({"volumeKmsKeyId": key} if key else {})}))
    assert len(found) == 1 and found[0].startswith(path + " ")


@pytest.mark.parametrize("policy, token, build, path", NVME_CASES)
def test_unknown_instance_type_never_blocks(policy, token, build, path):
    assert messages(policy, token, build({"instanceType": UNKNOWN})) == []


def test_families_come_from_the_nvme_file_the_pack_and_guardrail_read():
    from cmek_policies import aws, catalogue
    exemptions = [c for policy in CATALOGUE.policies for spec in policy.types for key in spec.keys for c in key.exempt
                  if c.families]
    assert len(exemptions) == 4 and all(c.families == frozenset(aws.NVME_FAMILIES) for c in exemptions)
    assert catalogue.FAMILY_LISTS["nvme"] == aws.NVME_FAMILIES_FILE


def test_unknown_family_list_is_a_clear_catalogue_error(tmp_path):
    from cmek_policies import catalogue
    (tmp_path / "aws").mkdir()
    (tmp_path / "aws" / "x.yaml").write_text(
        "policies:\n- name: aws-x-y-cmk\n  description: X.\n  severity: low\n  remediation: r\n"
        "  control: {framework: f, version: '1', reference: r, specification: s}\n  docs: https://d\n"
        "  types:\n  - token: aws:x/y:Y\n    keys:\n    - {path: a.k, managed: [absent],\n"
        "       exempt: [{sibling: instanceType, families: gpu, reason: r}]}\n"
        "    examples: {compliant: {a: {k: x}}, noncompliant: [{}]}\n")
    with pytest.raises(catalogue.CatalogueError, match=r"x\.yaml: .*exempt\[0\]\.families is 'gpu'; expected one of \['nvme'\]"):
        catalogue.load(tmp_path)


# --- launch template mappings without an EBS volume ------------------------------------------------------------

TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
TEMPLATE_POLICY = "aws-ec2-instance-volume-cmk"
ROOT = {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 200, "kmsKeyId": AWS_KEY}}


@pytest.mark.parametrize("mapping", [
    {"deviceName": "/dev/sdb", "virtualName": "ephemeral0"},
    {"deviceName": "/dev/sdc", "noDevice": "true"},
])
def test_launch_template_mapping_without_ebs_volume_needs_no_key(mapping):
    props = {"imageId": "ami-0123456789abcdef0", "blockDeviceMappings": [ROOT, mapping]}
    assert messages(TEMPLATE_POLICY, TEMPLATE, props) == []


@pytest.mark.parametrize("mapping, expected", [
    ({"deviceName": "/dev/sdb"}, "blockDeviceMappings[1].ebs.encrypted is not one of true"),
    ({"deviceName": "/dev/sdb", "ebs": {"encrypted": "true"}}, "blockDeviceMappings[1].ebs.kmsKeyId is not set"),
    ({"deviceName": "/dev/sdb", "virtualName": "", "ebs": {"encrypted": "true", "kmsKeyId": "alias/aws/ebs"}},
     "blockDeviceMappings[1].ebs.kmsKeyId is an AWS-managed key"),
])
def test_launch_template_ebs_mappings_are_still_checked(mapping, expected):
    props = {"imageId": "ami-0123456789abcdef0", "blockDeviceMappings": [ROOT, mapping]}
    found = messages(TEMPLATE_POLICY, TEMPLATE, props)
    assert len(found) == 1 and found[0].startswith(expected)


def test_launch_template_unknown_virtual_name_never_blocks():
    props = {"imageId": "ami-0123456789abcdef0", "blockDeviceMappings": [ROOT, {"deviceName": "/dev/sdb", "virtualName": UNKNOWN}]}
    assert messages(TEMPLATE_POLICY, TEMPLATE, props) == []

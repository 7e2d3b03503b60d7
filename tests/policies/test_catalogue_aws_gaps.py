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
from tests.policies.harness import messages

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

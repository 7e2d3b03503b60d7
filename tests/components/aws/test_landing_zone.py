"""The AWS landing zone as a whole: structure, preview, and what a data scientist pastes."""

import json

import pytest

from cmek_ml.aws.training import create_training_job_flags, estimator_kwargs
from tests.components.aws.conftest import DEV_ACCOUNT, PROD_ACCOUNT, key_arns, run_aws
from tools import stack_config
from tools.urn_inventory import golden_file

LANDING_ZONE = "cmek-ml:aws:LandingZone"


def test_every_resource_is_inside_the_landing_zone(prod):
    (zone,) = prod.by_type(LANDING_ZONE)
    for resource in prod.resources:
        if resource is not zone:
            assert resource.parent, f"{resource.urn} has no parent"
            assert resource.urn.split("::")[2].startswith(LANDING_ZONE), resource.urn


def test_component_types_follow_the_package_convention(prod):
    components = {r.type for r in prod.resources if not r.custom}
    assert components == {
        "cmek-ml:aws:LandingZone",
        "cmek-ml:aws:KmsKey",
        "cmek-ml:aws:KmsBucket",
        "cmek-ml:aws:KmsRepository",
        "cmek-ml:aws:KmsLogGroups",
        "cmek-ml:aws:EbsDefaultEncryption",
        "cmek-ml:aws:SageMakerGuardrail",
    }


def test_preview_registers_the_same_resources_with_unknown_arns(prod):
    preview = run_aws("prod", preview=True)
    assert sorted(r.urn for r in preview.resources) == sorted(r.urn for r in prod.resources)


def test_exports_name_the_account_region_keys_and_aliases(prod, dev):
    exports = prod.outputs["aws"]
    assert (exports["accountId"], exports["region"], exports["partition"]) == (PROD_ACCOUNT, "eu-west-1", "aws")
    assert set(exports["keys"]) == {"data", "volumes", "logs"}
    for arn in exports["keys"].values():
        assert arn.startswith(f"arn:aws:kms:eu-west-1:{PROD_ACCOUNT}:key/")
    assert exports["keyAliases"] == {p: f"alias/acme-ml-prod-{p}" for p in ("data", "volumes", "logs")}
    assert set(dev.outputs["aws"]["keys"]) == {"shared"}
    assert dev.outputs["aws"]["accountId"] == DEV_ACCOUNT


def test_security_profile_and_estimator_kwargs(prod):
    keys = key_arns(prod)
    training = prod.outputs["aws"]["sageMakerTraining"]
    assert training["securityProfile"] == {"volumeKmsKeyId": keys["volumes"], "outputKmsKeyId": keys["data"]}
    output_path = f"s3://acme-ml-prod-output-{PROD_ACCOUNT}-eu-west-1/sagemaker-output/"
    assert training["estimatorKwargs"] == {
        "volume_kms_key": keys["volumes"],
        "output_kms_key": keys["data"],
        "output_path": output_path,
    }


def test_create_training_job_flags(prod):
    keys = key_arns(prod)
    flags = prod.outputs["aws"]["sageMakerTraining"]["createTrainingJobFlags"]
    output_path = f"s3://acme-ml-prod-output-{PROD_ACCOUNT}-eu-west-1/sagemaker-output/"
    assert flags == (
        f"--output-data-config S3OutputPath={output_path},KmsKeyId={keys['data']}"
        f" --resource-config InstanceType=ml.m5.xlarge,InstanceCount=1,VolumeSizeInGB=50,VolumeKmsKeyId={keys['volumes']}"
    )
    assert flags == create_training_job_flags(keys["volumes"], keys["data"], output_path)


def test_verification_command_queries_the_fields_describe_training_job_returns(prod):
    verify = prod.outputs["aws"]["sageMakerTraining"]["verify"]
    assert verify["command"] == (
        "aws sagemaker describe-training-job --training-job-name TRAINING_JOB_NAME --region eu-west-1"
        " --query '{VolumeKmsKeyId: ResourceConfig.VolumeKmsKeyId, OutputKmsKeyId: OutputDataConfig.KmsKeyId}'"
    )
    assert set(verify["fieldsToCheck"]) == {"VolumeKmsKeyId", "OutputKmsKeyId"}
    assert "securityProfile.volumeKmsKeyId" in verify["fieldsToCheck"]["VolumeKmsKeyId"]


def test_output_path_falls_back_to_the_first_bucket_then_a_placeholder():
    first = run_aws("dev", {"awsBuckets": ["training-data", "models"]})
    assert first.outputs["aws"]["sageMakerTraining"]["estimatorKwargs"]["output_path"] == (
        f"s3://acme-ml-dev-training-data-{DEV_ACCOUNT}-eu-west-1/sagemaker-output/"
    )
    none = run_aws("dev", {"awsBuckets": []})
    assert none.outputs["aws"]["buckets"] == {}
    assert none.outputs["aws"]["sageMakerTraining"]["estimatorKwargs"]["output_path"] == "s3://BUCKET/sagemaker-output/"


def test_estimator_kwargs_are_what_the_sdk_takes():
    assert estimator_kwargs("v", "o", "s3://b/") == {"volume_kms_key": "v", "output_kms_key": "o", "output_path": "s3://b/"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_dev_and_prod_enable_aws_next_to_gcp(stack):
    clouds = json.loads(stack_config.resolve(stack)["cmek-ml:clouds"])
    assert "aws" in clouds and "gcp" in clouds


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_golden_inventory_guards_the_aws_keys_and_buckets(stack):
    golden = golden_file(stack).read_text().split()
    for token in ("aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:ecr/repository:Repository"):
        assert any(urn.split("::")[2].endswith(token) for urn in golden), f"{stack}: no {token}"

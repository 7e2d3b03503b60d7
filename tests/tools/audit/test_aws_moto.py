"""The AWS audit against moto in server mode, through real boto3 clients (AWS_ENDPOINT_URL honoured)."""

from __future__ import annotations

import boto3
import pytest

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:latest"


def _key(alias: str | None = None) -> str:
    kms = boto3.client("kms", region_name="us-east-1")
    arn = kms.create_key(Description="customer key")["KeyMetadata"]["Arn"]
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=arn)
    return arn


def _training_job(name: str, instance_type: str = "ml.m5.xlarge", volume_key: str | None = None,
                  output_key: str | None = None) -> None:
    resource = {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30}
    if volume_key:
        resource["VolumeKmsKeyId"] = volume_key
    output = {"S3OutputPath": "s3://out/models"}
    if output_key:
        output["KmsKeyId"] = output_key
    boto3.client("sagemaker", region_name="us-east-1").create_training_job(
        TrainingJobName=name, RoleArn=ROLE, AlgorithmSpecification={"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        OutputDataConfig=output, ResourceConfig=resource, StoppingCondition={"MaxRuntimeInSeconds": 3600})


def test_training_jobs_seed_001(aws_env, audit):
    """Seed 001's test plan: each job's volume key and output key, named as DescribeTrainingJob names them."""
    key = _key("alias/ml-data")
    _training_job("both-keys", volume_key=key, output_key=key)
    _training_job("no-volume-key", output_key=key)
    _training_job("no-keys")
    _training_job("alias-output", volume_key=key, output_key="alias/ml-data")
    _training_job("aws-managed-output", volume_key=key, output_key="alias/aws/sagemaker")
    _training_job("nvme", instance_type="ml.p4d.24xlarge", output_key=key)

    run = audit("--cloud", "aws", "--region", "us-east-1", "--format", "json")

    jobs = {r: f for r, f in run.by_resource().items()}
    assert jobs["no-volume-key"] == {"ResourceConfig.VolumeKmsKeyId"}
    assert jobs["no-keys"] == {"ResourceConfig.VolumeKmsKeyId", "OutputDataConfig.KmsKeyId"}
    assert jobs["aws-managed-output"] == {"OutputDataConfig.KmsKeyId"}
    assert "both-keys" not in jobs and "alias-output" not in jobs and "nvme" not in jobs
    exempt = [(e["resource"].rsplit("/", 1)[-1], e["field"]) for e in run.json["exempt"]]
    assert exempt == [("nvme", "ResourceConfig.VolumeKmsKeyId")]
    assert "NVMe" in run.json["exempt"][0]["reason"]
    finding = run.findings("ResourceConfig.VolumeKmsKeyId")[0]
    assert finding["resource"].startswith("arn:aws:sagemaker:us-east-1:123456789012:training-job/")
    assert finding["policy"] == "aws-sagemaker-training-job-cmk"
    # an API the endpoint lacks is not checked, with the reason (moto 5.2 has no ListFeatureGroups)
    reasons = {n["what"]: n["reason"] for n in run.json["notChecked"]}
    assert reasons["aws:sagemaker/featureGroup:FeatureGroup in us-east-1"] == (
        "sagemaker:ListFeatureGroups: the endpoint answered HTTP 500 after 0 retries")
    assert run.code == 1


def test_notebooks_endpoint_configs_buckets_repositories(aws_env, audit):
    key = _key()
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    sagemaker.create_notebook_instance(NotebookInstanceName="nb-key", InstanceType="ml.t3.medium", RoleArn=ROLE,
                                       KmsKeyId=key)
    sagemaker.create_notebook_instance(NotebookInstanceName="nb-none", InstanceType="ml.t3.medium", RoleArn=ROLE)
    sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    variant = {"VariantName": "v", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    sagemaker.create_endpoint_config(EndpointConfigName="ec-key", ProductionVariants=[variant], KmsKeyId=key)
    sagemaker.create_endpoint_config(EndpointConfigName="ec-none", ProductionVariants=[variant])
    s3 = boto3.client("s3", region_name="us-east-1")
    for name in ("bucket-customer", "bucket-default", "bucket-aws-kms"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(Bucket="bucket-customer", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    s3.put_bucket_encryption(Bucket="bucket-aws-kms", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    ecr = boto3.client("ecr", region_name="us-east-1")
    ecr.create_repository(repositoryName="repo-key", encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})
    ecr.create_repository(repositoryName="repo-aes")

    run = audit("--cloud", "aws", "--format", "json")  # region from AWS_DEFAULT_REGION

    found = run.by_resource()
    assert found["nb-none"] == {"KmsKeyId"}
    assert found["ec-none"] == {"KmsKeyId"}
    assert found["arn:aws:s3:::bucket-default"] == {"ServerSideEncryptionConfiguration.Rules.ApplyServerSideEncryptionByDefault.SSEAlgorithm"}
    assert "arn:aws:s3:::bucket-aws-kms" in found
    assert found["repo-aes"] == {"encryptionConfiguration.encryptionType"}
    for clean in ("nb-key", "ec-key", "arn:aws:s3:::bucket-customer", "repo-key"):
        assert clean not in found
    assert run.code == 1


def test_one_audit_over_hundreds_of_jobs_pages(aws_env, audit, moto_url):
    """150 training jobs in pages of 100 (the audit block's page_size; moto pages only when asked): every job read
    once, none twice."""
    key = _key()
    for i in range(150):
        _training_job(f"job-{i:03d}", volume_key=key if i % 5 else None, output_key=key)
    run = audit("--cloud", "aws", "--format", "json")
    missing = sorted(r for r, fields in run.by_resource().items() if r.startswith("job-"))
    assert missing == [f"job-{i:03d}" for i in range(0, 150, 5)]
    assert all(run.by_resource()[job] == {"ResourceConfig.VolumeKmsKeyId"} for job in missing)
    assert run.json["resourcesChecked"] == 150 + 1  # and moto's default Athena workgroup "primary"


def test_rds_instances(aws_env, audit):
    key = _key()
    rds = boto3.client("rds", region_name="us-east-1")
    common = {"DBInstanceClass": "db.t3.micro", "Engine": "postgres", "MasterUsername": "ml", "AllocatedStorage": 20,
              "MasterUserPassword": "not-a-secret-1"}
    rds.create_db_instance(DBInstanceIdentifier="features-customer-key", StorageEncrypted=True, KmsKeyId=key, **common)
    rds.create_db_instance(DBInstanceIdentifier="features-unencrypted", StorageEncrypted=False, **common)
    run = audit("--cloud", "aws", "--format", "json")
    found = run.by_resource()
    assert found["arn:aws:rds:us-east-1:123456789012:db:features-unencrypted"] == {"KmsKeyId", "StorageEncrypted"}
    assert "arn:aws:rds:us-east-1:123456789012:db:features-customer-key" not in found

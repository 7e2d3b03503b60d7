"""AWS paths moto cannot show, against recorded real-shaped responses (Stubber validates both directions).

moto's gaps found by trying: DescribeProcessingJob loses ProcessingResources; DescribeKey on alias/aws/s3
answers KeyManager CUSTOMER (AWS answers AWS); GetBucketEncryption on a bucket without configuration
(before 2023, or on endpoints that still do) raises ServerSideEncryptionConfigurationNotFoundError.
"""

from __future__ import annotations

import datetime as dt


from .aws_stubs import ACCOUNT, CUSTOMER_KEY, REGION, SINCE, StubbedAudit, customer_key

PROCESSING = "aws:sagemaker/processingJob:ProcessingJob"
S3 = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
NOTEBOOKS = "aws:sagemaker/notebookInstance:NotebookInstance"
CREATED = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)


def _processing_job(name: str, instance_type: str, volume_key: str | None, output_key: str | None) -> dict:
    cluster = {"InstanceCount": 1, "InstanceType": instance_type, "VolumeSizeInGB": 30}
    if volume_key:
        cluster["VolumeKmsKeyId"] = volume_key
    output = {"Outputs": [{"OutputName": "out", "S3Output": {"S3Uri": "s3://o/p", "LocalPath": "/opt/ml/processing/out",
                                                             "S3UploadMode": "EndOfJob"}}]}
    if output_key:
        output["KmsKeyId"] = output_key
    return {
        "ProcessingJobName": name,
        "ProcessingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{name}",
        "ProcessingResources": {"ClusterConfig": cluster},
        "ProcessingOutputConfig": output,
        "AppSpecification": {"ImageUri": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/p:1"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
        "ProcessingJobStatus": "Completed",
        "CreationTime": CREATED,
    }


def test_processing_jobs_volume_output_and_nvme():
    audit = StubbedAudit({PROCESSING})
    sagemaker, kms = audit.stub("sagemaker"), audit.stub("kms")
    jobs = [_processing_job("on-ebs-no-volume-key", "ml.m5.xlarge", None, CUSTOMER_KEY),
            _processing_job("on-nvme-no-keys", "ml.g5.2xlarge", None, None),
            _processing_job("both-keys", "ml.m5.xlarge", CUSTOMER_KEY, CUSTOMER_KEY)]
    sagemaker.add_response("list_processing_jobs", {"ProcessingJobSummaries": [
        {"ProcessingJobName": j["ProcessingJobName"], "ProcessingJobArn": j["ProcessingJobArn"],
         "CreationTime": CREATED, "ProcessingJobStatus": "Completed"} for j in jobs]},
        {"CreationTimeAfter": SINCE, "MaxResults": 100})
    for job in jobs:
        sagemaker.add_response("describe_processing_job", job, {"ProcessingJobName": job["ProcessingJobName"]})
    customer_key(kms)  # resolved once, then cached

    report = audit.run()

    found = {(f.resource.rsplit("/", 1)[-1], f.field) for f in report.findings}
    assert found == {("on-ebs-no-volume-key", "ProcessingResources.ClusterConfig.VolumeKmsKeyId"),
                     ("on-nvme-no-keys", "ProcessingOutputConfig.KmsKeyId")}
    assert [(e.resource.rsplit("/", 1)[-1], e.field) for e in report.exemptions] == [
        ("on-nvme-no-keys", "ProcessingResources.ClusterConfig.VolumeKmsKeyId")]
    assert report.resources_checked == 3 and not report.not_checked


def test_bucket_without_configuration_and_keys_managed_by_aws():
    audit = StubbedAudit({S3})
    s3, kms = audit.stub("s3"), audit.stub("kms")
    aws_s3_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0f0f0f-aaaa-bbbb-cccc-0f0f0f0f0f0f"
    s3.add_response("list_buckets", {"Buckets": [
        {"Name": "no-config", "CreationDate": CREATED, "BucketRegion": REGION},
        {"Name": "aws-s3-key-by-id", "CreationDate": CREATED, "BucketRegion": REGION},
        {"Name": "customer", "CreationDate": CREATED, "BucketRegion": REGION},
        {"Name": "elsewhere", "CreationDate": CREATED, "BucketRegion": "ap-south-1"}]}, {})
    s3.add_client_error("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError",
                        "The server side encryption configuration was not found", 404, expected_params={"Bucket": "no-config"})

    def kms_rule(key: str) -> dict:
        return {"ServerSideEncryptionConfiguration": {"Rules": [{"ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}, "BucketKeyEnabled": True}]}}

    s3.add_response("get_bucket_encryption", kms_rule("0f0f0f0f-aaaa-bbbb-cccc-0f0f0f0f0f0f"), {"Bucket": "aws-s3-key-by-id"})
    s3.add_response("get_bucket_encryption", kms_rule(CUSTOMER_KEY), {"Bucket": "customer"})
    customer_key(kms, "0f0f0f0f-aaaa-bbbb-cccc-0f0f0f0f0f0f", "AWS", aws_s3_key)
    customer_key(kms)

    report = audit.run()

    by_bucket = {f.resource: f for f in report.findings}
    assert set(by_bucket) == {"arn:aws:s3:::no-config", "arn:aws:s3:::aws-s3-key-by-id"}
    assert "KeyManager AWS" in by_bucket["arn:aws:s3:::aws-s3-key-by-id"].message
    assert "ServerSideEncryptionConfigurationNotFoundError" in by_bucket["arn:aws:s3:::no-config"].message
    assert report.resources_checked == 3  # the ap-south-1 bucket is outside --region


def test_access_denied_is_not_checked_with_the_action():
    audit = StubbedAudit({NOTEBOOKS})
    sagemaker = audit.stub("sagemaker")
    sagemaker.add_client_error("list_notebook_instances", "AccessDeniedException",
                               "User is not authorized to perform: sagemaker:ListNotebookInstances", 400,
                               expected_params={"MaxResults": 100})
    report = audit.run()
    assert [(n.what, n.reason) for n in report.not_checked] == [
        (f"{NOTEBOOKS} in {REGION}", "access denied to sagemaker:ListNotebookInstances (AccessDeniedException)")]
    assert report.exit_code() == 3


def test_key_that_cannot_be_described_is_not_checked():
    audit = StubbedAudit({NOTEBOOKS})
    sagemaker, kms = audit.stub("sagemaker"), audit.stub("kms")
    sagemaker.add_response("list_notebook_instances", {"NotebookInstances": [
        {"NotebookInstanceName": "nb", "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/nb"}]},
        {"MaxResults": 100})
    sagemaker.add_response("describe_notebook_instance", {
        "NotebookInstanceName": "nb", "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/nb",
        "KmsKeyId": "alias/team-key"}, {"NotebookInstanceName": "nb"})
    kms.add_client_error("describe_key", "AccessDeniedException", "not allowed", 400, expected_params={"KeyId": "alias/team-key"})
    report = audit.run()
    assert not report.findings and report.resources_checked == 0
    assert report.not_checked[0].what.endswith("notebook-instance/nb KmsKeyId")
    assert "access denied to kms:DescribeKey" in report.not_checked[0].reason

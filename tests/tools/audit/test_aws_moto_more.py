"""More AWS catalogue types against moto in server mode: Redshift clusters, FSx file systems, Bedrock custom models."""

from __future__ import annotations

import boto3

from .test_aws_moto import _key

REDSHIFT = "aws:redshift/cluster:Cluster"
LUSTRE, ONTAP = "aws:fsx/lustreFileSystem:LustreFileSystem", "aws:fsx/ontapFileSystem:OntapFileSystem"


def test_redshift_clusters(aws_env, audit):
    key = _key()
    redshift = boto3.client("redshift", region_name="us-east-1")
    common = {"NodeType": "ra3.xlplus", "MasterUsername": "ml", "MasterUserPassword": "Not-a-secret-1", "ClusterType": "single-node"}
    redshift.create_cluster(ClusterIdentifier="dw-customer", Encrypted=True, KmsKeyId=key, **common)
    redshift.create_cluster(ClusterIdentifier="dw-unencrypted", Encrypted=False, **common)
    run = audit("--cloud", "aws", "--format", "json")
    found = {f["resource"]: f["field"] for f in run.json["findings"] if f["resource_type"] == REDSHIFT}
    assert found == {"arn:aws:redshift:us-east-1:123456789012:cluster:dw-unencrypted": "Encrypted"}
    assert REDSHIFT in run.json["checkedTypes"] and run.code == 1


def test_fsx_file_systems_judged_by_their_own_type(aws_env, audit):
    key = _key()
    fsx = boto3.client("fsx", region_name="us-east-1")
    fsx.create_file_system(FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=["subnet-0123456789abcdef0"], KmsKeyId=key,
                           LustreConfiguration={"DeploymentType": "PERSISTENT_2", "PerUnitStorageThroughput": 250})
    no_key = fsx.create_file_system(FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=["subnet-0123456789abcdef0"],
                                    LustreConfiguration={"DeploymentType": "PERSISTENT_2", "PerUnitStorageThroughput": 250})
    ontap = fsx.create_file_system(FileSystemType="ONTAP", StorageCapacity=1024, SubnetIds=["subnet-0123456789abcdef0"],
                                   OntapConfiguration={"DeploymentType": "SINGLE_AZ_1", "ThroughputCapacity": 128})
    run = audit("--cloud", "aws", "--format", "json")
    found = {(f["resource"], f["resource_type"]) for f in run.json["findings"] if f["resource_type"].startswith("aws:fsx/")}
    assert found == {(no_key["FileSystem"]["ResourceARN"], LUSTRE), (ontap["FileSystem"]["ResourceARN"], ONTAP)}


def test_dynamodb_tables_listed_by_name(aws_env, audit):
    key = _key()
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
             "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}
    dynamodb.create_table(TableName="features-customer", SSESpecification={"Enabled": True, "SSEType": "KMS",
                                                                           "KMSMasterKeyId": key}, **table)
    dynamodb.create_table(TableName="features-aws-owned", **table)
    run = audit("--cloud", "aws", "--format", "json")
    found = {f["resource"]: f["field"] for f in run.json["findings"] if f["resource_type"] == "aws:dynamodb/table:Table"}
    assert found == {"arn:aws:dynamodb:us-east-1:123456789012:table/features-aws-owned": "Table.SSEDescription.Status"}


def test_eks_clusters_listed_by_name(aws_env, audit):
    key = _key()
    eks = boto3.client("eks", region_name="us-east-1")
    common = {"roleArn": "arn:aws:iam::123456789012:role/eks", "resourcesVpcConfig": {"subnetIds": ["subnet-0123456789abcdef0"]}}
    eks.create_cluster(name="ml-secrets-key", encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}], **common)
    eks.create_cluster(name="ml-no-envelope", **common)
    run = audit("--cloud", "aws", "--format", "json")
    found = {f["resource"]: f["field"] for f in run.json["findings"] if f["resource_type"] == "aws:eks/cluster:Cluster"}
    assert found == {"arn:aws:eks:us-east-1:123456789012:cluster/ml-no-envelope": "cluster.encryptionConfig.provider.keyArn"}


def _found(run, token: str) -> dict[str, str]:
    return {f["resource"]: f["field"] for f in run.json["findings"] if f["resource_type"] == token}


def test_sqs_queues(aws_env, audit):
    key = _key()
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.create_queue(QueueName="events-customer", Attributes={"KmsMasterKeyId": key})
    sqs.create_queue(QueueName="events-sse-sqs", Attributes={"SqsManagedSseEnabled": "true"})
    run = audit("--cloud", "aws", "--format", "json")
    assert _found(run, "aws:sqs/queue:Queue") == {"arn:aws:sqs:us-east-1:123456789012:events-sse-sqs": "Attributes.KmsMasterKeyId"}


def test_athena_workgroups(aws_env, audit):
    key = _key()
    athena = boto3.client("athena", region_name="us-east-1")

    def results(option: str, kms: str | None = None) -> dict:
        encryption = {"EncryptionOption": option, **({"KmsKey": kms} if kms else {})}
        return {"ResultConfiguration": {"OutputLocation": "s3://acme-ml-results/", "EncryptionConfiguration": encryption}}

    athena.create_work_group(Name="wg-customer", Configuration=results("SSE_KMS", key))
    athena.create_work_group(Name="wg-sse-s3", Configuration=results("SSE_S3"))
    run = audit("--cloud", "aws", "--format", "json")
    found = _found(run, "aws:athena/workgroup:Workgroup")
    assert found["arn:aws:athena:us-east-1:123456789012:workgroup/wg-sse-s3"] == (
        "WorkGroup.Configuration.ResultConfiguration.EncryptionConfiguration.EncryptionOption")
    assert "arn:aws:athena:us-east-1:123456789012:workgroup/wg-customer" not in found

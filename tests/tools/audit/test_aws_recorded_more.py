"""Catalogue types moto 5.2 does not serve (Redshift Serverless, FSx File Cache) or serves only in part (Bedrock
custom models), against real-shaped responses; botocore's Stubber validates the requests and the responses
against the service models."""

from __future__ import annotations

import datetime as dt

from .aws_stubs import ACCOUNT, CUSTOMER_KEY, REGION, StubbedAudit, customer_key

NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
FILE_CACHE = "aws:fsx/fileCache:FileCache"
CUSTOM_MODEL = "aws:bedrock/customModel:CustomModel"
CREATED = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
AWS_MANAGED = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0f0f0f0f-aaaa-bbbb-cccc-0f0f0f0f0f0f"


def _names(report) -> set[tuple[str, str]]:
    return {(f.resource.rsplit("/", 1)[-1], f.field) for f in report.findings}


def test_redshift_serverless_namespaces():
    audit = StubbedAudit({NAMESPACE})
    serverless, kms = audit.stub("redshift-serverless"), audit.stub("kms")

    def namespace(name: str, key: str | None) -> dict:
        found = {"namespaceName": name, "namespaceId": f"{name}-id", "status": "AVAILABLE", "creationDate": CREATED,
                 "namespaceArn": f"arn:aws:redshift-serverless:{REGION}:{ACCOUNT}:namespace/{name}-id"}
        return {**found, "kmsKeyId": key} if key else found

    serverless.add_response("list_namespaces", {"namespaces": [
        namespace("customer", CUSTOMER_KEY), namespace("aws-owned", None), namespace("aws-managed", AWS_MANAGED)]}, {})
    customer_key(kms)
    customer_key(kms, AWS_MANAGED, "AWS", AWS_MANAGED)
    report = audit.run()
    assert _names(report) == {("aws-owned-id", "kmsKeyId"), ("aws-managed-id", "kmsKeyId")}
    assert report.resources_checked == 3 and not report.not_checked


def test_fsx_file_caches():
    audit = StubbedAudit({FILE_CACHE})
    fsx, kms = audit.stub("fsx"), audit.stub("kms")

    def cache(cache_id: str, key: str) -> dict:
        return {"FileCacheId": cache_id, "FileCacheType": "LUSTRE", "Lifecycle": "AVAILABLE", "KmsKeyId": key,
                "ResourceARN": f"arn:aws:fsx:{REGION}:{ACCOUNT}:file-cache/{cache_id}", "CreationTime": CREATED}

    fsx.add_response("describe_file_caches", {"FileCaches": [cache("fc-0123456789abcdef0", CUSTOMER_KEY),
                                                             cache("fc-0123456789abcdef1", AWS_MANAGED)]}, {})
    customer_key(kms)
    customer_key(kms, AWS_MANAGED, "AWS", AWS_MANAGED)
    report = audit.run()
    assert _names(report) == {("fc-0123456789abcdef1", "KmsKeyId")}
    assert "KeyManager AWS" in report.findings[0].message


def test_bedrock_custom_models_owned_by_the_account():
    audit = StubbedAudit({CUSTOM_MODEL})
    bedrock, kms = audit.stub("bedrock"), audit.stub("kms")
    base = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"

    def model(name: str, key: str | None) -> dict:
        arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/amazon.titan-text-express-v1/{name}"
        found = {"modelArn": arn, "modelName": name, "jobArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/{name}",
                 "baseModelArn": base, "creationTime": CREATED, "trainingDataConfig": {"s3Uri": "s3://d/train.jsonl"},
                 "outputDataConfig": {"s3Uri": "s3://d/out"}}
        return {**found, "modelKmsKeyArn": key} if key else found

    models = [model("abcdef012345", CUSTOMER_KEY), model("abcdef012346", None)]
    bedrock.add_response("list_custom_models", {"modelSummaries": [
        {"modelArn": m["modelArn"], "modelName": m["modelName"], "creationTime": CREATED, "baseModelArn": base,
         "baseModelName": "Titan Text G1 - Express"} for m in models]}, {"isOwned": True})
    for m in models:
        bedrock.add_response("get_custom_model", m, {"modelIdentifier": m["modelArn"]})
    customer_key(kms)
    report = audit.run()
    assert _names(report) == {("abcdef012346", "modelKmsKeyArn")}
    assert report.resources_checked == 2


def test_dynamodb_encryption_status_replicas_and_aws_managed_keys():
    """SSEDescription.Status ENABLED/UPDATING is the pack's enabled=true; DISABLED is not; replicas are judged in
    their own region, not through the table that lists them (moto 5.2 answers only ENABLED)."""
    table = "aws:dynamodb/table:Table"
    audit = StubbedAudit({table})
    dynamodb, kms = audit.stub("dynamodb"), audit.stub("kms")
    sse = {"updating": {"Status": "UPDATING", "SSEType": "KMS", "KMSMasterKeyArn": CUSTOMER_KEY},
           "disabled": {"Status": "DISABLED"},
           "aws-managed": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": AWS_MANAGED}}
    dynamodb.add_response("list_tables", {"TableNames": list(sse)}, {})
    for name, description in sse.items():
        dynamodb.add_response("describe_table", {"Table": {
            "TableName": name, "TableArn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}", "TableStatus": "ACTIVE",
            "SSEDescription": description, "Replicas": [{"RegionName": "eu-west-1", "ReplicaStatus": "ACTIVE"}]}},
            {"TableName": name})
    customer_key(kms)
    customer_key(kms, AWS_MANAGED, "AWS", AWS_MANAGED)
    report = audit.run()
    assert _names(report) == {("disabled", "Table.SSEDescription.Status"),
                              ("aws-managed", "Table.SSEDescription.KMSMasterKeyArn")}
    assert report.resources_checked == 3 and not report.not_checked


def test_backup_vaults_by_vault_type():
    """One ListBackupVaults feeds two entries; moto 5.2 answers neither VaultType nor EncryptionKeyArn."""
    standard, air_gapped = "aws:backup/vault:Vault", "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
    audit = StubbedAudit({standard, air_gapped})
    backup, kms = audit.stub("backup"), audit.stub("kms")

    def vault(name: str, key: str, vault_type: str | None) -> dict:
        found = {"BackupVaultName": name, "BackupVaultArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:{name}",
                 "CreationDate": CREATED, "EncryptionKeyArn": key}
        return {**found, "VaultType": vault_type} if vault_type else found

    vaults = [vault("customer", CUSTOMER_KEY, "BACKUP_VAULT"), vault("aws-backup-key", AWS_MANAGED, None),
              vault("air-gapped", AWS_MANAGED, "LOGICALLY_AIR_GAPPED_BACKUP_VAULT")]
    for _ in range(2):  # each entry lists once
        backup.add_response("list_backup_vaults", {"BackupVaultList": vaults}, {"MaxResults": 100})
    customer_key(kms)
    customer_key(kms, AWS_MANAGED, "AWS", AWS_MANAGED)
    report = audit.run()
    found = {(f.resource.rsplit(":", 1)[-1], f.resource_type, f.field) for f in report.findings}
    assert found == {("aws-backup-key", standard, "EncryptionKeyArn"), ("air-gapped", air_gapped, "EncryptionKeyArn")}
    assert report.resources_checked == 3


def test_elasticache_replication_groups_and_serverless_caches():
    groups, serverless = "aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/serverlessCache:ServerlessCache"
    audit = StubbedAudit({groups, serverless})
    elasticache, kms = audit.stub("elasticache"), audit.stub("kms")

    def group(name: str, encrypted: bool, key: str | None) -> dict:
        found = {"ReplicationGroupId": name, "AtRestEncryptionEnabled": encrypted, "Status": "available",
                 "ARN": f"arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:{name}"}
        return {**found, "KmsKeyId": key} if key else found

    elasticache.add_response("describe_replication_groups", {"ReplicationGroups": [
        group("rg-customer", True, CUSTOMER_KEY), group("rg-default-key", True, None), group("rg-plain", False, None)]},
        {"MaxRecords": 100})
    elasticache.add_response("describe_serverless_caches", {"ServerlessCaches": [
        {"ServerlessCacheName": "sc-customer", "KmsKeyId": CUSTOMER_KEY, "ARN": f"arn:aws:elasticache:{REGION}:{ACCOUNT}:serverlesscache:sc-customer"},
        {"ServerlessCacheName": "sc-owned", "ARN": f"arn:aws:elasticache:{REGION}:{ACCOUNT}:serverlesscache:sc-owned"}]}, {})
    customer_key(kms)
    report = audit.run()
    found = {(f.resource.rsplit(":", 1)[-1], f.field) for f in report.findings}
    assert found == {("rg-default-key", "KmsKeyId"), ("rg-plain", "AtRestEncryptionEnabled"), ("sc-owned", "KmsKeyId")}


def test_an_unparseable_answer_is_not_checked():
    """An HTML error page where XML was expected (moto 5.2 for DescribeServerlessCaches; a proxy in real life)."""
    from botocore.parsers import ResponseParserError
    from tools.audit import aws_errors
    reason = aws_errors.not_checked_reason(ResponseParserError("Unable to parse response\n<html>"),
                                           "elasticache:DescribeServerlessCaches")
    assert reason == "elasticache:DescribeServerlessCaches: the endpoint's answer could not be parsed (Unable to parse response)"


def test_athena_managed_results_and_spark_workgroups():
    """Keys moto 5.2 does not keep: managed query results and a PySpark workgroup's customer content key."""
    token = "aws:athena/workgroup:Workgroup"
    audit = StubbedAudit({token})
    athena, kms = audit.stub("athena"), audit.stub("kms")
    configurations = {
        "managed-no-key": {"ManagedQueryResultsConfiguration": {"Enabled": True}},
        "spark-no-key": {"EngineVersion": {"SelectedEngineVersion": "PySpark engine version 3"}},
        "spark-key": {"EngineVersion": {"SelectedEngineVersion": "PySpark engine version 3"},
                      "CustomerContentEncryptionConfiguration": {"KmsKey": CUSTOMER_KEY}}}
    names = list(configurations)  # two pages: botocore has no paginator for ListWorkGroups, the audit follows NextToken
    athena.add_response("list_work_groups", {"WorkGroups": [{"Name": n, "State": "ENABLED"} for n in names[:2]],
                                             "NextToken": "page-2"}, {"MaxResults": 50})
    athena.add_response("list_work_groups", {"WorkGroups": [{"Name": n, "State": "ENABLED"} for n in names[2:]]},
                        {"MaxResults": 50, "NextToken": "page-2"})
    for name, configuration in configurations.items():
        athena.add_response("get_work_group", {"WorkGroup": {"Name": name, "State": "ENABLED",
                                                             "Configuration": configuration}}, {"WorkGroup": name})
    customer_key(kms)
    report = audit.run()
    assert _names(report) == {
        ("managed-no-key", "WorkGroup.Configuration.ManagedQueryResultsConfiguration.EncryptionConfiguration.KmsKey"),
        ("spark-no-key", "WorkGroup.Configuration.CustomerContentEncryptionConfiguration.KmsKey")}

"""Construct over gRPC, as the engine calls it for a component a TypeScript/Go/C#/YAML program
declares: the plugin registers, with the test's resource monitor, the hosted component, the Python
component under it, and that component's resources, with the same safety settings."""

from __future__ import annotations

import json

import grpc
import pytest
from pulumi.runtime import rpc

from tools.plugin_host import PluginEngine, PluginProcess

KMS_PROJECT = "acme-kms-dev"
KEY_ID = f"projects/{KMS_PROJECT}/locations/europe-west4/keyRings/ml/cryptoKeys/storage"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555"
IDENTITY_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/enc"


def only(engine: PluginEngine, type_token: str):
    found = [r for r in engine.registrations if r.type == type_token]
    assert len(found) == 1, [r.type for r in engine.registrations]
    return found[0]


def assert_chain(engine: PluginEngine, hosted: str, python_token: str, name: str) -> None:
    """Hosted component (parent: the stack) -> the Python component (same name) -> resources."""
    parent = only(engine, f"cmek-ml:index:{hosted}")
    child = only(engine, python_token)
    assert (parent.name, child.name) == (name, name)
    assert child.parent == parent.urn
    assert parent.parent.endswith("::pulumi:pulumi:Stack::consumer-dev")
    assert {r.parent for r in engine.registrations if r.custom} <= {child.urn}


def test_gcp_key_ring(plugin: PluginProcess, engine: PluginEngine):
    state = plugin.construct(engine, "cmek-ml:index:GcpKeyRing", "ring", {
        "project": KMS_PROJECT, "location": "europe-west4", "name": "ml", "keys": ["storage", "training"],
        "rotationPeriod": "7776000s", "protectionLevel": "HSM",
    })
    assert_chain(engine, "GcpKeyRing", "cmek-ml:gcp:KeyRing", "ring")
    ring = only(engine, "gcp:kms/keyRing:KeyRing")
    keys = [r for r in engine.registrations if r.type == "gcp:kms/cryptoKey:CryptoKey"]
    assert ring.protect and ring.inputs["location"] == "europe-west4"
    assert sorted(k.name for k in keys) == ["ring-storage", "ring-training"]
    for key in keys:
        assert key.protect and key.inputs["deletionPolicy"] == "PREVENT"
        assert key.inputs["rotationPeriod"] == "7776000s"
        assert key.inputs["destroyScheduledDuration"] == "2592000s"  # the Python default
        assert key.inputs["versionTemplate"]["protectionLevel"] == "HSM"
    assert state["keyIds"]["storage"] == f"projects/{KMS_PROJECT}/locations/europe-west4/keyRings/ml/cryptoKeys/storage"


def test_gcp_cmek_bucket(plugin: PluginProcess, engine: PluginEngine):
    state = plugin.construct(engine, "cmek-ml:index:GcpCmekBucket", "data", {
        "project": "acme-ml-dev", "name": "acme-ml-dev-data", "location": "europe-west4", "kmsKeyName": KEY_ID,
    })
    assert_chain(engine, "GcpCmekBucket", "cmek-ml:gcp:CmekBucket", "data")
    bucket = only(engine, "gcp:storage/bucket:Bucket")
    assert bucket.inputs["encryption"] == {"defaultKmsKeyName": KEY_ID}
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["publicAccessPrevention"] == "enforced"
    assert bucket.inputs["versioning"] == {"enabled": True}
    assert state["bucketName"] == "acme-ml-dev-data" and state["url"] == "gs://acme-ml-dev-data"


def test_gcp_cmek_repository(plugin: PluginProcess, engine: PluginEngine):
    state = plugin.construct(engine, "cmek-ml:index:GcpCmekRepository", "images", {
        "project": "acme-ml-dev", "repositoryId": "ml-images", "location": "europe-west4", "kmsKeyName": KEY_ID,
    })
    assert_chain(engine, "GcpCmekRepository", "cmek-ml:gcp:CmekRepository", "images")
    repository = only(engine, "gcp:artifactregistry/repository:Repository")
    assert repository.inputs["kmsKeyName"] == KEY_ID and repository.inputs["format"] == "DOCKER"
    assert repository.replace_on_changes == ["kmsKeyName"]
    assert state["url"] == "europe-west4-docker.pkg.dev/acme-ml-dev/ml-images"


def test_aws_kms_key(plugin: PluginProcess, engine: PluginEngine):
    admin, user = "arn:aws:iam::111122223333:role/kms-admin", "arn:aws:iam::111122223333:role/sagemaker"
    state = plugin.construct(engine, "cmek-ml:index:AwsKmsKey", "data", {
        "alias": "alias/acme-data", "description": "data key", "rotationPeriodDays": 365,
        "policy": {"accountRootArn": "arn:aws:iam::111122223333:root", "administratorArns": [admin], "userArns": [user]},
    })
    assert_chain(engine, "AwsKmsKey", "cmek-ml:aws:KmsKey", "data")
    key = only(engine, "aws:kms/key:Key")
    assert key.protect and key.inputs["enableKeyRotation"] is True
    # Numbers cross gRPC as floats; the key gets the whole number the program wrote.
    assert key.inputs["rotationPeriodInDays"] == 365 and key.inputs["deletionWindowInDays"] == 30
    statements = {s["Sid"]: s for s in json.loads(only(engine, "aws:kms/keyPolicy:KeyPolicy").inputs["policy"])["Statement"]}
    assert statements["KeyAdministratorsMayNotUseTheKey"]["Principal"] == {"AWS": [admin]}
    assert statements["KeyUsers"]["Principal"] == {"AWS": [user]}
    assert only(engine, "aws:kms/alias:Alias").inputs["name"] == "alias/acme-data"
    assert state["arn"].startswith("arn:aws:kms:") and state["aliasName"] == "alias/acme-data"


def test_aws_kms_bucket(plugin: PluginProcess, engine: PluginEngine):
    state = plugin.construct(engine, "cmek-ml:index:AwsKmsBucket", "data", {"bucket": "acme-ml-data", "kmsKeyArn": KEY_ARN})
    assert_chain(engine, "AwsKmsBucket", "cmek-ml:aws:KmsBucket", "data")
    assert only(engine, "aws:s3/bucket:Bucket").inputs["forceDestroy"] is False
    rule = only(engine, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    assert only(engine, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs["restrictPublicBuckets"] is True
    assert state["bucketName"] == "acme-ml-data"


def test_aws_kms_repository(plugin: PluginProcess, engine: PluginEngine):
    state = plugin.construct(engine, "cmek-ml:index:AwsKmsRepository", "images", {"name": "ml/images", "kmsKeyArn": KEY_ARN})
    assert_chain(engine, "AwsKmsRepository", "cmek-ml:aws:KmsRepository", "images")
    repository = only(engine, "aws:ecr/repository:Repository")
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY_ARN}]
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert state["url"]


def test_azure_key_vault(plugin: PluginProcess, engine: PluginEngine):
    state = plugin.construct(engine, "cmek-ml:index:AzureKeyVault", "vault", {
        "resourceGroupName": "acme-ml", "name": "acme-ml-kv", "location": "westeurope",
        "tenantId": "22222222-2222-4222-8222-222222222222", "keyName": "cmek", "keySize": 4096,
    })
    assert_chain(engine, "AzureKeyVault", "cmek-ml:azure:KeyVault", "vault")
    vault = only(engine, "azure-native:keyvault:Vault")
    key = only(engine, "azure-native:keyvault:Key")
    assert vault.protect and key.protect
    assert vault.inputs["properties"]["enablePurgeProtection"] is True
    assert key.inputs["properties"]["keySize"] == 4096 and key.inputs["properties"]["kty"] == "RSA"
    assert state["keyUri"] and state["vaultUri"]


def test_azure_cmk_storage_account(plugin: PluginProcess, engine: PluginEngine):
    plugin.construct(engine, "cmek-ml:index:AzureCmkStorageAccount", "data", {
        "resourceGroupName": "acme-ml", "name": "acmemldata", "location": "westeurope", "identityId": IDENTITY_ID,
        "vaultUri": "https://acme-ml-kv.vault.azure.net/", "keyName": "cmek",
    })
    assert_chain(engine, "AzureCmkStorageAccount", "cmek-ml:azure:CmkStorageAccount", "data")
    account = only(engine, "azure-native:storage:StorageAccount")
    assert account.protect
    assert account.inputs["encryption"]["keySource"] == "Microsoft.Keyvault"
    assert account.inputs["encryption"]["requireInfrastructureEncryption"] is True


def test_azure_cmk_registry(plugin: PluginProcess, engine: PluginEngine):
    plugin.construct(engine, "cmek-ml:index:AzureCmkRegistry", "images", {
        "resourceGroupName": "acme-ml", "name": "acmemlimages", "location": "westeurope", "identityId": IDENTITY_ID,
        "identityClientId": "33333333-3333-4333-8333-333333333333", "keyUri": "https://acme-ml-kv.vault.azure.net/keys/cmek",
    })
    assert_chain(engine, "AzureCmkRegistry", "cmek-ml:azure:CmkRegistry", "images")
    registry = only(engine, "azure-native:containerregistry:Registry")
    assert registry.protect and registry.inputs["sku"] == {"name": "Premium"}
    assert registry.inputs["encryption"]["status"] == "enabled"


@pytest.mark.parametrize("token, inputs, expected", [
    ("GcpKeyRing", {"project": KMS_PROJECT, "location": "moon", "name": "ml", "keys": ["storage"],
                    "rotationPeriod": "90d", "protectionLevel": "hsm"},
     ["location = 'moon': must be one of", "rotationPeriod = '90d': must be a duration in seconds",
      "protectionLevel = 'hsm': must be one of SOFTWARE, HSM"]),
    ("AwsKmsKey", {"alias": "alias/aws/ebs", "description": "d", "rotationPeriodDays": 30,
                   "policy": {"accountRootArn": "arn:aws:iam::111122223333:root",
                              "administratorArns": ["arn:aws:iam::111122223333:role/r"],
                              "userArns": ["arn:aws:iam::111122223333:role/r"]}},
     ["alias = 'alias/aws/ebs'", "rotationPeriodDays = 30: must be a whole number from 90 to 2560",
      "policy.administratorArns = 'arn:aws:iam::111122223333:role/r': key administrators may not use the key"]),
    ("AzureKeyVault", {"resourceGroupName": "rg", "name": "acme-ml-kv", "location": "westeurope", "tenantId": "t",
                       "keyName": "k", "keyType": "RSA-HSM", "rotateAfterDays": 800},
     ["keyType = 'RSA-HSM': RSA-HSM keys need sku premium", "rotateAfterDays = 800: must be a whole number from 7 to 723"]),
    ("GcpLandingZone", {"mlProjectId": "X", "kmsProjectMode": "single", "services": ["storage", "tpu"]},
     ["mlProjectId = 'X': must be a project id", "services = 'tpu': unknown"]),
])
def test_invalid_inputs_fail_before_anything_is_registered(plugin, engine, token, inputs, expected):
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct(engine, f"cmek-ml:index:{token}", "bad", inputs)
    message = caught.value.details()
    assert f"invalid inputs of {token} 'bad'" in message
    for fragment in expected:
        assert fragment in message, message
    assert "Traceback" not in message and 'File "' not in message, "a user's mistake shows no traceback"
    assert engine.registrations == []


def secret(value):
    """A secret value as the engine sends it."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def test_secret_inputs_flow_where_outputs_are_accepted(plugin: PluginProcess, engine: PluginEngine):
    plugin.construct(engine, "cmek-ml:index:GcpCmekBucket", "data", {
        "project": "acme-ml-dev", "name": "acme-ml-dev-data", "location": "EU", "kmsKeyName": secret(KEY_ID),
    })
    bucket = only(engine, "gcp:storage/bucket:Bucket")
    assert rpc._special_secret_sig in str(bucket.raw_inputs), "the key stays a secret"


@pytest.mark.parametrize("token, inputs, field", [
    ("GcpKeyRing", {"project": KMS_PROJECT, "location": secret("europe-west4"), "name": "ml", "keys": ["k"],
                    "rotationPeriod": "7776000s"}, "location"),
    ("GcpLandingZone", {"mlProjectId": secret("acme-ml-dev"), "kmsProjectMode": "single"}, "mlProjectId"),
])
def test_plain_inputs_refuse_secrets(plugin, engine, token, inputs, field):
    """Checks and settings need the value itself: a secret or output where the schema says plain is
    named, not a crash."""
    with pytest.raises(grpc.RpcError) as caught:
        plugin.construct(engine, f"cmek-ml:index:{token}", "bad", inputs)
    assert f"{field} = '<output>': must be a plain value known before deployment" in caught.value.details()
    assert engine.registrations == []

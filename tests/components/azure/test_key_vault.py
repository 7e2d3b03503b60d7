"""The vault and the key: protection flags, `protect`, RSA wrap/unwrap, rotation policy."""

import pytest

VAULT = "azure-native:keyvault:Vault"
KEY = "azure-native:keyvault:Key"


@pytest.fixture(scope="module")
def prod(run_azure):
    return run_azure("prod")


@pytest.fixture(scope="module")
def dev(run_azure):
    return run_azure("dev")


def test_vault_protection_flags(dev):
    vault = dev.one(VAULT, "azure-keys-vault")
    properties = vault.inputs["properties"]
    assert properties["enableRbacAuthorization"] is True
    assert properties["enableSoftDelete"] is True
    assert properties["enablePurgeProtection"] is True
    assert properties["softDeleteRetentionInDays"] == 90
    assert properties["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Allow"}
    assert "accessPolicies" not in properties, "RBAC vaults must not mix in access policies"
    assert properties["tenantId"] == "22222222-2222-4222-8222-222222222222"
    assert vault.inputs["vaultName"] == "acme-ml-dev-kv"
    assert vault.inputs["location"] == "westeurope"


def test_vault_and_key_are_protected(dev, prod):
    for run in (dev, prod):
        for resource in run.by_type(VAULT) + run.by_type(KEY):
            assert resource.protect, f"{resource.urn} is not protected"


def test_vault_sku_follows_the_stack(dev, prod):
    assert dev.one(VAULT, "azure-keys-vault").inputs["properties"]["sku"] == {"family": "A", "name": "standard"}
    assert prod.one(VAULT, "azure-keys-vault").inputs["properties"]["sku"] == {"family": "A", "name": "premium"}


def test_retention_is_create_only(dev):
    assert dev.one(VAULT, "azure-keys-vault").replace_on_changes == ["properties.softDeleteRetentionInDays"]


def test_key_is_rsa_3072_wrapping_only(dev, prod):
    key = dev.one(KEY, "azure-keys-key")
    properties = key.inputs["properties"]
    assert properties["kty"] == "RSA" and properties["keySize"] == 3072
    assert properties["keyOps"] == ["wrapKey", "unwrapKey"]
    assert key.inputs["keyName"] == "cmek-ml"
    assert key.inputs["vaultName"] == "acme-ml-dev-kv"
    assert prod.one(KEY, "azure-keys-key").inputs["properties"]["kty"] == "RSA-HSM"


def test_key_creation_parameters_show_as_replacement(dev):
    assert sorted(dev.one(KEY, "azure-keys-key").replace_on_changes) == ["properties.keySize", "properties.kty"]


def test_key_rotation_policy(dev):
    policy = dev.one(KEY, "azure-keys-key").inputs["properties"]["rotationPolicy"]
    assert policy == {
        "attributes": {"expiryTime": "P730D"},
        "lifetimeActions": [
            {"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}},
            {"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "notify"}},
        ],
    }


def test_rotation_policy_follows_the_settings(run_azure):
    key = run_azure(
        "dev", {"azureKeyRotateAfterDays": 30, "azureKeyExpiryDays": 365, "azureKeyNotifyBeforeExpiryDays": 14, "azureKeySize": 4096}
    ).one(KEY, "azure-keys-key")
    properties = key.inputs["properties"]
    assert properties["keySize"] == 4096
    assert properties["rotationPolicy"]["attributes"] == {"expiryTime": "P365D"}
    assert [a["trigger"] for a in properties["rotationPolicy"]["lifetimeActions"]] == [
        {"timeAfterCreate": "P30D"},
        {"timeBeforeExpiry": "P14D"},
    ]


def test_key_lives_in_the_vault(dev):
    vault, key = dev.one(VAULT, "azure-keys-vault"), dev.one(KEY, "azure-keys-key")
    assert vault.urn in key.dependencies
    assert key.id == f"{vault.id}/keys/cmek-ml"

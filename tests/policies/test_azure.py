"""Azure resource policies through the analyzer protocol: each way to fail is caught (compliant cases: test_unknowns)."""

from __future__ import annotations

import copy

import pytest

from tests.policies.examples import COMPLIANT
from tests.policies.harness import messages


def _changed(policy: str, path: tuple, value):
    """The compliant example with the value at `path` replaced (None deletes it)."""
    type_, props = copy.deepcopy(COMPLIANT[policy])
    node = props
    for step in path[:-1]:
        node = node[step]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return type_, props


@pytest.mark.parametrize("path, value, expected", [
    (("encryption",), None, "encryption.keySource is not one of Microsoft.Keyvault"),
    (("encryption", "keySource"), "Microsoft.Storage", "encryption.keySource is not one of Microsoft.Keyvault"),
    (("encryption", "keyVaultProperties", "keyName"), None, "encryption.keyVaultProperties.keyName is not set"),
    (("encryption", "keyVaultProperties"), None, "encryption.keyVaultProperties.keyName is not set"),
])
def test_storage_account_not_on_customer_key(path, value, expected):
    found = messages("azure-storage-account-cmk", *_changed("azure-storage-account-cmk", path, value))
    assert found and expected in found[0]


def test_key_source_is_case_insensitive():
    assert messages("azure-storage-account-cmk", *_changed(
        "azure-storage-account-cmk", ("encryption", "keySource"), "microsoft.keyvault")) == []


@pytest.mark.parametrize("version", ["v20230101", "v20250101"])
def test_api_versioned_tokens_are_matched(version):
    type_, props = _changed("azure-storage-account-cmk", ("encryption",), None)
    assert messages("azure-storage-account-cmk", f"azure-native:storage/{version}:StorageAccount", props)


@pytest.mark.parametrize("path, value, expected", [
    (("sku", "name"), "Standard", "sku.name is not one of Premium"),
    (("encryption", "status"), "disabled", "encryption.status is not one of enabled"),
    (("encryption",), None, "encryption.status is not one of enabled"),
    (("encryption", "keyVaultProperties", "keyIdentifier"), None, "keyIdentifier is not set"),
])
def test_registry_not_premium_or_not_on_customer_key(path, value, expected):
    found = messages("azure-containerregistry-registry-cmk", *_changed("azure-containerregistry-registry-cmk", path, value))
    assert len(found) == 1 and expected in found[0]


@pytest.mark.parametrize("path, value, expected", [
    (("encryption",), None, "encryption.status is not one of Enabled"),
    (("encryption", "status"), "Disabled", "encryption.status is not one of Enabled"),
    (("encryption", "keyVaultProperties", "keyVaultArmId"), None, "keyVaultArmId is not set"),
])
def test_ml_workspace_not_on_customer_key(path, value, expected):
    found = messages("azure-machinelearningservices-workspace-cmk",
                     *_changed("azure-machinelearningservices-workspace-cmk", path, value))
    assert len(found) == 1 and expected in found[0]


def test_foundry_project_workspaces_inherit_their_hub():
    type_, props = _changed("azure-machinelearningservices-workspace-cmk", ("encryption",), None)
    assert messages("azure-machinelearningservices-workspace-cmk", type_, {**props, "kind": "Project"}) == []
    assert messages("azure-machinelearningservices-workspace-cmk", type_, {**props, "kind": "Hub"})


def test_cosmos_without_key_fails():
    assert messages("azure-cosmosdb-account-cmk", *_changed("azure-cosmosdb-account-cmk", ("keyVaultKeyUri",), None)) == [
        "keyVaultKeyUri is not set: the data is under a Microsoft-managed key."]


@pytest.mark.parametrize("changes, count", [
    ({"enablePurgeProtection": None}, 1),
    ({"enablePurgeProtection": False}, 1),
    ({"enableSoftDelete": False}, 1),
    ({"enableSoftDelete": False, "enablePurgeProtection": False}, 2),
])
def test_vault_without_purge_protection_or_soft_delete(changes, count):
    type_, props = copy.deepcopy(COMPLIANT["azure-keyvault-vault-purge-protection"])
    for key, value in changes.items():
        if value is None:
            del props["properties"][key]
        else:
            props["properties"][key] = value
    assert len(messages("azure-keyvault-vault-purge-protection", type_, props)) == count


def test_soft_delete_defaults_on():
    type_, props = _changed("azure-keyvault-vault-purge-protection", ("properties", "enableSoftDelete"), None)
    assert messages("azure-keyvault-vault-purge-protection", type_, props) == []


@pytest.mark.parametrize("encryption, expected", [
    (None, "encryption.diskEncryptionSetId is not set"),
    ({"type": "EncryptionAtRestWithPlatformKey"}, "encryption.type is one of EncryptionAtRestWithPlatformKey"),
    ({"type": "EncryptionAtRestWithCustomerKey"}, "encryption.diskEncryptionSetId is not set"),
])
def test_disk_without_encryption_set(encryption, expected):
    found = messages("azure-compute-disk-cmk", *_changed("azure-compute-disk-cmk", ("encryption",), encryption))
    assert len(found) == 1 and expected in found[0]

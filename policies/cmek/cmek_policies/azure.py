"""Azure resource policies: ML data under a customer-managed key in Key Vault, and vaults that cannot lose it.

Types match azure-native's API-versioned tokens too (`azure-native:storage/v20230101:StorageAccount`).
"""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import Severity

from .props import UNKNOWN, known, lookup, present
from .rules import Control, Options, resource_policy

_AZURE_POLICY = "Azure Policy built-in definition"
_AZURE_POLICY_VERSION = "Azure/azure-policy"


def _builtin(guid: str, title: str) -> Control:
    return Control(_AZURE_POLICY, _AZURE_POLICY_VERSION, guid, title)


def _equals(value: Any, expected: str) -> bool:
    """Azure enums are case-insensitive (the registry wants "enabled", ML wants "Enabled")."""
    return isinstance(value, str) and value.lower() == expected.lower()


def _missing(props: Any, *paths: tuple[str, ...]) -> Iterator[str]:
    for path in paths:
        if not present(lookup(props, *path)):
            yield f"{'.'.join(path)} is not set."


def _storage_account(props: Any, _options: Options) -> Iterator[str]:
    source = lookup(props, "encryption", "keySource")
    if source is UNKNOWN:
        return
    if not _equals(source, "Microsoft.Keyvault"):
        yield f"encryption.keySource is {source or 'not set (Microsoft.Storage)'}: data is under Microsoft-managed keys."
        return
    yield from _missing(props, ("encryption", "keyVaultProperties", "keyName"),
                        ("encryption", "keyVaultProperties", "keyVaultUri"))


storage_account_cmk = resource_policy(
    "azure-storage-account-cmk",
    description="Storage accounts must encrypt with a customer-managed key in Key Vault (keySource Microsoft.Keyvault).",
    resource_types=["azure-native:storage:StorageAccount"],
    check=_storage_account,
    severity=Severity.HIGH,
    remediation=("Set `encryption.key_source=\"Microsoft.Keyvault\"` with `key_vault_properties` (key_name, "
                 "key_vault_uri; omit key_version to follow rotation) and `encryption_identity` set to a "
                 "user-assigned identity holding Key Vault Crypto Service Encryption User on the key."),
    control=_builtin("6fac406b-40ca-413b-bf8e-0bf964659c25", "Storage accounts should use customer-managed key for encryption"),
)


def _registry(props: Any, _options: Options) -> Iterator[str]:
    sku = lookup(props, "sku", "name")
    if sku is not UNKNOWN and not _equals(sku, "Premium"):
        yield f"sku.name is {sku or 'not set'}: customer-managed keys need the Premium tier."
    status = lookup(props, "encryption", "status")
    if status is UNKNOWN:
        return
    if not _equals(status, "enabled"):
        yield f"encryption.status is {status or 'not set'}: images are under Microsoft-managed keys."
        return
    yield from _missing(props, ("encryption", "keyVaultProperties", "keyIdentifier"),
                        ("encryption", "keyVaultProperties", "identity"))


container_registry_cmk = resource_policy(
    "azure-containerregistry-registry-cmk",
    description="Container registries must be Premium and encrypted with a customer-managed key.",
    resource_types=["azure-native:containerregistry:Registry"],
    check=_registry,
    severity=Severity.HIGH,
    remediation=("Create the registry with `sku={\"name\": \"Premium\"}` and `encryption={\"status\": \"enabled\", "
                 "\"key_vault_properties\": {\"identity\": <UAI client id>, \"key_identifier\": <key URI>}}` "
                 "(only possible at creation)."),
    control=_builtin("5b9159ae-1701-4a6f-9a7a-aa9c8ddd0580", "Container registries should be encrypted with a customer-managed key"),
)


def _ml_workspace(props: Any, _options: Options) -> Iterator[str]:
    if _equals(lookup(props, "kind"), "Project"):
        return  # AI Foundry projects inherit their hub's encryption (the built-in excludes them too)
    status = lookup(props, "encryption", "status")
    if status is UNKNOWN:
        return
    if not _equals(status, "Enabled"):
        yield (f"encryption.status is {status or 'not set'}: workspace metadata, the hidden Cosmos DB, "
               "search and storage stay on Microsoft-managed keys (seed 002).")
        return
    yield from _missing(props, ("encryption", "keyVaultProperties", "keyVaultArmId"),
                        ("encryption", "keyVaultProperties", "keyIdentifier"))


ml_workspace_cmk = resource_policy(
    "azure-machinelearningservices-workspace-cmk",
    description="Azure Machine Learning workspaces must be encrypted with a customer-managed key.",
    resource_types=["azure-native:machinelearningservices:Workspace"],
    check=_ml_workspace,
    severity=Severity.HIGH,
    remediation=("Set `encryption={\"status\": \"Enabled\", \"key_vault_properties\": {\"key_vault_arm_id\", "
                 "\"key_identifier\": <versioned key URI>}, \"identity\": {\"user_assigned_identity\"}}` at "
                 "creation; the vault needs soft delete and purge protection."),
    control=_builtin("ba769a63-b8cc-4b2d-abf6-ac33c7204be8",
                     "Azure Machine Learning workspaces should be encrypted with a customer-managed key"),
)


def _cosmos(props: Any, _options: Options) -> Iterator[str]:
    yield from _missing(props, ("keyVaultKeyUri",))


cosmosdb_account_cmk = resource_policy(
    "azure-cosmosdb-account-cmk",
    description="Cosmos DB accounts must be encrypted with a customer-managed key (keyVaultKeyUri).",
    resource_types=["azure-native:cosmosdb:DatabaseAccount"],
    check=_cosmos,
    severity=Severity.HIGH,
    remediation=("Set `key_vault_key_uri` (versionless) and `default_identity` to an identity with access to the key."),
    control=_builtin("1f905d99-2ab7-462c-a6b0-f709acca6c8f",
                     "Azure Cosmos DB accounts should use customer-managed keys to encrypt data at rest"),
)


def _vault(props: Any, _options: Options) -> Iterator[str]:
    purge = lookup(props, "properties", "enablePurgeProtection")
    if purge is not True and purge is not UNKNOWN:
        yield "properties.enablePurgeProtection is not true: a deleted vault or key could be purged, and the data with it."
    if lookup(props, "properties", "enableSoftDelete") is False:
        yield "properties.enableSoftDelete is false: a deleted key is gone at once."


keyvault_vault_recoverable = resource_policy(
    "azure-keyvault-vault-purge-protection",
    description="Key vaults must have soft delete and purge protection, so keys protecting data cannot be lost.",
    resource_types=["azure-native:keyvault:Vault"],
    check=_vault,
    severity=Severity.HIGH,
    remediation=("Set `properties.enable_purge_protection=True` and leave `enable_soft_delete` on (it is the "
                 "default); purge protection cannot be turned off once on."),
    control=_builtin("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53", "Key vaults should have deletion protection enabled"),
)

_PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"


def _disk(props: Any, _options: Options) -> Iterator[str]:
    encryption_type = lookup(props, "encryption", "type")
    if known(encryption_type) and _equals(encryption_type, _PLATFORM_KEY):
        yield f"encryption.type is {encryption_type}: the disk is under a Microsoft-managed key."
    elif encryption_type is not UNKNOWN:
        yield from _missing(props, ("encryption", "diskEncryptionSetId"))


compute_disk_cmk = resource_policy(
    "azure-compute-disk-cmk",
    description="Managed disks must be encrypted through a disk encryption set with a customer-managed key.",
    resource_types=["azure-native:compute:Disk"],
    check=_disk,
    severity=Severity.MEDIUM,
    remediation=("Set `encryption={\"disk_encryption_set_id\": <DES id>, \"type\": "
                 "\"EncryptionAtRestWithCustomerKey\"}`; the DiskEncryptionSet's `active_key.key_url` is versioned."),
    control=_builtin("702dd420-7fcc-42c5-afe8-4026edd20fe0",
                     "OS and data disks should be encrypted with a customer-managed key"),
)

POLICIES = [
    storage_account_cmk,
    container_registry_cmk,
    ml_workspace_cmk,
    cosmosdb_account_cmk,
    keyvault_vault_recoverable,
    compute_disk_cmk,
]

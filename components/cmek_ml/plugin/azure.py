"""Azure building blocks, as the plugin serves them: Key Vault and key, CMK storage, CMK registry.

Each checks its inputs (with the rules the settings reader applies to the same values), then builds
the Python component as its only child, named like itself.
"""

# No `from __future__ import annotations`: Pulumi's schema inference needs real annotations.
from typing import Optional, TypedDict

import pulumi
from typing_extensions import NotRequired

from cmek_ml.azure.key_vault import KeyVault, KeyVaultArgs
from cmek_ml.azure.locations import LOCATIONS
from cmek_ml.azure.registry import CmkRegistry, CmkRegistryArgs
from cmek_ml.azure.settings import (
    KEY_SIZES,
    KEY_TYPES,
    MAX_DAYS,
    MIN_EXPIRY_DAYS,
    MIN_ROTATION_GAP_DAYS,
    REGISTRY_NAME,
    REGISTRY_NAME_RULE,
    STORAGE_ACCOUNT_NAME,
    STORAGE_ACCOUNT_NAME_RULE,
    STORAGE_SKUS,
    VAULT_NAME,
    VAULT_NAME_RULE,
    VAULT_SKUS,
)
from cmek_ml.azure.storage import CmkStorageAccount, CmkStorageAccountArgs
from cmek_ml.plugin.inputs import HostedComponent, InputChecks, whole


class AzureKeyVaultArgs(TypedDict):
    """A Key Vault and the rotating key that encrypts the platform's data."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the vault."""
    name: str
    """Globally unique vault name; reserved while a deleted vault is soft-deleted."""
    location: str
    """Region of the vault."""
    tenant_id: pulumi.Input[str]
    """Entra tenant that authorizes requests to the vault."""
    key_name: str
    """Name of the key in the vault."""
    sku: NotRequired[str]
    """standard (default) or premium (needed for RSA-HSM keys)."""
    retention_days: NotRequired[int]
    """Soft-delete retention, 7-90 days (default 90). Create-only: a change is a replacement."""
    key_type: NotRequired[str]
    """RSA (default) or RSA-HSM."""
    key_size: NotRequired[int]
    """RSA modulus: 2048, 3072 (default) or 4096 bits."""
    rotate_after_days: NotRequired[int]
    """Rotation policy: a new version this many days after the current one was created (default 90)."""
    expiry_days: NotRequired[int]
    """Rotation policy: lifetime of each new version (default 730)."""
    notify_before_expiry_days: NotRequired[int]
    """Rotation policy: near-expiry notification this many days before a version expires (default 30)."""
    tags: NotRequired[dict[str, str]]
    """Tags of the vault and the key."""


class AzureKeyVault(HostedComponent):
    """A vault with RBAC authorization, soft delete and purge protection, and a rotating key; both
    `protect`ed. Its child is `cmek-ml:azure:KeyVault`."""

    vault_id: pulumi.Output[str]
    """ARM id of the vault: the scope of key administrators' grants."""
    vault_uri: pulumi.Output[str]
    """`https://<vault>.vault.azure.net/`."""
    key_id: pulumi.Output[str]
    """ARM id of the key: the scope of key users' grants."""
    key_uri: pulumi.Output[str]
    """Versionless key URI: services given this follow rotation."""
    key_uri_with_version: pulumi.Output[str]
    """The current version's URI, for services that require one (Azure ML workspace)."""

    def __init__(self, name: str, args: AzureKeyVaultArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, AzureKeyVaultArgs)
        vault = KeyVaultArgs(**{key: whole(value) for key, value in args.items()})
        checks.matching("name", vault.name, VAULT_NAME, VAULT_NAME_RULE)
        checks.one_of("location", vault.location, sorted(LOCATIONS))
        checks.one_of("sku", vault.sku, VAULT_SKUS)
        checks.within("retentionDays", vault.retention_days, 7, 90)
        checks.one_of("keyType", vault.key_type, KEY_TYPES)
        if vault.key_type == "RSA-HSM" and vault.sku != "premium":
            checks.problem("keyType", vault.key_type, "RSA-HSM keys need sku premium")
        checks.one_of("keySize", str(vault.key_size), KEY_SIZES)
        latest_event = MAX_DAYS if not isinstance(vault.expiry_days, int) else vault.expiry_days - MIN_ROTATION_GAP_DAYS
        checks.within("expiryDays", vault.expiry_days, MIN_EXPIRY_DAYS, MAX_DAYS)
        checks.within("rotateAfterDays", vault.rotate_after_days, MIN_ROTATION_GAP_DAYS, latest_event)
        checks.within("notifyBeforeExpiryDays", vault.notify_before_expiry_days, MIN_ROTATION_GAP_DAYS, latest_event)
        checks.raise_if_invalid()
        super().__init__(name, opts)
        key_vault = KeyVault(name, vault, pulumi.ResourceOptions(parent=self))
        self.vault_id = key_vault.vault.id
        self.vault_uri = key_vault.vault_uri
        self.key_id = key_vault.key.id
        self.key_uri = key_vault.key_uri
        self.key_uri_with_version = key_vault.key_uri_with_version
        self.register_outputs(
            {
                "vaultId": self.vault_id,
                "vaultUri": self.vault_uri,
                "keyId": self.key_id,
                "keyUri": self.key_uri,
                "keyUriWithVersion": self.key_uri_with_version,
            }
        )


class AzureCmkStorageAccountArgs(TypedDict):
    """A storage account encrypted with the customer's key through a user-assigned identity."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the account."""
    name: str
    """Globally unique account name, 3-24 lowercase letters or digits."""
    location: str
    """Region of the account."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity that holds the key grant."""
    vault_uri: pulumi.Input[str]
    """`https://<vault>.vault.azure.net/`."""
    key_name: pulumi.Input[str]
    """Key name; no version is given, so the account follows rotation."""
    sku: NotRequired[str]
    """Replication SKU (default Standard_LRS)."""
    infrastructure_encryption: NotRequired[bool]
    """Second, infrastructure-level encryption layer (default true). Create-only."""
    tags: NotRequired[dict[str, str]]
    """Tags of the account."""


class AzureCmkStorageAccount(HostedComponent):
    """StorageV2 with account-scoped CMK on blobs and files, HTTPS and TLS 1.2 only, no public blobs,
    `protect`ed. Its child is `cmek-ml:azure:CmkStorageAccount`."""

    account_id: pulumi.Output[str]
    """ARM id of the account."""
    account_name: pulumi.Output[str]
    """The account's name."""

    def __init__(self, name: str, args: AzureCmkStorageAccountArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, AzureCmkStorageAccountArgs)
        checks.matching("name", args["name"], STORAGE_ACCOUNT_NAME, STORAGE_ACCOUNT_NAME_RULE)
        checks.one_of("location", args["location"], sorted(LOCATIONS))
        checks.one_of("sku", args.get("sku", "Standard_LRS"), STORAGE_SKUS)
        checks.raise_if_invalid()
        super().__init__(name, opts)
        account = CmkStorageAccount(name, CmkStorageAccountArgs(**args), pulumi.ResourceOptions(parent=self))
        self.account_id = account.account.id
        self.account_name = account.account.name
        self.register_outputs({"accountId": self.account_id, "accountName": self.account_name})


class AzureCmkRegistryArgs(TypedDict):
    """A Premium container registry encrypted with the customer's key."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the registry."""
    name: str
    """Globally unique registry name, 5-50 letters or digits."""
    location: str
    """Region of the registry."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity that holds the key grant."""
    identity_client_id: pulumi.Input[str]
    """Client (application) id of that identity: the form the registry's encryption takes."""
    key_uri: pulumi.Input[str]
    """Versionless key URI, so the registry follows rotation."""
    admin_user_enabled: NotRequired[bool]
    """Admin account (default true: Azure ML's data-encryption doc says the workspace requires it)."""
    tags: NotRequired[dict[str, str]]
    """Tags of the registry."""


class AzureCmkRegistry(HostedComponent):
    """Premium (the only SKU that takes a CMK), encryption enabled at creation, `protect`ed. Its
    child is `cmek-ml:azure:CmkRegistry`."""

    registry_id: pulumi.Output[str]
    """ARM id of the registry."""
    login_server: pulumi.Output[str]
    """`<name>.azurecr.io`."""

    def __init__(self, name: str, args: AzureCmkRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        checks = InputChecks(type(self).__name__, name, args, AzureCmkRegistryArgs)
        checks.matching("name", args["name"], REGISTRY_NAME, REGISTRY_NAME_RULE)
        checks.one_of("location", args["location"], sorted(LOCATIONS))
        checks.raise_if_invalid()
        super().__init__(name, opts)
        registry = CmkRegistry(name, CmkRegistryArgs(**args), pulumi.ResourceOptions(parent=self))
        self.registry_id = registry.registry.id
        self.login_server = registry.registry.login_server
        self.register_outputs({"registryId": self.registry_id, "loginServer": self.login_server})

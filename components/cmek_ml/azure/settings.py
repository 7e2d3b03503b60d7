"""The Azure landing zone's settings: read from the stack, validated before anything is built."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import pulumi

from cmek_ml.azure.locations import LOCATIONS
from cmek_ml.settings import SettingsReader

GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
GUID_RULE = "must be a GUID such as 00000000-0000-0000-0000-000000000000"
# 3-24 letters, digits and dashes; a letter first; no `--`; no dash last (Key Vault naming rules).
VAULT_NAME = r"[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]"
VAULT_NAME_RULE = (
    "must be 3-24 letters, digits or dashes, starting with a letter, ending with a letter or digit, "
    "without consecutive dashes (vault names are global and stay reserved while soft-deleted)"
)
STORAGE_ACCOUNT_NAME = r"[a-z0-9]{3,24}"
STORAGE_ACCOUNT_NAME_RULE = "must be 3-24 lowercase letters or digits (globally unique)"
REGISTRY_NAME = r"[a-zA-Z0-9]{5,50}"
REGISTRY_NAME_RULE = "must be 5-50 letters or digits (globally unique)"
RESOURCE_GROUP_MODES = ("create", "adopt")
VAULT_SKUS = ("standard", "premium")
KEY_TYPES = ("RSA", "RSA-HSM")
KEY_SIZES = ("2048", "3072", "4096")
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal")
STORAGE_SKUS = ("Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS")
REGISTRY_SKUS = ("Basic", "Standard", "Premium")
# Key Vault rotation policy limits: versions expire no sooner than 28 days after creation;
# rotation and notification come at least 7 days after creation and 7 days before expiry.
MIN_EXPIRY_DAYS = 28
MIN_ROTATION_GAP_DAYS = 7
MAX_DAYS = 3650
MAX_PROPAGATION_SECONDS = 600
COSMOS_DB_APP_ID = "a232010e-820c-4083-83bb-3ace5fc29d0b"


@dataclass(frozen=True)
class AzureSettings:
    subscription_id: str
    """Subscription of every resource; empty means the azure-native provider's (getClientConfig)."""
    tenant_id: str
    """Entra tenant of the vault; empty means the provider's."""
    location: str
    """Region of every resource."""
    resource_group_mode: str
    """create (a protected group) or adopt (an existing group, looked up, never managed)."""
    resource_group_name: str
    """Resource group of every resource."""
    identity_name: str
    """User-assigned identity that storage, registry and workspace use to reach the key."""
    key_vault_name: str
    """Globally unique; reserved for the retention period after deletion."""
    key_vault_sku: str
    """standard or premium (premium is needed for RSA-HSM keys)."""
    key_vault_retention_days: int
    """Soft-delete retention, 7-90 days. Create-only."""
    key_name: str
    """Name of the key in the vault."""
    key_type: str
    """RSA or RSA-HSM."""
    key_size: int
    """2048, 3072 or 4096 bits."""
    key_rotate_after_days: int
    """A new key version this many days after the current one was created."""
    key_expiry_days: int
    """Lifetime of each version the rotation policy creates."""
    key_notify_before_expiry_days: int
    """Event Grid `near expiry` notice this many days before a version expires."""
    key_rotation_policy_script: bool
    """Apply later rotation-policy changes through Key Vault's data plane (ARM applies them only at creation)."""
    key_admins: dict[str, str]
    """Object id -> principal type of those who administer keys (a custom key-administrator role on the vault: manage keys, never use them)."""
    cosmos_db_principal_id: str
    """Object id of the Azure Cosmos DB first-party service principal in this tenant."""
    rbac_propagation_seconds: int
    """Wait between the key users' grants and the first use of the key; 0 for none."""
    storage_account_name: str
    """Globally unique storage account name."""
    storage_sku: str
    """Replication SKU of the storage account."""
    storage_infrastructure_encryption: bool
    """Double encryption at the infrastructure layer. Create-only."""
    registry_name: str
    """Globally unique container registry name."""
    registry_sku: str
    """Premium: the only SKU that takes a customer-managed key (others are rejected)."""
    registry_admin_user: bool
    """Admin account of the registry (Azure ML requires it, per its data-encryption doc)."""
    workspace_name: str
    """Azure ML workspace; empty for none."""
    workspace_secrets_vault_name: str
    """The workspace's own vault for secrets (not the key's vault); required with a workspace."""
    hbi_workspace: bool
    """High business impact: encrypted local disks, less diagnostic data. Create-only."""
    tags: dict[str, str]
    """Tags of every Azure resource that takes tags."""

    @property
    def creates_workspace(self) -> bool:
        return bool(self.workspace_name)

    @property
    def resource_providers(self) -> list[str]:
        """Resource providers the subscription must have registered before `up`.

        The stack cannot register them: azure-native v3 has no resource for a subscription's
        provider registration (`providerhub.ProviderRegistration` publishes a provider). The
        CMK workspace creates Cosmos DB and AI Search in a Microsoft-managed resource group of
        this subscription (Azure ML, "Use customer-managed keys": MachineLearningServices,
        Storage, KeyVault, DocumentDB, Search); a deployment script runs in a container
        instance with a storage account of its own (ARM, "Use deployment scripts").
        """
        providers = {"Microsoft.KeyVault", "Microsoft.ManagedIdentity", "Microsoft.Storage", "Microsoft.ContainerRegistry"}
        if self.key_rotation_policy_script:
            providers |= {"Microsoft.ContainerInstance"}
        if self.creates_workspace:
            providers |= {
                "Microsoft.MachineLearningServices", "Microsoft.DocumentDB", "Microsoft.Search",
                "Microsoft.OperationalInsights", "Microsoft.Insights",
            }
        return sorted(providers)


def read_azure_settings(reader: SettingsReader) -> AzureSettings:
    provider = pulumi.Config("azure-native")
    subscription = _guid_matching_provider(reader, "azureSubscriptionId", provider.get("subscriptionId"), "subscriptionId")
    tenant = _guid_matching_provider(reader, "azureTenantId", provider.get("tenantId"), "tenantId")

    location = reader.string("azureLocation")
    provider_location = provider.get("location")
    if location not in LOCATIONS:
        reader.problem("azureLocation", location, "unknown Azure region; use one of " + ", ".join(sorted(LOCATIONS)))
    elif provider_location and provider_location.replace(" ", "").lower() != location:
        reader.problem("azureLocation", location, f"must equal the provider's azure-native:location ({provider_location})")

    mode = reader.choice("azureResourceGroupMode", RESOURCE_GROUP_MODES)
    resource_group = reader.matching(
        "azureResourceGroupName",
        r"[-\w.()]{0,89}[-\w()]",
        "must be 1-90 letters, digits, _ - . ( ), not ending with a period",
    )
    identity = reader.matching(
        "azureIdentityName", r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}", "must be 3-128 letters, digits, _ or -, starting with a letter or digit"
    )
    vault = reader.matching("azureKeyVaultName", VAULT_NAME, VAULT_NAME_RULE)
    vault_sku = reader.choice("azureKeyVaultSku", VAULT_SKUS)
    retention = reader.integer("azureKeyVaultRetentionDays", 7, 90)

    key_name = reader.matching("azureKeyName", r"[a-zA-Z0-9-]{1,127}", "must be 1-127 letters, digits or dashes")
    key_type = reader.choice("azureKeyType", KEY_TYPES)
    if key_type == "RSA-HSM" and vault_sku != "premium":
        reader.problem("azureKeyType", key_type, "RSA-HSM keys need azureKeyVaultSku=premium; use RSA on a standard vault")
    key_size_text = reader.string("azureKeySize")
    if key_size_text not in KEY_SIZES:
        reader.problem(
            "azureKeySize", key_size_text, "must be 2048, 3072 or 4096 bits; Key Vault and the CMK services reject smaller RSA keys"
        )
    rotate_after, expiry, notify = _rotation_policy(reader)
    rotation_policy_script = reader.boolean("azureKeyRotationPolicyScript")

    cosmos = reader.matching("azureCosmosDbPrincipalId", GUID, GUID_RULE, optional=True)
    key_admins = reader.pairs(
        "azureKeyAdmins",
        check_key=lambda object_id: None if re.fullmatch(GUID, object_id) else "the object id " + GUID_RULE,
        check_value=lambda kind: None if kind in PRINCIPAL_TYPES else "type must be one of " + ", ".join(PRINCIPAL_TYPES),
    )
    if cosmos and cosmos.lower() in (admin.lower() for admin in key_admins):
        reader.problem("azureKeyAdmins", cosmos, "key admins must be separate from key users such as the Cosmos DB principal")

    propagation = reader.integer("azureRbacPropagationSeconds", 0, MAX_PROPAGATION_SECONDS)

    storage = reader.matching("azureStorageAccountName", STORAGE_ACCOUNT_NAME, STORAGE_ACCOUNT_NAME_RULE)
    storage_sku = reader.choice("azureStorageSku", STORAGE_SKUS)
    infrastructure_encryption = reader.boolean("azureStorageInfrastructureEncryption")

    registry = reader.matching("azureContainerRegistryName", REGISTRY_NAME, REGISTRY_NAME_RULE)
    registry_sku = reader.choice("azureContainerRegistrySku", REGISTRY_SKUS)
    if registry_sku in ("Basic", "Standard"):
        reader.problem(
            "azureContainerRegistrySku", registry_sku, "customer-managed keys need the Premium SKU; Basic and Standard cannot use one"
        )
    admin_user = reader.boolean("azureContainerRegistryAdminUser")

    workspace = reader.matching(
        "azureMlWorkspaceName", r"[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}", "must be 3-33 letters, digits, _ or -, starting with a letter or digit", optional=True
    )
    if workspace and not cosmos:
        reader.problem(
            "azureCosmosDbPrincipalId",
            cosmos,
            "is required with azureMlWorkspaceName: the object id of the Azure Cosmos DB service principal in your tenant "
            f"(az ad sp show --id {COSMOS_DB_APP_ID} --query id -o tsv); the workspace's managed Cosmos DB needs the key",
        )
    secrets_vault = reader.matching("azureMlSecretsVaultName", VAULT_NAME, VAULT_NAME_RULE, optional=True)
    if workspace and not secrets_vault:
        reader.problem(
            "azureMlSecretsVaultName",
            secrets_vault,
            "is required with azureMlWorkspaceName: the workspace's own vault for secrets; " + VAULT_NAME_RULE,
        )
    elif secrets_vault and secrets_vault.lower() == vault.lower():
        reader.problem(
            "azureMlSecretsVaultName",
            secrets_vault,
            "must differ from azureKeyVaultName: the workspace's identity administers this vault and may not administer the key's",
        )
    hbi = reader.boolean("azureHbiWorkspace")
    tags = reader.pairs(
        "azureTags",
        check_key=lambda k: None if re.fullmatch(r"[^<>%&\\?/]{1,512}", k) else "tag names: 1-512 characters, none of < > % & \\ ? /",
        check_value=lambda v: None if len(v) <= 256 else "tag values: at most 256 characters",
    )

    return AzureSettings(
        subscription_id=subscription,
        tenant_id=tenant,
        location=location,
        resource_group_mode=mode,
        resource_group_name=resource_group,
        identity_name=identity,
        key_vault_name=vault,
        key_vault_sku=vault_sku,
        key_vault_retention_days=retention,
        key_name=key_name,
        key_type=key_type,
        key_size=int(key_size_text) if key_size_text in KEY_SIZES else 0,
        key_rotate_after_days=rotate_after,
        key_expiry_days=expiry,
        key_notify_before_expiry_days=notify,
        key_rotation_policy_script=rotation_policy_script,
        key_admins=key_admins,
        cosmos_db_principal_id=cosmos,
        rbac_propagation_seconds=propagation,
        storage_account_name=storage,
        storage_sku=storage_sku,
        storage_infrastructure_encryption=infrastructure_encryption,
        registry_name=registry,
        registry_sku=registry_sku,
        registry_admin_user=admin_user,
        workspace_name=workspace,
        workspace_secrets_vault_name=secrets_vault,
        hbi_workspace=hbi,
        tags=tags,
    )


def _guid_matching_provider(reader: SettingsReader, key: str, provider_value: Optional[str], provider_key: str) -> str:
    """A GUID, or empty for the provider's; when both are set they must agree."""
    value = reader.matching(key, GUID, GUID_RULE + ", or empty for the azure-native provider's", optional=True)
    if value and provider_value and provider_value.lower() != value.lower():
        reader.problem(key, value, f"must equal the provider's azure-native:{provider_key} ({provider_value})")
    return value.lower()


def _rotation_policy(reader: SettingsReader) -> tuple[int, int, int]:
    rotate_after = reader.integer("azureKeyRotateAfterDays", MIN_ROTATION_GAP_DAYS, MAX_DAYS)
    expiry = reader.integer("azureKeyExpiryDays", MIN_EXPIRY_DAYS, MAX_DAYS)
    notify = reader.integer("azureKeyNotifyBeforeExpiryDays", MIN_ROTATION_GAP_DAYS, MAX_DAYS)
    latest_event = expiry - MIN_ROTATION_GAP_DAYS
    if rotate_after > latest_event:
        reader.problem(
            "azureKeyRotateAfterDays",
            rotate_after,
            f"must be at most azureKeyExpiryDays - {MIN_ROTATION_GAP_DAYS} ({latest_event}): a version must be replaced before it expires",
        )
    if notify > latest_event:
        reader.problem("azureKeyNotifyBeforeExpiryDays", notify, f"must be at most azureKeyExpiryDays - {MIN_ROTATION_GAP_DAYS} ({latest_event})")
    return rotate_after, expiry, notify

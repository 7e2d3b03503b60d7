"""The Key Vault and the key that encrypts the platform's data: neither can be lost by accident."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

import pulumi
from pulumi_azure_native import keyvault

# The CMK services only wrap and unwrap their data-encryption keys with it.
KEY_OPERATIONS = ["wrapKey", "unwrapKey"]


# Azure keeps the first retention period for the vault's life.
VAULT_CREATE_ONLY = ["properties.softDeleteRetentionInDays"]


def vault_properties(tenant_id: pulumi.Input[str], sku: str, retention_days: int) -> dict[str, Any]:
    """RBAC authorization, soft delete and purge protection, trusted Azure services let through."""
    return {
        "tenant_id": tenant_id,
        "sku": {"family": "A", "name": sku},
        # Role assignments, not access policies: grants are scoped to a key or a vault.
        "enable_rbac_authorization": True,
        "enable_soft_delete": True,
        # Azure ML, Storage and Registry CMK all require purge protection.
        "enable_purge_protection": True,
        "soft_delete_retention_in_days": retention_days,
        # Trusted Azure services keep access if the vault is ever firewalled.
        "network_acls": {"bypass": "AzureServices", "default_action": "Allow"},
    }


def iso_days(days: int) -> str:
    """ISO 8601 duration, the form Key Vault rotation policies take."""
    return f"P{days}D"


@dataclass
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the vault."""
    name: str
    """Globally unique vault name; reserved while a deleted vault is soft-deleted."""
    location: str
    """Region of the vault; the services using its key must be in the same subscription."""
    tenant_id: pulumi.Input[str]
    """Entra tenant that authorizes requests to the vault."""
    key_name: str
    """Name of the key in the vault."""
    sku: str = "standard"
    """standard or premium (HSM-backed keys)."""
    retention_days: int = 90
    """Soft-delete retention, 7-90 days. Create-only: a change is a replacement."""
    key_type: str = "RSA"
    """RSA or RSA-HSM."""
    key_size: int = 3072
    """RSA modulus in bits."""
    rotate_after_days: int = 90
    """Rotation policy: a new version this many days after the current one was created."""
    expiry_days: int = 730
    """Rotation policy: lifetime of each new version."""
    notify_before_expiry_days: int = 30
    """Rotation policy: near-expiry notification this many days before a version expires."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the vault and the key."""


class KeyVault(pulumi.ComponentResource):
    """A vault with RBAC authorization, soft delete and purge protection, and a rotating key.

    Both are `protect`ed: deleting either makes every byte encrypted under the key unreadable.
    """

    vault: keyvault.Vault
    key: keyvault.Key
    vault_uri: pulumi.Output[str]
    key_uri: pulumi.Output[str]
    """Versionless: services given this follow rotation."""
    key_uri_with_version: pulumi.Output[str]
    """Pinned to the current version: for services that require one (Azure ML workspace)."""

    def __init__(self, name: str, args: KeyVaultArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:KeyVault", name, None, opts)
        self.vault = keyvault.Vault(
            f"{name}-vault",
            resource_group_name=args.resource_group_name,
            vault_name=args.name,
            location=args.location,
            properties=vault_properties(args.tenant_id, args.sku, args.retention_days),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=True, replace_on_changes=VAULT_CREATE_ONLY),
        )
        self.key = keyvault.Key(
            f"{name}-key",
            resource_group_name=args.resource_group_name,
            vault_name=self.vault.name,
            key_name=args.key_name,
            properties={
                "kty": args.key_type,
                "key_size": args.key_size,
                "key_ops": KEY_OPERATIONS,
                "attributes": {"enabled": True},
                "rotation_policy": {
                    "attributes": {"expiry_time": iso_days(args.expiry_days)},
                    "lifetime_actions": [
                        {"trigger": {"time_after_create": iso_days(args.rotate_after_days)}, "action": {"type": "rotate"}},
                        {
                            "trigger": {"time_before_expiry": iso_days(args.notify_before_expiry_days)},
                            "action": {"type": "notify"},
                        },
                    ],
                },
            },
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                # ARM refuses to change a key's creation parameters
                # (KeyCreationParametersDidNotMatchExistingKey): show it as a replacement.
                replace_on_changes=["properties.kty", "properties.keySize"],
            ),
        )
        self.vault_uri = self.vault.properties.vault_uri
        self.key_uri = self.key.key_uri
        self.key_uri_with_version = self.key.key_uri_with_version
        self.register_outputs(
            {
                "vaultId": self.vault.id,
                "vaultUri": self.vault_uri,
                "keyId": self.key.id,
                "keyUri": self.key_uri,
                "keyUriWithVersion": self.key_uri_with_version,
            }
        )

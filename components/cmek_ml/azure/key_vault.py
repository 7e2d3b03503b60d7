"""The Key Vault and the key that encrypts the platform's data: neither can be lost by accident."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

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


# ARM applies these only when it creates the key (`Keys_CreateIfNotExist`): a change would
# preview as an update that changes nothing. They are compared with the vault instead.
APPLIED_AT_CREATION_ONLY = ["properties.keyOps", "properties.attributes", "properties.rotationPolicy", "tags"]


def iso_days(days: int) -> str:
    """ISO 8601 duration, the form Key Vault rotation policies take."""
    return f"P{days}D"


@dataclass(frozen=True)
class RotationPolicy:
    rotate_after_days: int
    expiry_days: int
    notify_before_expiry_days: int

    def arm(self) -> dict[str, Any]:
        """The ARM (azure-native) form, applied when the key is created."""
        return {
            "attributes": {"expiry_time": iso_days(self.expiry_days)},
            "lifetime_actions": [
                {"trigger": {"time_after_create": iso_days(self.rotate_after_days)}, "action": {"type": "rotate"}},
                {"trigger": {"time_before_expiry": iso_days(self.notify_before_expiry_days)}, "action": {"type": "notify"}},
            ],
        }

    def data_plane_json(self) -> str:
        """The data-plane body (`KeyRotationPolicy`), as the script sends it."""
        return json.dumps(
            {
                "lifetimeActions": [
                    {"trigger": {"timeAfterCreate": iso_days(self.rotate_after_days)}, "action": {"type": "Rotate"}},
                    {"trigger": {"timeBeforeExpiry": iso_days(self.notify_before_expiry_days)}, "action": {"type": "Notify"}},
                ],
                "attributes": {"expiryTime": iso_days(self.expiry_days)},
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    def digest(self) -> str:
        return hashlib.sha256(self.data_plane_json().encode()).hexdigest()[:16]


def _policy_terms(policy: Any) -> Optional[tuple]:
    """A rotation policy (ARM request or response form) reduced to what it decides."""
    if not policy:
        return None
    get = (lambda o, k: o.get(k)) if isinstance(policy, Mapping) else getattr
    attributes = get(policy, "attributes")
    expiry = get(attributes, "expiry_time") if attributes else None
    actions = []
    for action in get(policy, "lifetime_actions") or []:
        trigger = get(action, "trigger")
        actions.append(
            (
                str(get(get(action, "action"), "type")).lower(),
                get(trigger, "time_after_create"),
                get(trigger, "time_before_expiry"),
            )
        )
    return expiry, tuple(sorted(actions, key=str))


def drift(
    wanted_ops: Sequence[str],
    wanted_enabled: bool,
    wanted_tags: Mapping[str, str],
    wanted_policy: RotationPolicy,
    current: Any,
) -> list[str]:
    """Each setting the vault holds differently from the stack, by ARM name (`current` is
    azure-native's `GetKeyResult`)."""
    differences = []
    if sorted(current.key_ops or []) != sorted(wanted_ops):
        differences.append("keyOps")
    enabled = getattr(current.attributes, "enabled", None) if current.attributes else None
    if enabled is not None and enabled != wanted_enabled:
        differences.append("attributes.enabled")
    if dict(current.tags or {}) != dict(wanted_tags):
        differences.append("tags")
    if _policy_terms(current.rotation_policy) != _policy_terms(wanted_policy.arm()):
        differences.append("rotationPolicy")
    return differences


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
    rotation_policy_applied_later: bool = True
    """A `KeyRotationPolicy` applies later policy changes (so the warning says it will)."""

    @property
    def rotation_policy(self) -> RotationPolicy:
        return RotationPolicy(self.rotate_after_days, self.expiry_days, self.notify_before_expiry_days)


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
    rotation_policy: RotationPolicy
    """The policy the key is created with, and that `KeyRotationPolicy` keeps applied."""
    not_applied: pulumi.Output[list]
    """Settings the vault holds differently from the stack and ARM will not change."""

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
                "rotation_policy": args.rotation_policy.arm(),
            },
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                # ARM refuses to change a key's creation parameters
                # (KeyCreationParametersDidNotMatchExistingKey): show it as a replacement.
                replace_on_changes=["properties.kty", "properties.keySize"],
                ignore_changes=APPLIED_AT_CREATION_ONLY,
            ),
        )
        self.rotation_policy = args.rotation_policy
        self.not_applied = self._settings_arm_leaves_in_place(args)
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
                "notApplied": self.not_applied,
            }
        )

    def _settings_arm_leaves_in_place(self, args: KeyVaultArgs) -> pulumi.Output[list]:
        """Reads the key back once it exists (never on a first preview, when its id is unknown),
        and warns about each setting ARM will not change."""

        def compare(current) -> list[str]:
            differences = drift(KEY_OPERATIONS, True, args.tags, args.rotation_policy, current)
            for setting in differences:
                pulumi.log.warn(_drift_message(args, setting), resource=self.key)
            return differences

        return self.key.id.apply(
            lambda key_id: keyvault.get_key_output(
                resource_group_name=args.resource_group_name,
                vault_name=args.name,
                key_name=args.key_name,
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).apply(compare)
            if key_id
            else []
        )


def _drift_message(args: KeyVaultArgs, setting: str) -> str:
    where = f"Key Vault key {args.key_name} in {args.name}"
    if setting == "rotationPolicy":
        if args.rotation_policy_applied_later:
            return f"{where}: the rotation policy differs from the stack's; the rotation-policy script applies it in this update"
        return f"{where}: the rotation policy differs from the stack's and will NOT be applied (ARM changes keys only at creation)"
    command = {
        "keyOps": f"--ops {' '.join(KEY_OPERATIONS)}",
        "attributes.enabled": "--enabled true",
        "tags": "--tags " + " ".join(f"{k}={v}" for k, v in sorted(args.tags.items())),
    }[setting]
    return (
        f"{where}: {setting} differs from the stack's and will NOT be applied (ARM creates keys only if absent); "
        f"set it with `az keyvault key set-attributes --vault-name {args.name} --name {args.key_name} {command}`"
    )

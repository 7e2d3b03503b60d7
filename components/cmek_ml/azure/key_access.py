"""Who may use the key and who may administer it: Azure RBAC role assignments, nothing wider."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumiverse_time as time
from pulumi_azure_native import authorization

# Built-in roles (the same GUIDs in every tenant).
CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
"""Read key metadata, wrap and unwrap: what a CMK service needs and no more."""
# Key administrators: the built-in *Key Vault Crypto Officer* (14b46e9e-...) has data action
# `Microsoft.KeyVault/vaults/keys/*`, which includes encrypt, decrypt, wrap and unwrap, so it
# would let an administrator use the key. A custom role keeps the management and leaves out use.
KEY_ADMIN_DATA_ACTIONS = ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"]
KEY_ADMIN_NOT_DATA_ACTIONS = [
    f"Microsoft.KeyVault/vaults/keys/{operation}/action"
    # `backup`: a backup restored into a vault where the administrator is a key user would be use.
    for operation in ("encrypt", "decrypt", "wrap", "unwrap", "sign", "verify", "release", "backup")
]
KEY_ADMIN_ACTIONS = [
    "Microsoft.Authorization/*/read",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.KeyVault/vaults/read",
    "Microsoft.KeyVault/vaults/keys/read",
]


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """The full id ARM expects; a bare GUID is rejected."""
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role
    )


def propagation_wait(
    name: str, seconds: int, grants: Mapping[str, authorization.RoleAssignment], parent: pulumi.Resource
) -> Optional[time.Sleep]:
    """A wait that starts once `grants` exist and is recreated when one is; None for 0 seconds.

    A new assignment takes a while to reach the data plane (AVM waits 30-70 s)."""
    if not seconds:
        return None
    return time.Sleep(
        name,
        create_duration=f"{seconds}s",
        triggers={key: grant.id for key, grant in grants.items()},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(grants.values())),
    )


@dataclass
class KeyAccessArgs:
    subscription_id: pulumi.Input[str]
    """Subscription whose role definitions are referenced."""
    key_id: pulumi.Input[str]
    """ARM id of the key: the scope of the encryption grants."""
    vault_id: pulumi.Input[str]
    """ARM id of the vault: the scope of the key admins' grants."""
    vault_name: str
    """Name of the vault; names the key administrators' role (role names are unique per tenant)."""
    resource_group_id: pulumi.Input[str]
    """ARM id of the vault's resource group: where the key administrators' role is defined
    (custom roles are assignable at resource-group scope and wider, not on one vault)."""
    encryption_principal_id: pulumi.Input[str]
    """Principal (object) id of the user-assigned encryption identity."""
    cosmos_db_principal_id: str = ""
    """Object id of the Azure Cosmos DB service principal; empty when no workspace needs it."""
    key_admins: Mapping[str, str] = field(default_factory=dict)
    """Object id -> principal type (User, Group, ServicePrincipal) of key administrators."""
    propagation_seconds: int = 60
    """Wait after the key users' grants before anything uses the key; 0 for no wait."""


class KeyAccess(pulumi.ComponentResource):
    """Key users get *Key Vault Crypto Service Encryption User* on the key; key admins get a
    custom role on the vault: every key action (create, rotate, disable, delete, rotation
    policy) but no cryptographic use. Users and admins are different principals.

    Managed identities and first-party applications are assigned with
    `principal_type=ServicePrincipal`: ARM then skips the directory lookup that fails with
    `PrincipalNotFound` while a new identity replicates.

    A new assignment takes a while to reach Key Vault's data plane, and a CMK resource
    created before then fails with 403 (AVM waits 30-70 s): `ready` ends with a `time.Sleep`
    that starts once the grants exist and is recreated when one is.
    """

    identity_grant: authorization.RoleAssignment
    cosmos_db_grant: Optional[authorization.RoleAssignment]
    admin_role: Optional[authorization.RoleDefinition]
    admin_grants: dict[str, authorization.RoleAssignment]
    propagation: Optional[time.Sleep]

    def __init__(self, name: str, args: KeyAccessArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:KeyAccess", name, None, opts)
        encryption_user = role_definition_id(args.subscription_id, CRYPTO_SERVICE_ENCRYPTION_USER)
        child = pulumi.ResourceOptions(parent=self)
        self.identity_grant = authorization.RoleAssignment(
            f"{name}-encryption-identity",
            scope=args.key_id,
            role_definition_id=encryption_user,
            principal_id=args.encryption_principal_id,
            principal_type="ServicePrincipal",
            description="CMK: the encryption identity wraps and unwraps with this key",
            opts=child,
        )
        self.cosmos_db_grant = None
        if args.cosmos_db_principal_id:
            self.cosmos_db_grant = authorization.RoleAssignment(
                f"{name}-cosmos-db",
                scope=args.key_id,
                role_definition_id=encryption_user,
                principal_id=args.cosmos_db_principal_id,
                principal_type="ServicePrincipal",
                description="CMK: Azure ML's managed Cosmos DB wraps and unwraps with this key",
                opts=child,
            )
        self.admin_role = None
        if args.key_admins:
            self.admin_role = authorization.RoleDefinition(
                f"{name}-key-administrator",
                role_name=f"cmek-ml key administrator ({args.vault_name})",
                description="Manage the keys of the CMK vault without encrypting, decrypting, wrapping, unwrapping or exporting with them",
                role_type="CustomRole",
                scope=args.resource_group_id,
                assignable_scopes=[args.resource_group_id],
                permissions=[
                    {
                        "actions": KEY_ADMIN_ACTIONS,
                        "data_actions": KEY_ADMIN_DATA_ACTIONS,
                        "not_data_actions": KEY_ADMIN_NOT_DATA_ACTIONS,
                    }
                ],
                opts=child,
            )
        self.admin_grants = {
            object_id: authorization.RoleAssignment(
                f"{name}-admin-{object_id}",
                scope=args.vault_id,
                role_definition_id=self.admin_role.id,
                principal_id=object_id,
                principal_type=principal_type,
                description="CMK: administers the keys, cannot use them",
                opts=child,
            )
            for object_id, principal_type in args.key_admins.items()
        }
        grants = {"identityGrant": self.identity_grant}
        if self.cosmos_db_grant:
            grants["cosmosDbGrant"] = self.cosmos_db_grant
        self.propagation = propagation_wait(f"{name}-rbac-propagation", args.propagation_seconds, grants, self)
        self.register_outputs(
            {
                "identityGrant": self.identity_grant.id,
                "cosmosDbGrant": self.cosmos_db_grant.id if self.cosmos_db_grant else None,
                "adminGrants": {k: v.id for k, v in self.admin_grants.items()},
            }
        )

    @property
    def encryption_user_grants(self) -> list[authorization.RoleAssignment]:
        return [g for g in (self.identity_grant, self.cosmos_db_grant) if g is not None]

    @property
    def ready(self) -> list[pulumi.CustomResource]:
        """What a resource encrypting with the key waits for: the key users' grants, propagated."""
        return [*self.encryption_user_grants, *([self.propagation] if self.propagation else [])]

    def usable(self, key_reference: pulumi.Input[str]) -> pulumi.Output[str]:
        """`key_reference` (vault URI, key URI, ...), resolving only once the key is `ready`:
        a resource built from it depends on the grants (and the wait) and is created after them."""
        return pulumi.Output.all(key_reference, *[r.id for r in self.ready]).apply(lambda values: values[0])

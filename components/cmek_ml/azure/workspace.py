"""The Azure ML workspace, its metadata under the customer's key, its telemetry stores, and the
identity and secrets vault through which it reaches its associated resources.

A workspace with a user-assigned identity needs that identity to hold Contributor on its storage
account, registry and Application Insights, and Contributor plus *Key Vault Administrator* on
its (RBAC) key vault (Azure ML, "Set up authentication between Azure Machine Learning and other
services"). Granted on the CMK vault, that would make a key user the vault's administrator. So
the workspace gets its own identity, which never uses the key, and its own vault for secrets,
which holds no key; the encryption identity keeps only its key grant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumiverse_time as time
from pulumi_azure_native import applicationinsights, authorization, keyvault, machinelearningservices, managedidentity, operationalinsights

from cmek_ml.azure.key_access import propagation_wait, role_definition_id
from cmek_ml.azure.key_vault import VAULT_CREATE_ONLY, vault_properties

# Built-in roles the workspace identity needs on its associated resources (no data-plane role
# on storage: Storage Blob Data Contributor only enables the studio's data preview).
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"

# Fixed at creation. The key may later move to another key or version in the same vault
# (Azure ML, "Customer-managed keys": "can only be updated to another key in the original Azure
# Key Vault resource"), so the key identifier is no replacement; everything else here is.
CREATE_ONLY = [
    "encryption.status",
    "encryption.keyVaultProperties.keyVaultArmId",
    "encryption.identity.userAssignedIdentity",
    "hbiWorkspace",
    "keyVault",
    "storageAccount",
]


# The workspace takes a versioned key URI (Azure ML's CMK how-to and SDK give
# `.../keys/<name>/<version>`; none documents a versionless one). Each automatic rotation makes
# the key's current-version URI new, which would show the workspace as changed after every
# refresh; the version it was created with stays in use until moved on purpose.
FOLLOWS_NO_ROTATION = ["encryption.keyVaultProperties.keyIdentifier"]


@dataclass
class CmkWorkspaceArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace and its telemetry stores."""
    name: str
    """Workspace name; also the prefix of the Log Analytics workspace and Application Insights."""
    location: str
    """Region of the workspace."""
    subscription_id: pulumi.Input[str]
    """Subscription whose role definitions are referenced."""
    tenant_id: pulumi.Input[str]
    """Entra tenant of the secrets vault."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity holding the key grant (the encryption identity)."""
    workspace_identity_name: str
    """The workspace's own user-assigned identity: roles on the associated resources, no key use."""
    key_vault_id: pulumi.Input[str]
    """ARM id of the vault holding the key."""
    secrets_vault_name: str
    """Globally unique name of the workspace's secrets vault (no keys in it)."""
    secrets_vault_sku: str
    """standard or premium."""
    secrets_vault_retention_days: int
    """Soft-delete retention of the secrets vault, 7-90 days. Create-only."""
    key_uri_with_version: pulumi.Input[str]
    """Versioned key URI, used at creation; later versions do not change the workspace."""
    storage_account_id: pulumi.Input[str]
    """ARM id of the CMK storage account."""
    registry_id: pulumi.Input[str]
    """ARM id of the CMK registry; attached now, since a CMK registry cannot be swapped in later."""
    hbi_workspace: bool = False
    """High business impact. Create-only."""
    propagation_seconds: int = 60
    """Wait after the workspace identity's grants before the workspace is created; 0 for none."""
    log_retention_days: int = 30
    """Retention of the Log Analytics workspace behind Application Insights."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the workspace and its telemetry stores."""


class CmkWorkspace(pulumi.ComponentResource):
    """Encryption `Enabled` with the encryption identity, plus workspace-based Application Insights.

    The secrets vault is `protect`ed and built like the key's vault (RBAC, soft delete, purge
    protection): it holds the credentials of the workspace's datastores.
    """

    workspace: machinelearningservices.Workspace
    insights: applicationinsights.Component
    logs: operationalinsights.Workspace
    identity: managedidentity.UserAssignedIdentity
    secrets_vault: keyvault.Vault
    grants: dict[str, authorization.RoleAssignment]
    propagation: Optional[time.Sleep]

    def __init__(self, name: str, args: CmkWorkspaceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:CmkWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=args.resource_group_name,
            resource_name_=args.workspace_identity_name,
            location=args.location,
            tags=dict(args.tags),
            opts=child,
        )
        self.secrets_vault = keyvault.Vault(
            f"{name}-secrets-vault",
            resource_group_name=args.resource_group_name,
            vault_name=args.secrets_vault_name,
            location=args.location,
            properties=vault_properties(args.tenant_id, args.secrets_vault_sku, args.secrets_vault_retention_days),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=True, replace_on_changes=VAULT_CREATE_ONLY),
        )
        self.logs = operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=args.resource_group_name,
            workspace_name=f"{args.name}-logs",
            location=args.location,
            sku={"name": "PerGB2018"},
            retention_in_days=args.log_retention_days,
            tags=dict(args.tags),
            opts=child,
        )
        # Classic (non-workspace) Application Insights is retired.
        self.insights = applicationinsights.Component(
            f"{name}-insights",
            resource_group_name=args.resource_group_name,
            resource_name_=f"{args.name}-insights",
            location=args.location,
            kind="web",
            application_type="web",
            ingestion_mode="LogAnalytics",
            workspace_resource_id=self.logs.id,
            tags=dict(args.tags),
            opts=child,
        )
        contributor = role_definition_id(args.subscription_id, CONTRIBUTOR)
        scopes = {
            "storage": (args.storage_account_id, contributor),
            "registry": (args.registry_id, contributor),
            "insights": (self.insights.id, contributor),
            "secrets-vault": (self.secrets_vault.id, contributor),
            "secrets-vault-admin": (self.secrets_vault.id, role_definition_id(args.subscription_id, KEY_VAULT_ADMINISTRATOR)),
        }
        self.grants = {
            grant: authorization.RoleAssignment(
                f"{name}-identity-{grant}",
                scope=scope,
                role_definition_id=role,
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
                description="Azure ML: the workspace identity manages the workspace's associated resource",
                opts=child,
            )
            for grant, (scope, role) in scopes.items()
        }
        self.propagation = propagation_wait(f"{name}-rbac-propagation", args.propagation_seconds, self.grants, self)
        self.workspace = machinelearningservices.Workspace(
            f"{name}-workspace",
            resource_group_name=args.resource_group_name,
            workspace_name=args.name,
            location=args.location,
            # Both identities: the workspace's own (primary) and the one that uses the key.
            identity={"type": "UserAssigned", "user_assigned_identities": [self.identity.id, args.identity_id]},
            primary_user_assigned_identity=self.identity.id,
            encryption={
                # The workspace API capitalises it, unlike the registry's.
                "status": "Enabled",
                "identity": {"user_assigned_identity": args.identity_id},
                "key_vault_properties": {
                    "key_vault_arm_id": args.key_vault_id,
                    "key_identifier": args.key_uri_with_version,
                },
            },
            hbi_workspace=args.hbi_workspace,
            # Secrets go to their own vault: the key's vault has no administrator that uses the key.
            key_vault=self.secrets_vault.id,
            storage_account=args.storage_account_id,
            container_registry=args.registry_id,
            application_insights=self.insights.id,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                replace_on_changes=CREATE_ONLY,
                ignore_changes=FOLLOWS_NO_ROTATION,
                depends_on=[*self.grants.values(), *([self.propagation] if self.propagation else [])],
            ),
        )
        self.register_outputs(
            {
                "id": self.workspace.id,
                "name": self.workspace.name,
                "identityId": self.identity.id,
                "secretsVaultId": self.secrets_vault.id,
            }
        )

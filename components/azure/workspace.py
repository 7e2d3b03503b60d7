"""The Azure ML workspace, its metadata under the customer's key, and its telemetry stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import applicationinsights, machinelearningservices, operationalinsights

# Fixed at creation. The key may later move to another key or version in the same vault, so
# the key identifier itself stays updatable; everything else here is a replacement.
CREATE_ONLY = [
    "encryption.status",
    "encryption.keyVaultProperties.keyVaultArmId",
    "encryption.identity.userAssignedIdentity",
    "hbiWorkspace",
    "keyVault",
    "storageAccount",
]


@dataclass
class CmkWorkspaceArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the workspace and its telemetry stores."""
    name: str
    """Workspace name; also the prefix of the Log Analytics workspace and Application Insights."""
    location: str
    """Region of the workspace."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity holding the key grant."""
    key_vault_id: pulumi.Input[str]
    """ARM id of the vault holding the key (and the workspace's secrets)."""
    key_uri_with_version: pulumi.Input[str]
    """Versioned key URI: the workspace does not accept a versionless one."""
    storage_account_id: pulumi.Input[str]
    """ARM id of the CMK storage account."""
    registry_id: pulumi.Input[str]
    """ARM id of the CMK registry; attached now, since a CMK registry cannot be swapped in later."""
    hbi_workspace: bool = False
    """High business impact. Create-only."""
    log_retention_days: int = 30
    """Retention of the Log Analytics workspace behind Application Insights."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the workspace and its telemetry stores."""


class CmkWorkspace(pulumi.ComponentResource):
    """Encryption `Enabled` with the identity, plus workspace-based Application Insights."""

    workspace: machinelearningservices.Workspace
    insights: applicationinsights.Component
    logs: operationalinsights.Workspace

    def __init__(self, name: str, args: CmkWorkspaceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:CmkWorkspace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
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
        self.workspace = machinelearningservices.Workspace(
            f"{name}-workspace",
            resource_group_name=args.resource_group_name,
            workspace_name=args.name,
            location=args.location,
            identity={"type": "UserAssigned", "user_assigned_identities": [args.identity_id]},
            primary_user_assigned_identity=args.identity_id,
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
            key_vault=args.key_vault_id,
            storage_account=args.storage_account_id,
            container_registry=args.registry_id,
            application_insights=self.insights.id,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=CREATE_ONLY),
        )
        self.register_outputs({"id": self.workspace.id, "name": self.workspace.name})

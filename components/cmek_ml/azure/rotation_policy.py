"""Key Vault key settings that ARM will not change after creation, and the one this stack
changes anyway: the rotation policy.

ARM creates a key with `Keys_CreateIfNotExist` (keyvault 2024-11-01 `keys.json`): "If it
already exists, then the existing key is returned without any write operations being
performed." A later change to the rotation policy, key operations, attributes or tags reports
success and changes nothing. So:

- the key resource ignores those properties (a preview never shows an update that would not
  happen), and `key_vault.drift` compares what the stack asks for with what the vault holds, naming each
  difference ARM will leave in place (a warning at every preview and up until it is resolved);
- the rotation policy reaches the vault through its data plane (`PUT {vault}/keys/{name}/
  rotationpolicy`, `az keyvault key rotation-policy update`), run by an ARM deployment script
  (`Microsoft.Resources/deploymentScripts`, azure-native `resources.AzureCliScript`) whose
  identity may read and write rotation policies of this key and nothing else. The script's
  `forceUpdateTag` is the policy's digest: a policy change previews as an update of the script,
  which runs it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import authorization, managedidentity, resources

from cmek_ml.azure.key_access import propagation_wait
from cmek_ml.azure.key_vault import RotationPolicy

# Azure permissions for Key Vault: "Retrieves the rotation policy of a given key" / "Updates
# the rotation policy of a given key". No key use, no other key management.
ROTATION_POLICY_DATA_ACTIONS = [
    "Microsoft.KeyVault/vaults/keyrotationpolicies/read",
    "Microsoft.KeyVault/vaults/keyrotationpolicies/write",
]
# A deployment script runs in the mcr.microsoft.com/azure-cli image of this version.
AZ_CLI_VERSION = "2.61.0"
SCRIPT = """set -eu
printf '%s' "$ROTATION_POLICY" > policy.json
az keyvault key rotation-policy update --vault-name "$VAULT_NAME" --name "$KEY_NAME" --value policy.json
"""


@dataclass
class KeyRotationPolicyArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the vault: the script, its identity and the role live there."""
    resource_group_id: pulumi.Input[str]
    """ARM id of that group: where the custom role is defined and assignable."""
    location: str
    """Region of the script and its identity."""
    vault_name: pulumi.Input[str]
    """Vault holding the key."""
    key_name: pulumi.Input[str]
    """Key whose rotation policy is applied."""
    key_id: pulumi.Input[str]
    """ARM id of the key: the only scope of the script identity's role."""
    policy: RotationPolicy
    """The rotation policy the vault must hold."""
    role_name: str
    """Tenant-unique name of the custom role."""
    identity_name: str
    """Name of the script's user-assigned identity."""
    propagation_seconds: int = 60
    """Wait for the identity's grant to reach Key Vault before the script runs; 0 for none."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the identity and the script."""


class KeyRotationPolicy(pulumi.ComponentResource):
    """Applies the rotation policy through Key Vault's data plane at every change."""

    identity: managedidentity.UserAssignedIdentity
    role: authorization.RoleDefinition
    grant: authorization.RoleAssignment
    propagation: Optional[pulumi.CustomResource]
    script: resources.AzureCliScript

    def __init__(self, name: str, args: KeyRotationPolicyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:KeyRotationPolicy", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=args.resource_group_name,
            resource_name_=args.identity_name,
            location=args.location,
            tags=dict(args.tags),
            opts=child,
        )
        self.role = authorization.RoleDefinition(
            f"{name}-role",
            role_name=args.role_name,
            description="Read and write the rotation policy of the CMK key; no other key management, no use",
            role_type="CustomRole",
            scope=args.resource_group_id,
            assignable_scopes=[args.resource_group_id],
            permissions=[{"actions": [], "data_actions": ROTATION_POLICY_DATA_ACTIONS}],
            opts=child,
        )
        self.grant = authorization.RoleAssignment(
            f"{name}-grant",
            scope=args.key_id,
            role_definition_id=self.role.id,
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            description="CMK: applies the key's rotation policy (ARM does not update existing keys)",
            opts=child,
        )
        self.propagation = propagation_wait(
            f"{name}-rbac-propagation", args.propagation_seconds, {"grant": self.grant}, self
        )
        self.script = resources.AzureCliScript(
            f"{name}-script",
            resource_group_name=args.resource_group_name,
            script_name=args.identity_name,
            location=args.location,
            kind="AzureCLI",
            az_cli_version=AZ_CLI_VERSION,
            identity={"type": "UserAssigned", "user_assigned_identities": [self.identity.id]},
            script_content=SCRIPT,
            environment_variables=[
                {"name": "VAULT_NAME", "value": args.vault_name},
                {"name": "KEY_NAME", "value": args.key_name},
                {"name": "ROTATION_POLICY", "value": args.policy.data_plane_json()},
            ],
            force_update_tag=args.policy.digest(),
            cleanup_preference="Always",
            retention_interval="PT1H",
            timeout="PT15M",
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.grant, *([self.propagation] if self.propagation else [])]
            ),
        )
        self.register_outputs({"scriptId": self.script.id, "policyDigest": args.policy.digest()})

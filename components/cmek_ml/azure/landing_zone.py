"""The Azure half of the platform: vault and key, key grants, CMK storage, registry and workspace."""

from __future__ import annotations

from typing import Optional

import pulumi
from pulumi_azure_native import authorization

from cmek_ml.azure.identity import EncryptionIdentity, EncryptionIdentityArgs
from cmek_ml.azure.key_access import KeyAccess, KeyAccessArgs
from cmek_ml.azure.key_vault import KeyVault, KeyVaultArgs
from cmek_ml.azure.registry import CmkRegistry, CmkRegistryArgs
from cmek_ml.azure.resource_group import ResourceGroup, ResourceGroupArgs
from cmek_ml.azure.rotation_policy import KeyRotationPolicy, KeyRotationPolicyArgs
from cmek_ml.azure.settings import AzureSettings
from cmek_ml.azure.storage import CmkStorageAccount, CmkStorageAccountArgs
from cmek_ml.azure.workspace import CmkWorkspace, CmkWorkspaceArgs


class AzureLandingZone(pulumi.ComponentResource):
    exports: dict

    def __init__(self, name: str, settings: AzureSettings, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:LandingZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        subscription_id: pulumi.Input[str] = settings.subscription_id
        tenant_id: pulumi.Input[str] = settings.tenant_id
        if not (subscription_id and tenant_id):
            # Empty settings mean "wherever the azure-native provider is signed in".
            client = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self))
            subscription_id = subscription_id or client.subscription_id
            tenant_id = tenant_id or client.tenant_id

        group = ResourceGroup(
            f"{name}-rg",
            ResourceGroupArgs(
                name=settings.resource_group_name,
                location=settings.location,
                create=settings.resource_group_mode == "create",
                tags=settings.tags,
            ),
            child,
        )
        placement = dict(resource_group_name=group.name, location=settings.location, tags=settings.tags)
        identity = EncryptionIdentity(f"{name}-identity", EncryptionIdentityArgs(name=settings.identity_name, **placement), child)
        vault = KeyVault(
            f"{name}-keys",
            KeyVaultArgs(
                name=settings.key_vault_name,
                tenant_id=tenant_id,
                sku=settings.key_vault_sku,
                retention_days=settings.key_vault_retention_days,
                key_name=settings.key_name,
                key_type=settings.key_type,
                key_size=settings.key_size,
                rotate_after_days=settings.key_rotate_after_days,
                expiry_days=settings.key_expiry_days,
                notify_before_expiry_days=settings.key_notify_before_expiry_days,
                rotation_policy_applied_later=settings.key_rotation_policy_script,
                **placement,
            ),
            child,
        )
        if settings.key_rotation_policy_script:
            KeyRotationPolicy(
                f"{name}-key-rotation-policy",
                KeyRotationPolicyArgs(
                    resource_group_name=group.name,
                    resource_group_id=group.id,
                    location=settings.location,
                    vault_name=vault.vault.name,
                    key_name=vault.key.name,
                    key_id=vault.key.id,
                    policy=vault.rotation_policy,
                    role_name=f"cmek-ml key rotation policy writer ({settings.key_vault_name})",
                    identity_name=f"{settings.key_vault_name}-rotation-policy",
                    propagation_seconds=settings.rbac_propagation_seconds,
                    tags=settings.tags,
                ),
                child,
            )
        else:
            pulumi.log.warn(
                "azureKeyRotationPolicyScript is false: rotation-policy changes made after the key exists "
                "will not reach the vault (ARM applies a key's rotation policy only when it creates the key)",
                resource=self,
            )
        access = KeyAccess(
            f"{name}-key-access",
            KeyAccessArgs(
                subscription_id=subscription_id,
                key_id=vault.key.id,
                vault_id=vault.vault.id,
                vault_name=settings.key_vault_name,
                resource_group_id=group.id,
                encryption_principal_id=identity.principal_id,
                cosmos_db_principal_id=settings.cosmos_db_principal_id if settings.creates_workspace else "",
                key_admins=settings.key_admins,
                propagation_seconds=settings.rbac_propagation_seconds,
            ),
            child,
        )
        # Encryption is checked at creation: a resource created before its identity may use the
        # key fails (403 on storage CMK). depends_on orders the components after the grants and
        # their propagation; the key reference taken through them carries that onto the resource.
        after_grants = pulumi.ResourceOptions(parent=self, depends_on=access.ready)
        storage = CmkStorageAccount(
            f"{name}-storage",
            CmkStorageAccountArgs(
                name=settings.storage_account_name,
                sku=settings.storage_sku,
                identity_id=identity.id,
                vault_uri=access.usable(vault.vault_uri),
                key_name=vault.key.name,
                infrastructure_encryption=settings.storage_infrastructure_encryption,
                **placement,
            ),
            after_grants,
        )
        registry = CmkRegistry(
            f"{name}-registry",
            CmkRegistryArgs(
                name=settings.registry_name,
                identity_id=identity.id,
                identity_client_id=identity.client_id,
                key_uri=access.usable(vault.key_uri),
                admin_user_enabled=settings.registry_admin_user,
                **placement,
            ),
            after_grants,
        )

        self.exports = {
            "subscriptionId": subscription_id,
            "tenantId": tenant_id,
            "location": settings.location,
            "resourceGroup": group.name,
            "keyVault": {"id": vault.vault.id, "uri": vault.vault_uri},
            "key": {
                "id": vault.key.id,
                "uri": vault.key_uri,
                "uriWithVersion": vault.key_uri_with_version,
                # Settings the vault holds differently and ARM will not change (warned about).
                "settingsNotApplied": vault.not_applied,
            },
            "identity": {"id": identity.id, "clientId": identity.client_id, "principalId": identity.principal_id},
            "storageAccount": {"id": storage.account.id, "name": storage.account.name},
            "containerRegistry": {"id": registry.registry.id, "loginServer": registry.registry.login_server},
            # To register before the first `up` (the stack cannot: see AzureSettings.resource_providers).
            "resourceProviders": settings.resource_providers,
            "registerResourceProviders": " && ".join(
                f"az provider register --wait --namespace {namespace}" for namespace in settings.resource_providers
            ),
        }
        if settings.creates_workspace:
            workspace = CmkWorkspace(
                f"{name}-ml",
                CmkWorkspaceArgs(
                    name=settings.workspace_name,
                    subscription_id=subscription_id,
                    tenant_id=tenant_id,
                    identity_id=identity.id,
                    workspace_identity_name=f"{settings.workspace_name}-identity",
                    key_vault_id=vault.vault.id,
                    secrets_vault_name=settings.workspace_secrets_vault_name,
                    secrets_vault_sku=settings.key_vault_sku,
                    secrets_vault_retention_days=settings.key_vault_retention_days,
                    propagation_seconds=settings.rbac_propagation_seconds,
                    # The managed Cosmos DB is created with the workspace: its grant is a key user's too.
                    key_uri_with_version=access.usable(vault.key_uri_with_version),
                    storage_account_id=storage.account.id,
                    registry_id=registry.registry.id,
                    hbi_workspace=settings.hbi_workspace,
                    **placement,
                ),
                after_grants,
            )
            encryption = workspace.workspace.encryption
            self.exports["workspace"] = {
                "id": workspace.workspace.id,
                "name": workspace.workspace.name,
                "identityId": workspace.identity.id,
                "secretsVaultId": workspace.secrets_vault.id,
                "hbiWorkspace": settings.hbi_workspace,
                "encryption": {
                    "status": encryption.status,
                    "keyVaultArmId": encryption.key_vault_properties.key_vault_arm_id,
                    "keyIdentifier": encryption.key_vault_properties.key_identifier,
                    "userAssignedIdentity": encryption.identity.user_assigned_identity,
                },
            }
        self.register_outputs(self.exports)

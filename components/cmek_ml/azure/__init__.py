"""Azure: resource group, encryption identity, Key Vault and key, key access, and CMK storage,
Container Registry and Azure Machine Learning workspace.

    from cmek_ml.azure import KeyVault, KeyVaultArgs, CmkStorageAccount, CmkStorageAccountArgs

Each name is imported from its module on first use (pulumi_azure_native with it); see `cmek_ml._lazy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmek_ml._lazy import lazy_exports

_EXPORTS = {
    "ResourceGroup": "resource_group", "ResourceGroupArgs": "resource_group",
    "EncryptionIdentity": "identity", "EncryptionIdentityArgs": "identity",
    "KeyVault": "key_vault", "KeyVaultArgs": "key_vault",
    "KeyAccess": "key_access", "KeyAccessArgs": "key_access",
    "KeyRotationPolicy": "rotation_policy", "KeyRotationPolicyArgs": "rotation_policy",
    "CmkStorageAccount": "storage", "CmkStorageAccountArgs": "storage",
    "CmkRegistry": "registry", "CmkRegistryArgs": "registry",
    "CmkWorkspace": "workspace", "CmkWorkspaceArgs": "workspace",
    "AzureLandingZone": "landing_zone", "AzureSettings": "settings", "read_azure_settings": "settings",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from .identity import EncryptionIdentity, EncryptionIdentityArgs
    from .key_access import KeyAccess, KeyAccessArgs
    from .key_vault import KeyVault, KeyVaultArgs
    from .landing_zone import AzureLandingZone
    from .registry import CmkRegistry, CmkRegistryArgs
    from .resource_group import ResourceGroup, ResourceGroupArgs
    from .rotation_policy import KeyRotationPolicy, KeyRotationPolicyArgs
    from .settings import AzureSettings, read_azure_settings
    from .storage import CmkStorageAccount, CmkStorageAccountArgs
    from .workspace import CmkWorkspace, CmkWorkspaceArgs

"""Azure resource policies in code: vaults that cannot lose their keys.

Where ML data must be under a customer key in Key Vault is data (policies/cmek/catalogue/azure). Types match
azure-native's API-versioned tokens and v2 module aliases too (`catalogue.canonical_type`).
"""

from __future__ import annotations

from typing import Any, Iterator

from pulumi_policy import Severity

from .props import UNKNOWN, lookup
from .rules import Control, Options, resource_policy

_AZURE_POLICY = "Azure Policy built-in definition"
_AZURE_POLICY_VERSION = "Azure/azure-policy"


def _builtin(guid: str, title: str) -> Control:
    return Control(_AZURE_POLICY, _AZURE_POLICY_VERSION, guid, title)


def _vault(props: Any, _options: Options) -> Iterator[str]:
    purge = lookup(props, "properties", "enablePurgeProtection")
    if purge is not True and purge is not UNKNOWN:
        yield "properties.enablePurgeProtection is not true: a deleted vault or key could be purged, and the data with it."
    if lookup(props, "properties", "enableSoftDelete") is False:
        yield "properties.enableSoftDelete is false: a deleted key is gone at once."


keyvault_vault_recoverable = resource_policy(
    "azure-keyvault-vault-purge-protection",
    description="Key vaults must have soft delete and purge protection, so keys protecting data cannot be lost.",
    resource_types=["azure-native:keyvault:Vault"],
    check=_vault,
    severity=Severity.HIGH,
    remediation=("Set `properties.enable_purge_protection=True` and leave `enable_soft_delete` on (it is the "
                 "default); purge protection cannot be turned off once on."),
    control=_builtin("0b60c0b2-2dc2-4e1c-b5c9-abbed971de53", "Key vaults should have deletion protection enabled"),
)

POLICIES = [keyvault_vault_recoverable]

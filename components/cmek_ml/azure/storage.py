"""The workspace's storage account, encrypted with the customer's key through the identity."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import storage


@dataclass
class CmkStorageAccountArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the account."""
    name: str
    """Globally unique account name."""
    location: str
    """Region of the account."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity holding the key grant."""
    vault_uri: pulumi.Input[str]
    """`https://<vault>.vault.azure.net/`."""
    key_name: pulumi.Input[str]
    """Key name; no version is given, so the account follows rotation."""
    sku: str = "Standard_LRS"
    """Replication SKU."""
    infrastructure_encryption: bool = True
    """Second, infrastructure-level encryption layer. Create-only."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the account."""


# Queue and Table storage use a service-scoped, Microsoft-managed key unless the account is
# created with the account-scoped key for them: "The scope of the encryption key cannot be
# changed after the account is created" (Microsoft Learn, "Create an account that supports
# customer-managed keys for tables and queues"). Blob and file always use the account key.
ACCOUNT_SCOPED_SERVICES = ("blob", "file", "queue", "table")
CREATE_ONLY = [
    "encryption.requireInfrastructureEncryption",
    "encryption.services.queue.keyType",
    "encryption.services.table.keyType",
]


class CmkStorageAccount(pulumi.ComponentResource):
    """StorageV2 with account-scoped CMK on blobs, files, queues and tables, HTTPS and TLS 1.2
    only, no public blobs.

    `protect`ed: deleting the account deletes the workspace's snapshots, outputs and logs. A
    change to a create-only setting shows as a replacement, which Pulumi then refuses while the
    account is protected; replacing it means moving the data to a new account first.
    """

    account: storage.StorageAccount

    def __init__(self, name: str, args: CmkStorageAccountArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:CmkStorageAccount", name, None, opts)
        account_key = {"enabled": True, "key_type": "Account"}
        self.account = storage.StorageAccount(
            f"{name}-account",
            resource_group_name=args.resource_group_name,
            account_name=args.name,
            location=args.location,
            kind="StorageV2",
            sku={"name": args.sku},
            identity={"type": "UserAssigned", "user_assigned_identities": [args.identity_id]},
            encryption={
                "key_source": "Microsoft.Keyvault",
                # No key_version: the account picks up each new version within the hour.
                "key_vault_properties": {"key_vault_uri": args.vault_uri, "key_name": args.key_name},
                "encryption_identity": {"encryption_user_assigned_identity": args.identity_id},
                "require_infrastructure_encryption": args.infrastructure_encryption,
                "services": {service: account_key for service in ACCOUNT_SCOPED_SERVICES},
            },
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                # Set at creation only; a silent diff would never apply.
                replace_on_changes=CREATE_ONLY,
                # The name is fixed, and an ARM PUT on an existing name updates that account: a
                # create-before-delete replacement would update the old account, then delete it.
                delete_before_replace=True,
            ),
        )
        self.register_outputs({"id": self.account.id, "name": self.account.name})

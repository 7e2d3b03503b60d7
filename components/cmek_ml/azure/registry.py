"""A Premium container registry for training images, encrypted with the customer's key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import containerregistry


@dataclass
class CmkRegistryArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the registry."""
    name: str
    """Globally unique registry name."""
    location: str
    """Region of the registry."""
    identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity holding the key grant."""
    identity_client_id: pulumi.Input[str]
    """Client (application) id of that identity: the form the registry's encryption takes."""
    key_uri: pulumi.Input[str]
    """Versionless key URI, so the registry follows rotation."""
    admin_user_enabled: bool = True
    """Admin account; Azure ML's data-encryption doc says the workspace requires it."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the registry."""


class CmkRegistry(pulumi.ComponentResource):
    """Premium (the only SKU that takes a CMK), encryption `enabled` at creation.

    `protect`ed: deleting a workspace's registry breaks the workspace.
    """

    registry: containerregistry.Registry

    def __init__(self, name: str, args: CmkRegistryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:CmkRegistry", name, None, opts)
        self.registry = containerregistry.Registry(
            f"{name}-registry",
            resource_group_name=args.resource_group_name,
            registry_name=args.name,
            location=args.location,
            sku={"name": "Premium"},
            admin_user_enabled=args.admin_user_enabled,
            # The registry API spells it lowercase and takes a dict of identities.
            identity={
                "type": "UserAssigned",
                "user_assigned_identities": pulumi.Output.from_input(args.identity_id).apply(lambda id_: {id_: {}}),
            },
            encryption={
                "status": "enabled",
                "key_vault_properties": {"identity": args.identity_client_id, "key_identifier": args.key_uri},
            },
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=True,
                # Registry encryption can only be turned on at creation.
                replace_on_changes=["encryption.status"],
            ),
        )
        self.register_outputs({"id": self.registry.id, "loginServer": self.registry.login_server})

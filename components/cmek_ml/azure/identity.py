"""The user-assigned identity through which storage, registry and workspace reach the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import managedidentity


@dataclass
class EncryptionIdentityArgs:
    resource_group_name: pulumi.Input[str]
    """Resource group of the identity."""
    name: str
    """Identity name."""
    location: str
    """Region of the identity."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the identity."""


class EncryptionIdentity(pulumi.ComponentResource):
    """A user-assigned identity: unlike a system-assigned one it exists before the resources that
    use it, so the key grant can be in place when they are created (no chicken-and-egg)."""

    identity: managedidentity.UserAssignedIdentity
    id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:EncryptionIdentity", name, None, opts)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=args.resource_group_name,
            resource_name_=args.name,
            location=args.location,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.identity.id
        self.client_id = self.identity.client_id
        self.principal_id = self.identity.principal_id
        self.register_outputs({"id": self.id, "clientId": self.client_id, "principalId": self.principal_id})

"""The resource group everything lives in: created (and protected) or adopted as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
from pulumi_azure_native import resources


@dataclass
class ResourceGroupArgs:
    name: str
    """Resource group name."""
    location: str
    """Region of a created group."""
    create: bool = True
    """Create the group; otherwise look up an existing one and never manage it."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of a created group."""


class ResourceGroup(pulumi.ComponentResource):
    """`name` resolves once the group exists: created here, or found by a lookup."""

    name: pulumi.Output[str]
    id: pulumi.Output[str]

    def __init__(self, name: str, args: ResourceGroupArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:azure:ResourceGroup", name, None, opts)
        if args.create:
            group = resources.ResourceGroup(
                f"{name}-group",
                resource_group_name=args.name,
                location=args.location,
                tags=dict(args.tags),
                # Deleting the group deletes the vault, the key and the storage in it.
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            self.name, self.id = group.name, group.id
        else:
            # The lookup fails the deployment early if the group does not exist.
            found = resources.get_resource_group_output(
                resource_group_name=args.name, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.name, self.id = found.name, found.id
        self.register_outputs({"name": self.name, "id": self.id})

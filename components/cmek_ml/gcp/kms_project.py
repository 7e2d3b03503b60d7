"""The project that holds the keys, apart from the projects that hold the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_gcp as gcp


@dataclass
class KmsProjectArgs:
    project_id: str
    """Id of the KMS project (created, or adopted as it is)."""
    create: bool = False
    """Create the project; otherwise adopt an existing one and only enable Cloud KMS there."""
    parent: str = ""
    """folders/N or organizations/N, when created."""
    billing_account: str = ""
    """Billing account id, when created."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the created project."""


class KmsProject(pulumi.ComponentResource):
    """A KMS project with the Cloud KMS API enabled (and never disabled on destroy)."""

    project_id: pulumi.Output[str]
    kms_api: gcp.projects.Service

    def __init__(self, name: str, args: KmsProjectArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:KmsProject", name, None, opts)
        if args.create:
            kind, _, parent_id = args.parent.partition("/")
            project = gcp.organizations.Project(
                f"{name}-project",
                project_id=args.project_id,
                name=args.project_id,
                folder_id=parent_id if kind == "folders" else None,
                org_id=parent_id if kind == "organizations" else None,
                billing_account=args.billing_account,
                auto_create_network=False,
                deletion_policy="PREVENT",
                labels=dict(args.labels),
                # Deleting the project deletes every key in it.
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            self.project_id = project.project_id
        else:
            self.project_id = pulumi.Output.from_input(args.project_id)
        self.kms_api = gcp.projects.Service(
            f"{name}-cloudkms-api",
            project=self.project_id,
            service="cloudkms.googleapis.com",
            disable_on_destroy=False,
            disable_dependent_services=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"projectId": self.project_id})

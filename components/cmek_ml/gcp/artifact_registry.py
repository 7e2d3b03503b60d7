"""An Artifact Registry repository encrypted with the customer's key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_gcp as gcp


@dataclass
class CmekRepositoryArgs:
    project: pulumi.Input[str]
    """Workload project that owns the repository."""
    repository_id: str
    """Repository name in Artifact Registry (lowercase letters, digits, dashes)."""
    location: str
    """Must equal the key's location."""
    kms_key_name: pulumi.Input[str]
    """Pass a key id that resolves after the Artifact Registry agent's grant."""
    format: str = "DOCKER"
    """Artifact format: DOCKER by default (PYTHON, MAVEN, ... as Artifact Registry names them)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the repository."""


class CmekRepository(pulumi.ComponentResource):
    """The key is create-only in Artifact Registry: a change replaces the repository and
    deletes its images, so the change is declared as a replacement and shows in preview."""

    repository: gcp.artifactregistry.Repository
    url: pulumi.Output[str]

    def __init__(self, name: str, args: CmekRepositoryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:CmekRepository", name, None, opts)
        self.repository = gcp.artifactregistry.Repository(
            f"{name}-repository",
            project=args.project,
            repository_id=args.repository_id,
            location=args.location,
            format=args.format,
            kms_key_name=args.kms_key_name,
            labels=dict(args.labels),
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["kmsKeyName"]),
        )
        self.url = pulumi.Output.concat(
            args.location, "-docker.pkg.dev/", self.repository.project, "/", self.repository.repository_id
        )
        self.register_outputs({"url": self.url})

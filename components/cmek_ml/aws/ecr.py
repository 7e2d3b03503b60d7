"""An ECR repository for training images, encrypted with the customer's key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws


@dataclass
class KmsRepositoryArgs:
    name: str
    """Repository name (may contain / namespaces)."""
    kms_key_arn: pulumi.Input[str]
    """Key for image layers. Create-only in ECR: a change replaces the repository."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the repository."""


class KmsRepository(pulumi.ComponentResource):
    """Immutable tags (a tag always names the image that was scanned and approved), scan on push."""

    repository: aws.ecr.Repository

    def __init__(self, name: str, args: KmsRepositoryArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:aws:KmsRepository", name, None, opts)
        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.name,
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": args.kms_key_arn}],
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            force_delete=False,
            tags=dict(args.tags),
            # ECR cannot change a repository's key (aws/containers-roadmap#1934): the provider
            # replaces it. Declared, so a preview shows it as a replacement. The name is fixed, so
            # Pulumi's default create-then-delete would fail on the taken name: delete first. With
            # force_delete off, ECR refuses to delete a repository that still holds images
            # (RepositoryNotEmptyException), so a key change never silently drops images.
            opts=pulumi.ResourceOptions(
                parent=self, replace_on_changes=["encryptionConfigurations"], delete_before_replace=True
            ),
        )
        self.register_outputs({"url": self.repository.repository_url})

"""A Cloud Storage bucket whose default key is the customer's."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

import pulumi
import pulumi_gcp as gcp


@dataclass
class CmekBucketArgs:
    project: pulumi.Input[str]
    """Workload project that owns the bucket."""
    name: str
    """Globally unique bucket name."""
    location: str
    """Region, or multi-region for a multi-region key; checked against the key by the settings."""
    kms_key_name: pulumi.Input[str]
    """Default key for new objects. Pass a key id that resolves after the storage agent's grant."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the bucket."""
    versioning: bool = True
    """Keep noncurrent versions, so an overwrite or delete can be undone."""


class CmekBucket(pulumi.ComponentResource):
    """Uniform access, public access prevention enforced, no `force_destroy`."""

    bucket: gcp.storage.Bucket

    def __init__(self, name: str, args: CmekBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:CmekBucket", name, None, opts)
        self.bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            project=args.project,
            name=args.name,
            location=args.location.upper(),
            encryption={"default_kms_key_name": args.kms_key_name},
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning={"enabled": args.versioning},
            force_destroy=False,
            labels=dict(args.labels),
            # Children inherit the component's depends_on: the bucket waits for the grant.
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"name": self.bucket.name, "url": self.bucket.url})

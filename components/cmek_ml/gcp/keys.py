"""A key ring and its keys: protected, rotating, never destroyed by accident."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_gcp as gcp


@dataclass
class KeyRingArgs:
    project: pulumi.Input[str]
    """The KMS project."""
    location: str
    """A region for workload keys; a multi-region only for multi-region buckets."""
    name: str
    """Key ring name. Key rings cannot be deleted, so a name cannot be reused."""
    keys: Sequence[str]
    """Key names, one per purpose (or one shared key)."""
    rotation_period: str
    """`<seconds>s`; Cloud KMS requires more than one day."""
    protection_level: str = "SOFTWARE"
    """SOFTWARE or HSM."""
    destroy_scheduled_duration: str = "2592000s"
    """How long destroyed versions stay recoverable. Create-only: changing it replaces the key."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on every key (key rings take none)."""


class KeyRing(pulumi.ComponentResource):
    """`protect`ed key ring and symmetric ENCRYPT_DECRYPT keys with `deletion_policy=PREVENT`."""

    key_ring: gcp.kms.KeyRing
    keys: dict[str, gcp.kms.CryptoKey]

    def __init__(self, name: str, args: KeyRingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:KeyRing", name, None, opts)
        # Destroying a key destroys every byte encrypted under it: protect both levels.
        keep = pulumi.ResourceOptions(parent=self, protect=True)
        self.key_ring = gcp.kms.KeyRing(
            f"{name}-ring", project=args.project, location=args.location, name=args.name, opts=keep
        )
        self.keys = {
            key: gcp.kms.CryptoKey(
                f"{name}-{key}",
                name=key,
                key_ring=self.key_ring.id,
                purpose="ENCRYPT_DECRYPT",
                rotation_period=args.rotation_period,
                destroy_scheduled_duration=args.destroy_scheduled_duration,
                version_template={
                    "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
                    "protection_level": args.protection_level,
                },
                labels=dict(args.labels),
                deletion_policy="PREVENT",
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=True,
                    # Create-only in Cloud KMS: show a change as the replacement it is.
                    replace_on_changes=["destroyScheduledDuration"],
                ),
            )
            for key in args.keys
        }
        self.register_outputs(
            {"keyRingId": self.key_ring.id, "keyIds": {k: v.id for k, v in self.keys.items()}}
        )

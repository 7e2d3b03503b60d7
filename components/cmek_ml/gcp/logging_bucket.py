"""Training and pipeline logs under the customer's key (seed 000: logs are not CMEK-encrypted
unless the Logs Router puts them in a log bucket with a key).

Routing them to a CMEK bucket copies them: the project's `_Default` sink still writes every entry
it matches to the `_Default` bucket, under a Google-managed key. So the same filter is also an
exclusion on `_Default` (`projects.exclusions`: "Creates a new exclusion in the _Default sink";
an exclusion applies to that sink only, so the CMEK sink still receives the entries).

Not chosen: putting `_Default` under the key. The `_Default` bucket lives in `global` unless the
organisation's default settings said otherwise at project creation, a bucket's key must be in
the bucket's location (the workload keys are regional), a bucket's location cannot change, and
the key would then protect every log of the project, not only the training logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

# AI Platform Training jobs, Vertex AI custom jobs, Dataflow pipeline steps.
TRAINING_LOG_RESOURCE_TYPES = ("ml_job", "aiplatform.googleapis.com/CustomJob", "dataflow_step")
# Exclusion names: at most 100 letters, digits, _ - . (LogExclusion.name); the settings keep
# bucket ids short enough for this suffix.
DEFAULT_EXCLUSION_SUFFIX = "-off-default"


def training_logs_filter(resource_types: Sequence[str] = TRAINING_LOG_RESOURCE_TYPES) -> str:
    return " OR ".join(f'resource.type="{t}"' for t in resource_types)


@dataclass
class CmekLogBucketArgs:
    project: str
    """Workload project whose logs are routed."""
    location: str
    """Region of the bucket; must equal the key's region."""
    bucket_id: str
    """Log bucket id in the project (`_Default` and `_Required` are Google's)."""
    kms_key_name: pulumi.Input[str]
    """Key id that resolves after the Logging agent's grant (the bucket fails to create before)."""
    retention_days: int
    """Days logs are kept in the bucket."""
    filter: str = training_logs_filter()
    """Logging filter of the sink: by default the training jobs' logs (`training_logs_filter`)."""


class CmekLogBucket(pulumi.ComponentResource):
    """A log bucket with `cmek_settings`, a sink routing the training logs into it, and an
    exclusion keeping the same entries out of `_Default`.

    The key cannot be removed from a log bucket once set, and the bucket keeps logs: it is
    protected. A sink to a log bucket of its own project needs no writer grant.
    """

    bucket: gcp.logging.ProjectBucketConfig
    sink: gcp.logging.ProjectSink
    default_exclusion: gcp.logging.ProjectExclusion

    def __init__(self, name: str, args: CmekLogBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:CmekLogBucket", name, None, opts)
        self.bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-bucket",
            project=args.project,
            location=args.location,
            bucket_id=args.bucket_id,
            retention_days=args.retention_days,
            cmek_settings={"kms_key_name": args.kms_key_name},
            locked=False,
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        destination = f"logging.googleapis.com/projects/{args.project}/locations/{args.location}/buckets/{args.bucket_id}"
        self.sink = gcp.logging.ProjectSink(
            f"{name}-sink",
            project=args.project,
            name=f"{args.bucket_id}-sink",
            destination=destination,
            filter=args.filter,
            unique_writer_identity=True,
            description="Training and pipeline logs to the CMEK log bucket",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket]),
        )
        # After the sink: no entry is ever dropped from both. `_Required` (Admin Activity and
        # System Event audit logs) accepts no exclusion; its entries are audit records, not job logs.
        self.default_exclusion = gcp.logging.ProjectExclusion(
            f"{name}-default-exclusion",
            project=args.project,
            name=f"{args.bucket_id}{DEFAULT_EXCLUSION_SUFFIX}",
            filter=args.filter,
            description=f"Kept out of _Default (Google-managed key): routed to the CMEK bucket {args.bucket_id}",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.sink]),
        )
        self.register_outputs(
            {"bucket": self.bucket.id, "sink": self.sink.id, "defaultExclusion": self.default_exclusion.id}
        )

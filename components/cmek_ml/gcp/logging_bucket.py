"""Training and pipeline logs under the customer's key (seed 000: logs are not CMEK-encrypted
unless the Logs Router puts them in a log bucket with a key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

# AI Platform Training jobs, Vertex AI custom jobs, Dataflow pipeline steps.
TRAINING_LOG_RESOURCE_TYPES = ("ml_job", "aiplatform.googleapis.com/CustomJob", "dataflow_step")


def training_logs_filter(resource_types: Sequence[str] = TRAINING_LOG_RESOURCE_TYPES) -> str:
    return " OR ".join(f'resource.type="{t}"' for t in resource_types)


@dataclass
class CmekLogBucketArgs:
    project: str
    """Workload project whose logs are routed."""
    location: str
    """Region of the bucket; must equal the key's region."""
    bucket_id: str
    kms_key_name: pulumi.Input[str]
    """Key id that resolves after the Logging agent's grant (the bucket fails to create before)."""
    retention_days: int
    filter: str = training_logs_filter()


class CmekLogBucket(pulumi.ComponentResource):
    """A log bucket with `cmek_settings`, and a sink routing the training logs into it.

    The key cannot be removed from a log bucket once set, and the bucket keeps logs: it is
    protected. A sink to a log bucket of its own project needs no writer grant.
    """

    bucket: gcp.logging.ProjectBucketConfig
    sink: gcp.logging.ProjectSink

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
        self.register_outputs({"bucket": self.bucket.id, "sink": self.sink.id})

"""Dataflow under the customer's key (seed 003).

`dataflowKmsKey` protects pipeline state (worker persistent disks, batch Shuffle); the temp and
staging buckets are protected by their own default key only, so they are CMEK buckets here.
Streaming Engine state cannot be under a Cloud KMS key, and neither can the data keys used
in windowing, grouping and joining: hash PII keys before they enter the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from cmek_ml.gcp.bucket import CmekBucket, CmekBucketArgs

STREAMING_ENGINE_REFUSED = (
    "Streaming Engine state cannot be protected by a Cloud KMS key; this job requires full CMEK"
)
BATCH_RERUN_WARNING = (
    "is a batch job managed by Pulumi (gcpDataflowJobMode=batch-rerun-on-every-up): once it "
    "finishes, the next `pulumi up` (after a refresh) launches it again. Run one-off batch jobs "
    "with the exported pipeline options instead"
)


@dataclass(frozen=True)
class PipelineLocations:
    project: str
    region: str
    kms_key_name: str
    temp_location: str
    """gs://<temp bucket>/temp"""
    staging_location: str
    """gs://<staging bucket>/staging"""


def java_pipeline_options(p: PipelineLocations) -> list[str]:
    """Beam Java / classic template options (camelCase)."""
    return [
        f"--project={p.project}",
        f"--region={p.region}",
        f"--dataflowKmsKey={p.kms_key_name}",
        f"--tempLocation={p.temp_location}",
        f"--stagingLocation={p.staging_location}",
    ]


def python_pipeline_options(p: PipelineLocations) -> list[str]:
    """Beam Python options. The Python SDK creates no default staging bucket with a key, so
    both locations are always given (apache/beam#8296)."""
    return [
        f"--project={p.project}",
        f"--region={p.region}",
        f"--dataflow_kms_key={p.kms_key_name}",
        f"--temp_location={p.temp_location}",
        f"--staging_location={p.staging_location}",
    ]


@dataclass
class DataflowBucketsArgs:
    project: str
    """Workload project that owns the buckets and runs the jobs."""
    region: str
    """Region of the jobs; the pipeline key must be there too."""
    temp_bucket: str
    """Globally unique name of the temp bucket (`--tempLocation`)."""
    staging_bucket: str
    """Globally unique name of the staging bucket (`--stagingLocation`)."""
    bucket_location: str
    """Location of both buckets; checked against the storage key by the settings."""
    storage_kms_key_name: pulumi.Input[str]
    """Storage key id that resolves after the Cloud Storage agent's grant."""
    storage_grants: Sequence[pulumi.Resource]
    """The buckets are created only after these exist."""
    pipeline_kms_key_name: pulumi.Input[str]
    """`dataflowKmsKey`: resolves after the Dataflow and Compute Engine agents' grants."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on both buckets."""


class DataflowBuckets(pulumi.ComponentResource):
    """CMEK temp and staging buckets, and the pipeline options that use them with the key."""

    temp: CmekBucket
    staging: CmekBucket
    locations: pulumi.Output[PipelineLocations]
    exports: dict
    """The key, both locations, and the Java and Python pipeline options."""

    def __init__(self, name: str, args: DataflowBucketsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:DataflowBuckets", name, None, opts)
        after_grants = pulumi.ResourceOptions(parent=self, depends_on=list(args.storage_grants))

        def bucket(role: str, bucket_name: str) -> CmekBucket:
            return CmekBucket(
                f"{name}-{role}",
                CmekBucketArgs(
                    project=args.project,
                    name=bucket_name,
                    location=args.bucket_location,
                    kms_key_name=args.storage_kms_key_name,
                    labels=args.labels,
                    # Temporary files: old versions would only accumulate.
                    versioning=False,
                ),
                after_grants,
            )

        self.temp = bucket("temp", args.temp_bucket)
        self.staging = bucket("staging", args.staging_bucket)
        self.locations = pulumi.Output.all(
            args.pipeline_kms_key_name, self.temp.bucket.name, self.staging.bucket.name
        ).apply(
            lambda v: PipelineLocations(
                project=args.project,
                region=args.region,
                kms_key_name=v[0],
                temp_location=f"gs://{v[1]}/temp",
                staging_location=f"gs://{v[2]}/staging",
            )
        )
        self.exports = {
            "kmsKey": self.locations.apply(lambda p: p.kms_key_name),
            "tempLocation": self.locations.apply(lambda p: p.temp_location),
            "stagingLocation": self.locations.apply(lambda p: p.staging_location),
            "javaPipelineOptions": self.locations.apply(java_pipeline_options),
            "pythonPipelineOptions": self.locations.apply(python_pipeline_options),
            "javaArgs": self.locations.apply(lambda p: " ".join(java_pipeline_options(p))),
            "pythonArgs": self.locations.apply(lambda p: " ".join(python_pipeline_options(p))),
        }
        self.register_outputs(self.exports)


@dataclass
class CmekDataflowJobArgs:
    project: str
    """Workload project the job runs in."""
    region: str
    """Region of the job; equal to the key's region."""
    job_name: str
    """Dataflow job name."""
    kind: str
    """classic (`gcp.dataflow.Job`) or flex (`gcp.dataflow.FlexTemplateJob`)."""
    template: str
    """gs:// path of the classic template or the flex template spec file."""
    kms_key_name: pulumi.Input[str]
    """`dataflowKmsKey`, resolving after the Dataflow and Compute Engine agents' grants."""
    temp_location: pulumi.Input[str]
    """`gs://` temp location in a CMEK bucket (`DataflowBuckets.exports["tempLocation"]`)."""
    staging_location: pulumi.Input[str]
    """`gs://` staging location in a CMEK bucket (`DataflowBuckets.exports["stagingLocation"]`)."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """Template parameters, passed as they are."""
    streaming_engine: bool = False
    """Run on Streaming Engine (its state is under a Google-managed key: needs `require_full_cmek=False`)."""
    require_full_cmek: bool = True
    """Refuse Streaming Engine, whose state is under a Google-managed key."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the job."""
    mode: str = "streaming"
    """streaming (runs until drained), or batch-rerun-on-every-up (accepted, with a warning)."""


class CmekDataflowJob(pulumi.ComponentResource):
    """A template job whose pipeline state is encrypted with the customer's key.

    Meant for streaming jobs: pulumi-gcp treats a job in a terminal state as gone and creates it
    again on the next apply, so a batch job is re-run; that is accepted only when asked for.
    """

    job: pulumi.CustomResource

    def __init__(self, name: str, args: CmekDataflowJobArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Checked before registering anything; the settings reader reports it as a config problem.
        if args.streaming_engine and args.require_full_cmek:
            raise ValueError(f"{args.job_name}: {STREAMING_ENGINE_REFUSED}")
        super().__init__("cmek-ml:gcp:CmekDataflowJob", name, None, opts)
        if args.mode != "streaming":
            pulumi.log.warn(f"Dataflow job {args.job_name} {BATCH_RERUN_WARNING}", resource=self)
        common = dict(
            project=args.project,
            region=args.region,
            name=args.job_name,
            kms_key_name=args.kms_key_name,
            parameters=dict(args.parameters),
            enable_streaming_engine=args.streaming_engine,
            labels=dict(args.labels),
            # Drain lets a streaming job finish its in-flight data instead of dropping it.
            on_delete="drain",
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.kind == "flex":
            self.job = gcp.dataflow.FlexTemplateJob(
                f"{name}-job",
                container_spec_gcs_path=args.template,
                temp_location=args.temp_location,
                staging_location=args.staging_location,
                **common,
            )
        else:
            self.job = gcp.dataflow.Job(
                f"{name}-job", template_gcs_path=args.template, temp_gcs_location=args.temp_location, **common
            )
        self.register_outputs({"jobId": self.job.id})


def pipeline_state_outside_cmek(streaming_engine: bool) -> Sequence[str]:
    """What the key does not cover, for the exports (so users see it where they copy options)."""
    outside = ["data keys used in windowing, grouping and joining (hash PII keys first)", "job metadata"]
    if streaming_engine:
        outside.append("Streaming Engine state")
    return outside

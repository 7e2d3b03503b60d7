"""Settings of the GCP workloads that use the keys: training, Dataflow, training logs,
Confidential Space model sharing and CMEK org policies.

Read by `read_gcp_settings` with the landing zone's settings, so every problem is reported
before anything is registered. Each part is off (or safe) by default; the dangerous options
(org policies, Streaming Engine, decrypt grants to an external workload) are opt-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from cmek_ml.gcp.logging_bucket import DEFAULT_EXCLUSION_SUFFIX
from cmek_ml.settings import SettingsReader

# AI Platform Training scale tiers (seed 000). BASIC_TPU is a tier, but not with CMEK.
SCALE_TIERS = ("BASIC", "STANDARD_1", "PREMIUM_1", "BASIC_GPU", "CUSTOM")
TPU_SCALE_TIERS = ("BASIC_TPU",)
# Vertex AI / AI Platform accelerator types. TPUs exist, but "You cannot use CMEK with
# training jobs that use TPUs" (seed 000).
GPU_ACCELERATORS = (
    "NVIDIA_TESLA_K80", "NVIDIA_TESLA_P4", "NVIDIA_TESLA_P100", "NVIDIA_TESLA_T4", "NVIDIA_TESLA_V100",
    "NVIDIA_TESLA_A100", "NVIDIA_A100_80GB", "NVIDIA_L4", "NVIDIA_H100_80GB", "NVIDIA_H100_MEGA_80GB",
    "NVIDIA_H200_141GB", "NVIDIA_B200",
)
TPU_REJECTED = "CMEK cannot be used with TPUs (AI Platform Training CMEK limitations): use a CPU or GPU"
VERTEX_RESOURCES = ("metadata-store", "tensorboard", "dataset", "featurestore")

DATAFLOW_JOB_KINDS = ("classic", "flex")
# pulumi-gcp `dataflow.Job`: a job that reaches a terminal state "will be recreated on the next
# apply". Right for a streaming job; a finished batch job would run again after every `up`.
DATAFLOW_JOB_MODES = ("streaming", "batch-rerun-on-every-up")
LOG_BUCKET_ID_MAX = 100 - len(DEFAULT_EXCLUSION_SUFFIX)
CONFIDENTIAL_SPACE_PARTIES = ("model-owner", "operator")
ORG_POLICY_SCOPES = ("none", "project", "folder", "organization")

IMAGE_DIGEST = r"sha256:[0-9a-f]{64}"
SERVICE_ACCOUNT_EMAIL = r"([a-z][a-z0-9-]{4,28}[a-z0-9])@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com"
# An Artifact Registry Docker image, by tag or by digest: what `tee-image-reference` takes.
IMAGE_REFERENCE = (
    r"(?P<location>[a-z0-9-]+)-docker\.pkg\.dev/(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])"
    r"/(?P<repository>[a-z][a-z0-9-]{0,62})/(?P<image>[a-z0-9][a-z0-9._/-]*)"
    r"(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})"
)
# Artifact Registry repository ids.
REPOSITORY_ID = r"[a-z][a-z0-9-]{0,61}[a-z0-9]"
REPOSITORY_ID_RULE = "must be 2-63 of a-z 0-9 -, starting with a letter"
DATAFLOW_TEMP_BUCKET, DATAFLOW_STAGING_BUCKET = "dataflow-temp", "dataflow-staging"
MODEL_BUCKET, INPUT_BUCKET, RESULT_BUCKET = "cs-model", "cs-input", "cs-results"


@dataclass(frozen=True)
class TrainingSettings:
    """Jobs run in gcpRegion, the key's region: a different training region is rejected."""

    scale_tier: str = "BASIC"
    """AI Platform Training scale tier of the exported submit command."""
    machine_type: str = "n1-standard-4"
    """Machine type of the exported Vertex custom-job worker pool."""
    accelerator_type: str = ""
    """GPU of the exported worker pool; empty for none. Never a TPU (no CMEK with TPUs)."""
    accelerator_count: int = 1
    vertex_resources: tuple[str, ...] = ()
    """Declarative Vertex resources to create with `encryption_spec` (see VERTEX_RESOURCES)."""


@dataclass(frozen=True)
class DataflowJobSettings:
    name: str
    """Dataflow job name."""
    kind: str
    """classic (`gcp.dataflow.Job`) or flex (`gcp.dataflow.FlexTemplateJob`)."""
    template: str
    """gs:// path of the classic template or of the flex template spec."""
    parameters: Mapping[str, str]
    streaming_engine: bool
    """Streaming Engine state is under a Google key; refused when full CMEK is required."""
    mode: str = "streaming"
    """streaming, or batch-rerun-on-every-up: Pulumi relaunches a finished job on the next `up`."""


@dataclass(frozen=True)
class DataflowSettings:
    enabled: bool = False
    """Create CMEK temp and staging buckets and export the pipeline options."""
    require_full_cmek: bool = True
    """Refuse anything whose pipeline state the key cannot protect (Streaming Engine)."""
    job: Optional[DataflowJobSettings] = None
    """A Dataflow job to run from a template, if any."""


@dataclass(frozen=True)
class TrainingLogsSettings:
    enabled: bool = False
    """Route training and pipeline logs to a CMEK log bucket."""
    bucket_id: str = "cmek-ml-training-logs"
    retention_days: int = 30


@dataclass(frozen=True)
class ConfidentialSpaceSettings:
    parties: tuple[str, ...] = ()
    """Which side(s) of seed 004 this stack plays: model-owner (Primus), operator (Secundus)."""
    pool_id: str = ""
    """Model owner's workload identity pool id."""
    image_reference: str = ""
    """The only workload image allowed to read the model (and the one the operator runs)."""
    image_digest: str = ""
    """`sha256:<64 hex>` digest of that image."""
    workload_service_account: str = ""
    """Email of the operator's workload service account (the Confidential VM's)."""
    repository: str = ""
    """Operator's CMEK Artifact Registry repository for the workload image."""
    zone: str = ""
    """Zone of the operator's Confidential VM."""
    key_decrypt: bool = False
    """Grant decrypt-only on a dedicated key to workloads running the authorized image."""

    @property
    def model_owner(self) -> bool:
        return "model-owner" in self.parties

    @property
    def operator(self) -> bool:
        return "operator" in self.parties

    @property
    def workload_account_id(self) -> str:
        return self.workload_service_account.partition("@")[0]


@dataclass(frozen=True)
class OrgPolicySettings:
    scope: str = "none"
    """none, project (the ML project), folder or organization."""
    parent: str = ""
    """folders/N or organizations/N for those scopes."""

    @property
    def enabled(self) -> bool:
        return self.scope != "none"


@dataclass(frozen=True)
class WorkloadSettings:
    training: TrainingSettings = field(default_factory=TrainingSettings)
    dataflow: DataflowSettings = field(default_factory=DataflowSettings)
    training_logs: TrainingLogsSettings = field(default_factory=TrainingLogsSettings)
    confidential_space: ConfidentialSpaceSettings = field(default_factory=ConfidentialSpaceSettings)
    org_policies: OrgPolicySettings = field(default_factory=OrgPolicySettings)


def read_workload_settings(
    reader: SettingsReader, region: str, ml_project: str, services: Sequence[str], buckets: Sequence[str]
) -> WorkloadSettings:
    settings = WorkloadSettings(
        training=_training(reader, region, services),
        dataflow=_dataflow(reader, services),
        training_logs=_training_logs(reader, services),
        confidential_space=_confidential_space(reader, region, ml_project, services),
        org_policies=_org_policies(reader),
    )
    for suffix in sorted(set(buckets) & set(workload_bucket_suffixes(settings))):
        reader.problem("gcpBuckets", suffix, "is a bucket an enabled workload part creates itself; use another suffix")
    return settings


def workload_bucket_suffixes(settings: WorkloadSettings) -> list[str]:
    """Name suffixes (`<gcpMlProjectId>-<suffix>`) of the buckets the enabled parts create."""
    suffixes = []
    if settings.dataflow.enabled:
        suffixes += [DATAFLOW_TEMP_BUCKET, DATAFLOW_STAGING_BUCKET]
    if settings.confidential_space.model_owner:
        suffixes.append(MODEL_BUCKET)
    if settings.confidential_space.operator:
        suffixes += [INPUT_BUCKET, RESULT_BUCKET]
    return suffixes


def _require_services(reader: SettingsReader, services: Sequence[str], needed: Sequence[str], why: str) -> None:
    missing = [s for s in needed if s not in services]
    if missing:
        reader.problem("gcpServices", list(services), f"must include {', '.join(missing)} {why}")


def _training(reader: SettingsReader, region: str, services: Sequence[str]) -> TrainingSettings:
    training_region = reader.string("gcpTrainingRegion") or region
    if training_region != region:
        reader.problem(
            "gcpTrainingRegion",
            training_region,
            f"must be the key's region {region} (gcpRegion): AI Platform and Vertex use CMEK only "
            "when the job and its key are in the same region",
        )
    scale_tier = reader.string("gcpTrainingScaleTier")
    if scale_tier in TPU_SCALE_TIERS:
        reader.problem("gcpTrainingScaleTier", scale_tier, TPU_REJECTED + " tier: one of " + ", ".join(SCALE_TIERS))
    elif scale_tier not in SCALE_TIERS:
        reader.problem("gcpTrainingScaleTier", scale_tier, "must be one of " + ", ".join(SCALE_TIERS))
    machine_type = reader.matching(
        "gcpTrainingMachineType", r"[a-z][a-z0-9]*-[a-z0-9-]+", "must be a Compute Engine machine type such as n1-standard-4"
    )
    accelerator = reader.string("gcpTrainingAcceleratorType")
    if accelerator.upper().startswith("TPU"):
        reader.problem("gcpTrainingAcceleratorType", accelerator, TPU_REJECTED + " such as " + ", ".join(GPU_ACCELERATORS[:4]))
    elif accelerator and accelerator not in GPU_ACCELERATORS:
        reader.problem("gcpTrainingAcceleratorType", accelerator, "must be empty or one of " + ", ".join(GPU_ACCELERATORS))
    count = reader.integer("gcpTrainingAcceleratorCount", 1, 16)
    vertex_resources = tuple(reader.subset("gcpVertexResources", VERTEX_RESOURCES))
    if vertex_resources:
        _require_services(reader, services, ["aiplatform"], "when gcpVertexResources is not empty (its agent needs the key)")
    return TrainingSettings(scale_tier, machine_type, accelerator, count, vertex_resources)


def _dataflow(reader: SettingsReader, services: Sequence[str]) -> DataflowSettings:
    enabled = reader.boolean("gcpDataflow")
    require_full_cmek = reader.boolean("gcpDataflowRequireFullCmek")
    job_name = reader.matching(
        "gcpDataflowJobName", r"[a-z]([-a-z0-9]{0,62}[a-z0-9])?", "must be empty (no job) or a Dataflow job name: a-z 0-9 -, starting with a letter", optional=True
    )
    kind = reader.choice("gcpDataflowJobKind", DATAFLOW_JOB_KINDS)
    template = reader.matching(
        "gcpDataflowJobTemplate", r"gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](/[^\s]+)+", "must be the gs:// path of a Dataflow template", optional=True
    )
    parameters = reader.pairs("gcpDataflowJobParameters")
    streaming_engine = reader.boolean("gcpDataflowStreamingEngine")
    mode = reader.choice("gcpDataflowJobMode", DATAFLOW_JOB_MODES)
    if streaming_engine and require_full_cmek:
        reader.problem(
            "gcpDataflowStreamingEngine",
            True,
            "Streaming Engine state cannot be protected by a Cloud KMS key (seed 003); "
            "set it to false, or gcpDataflowRequireFullCmek to false to accept Google-managed state",
        )
    if enabled:
        _require_services(reader, services, ["dataflow", "storage"], "when gcpDataflow is true (their agents need the keys)")
    job = None
    if job_name:
        if not enabled:
            reader.problem("gcpDataflowJobName", job_name, "needs gcpDataflow: true (the job uses its CMEK temp and staging buckets)")
        if not template:
            reader.problem("gcpDataflowJobTemplate", template, "is required when gcpDataflowJobName is set")
        job = DataflowJobSettings(job_name, kind, template, parameters, streaming_engine, mode)
    return DataflowSettings(enabled, require_full_cmek, job)


def _training_logs(reader: SettingsReader, services: Sequence[str]) -> TrainingLogsSettings:
    enabled = reader.boolean("gcpTrainingLogs")
    bucket_id = reader.string("gcpTrainingLogsBucketId")
    if bucket_id.startswith("_"):
        reader.problem("gcpTrainingLogsBucketId", bucket_id, "must not start with _ (reserved for _Default and _Required)")
    elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,%d}" % (LOG_BUCKET_ID_MAX - 1), bucket_id):
        reader.problem(
            "gcpTrainingLogsBucketId",
            bucket_id,
            f"must be 1-{LOG_BUCKET_ID_MAX} of A-Z a-z 0-9 _ - ., starting with a letter or digit "
            f"(the _Default exclusion <id>{DEFAULT_EXCLUSION_SUFFIX} is limited to 100 characters)",
        )
    retention = reader.integer("gcpTrainingLogsRetentionDays", 1, 3650)
    if enabled:
        _require_services(reader, services, ["logging"], "when gcpTrainingLogs is true (its agent needs the key)")
    return TrainingLogsSettings(enabled, bucket_id, retention)


def _confidential_space(
    reader: SettingsReader, region: str, ml_project: str, services: Sequence[str]
) -> ConfidentialSpaceSettings:
    parties = tuple(reader.subset("gcpConfidentialSpaceParties", CONFIDENTIAL_SPACE_PARTIES))
    pool_id = reader.string("gcpConfidentialSpacePoolId")
    image_reference = reader.string("gcpConfidentialSpaceImageReference")
    image_digest = reader.string("gcpConfidentialSpaceImageDigest")
    account = reader.string("gcpConfidentialSpaceWorkloadServiceAccount")
    repository = reader.string("gcpConfidentialSpaceRepository")
    zone = reader.string("gcpConfidentialSpaceZone")
    key_decrypt = reader.boolean("gcpConfidentialSpaceKeyDecrypt")
    settings = ConfidentialSpaceSettings(
        parties, pool_id, image_reference, image_digest, account, repository, zone, key_decrypt
    )
    if not parties:
        if key_decrypt:
            reader.problem("gcpConfidentialSpaceKeyDecrypt", True, "needs model-owner in gcpConfidentialSpaceParties")
        return settings

    _require_services(reader, services, ["storage"], "when gcpConfidentialSpaceParties is set (CMEK buckets)")
    reference = re.fullmatch(IMAGE_REFERENCE, image_reference)
    if not reference:
        reader.problem(
            "gcpConfidentialSpaceImageReference",
            image_reference,
            "must be an Artifact Registry image LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG (or @sha256:DIGEST)",
        )
    account_match = re.fullmatch(SERVICE_ACCOUNT_EMAIL, account)
    if not account_match:
        reader.problem(
            "gcpConfidentialSpaceWorkloadServiceAccount",
            account,
            "must be a user-managed service account email ACCOUNT@PROJECT.iam.gserviceaccount.com (6-30 of a-z 0-9 - each)",
        )

    if settings.model_owner:
        if not re.fullmatch(IMAGE_DIGEST, image_digest):
            reader.problem(
                "gcpConfidentialSpaceImageDigest", image_digest, "must be sha256: followed by 64 lowercase hex digits"
            )
        if not re.fullmatch(r"[a-z0-9-]{4,32}", pool_id) or pool_id.startswith("gcp-"):
            reader.problem(
                "gcpConfidentialSpacePoolId", pool_id, "must be 4-32 of a-z 0-9 - and not start with gcp- (reserved)"
            )
    elif key_decrypt:
        reader.problem("gcpConfidentialSpaceKeyDecrypt", True, "needs model-owner in gcpConfidentialSpaceParties")

    if settings.operator:
        _require_services(reader, services, ["artifactregistry"], "for the Confidential Space operator (CMEK image repository)")
        if not re.fullmatch(REPOSITORY_ID, repository):
            reader.problem("gcpConfidentialSpaceRepository", repository, REPOSITORY_ID_RULE)
        elif reference and (reference["location"], reference["project"], reference["repository"]) != (region, ml_project, repository):
            reader.problem(
                "gcpConfidentialSpaceImageReference",
                image_reference,
                f"the operator runs the image from its CMEK repository: must start with "
                f"{region}-docker.pkg.dev/{ml_project}/{repository}/",
            )
        if account_match and account_match.group(2) != ml_project:
            reader.problem(
                "gcpConfidentialSpaceWorkloadServiceAccount",
                account,
                f"the operator's workload service account is created in gcpMlProjectId: must end @{ml_project}.iam.gserviceaccount.com",
            )
        if not re.fullmatch(re.escape(region) + r"-[a-z]", zone):
            reader.problem("gcpConfidentialSpaceZone", zone, f"must be a zone of {region}, such as {region}-a")
    return settings


def _org_policies(reader: SettingsReader) -> OrgPolicySettings:
    scope = reader.choice("gcpOrgPolicyScope", ORG_POLICY_SCOPES)
    parent = reader.string("gcpOrgPolicyParent")
    expected = {"folder": r"folders/[0-9]+", "organization": r"organizations/[0-9]+"}
    if scope in expected and not re.fullmatch(expected[scope], parent):
        reader.problem("gcpOrgPolicyParent", parent, f"must be {scope}s/NUMBER with gcpOrgPolicyScope={scope}")
    elif scope in ("none", "project") and parent:
        reader.problem(
            "gcpOrgPolicyParent", parent, f"must be empty with gcpOrgPolicyScope={scope} (project scope uses gcpMlProjectId)"
        )
    return OrgPolicySettings(scope, parent)

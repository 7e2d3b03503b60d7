"""The GCP landing zone's settings: read from the stack, validated before anything is built."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from cmek_ml.gcp.locations import (
    KMS_MULTI_REGIONS,
    REGIONS,
    is_multi_region_bucket,
    key_location_for_bucket,
)
from cmek_ml.gcp.service_agents import catalogue
from cmek_ml.gcp.workload_settings import REPOSITORY_ID, REPOSITORY_ID_RULE, WorkloadSettings, read_workload_settings
from cmek_ml.settings import SettingsReader

PROJECT_ID = r"[a-z][a-z0-9-]{4,28}[a-z0-9]"
PROJECT_ID_RULE = "must be a project id: 6-30 lowercase letters, digits or dashes, starting with a letter"
KMS_NAME = r"[A-Za-z0-9_-]{1,63}"
KMS_NAME_RULE = "must be 1-63 letters, digits, _ or -"
# Cloud Storage bucket names.
BUCKET_NAME = r"[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]"
DAY = 86_400
ROTATION_CAP = 90 * DAY
# Cloud KMS accepts 1 to 120 days before scheduled versions are destroyed.
DESTROY_SCHEDULED_RANGE = (DAY, 120 * DAY)
KMS_PROJECT_MODES = ("create", "adopt", "single")
KEY_LAYOUTS = ("per-purpose", "shared")
PROTECTION_LEVELS = ("SOFTWARE", "HSM")


def parse_duration_seconds(text: str) -> Optional[int]:
    """`7776000s` or `90d` -> seconds; anything else -> None."""
    match = re.fullmatch(r"([0-9]+)([sd])", text)
    if not match:
        return None
    return int(match.group(1)) * (DAY if match.group(2) == "d" else 1)


@dataclass(frozen=True)
class GcpSettings:
    region: str
    """Region of the workloads, and so of their keys."""
    ml_project: str
    """Project where data and workloads live."""
    kms_project_mode: str
    """create | adopt | single (keys in the ML project: no separation of duties)."""
    kms_project: str
    """Project holding the keys (== ml_project in single mode)."""
    kms_project_parent: str
    """folders/N or organizations/N, when creating the KMS project."""
    billing_account: str
    """Billing account for a created KMS project."""
    key_ring: str
    """Key ring name; the same name is used in every location."""
    key_layout: str
    """per-purpose (one key per purpose) or shared (one key for all)."""
    rotation_period: str
    """Canonical `<seconds>s`."""
    protection_level: str
    """SOFTWARE or HSM."""
    destroy_scheduled_duration: str
    """Canonical `<seconds>s` destroyed key versions stay recoverable (create-only)."""
    labels: dict[str, str]
    """Labels on every resource that takes them."""
    services: list[str]
    """Catalogue names of the services whose agents use the keys."""
    agent_email_overrides: dict[str, str]
    """Service name -> agent email, where the catalogue's is wrong for the organisation."""
    buckets: list[str]
    """Bucket name suffixes; the bucket is `<ml_project>-<suffix>`."""
    bucket_location: str
    """Location of the buckets: the region, or a multi-region with its own key ring."""
    registry_repository: str
    """Artifact Registry repository id; empty for none."""
    workloads: WorkloadSettings = field(default_factory=WorkloadSettings)
    """Training, Dataflow, training logs, Confidential Space and org policies (issue #6)."""

    @property
    def storage_key_location(self) -> str:
        return key_location_for_bucket(self.bucket_location)

    @property
    def key_purposes(self) -> list[str]:
        specs = catalogue()
        return sorted({specs[s].key_purpose for s in self.services})

    def bucket_name(self, suffix: str) -> str:
        return f"{self.ml_project}-{suffix}"


def read_gcp_settings(reader: SettingsReader) -> GcpSettings:
    region = reader.string("gcpRegion")
    problems_before = len(reader.problems)
    if region in KMS_MULTI_REGIONS or region.upper() in ("US", "EU", "ASIA"):
        reader.problem(
            "gcpRegion",
            region,
            "workload keys must be in the workload's region (AI Platform, Vertex and Dataflow "
            "reject global, dual-region and multi-region keys); use a region such as us-central1",
        )
    elif region not in REGIONS:
        reader.problem("gcpRegion", region, "unknown region; use one of " + ", ".join(sorted(REGIONS)))

    region_valid = len(reader.problems) == problems_before
    ml_project = reader.matching("gcpMlProjectId", PROJECT_ID, PROJECT_ID_RULE)
    ml_project_valid = re.fullmatch(PROJECT_ID, ml_project) is not None
    mode = reader.choice("gcpKmsProjectMode", KMS_PROJECT_MODES)
    kms_project = reader.matching("gcpKmsProjectId", PROJECT_ID, PROJECT_ID_RULE, optional=True)
    parent = reader.matching(
        "gcpKmsProjectParent", r"(folders|organizations)/[0-9]+", "must be folders/NUMBER or organizations/NUMBER", optional=True
    )
    billing = reader.matching(
        "gcpBillingAccount", r"[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}", "must be a billing account id XXXXXX-XXXXXX-XXXXXX", optional=True
    )
    if mode == "single":
        if kms_project and kms_project != ml_project:
            reader.problem("gcpKmsProjectId", kms_project, "must be empty or equal gcpMlProjectId in single mode")
        kms_project = ml_project
    elif mode in ("create", "adopt"):
        if not kms_project:
            reader.problem("gcpKmsProjectId", kms_project, f"is required with gcpKmsProjectMode={mode}; " + PROJECT_ID_RULE)
        elif kms_project == ml_project:
            reader.problem("gcpKmsProjectId", kms_project, "must differ from gcpMlProjectId (or use gcpKmsProjectMode=single)")
    if mode == "create":
        if not parent:
            reader.problem("gcpKmsProjectParent", parent, "is required with gcpKmsProjectMode=create: folders/NUMBER or organizations/NUMBER")
        if not billing:
            reader.problem("gcpBillingAccount", billing, "is required with gcpKmsProjectMode=create: XXXXXX-XXXXXX-XXXXXX")

    key_ring = reader.matching("gcpKeyRingName", KMS_NAME, KMS_NAME_RULE)
    layout = reader.choice("gcpKeyLayout", KEY_LAYOUTS)
    rotation_period = _rotation_period(reader)
    protection = reader.choice("gcpKeyProtectionLevel", PROTECTION_LEVELS)
    destroy_after = _destroy_scheduled_duration(reader)
    labels = reader.pairs(
        "gcpLabels",
        check_key=lambda k: None if re.fullmatch(r"[a-z][a-z0-9_-]{0,62}", k) else "label keys: lowercase letter first, then up to 62 of a-z 0-9 _ -",
        check_value=lambda v: None if re.fullmatch(r"[a-z0-9_-]{0,63}", v) else "label values: up to 63 of a-z 0-9 _ -",
    )
    services = reader.subset("gcpServices", catalogue().keys())
    overrides = reader.pairs(
        "gcpServiceAgentEmails",
        check_key=lambda s: None if s in services else "service must be one of the enabled gcpServices: " + ", ".join(services),
        check_value=lambda e: None if re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.gserviceaccount\.com", e) else "email must be a Google service account (…@….gserviceaccount.com)",
    )
    buckets = reader.strings("gcpBuckets")
    # Names derive from the project id: report them only once it is valid, not twice.
    for suffix in buckets if ml_project_valid else []:
        name = f"{ml_project}-{suffix}"
        if not re.fullmatch(BUCKET_NAME, name) or "goog" in name:
            reader.problem("gcpBuckets", suffix, f"bucket name {name!r} must be 3-63 of a-z 0-9 _ - and not contain 'goog'")
    if buckets and "storage" not in services:
        reader.problem("gcpServices", services, "must include storage when gcpBuckets is not empty (its agent needs the key)")

    bucket_location = reader.string("gcpBucketLocation") or region
    if region_valid:
        _check_bucket_location(reader, bucket_location, region)

    repository = reader.matching("gcpArtifactRegistryRepository", REPOSITORY_ID, REPOSITORY_ID_RULE, optional=True)
    if repository and "artifactregistry" not in services:
        reader.problem("gcpServices", services, "must include artifactregistry when gcpArtifactRegistryRepository is set")

    return GcpSettings(
        region=region,
        ml_project=ml_project,
        kms_project_mode=mode,
        kms_project=kms_project,
        kms_project_parent=parent,
        billing_account=billing,
        key_ring=key_ring,
        key_layout=layout,
        rotation_period=rotation_period,
        protection_level=protection,
        destroy_scheduled_duration=destroy_after,
        labels=labels,
        services=services,
        agent_email_overrides=overrides,
        buckets=buckets,
        bucket_location=bucket_location,
        registry_repository=repository,
        workloads=read_workload_settings(reader, region, ml_project, services, buckets),
    )


def _rotation_period(reader: SettingsReader) -> str:
    raw = reader.string("gcpKeyRotationPeriod")
    allow_long = reader.boolean("gcpAllowRotationOver90Days")
    seconds = parse_duration_seconds(raw)
    if seconds is None:
        reader.problem("gcpKeyRotationPeriod", raw, "must be a duration such as 7776000s or 90d")
        return raw
    if seconds <= DAY:
        reader.problem("gcpKeyRotationPeriod", raw, "must be more than 1 day (86400s)")
    elif seconds > ROTATION_CAP and not allow_long:
        reader.problem(
            "gcpKeyRotationPeriod", raw, "must be at most 90 days (7776000s) unless gcpAllowRotationOver90Days is true"
        )
    return f"{seconds}s"


def _destroy_scheduled_duration(reader: SettingsReader) -> str:
    raw = reader.string("gcpKeyDestroyScheduledDuration")
    seconds = parse_duration_seconds(raw)
    low, high = DESTROY_SCHEDULED_RANGE
    if seconds is None or not low <= seconds <= high:
        reader.problem("gcpKeyDestroyScheduledDuration", raw, "must be a duration from 1 to 120 days, such as 2592000s or 30d")
        return raw
    return f"{seconds}s"


def _check_bucket_location(reader: SettingsReader, bucket_location: str, region: str) -> None:
    if is_multi_region_bucket(bucket_location):
        if not reader.boolean("gcpAllowMultiRegionStorageKey"):
            reader.problem(
                "gcpBucketLocation",
                bucket_location,
                f"a multi-region bucket needs a multi-region key ({key_location_for_bucket(bucket_location)}); "
                "set gcpAllowMultiRegionStorageKey to true to create one, or use the region " + region,
            )
    elif bucket_location.lower() != region:
        reader.problem(
            "gcpBucketLocation",
            bucket_location,
            f"must be the key's region {region} (a regional bucket's key must be in its region), "
            "or a multi-region (ASIA, EU, US) with gcpAllowMultiRegionStorageKey",
        )

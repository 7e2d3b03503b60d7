"""The prod stack with every GCP workload part on, GCP only (other clouds are tested apart)."""

from __future__ import annotations

import hashlib

from tests import config_problems
from tests.conftest import PROJECT_NUMBERS
from tools import mock_engine, stack_config
from tools.mock_engine import ProgramRun

N = "222222222222"  # acme-ml-prod's number in tests/conftest.py
KEY_RING = "projects/acme-kms-prod/locations/europe-west4/keyRings/cmek-ml"
IMAGE_DIGEST = "sha256:" + hashlib.sha256(b"acme inference workload v1").hexdigest()
IMAGE_REFERENCE = "europe-west4-docker.pkg.dev/acme-ml-prod/confidential-workloads/inference:v1"
WORKLOAD_SA = "cs-workload@acme-ml-prod.iam.gserviceaccount.com"

KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
BUCKET = "gcp:storage/bucket:Bucket"

ALL_PARTS = {
    "clouds": ["gcp"],
    "gcpServices": ["storage", "artifactregistry", "ml", "aiplatform", "dataflow", "logging", "compute"],
    "gcpTrainingAcceleratorType": "NVIDIA_TESLA_T4",
    "gcpVertexResources": ["metadata-store", "tensorboard", "dataset", "featurestore"],
    "gcpDataflow": True,
    "gcpDataflowJobName": "wordcount-cmek",
    "gcpDataflowJobTemplate": "gs://dataflow-templates-europe-west4/latest/Word_Count",
    "gcpDataflowJobParameters": [
        "inputFile=gs://acme-ml-prod-training-data/corpus/*.txt",
        "output=gs://acme-ml-prod-models/wordcount/out",
    ],
    "gcpTrainingLogs": True,
    "gcpTrainingLogsRetentionDays": 400,
    "gcpConfidentialSpaceParties": ["model-owner", "operator"],
    "gcpConfidentialSpaceImageReference": IMAGE_REFERENCE,
    "gcpConfidentialSpaceImageDigest": IMAGE_DIGEST,
    "gcpConfidentialSpaceWorkloadServiceAccount": WORKLOAD_SA,
    "gcpConfidentialSpaceZone": "europe-west4-a",
    "gcpConfidentialSpaceKeyDecrypt": True,
    "gcpOrgPolicyScope": "project",
}


def run_all_parts() -> ProgramRun:
    """One run for a test module's read-only checks (runs are slow on a shared machine)."""
    config = stack_config.resolve("prod", ALL_PARTS)
    return mock_engine.run_project_program(config, stack="prod", project_numbers=PROJECT_NUMBERS)


def run_workloads(run_stack, **overrides):
    return run_stack("prod", {**ALL_PARTS, **overrides})


def grant_for(run, member: str, key: str = ""):
    """The one key grant to `member` (on `key`, a key id, when the member has several)."""
    (grant,) = [
        g for g in run.by_type(KEY_MEMBER) if g.inputs["member"] == member and key in ("", g.inputs["cryptoKeyId"])
    ]
    return grant


def agent(email_domain: str) -> str:
    return f"serviceAccount:service-{N}@{email_domain}"


def only_problem(run_stack, overrides, key):
    """The one problem an invalid workload setting causes; nothing may have been registered."""
    return config_problems.only_problem(lambda stack, o: run_workloads(run_stack, **o), overrides, key)


def parent_component(run, registration):
    return run.monitor.by_urn()[registration.parent]

"""Every workload setting is validated before anything is registered; one test per rule."""

import json

import pulumi
import pytest

from cmek_ml.gcp.settings import read_gcp_settings
from cmek_ml.settings import SettingsReader
from tests.components.gcp.workload_stack import ALL_PARTS, IMAGE_DIGEST, only_problem, run_workloads
from tools import stack_config


def test_every_part_together_is_valid(run_stack):
    assert run_workloads(run_stack).resources


# --- training (seed 000) -------------------------------------------------------------------


def test_training_region_must_be_the_key_region(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingRegion": "us-central1"}, "gcpTrainingRegion")
    assert problem.value == "us-central1"
    assert "key's region europe-west4" in problem.allowed and "same region" in problem.allowed


def test_training_region_equal_to_the_key_region_is_accepted(run_stack):
    assert run_workloads(run_stack, gcpTrainingRegion="europe-west4").resources


def test_tpu_scale_tier_is_rejected_with_cmek(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingScaleTier": "BASIC_TPU"}, "gcpTrainingScaleTier")
    assert "CMEK cannot be used with TPUs" in problem.allowed
    assert "BASIC_GPU" in problem.allowed


def test_unknown_scale_tier(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingScaleTier": "HUGE"}, "gcpTrainingScaleTier")
    assert problem.allowed == "must be one of BASIC, STANDARD_1, PREMIUM_1, BASIC_GPU, CUSTOM"


@pytest.mark.parametrize("accelerator", ["TPU_V2", "TPU_V3", "TPU_V4_POD", "TPU_V5_LITEPOD", "tpu_v3"])
def test_tpu_accelerator_is_rejected_with_cmek(run_stack, accelerator):
    problem = only_problem(run_stack, {"gcpTrainingAcceleratorType": accelerator}, "gcpTrainingAcceleratorType")
    assert problem.value == accelerator
    assert "CMEK cannot be used with TPUs" in problem.allowed and "NVIDIA_TESLA_T4" in problem.allowed


def test_unknown_accelerator(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingAcceleratorType": "GTX_1080"}, "gcpTrainingAcceleratorType")
    assert "NVIDIA_L4" in problem.allowed


def test_accelerator_count_range(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingAcceleratorCount": 17}, "gcpTrainingAcceleratorCount")
    assert problem.allowed == "must be from 1 to 16"


def test_machine_type_format(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingMachineType": "big box"}, "gcpTrainingMachineType")
    assert "n1-standard-4" in problem.allowed


def test_unknown_vertex_resource(run_stack):
    problem = only_problem(run_stack, {"gcpVertexResources": ["endpoint"]}, "gcpVertexResources")
    assert problem.value == "endpoint"
    assert problem.allowed == "unknown; each entry must be one of dataset, featurestore, metadata-store, tensorboard"


def test_vertex_resources_need_the_vertex_agent(run_stack):
    services = [s for s in ALL_PARTS["gcpServices"] if s != "aiplatform"]
    problem = only_problem(run_stack, {"gcpServices": services}, "gcpServices")
    assert "must include aiplatform when gcpVertexResources" in problem.allowed


# --- Dataflow (seed 003) -------------------------------------------------------------------


def test_streaming_engine_is_refused_when_full_cmek_is_required(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowStreamingEngine": True}, "gcpDataflowStreamingEngine")
    assert "Streaming Engine state cannot be protected by a Cloud KMS key" in problem.allowed
    assert "gcpDataflowRequireFullCmek" in problem.allowed


def test_streaming_engine_is_accepted_when_full_cmek_is_not_required(run_stack):
    run = run_workloads(run_stack, gcpDataflowStreamingEngine=True, gcpDataflowRequireFullCmek=False)
    (job,) = run.by_type("gcp:dataflow/job:Job")
    assert job.inputs["enableStreamingEngine"] is True
    assert "Streaming Engine state" in run.outputs["gcp"]["dataflow"]["outsideCmek"]


def test_dataflow_needs_its_agents(run_stack):
    services = [s for s in ALL_PARTS["gcpServices"] if s != "dataflow"]
    problem = only_problem(run_stack, {"gcpServices": services}, "gcpServices")
    assert "must include dataflow when gcpDataflow is true" in problem.allowed


def test_dataflow_job_needs_the_dataflow_buckets(run_stack):
    problem = only_problem(run_stack, {"gcpDataflow": False}, "gcpDataflowJobName")
    assert "needs gcpDataflow: true" in problem.allowed


def test_dataflow_job_needs_a_template(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowJobTemplate": ""}, "gcpDataflowJobTemplate")
    assert "required when gcpDataflowJobName is set" in problem.allowed


def test_dataflow_template_must_be_a_gcs_path(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowJobTemplate": "https://example.com/t"}, "gcpDataflowJobTemplate")
    assert "gs:// path" in problem.allowed


def test_dataflow_job_name_format(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowJobName": "Word Count"}, "gcpDataflowJobName")
    assert "Dataflow job name" in problem.allowed


def test_dataflow_job_kind(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowJobKind": "sql"}, "gcpDataflowJobKind")
    assert problem.allowed == "must be one of classic, flex"


def test_dataflow_job_parameters_are_name_value_pairs(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowJobParameters": ["inputFile"]}, "gcpDataflowJobParameters")
    assert problem.allowed == "each entry must be NAME=VALUE"


# --- training logs -------------------------------------------------------------------------


def test_training_logs_need_the_logging_agent(run_stack):
    services = [s for s in ALL_PARTS["gcpServices"] if s != "logging"]
    problem = only_problem(run_stack, {"gcpServices": services}, "gcpServices")
    assert "must include logging when gcpTrainingLogs is true" in problem.allowed


def test_log_bucket_id_cannot_be_a_reserved_one(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingLogsBucketId": "_Default"}, "gcpTrainingLogsBucketId")
    assert "reserved" in problem.allowed


def test_log_retention_range(run_stack):
    problem = only_problem(run_stack, {"gcpTrainingLogsRetentionDays": 0}, "gcpTrainingLogsRetentionDays")
    assert problem.allowed == "must be from 1 to 3650"


# --- Confidential Space (seed 004) ---------------------------------------------------------


@pytest.mark.parametrize(
    "digest",
    [
        "",
        IMAGE_DIGEST[len("sha256:"):],  # no algorithm
        "sha256:" + "a" * 63,  # too short
        "sha256:" + "A" * 64,  # upper case
        "sha512:" + "a" * 64,
        IMAGE_DIGEST + "' || true || '",  # CEL injection
    ],
)
def test_image_digest_is_sha256_and_64_hex(run_stack, digest):
    problem = only_problem(run_stack, {"gcpConfidentialSpaceImageDigest": digest}, "gcpConfidentialSpaceImageDigest")
    assert problem.allowed == "must be sha256: followed by 64 lowercase hex digits"


@pytest.mark.parametrize(
    "reference",
    [
        "",
        "inference:v1",
        "docker.io/library/inference:v1",
        "europe-west4-docker.pkg.dev/acme-ml-prod/confidential-workloads/inference",  # no tag or digest
        "europe-west4-docker.pkg.dev/acme-ml-prod/confidential-workloads/inference:v1' || true || '",
    ],
)
def test_image_reference_format(run_stack, reference):
    problem = only_problem(
        run_stack, {"gcpConfidentialSpaceImageReference": reference}, "gcpConfidentialSpaceImageReference"
    )
    assert "LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG" in problem.allowed


def test_operator_runs_the_image_from_its_cmek_repository(run_stack):
    other = "us-docker.pkg.dev/acme-ml-prod/custom-image/inference:v1"  # the seed's unauthorized image
    problem = only_problem(run_stack, {"gcpConfidentialSpaceImageReference": other}, "gcpConfidentialSpaceImageReference")
    assert "europe-west4-docker.pkg.dev/acme-ml-prod/confidential-workloads/" in problem.allowed


@pytest.mark.parametrize(
    "account",
    [
        "",
        "cs-workload",
        "cs-workload@acme-ml-prod.com",
        "cs-workload@developer.gserviceaccount.com",
        "x@acme-ml-prod.iam.gserviceaccount.com",  # account id under 6 characters
        "cs-workload@acme-ml-prod.iam.gserviceaccount.com' in x || '",
    ],
)
def test_workload_service_account_email(run_stack, account):
    problem = only_problem(
        run_stack, {"gcpConfidentialSpaceWorkloadServiceAccount": account}, "gcpConfidentialSpaceWorkloadServiceAccount"
    )
    assert "ACCOUNT@PROJECT.iam.gserviceaccount.com" in problem.allowed


def test_operator_creates_its_workload_account_in_its_own_project(run_stack):
    problem = only_problem(
        run_stack,
        {"gcpConfidentialSpaceWorkloadServiceAccount": "cs-workload@secundus-prod.iam.gserviceaccount.com"},
        "gcpConfidentialSpaceWorkloadServiceAccount",
    )
    assert "must end @acme-ml-prod.iam.gserviceaccount.com" in problem.allowed


def test_model_owner_alone_authorizes_another_companys_workload_account(run_stack):
    run = run_workloads(
        run_stack,
        gcpConfidentialSpaceParties=["model-owner"],
        gcpConfidentialSpaceWorkloadServiceAccount="cs-workload@secundus-prod.iam.gserviceaccount.com",
        gcpConfidentialSpaceImageReference="us-docker.pkg.dev/primus-prod/workloads/inference:v1",
    )
    (provider,) = run.by_type("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    assert "'cs-workload@secundus-prod.iam.gserviceaccount.com' in assertion.google_service_accounts" in (
        provider.inputs["attributeCondition"]
    )
    assert run.by_type("gcp:serviceaccount/account:Account")[0].inputs["accountId"] == "cs-model-reader"
    assert "operator" not in run.outputs["gcp"]["confidentialSpace"]


@pytest.mark.parametrize("pool_id", ["gcp-space", "abc", "Confidential", "a" * 33])
def test_pool_id(run_stack, pool_id):
    problem = only_problem(run_stack, {"gcpConfidentialSpacePoolId": pool_id}, "gcpConfidentialSpacePoolId")
    assert "gcp- (reserved)" in problem.allowed


@pytest.mark.parametrize("zone", ["", "us-central1-a", "europe-west4"])
def test_confidential_vm_zone_is_in_the_region(run_stack, zone):
    problem = only_problem(run_stack, {"gcpConfidentialSpaceZone": zone}, "gcpConfidentialSpaceZone")
    assert problem.allowed == "must be a zone of europe-west4, such as europe-west4-a"


def test_operator_repository_id(run_stack):
    problem = only_problem(run_stack, {"gcpConfidentialSpaceRepository": "Images"}, "gcpConfidentialSpaceRepository")
    assert "a-z 0-9 -" in problem.allowed


def test_unknown_party(run_stack):
    overrides = {"gcpConfidentialSpaceParties": ["auditor"], "gcpConfidentialSpaceKeyDecrypt": False}
    problem = only_problem(run_stack, overrides, "gcpConfidentialSpaceParties")
    assert "model-owner, operator" in problem.allowed


def test_decrypt_grant_needs_the_model_owner(run_stack):
    problem = only_problem(run_stack, {"gcpConfidentialSpaceParties": ["operator"]}, "gcpConfidentialSpaceKeyDecrypt")
    assert "needs model-owner" in problem.allowed


def test_operator_needs_the_registry_agent(run_stack):
    services = [s for s in ALL_PARTS["gcpServices"] if s != "artifactregistry"]
    overrides = {"gcpServices": services, "gcpArtifactRegistryRepository": ""}
    problem = only_problem(run_stack, overrides, "gcpServices")
    assert "must include artifactregistry for the Confidential Space operator" in problem.allowed


# --- org policies --------------------------------------------------------------------------


def test_org_policy_scope(run_stack):
    problem = only_problem(run_stack, {"gcpOrgPolicyScope": "billing"}, "gcpOrgPolicyScope")
    assert problem.allowed == "must be one of none, project, folder, organization"


@pytest.mark.parametrize(
    "scope, parent, expected",
    [
        ("folder", "", "folders/NUMBER"),
        ("folder", "organizations/1", "folders/NUMBER"),
        ("organization", "folders/1", "organizations/NUMBER"),
        ("project", "folders/1", "must be empty"),
    ],
)
def test_org_policy_parent_matches_the_scope(run_stack, scope, parent, expected):
    overrides = {"gcpOrgPolicyScope": scope, "gcpOrgPolicyParent": parent}
    problem = only_problem(run_stack, overrides, "gcpOrgPolicyParent")
    assert expected in problem.allowed


def test_problems_of_several_parts_are_reported_together(run_stack):
    with pytest.raises(Exception) as caught:
        run_workloads(run_stack, gcpTrainingScaleTier="BASIC_TPU", gcpConfidentialSpaceImageDigest="sha256:x")
    assert {p.key for p in caught.value.problems} == {"gcpTrainingScaleTier", "gcpConfidentialSpaceImageDigest"}
    assert caught.value.program_run.resources == []



def test_prod_enables_every_part_as_the_tests_run_it():
    """The tests' ALL_PARTS is prod's GCP workload configuration, and it turns every part on."""
    prod = stack_config.resolve("prod")
    for key, value in ALL_PARTS.items():
        if key != "clouds":
            raw = prod[f"cmek-ml:{key}"]
            assert (raw if isinstance(value, str) else json.loads(raw)) == value, key

    pulumi.runtime.set_all_config(prod)
    reader = SettingsReader()
    workloads = read_gcp_settings(reader).workloads
    assert reader.problems == []
    assert set(workloads.training.vertex_resources) == {"metadata-store", "tensorboard", "dataset", "featurestore"}
    assert workloads.dataflow.enabled and workloads.dataflow.job is not None
    assert workloads.training_logs.enabled
    assert workloads.confidential_space.model_owner and workloads.confidential_space.operator
    assert workloads.confidential_space.key_decrypt
    assert workloads.org_policies.enabled


@pytest.mark.parametrize("suffix", ["dataflow-temp", "dataflow-staging", "cs-model", "cs-input", "cs-results"])
def test_buckets_cannot_take_a_workload_buckets_name(run_stack, suffix):
    problem = only_problem(run_stack, {"gcpBuckets": ["training-data", suffix]}, "gcpBuckets")
    assert problem.value == suffix
    assert "an enabled workload part creates itself" in problem.allowed


def test_a_workload_bucket_name_is_free_when_its_part_is_off(run_stack):
    run = run_stack("dev", {"gcpBuckets": ["dataflow-temp"]})
    assert [b.inputs["name"] for b in run.by_type("gcp:storage/bucket:Bucket")] == ["acme-ml-dev-dataflow-temp"]

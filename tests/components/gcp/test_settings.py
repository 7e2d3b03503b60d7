"""Every GCP setting is validated before anything is registered; one test per rule."""

import pytest

from tests.config_problems import only_problem, problems_for


@pytest.mark.parametrize("location", ["global", "us", "europe", "asia", "nam4", "eur4", "US"])
def test_workload_region_rejects_global_dual_and_multi_region(run_stack, location):
    problem = only_problem(run_stack, {"gcpRegion": location, "gcpBucketLocation": ""}, "gcpRegion")
    assert problem.value == location
    assert "global, dual-region and multi-region" in problem.allowed
    assert f"cmek-ml:gcpRegion = {location!r}" in str(problem)


def test_unknown_region_is_rejected_with_the_allowed_list(run_stack):
    problem = only_problem(run_stack, {"gcpRegion": "europe-west99"}, "gcpRegion")
    assert "unknown region" in problem.allowed and "europe-west4" in problem.allowed


@pytest.mark.parametrize("period", ["86400s", "1d", "3600s"])
def test_rotation_period_must_exceed_one_day(run_stack, period):
    problem = only_problem(run_stack, {"gcpKeyRotationPeriod": period}, "gcpKeyRotationPeriod")
    assert "more than 1 day" in problem.allowed


@pytest.mark.parametrize("period", ["91d", "7776001s", "365d"])
def test_rotation_period_over_90_days_needs_the_explicit_override(run_stack, period):
    problem = only_problem(run_stack, {"gcpKeyRotationPeriod": period}, "gcpKeyRotationPeriod")
    assert "gcpAllowRotationOver90Days" in problem.allowed


def test_rotation_period_over_90_days_is_accepted_with_the_override(run_stack):
    run = run_stack("dev", {"gcpKeyRotationPeriod": "365d", "gcpAllowRotationOver90Days": True})
    key = run.by_type("gcp:kms/cryptoKey:CryptoKey")[0]
    assert key.inputs["rotationPeriod"] == f"{365 * 86400}s"


@pytest.mark.parametrize("period", ["90 days", "P90D", "7776000", "-5d", ""])
def test_badly_formatted_rotation_period(run_stack, period):
    problem = only_problem(run_stack, {"gcpKeyRotationPeriod": period}, "gcpKeyRotationPeriod")
    assert "7776000s or 90d" in problem.allowed


@pytest.mark.parametrize("duration", ["0s", "121d", "12h", "soon"])
def test_destroy_scheduled_duration_range_and_format(run_stack, duration):
    problem = only_problem(run_stack, {"gcpKeyDestroyScheduledDuration": duration}, "gcpKeyDestroyScheduledDuration")
    assert "1 to 120 days" in problem.allowed


def test_bucket_in_another_region_than_its_key(run_stack):
    problem = only_problem(run_stack, {"gcpBucketLocation": "us-east1"}, "gcpBucketLocation")
    assert "europe-west4" in problem.allowed


@pytest.mark.parametrize("location", ["US", "EU", "nam4"])
def test_multi_region_bucket_needs_an_explicit_multi_region_key(run_stack, location):
    problem = only_problem(run_stack, {"gcpBucketLocation": location}, "gcpBucketLocation")
    assert "gcpAllowMultiRegionStorageKey" in problem.allowed


@pytest.mark.parametrize("project_id", ["Acme_ML", "ab", "1acme-ml", "acme-ml-", "a" * 31])
def test_malformed_ml_project_id(run_stack, project_id):
    problem = only_problem(run_stack, {"gcpMlProjectId": project_id, "gcpKmsProjectId": ""}, "gcpMlProjectId")
    assert "6-30 lowercase letters" in problem.allowed


def test_malformed_kms_project_id(run_stack):
    problem = only_problem(run_stack, {"gcpKmsProjectId": "KMS!"}, "gcpKmsProjectId", stack="prod")
    assert problem.value == "KMS!"


def test_unknown_service_in_the_enabled_services(run_stack):
    problem = only_problem(run_stack, {"gcpServices": ["storage", "artifactregistry", "bigtable"]}, "gcpServices")
    assert problem.value == "bigtable"
    assert "aiplatform" in problem.allowed and "storage" in problem.allowed


def test_buckets_need_the_storage_agent(run_stack):
    problem = only_problem(run_stack, {"gcpServices": ["artifactregistry"]}, "gcpServices")
    assert "storage" in problem.allowed


def test_repository_needs_the_registry_agent(run_stack):
    problem = only_problem(run_stack, {"gcpServices": ["storage"]}, "gcpServices")
    assert "artifactregistry" in problem.allowed


def test_create_mode_needs_parent_and_billing_account(run_stack):
    problems = problems_for(run_stack, {"gcpKmsProjectParent": "", "gcpBillingAccount": ""}, stack="prod")
    assert sorted(p.key for p in problems) == ["gcpBillingAccount", "gcpKmsProjectParent"]


@pytest.mark.parametrize(
    "key,value", [("gcpKmsProjectParent", "folder/12"), ("gcpBillingAccount", "0123-4567")]
)
def test_malformed_parent_and_billing_account(run_stack, key, value):
    assert only_problem(run_stack, {key: value}, key, stack="prod").value == value


def test_adopt_mode_needs_a_separate_kms_project(run_stack):
    problem = only_problem(run_stack, {"gcpKmsProjectMode": "adopt"}, "gcpKmsProjectId")
    assert "required" in problem.allowed
    problem = only_problem(
        run_stack, {"gcpKmsProjectMode": "adopt", "gcpKmsProjectId": "acme-ml-dev"}, "gcpKmsProjectId"
    )
    assert "must differ" in problem.allowed


@pytest.mark.parametrize(
    "key,value",
    [
        ("gcpKmsProjectMode", "shared"),
        ("gcpKeyLayout", "per-bucket"),
        ("gcpKeyProtectionLevel", "EXTERNAL"),
    ],
)
def test_choices(run_stack, key, value):
    assert only_problem(run_stack, {key: value}, key).value == value


@pytest.mark.parametrize("label", ["Env=dev", "env", "env=Dev!"])
def test_malformed_labels(run_stack, label):
    assert only_problem(run_stack, {"gcpLabels": [label]}, "gcpLabels").value == label


@pytest.mark.parametrize(
    "entry", ["ml=someone@gmail.com", "bigquery=bq-1@bigquery-encryption.iam.gserviceaccount.com", "ml"]
)
def test_malformed_agent_email_overrides(run_stack, entry):
    assert only_problem(run_stack, {"gcpServiceAgentEmails": [entry]}, "gcpServiceAgentEmails").value == entry


def test_bad_bucket_suffix(run_stack):
    assert only_problem(run_stack, {"gcpBuckets": ["Models"]}, "gcpBuckets").value == "Models"


def test_every_problem_is_reported_at_once(run_stack):
    problems = problems_for(
        run_stack, {"gcpRegion": "global", "gcpKeyRotationPeriod": "1d", "gcpServices": ["nope"]}
    )
    assert {"gcpRegion", "gcpKeyRotationPeriod", "gcpServices"} <= {p.key for p in problems}


@pytest.mark.parametrize("clouds", [[], ["oracle"]])
def test_clouds_must_name_known_clouds(run_stack, clouds):
    problem = only_problem(run_stack, {"clouds": clouds}, "clouds")
    assert "gcp" in problem.allowed

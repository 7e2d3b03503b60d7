"""Training logs under the key (seed 000): a CMEK log bucket after the Logging agent's grant,
and a sink routing AI Platform, Vertex and Dataflow logs to it."""

import re

import pytest

from cmek_ml.gcp.key_grants import ENCRYPTER_DECRYPTER
from cmek_ml.gcp.logging_bucket import DEFAULT_EXCLUSION_SUFFIX
from tests.components.gcp.workload_stack import (
    KEY_RING,
    agent,
    grant_for,
    only_problem,
    parent_component,
    run_all_parts,
    run_workloads,
)
from tests import readme_sections

LOGS_KEY = f"{KEY_RING}/cryptoKeys/logs"
LOGGING_AGENT = agent("gcp-sa-logging.iam.gserviceaccount.com")
LOG_BUCKET = "gcp:logging/projectBucketConfig:ProjectBucketConfig"
SINK = "gcp:logging/projectSink:ProjectSink"
FILTER = 'resource.type="ml_job" OR resource.type="aiplatform.googleapis.com/CustomJob" OR resource.type="dataflow_step"'


@pytest.fixture(scope="module")
def run():
    return run_all_parts()


def test_logging_agent_resolved_from_project_settings_gets_the_logs_key(run):
    grant = grant_for(run, LOGGING_AGENT)
    assert grant.inputs["cryptoKeyId"] == LOGS_KEY
    assert grant.inputs["role"] == ENCRYPTER_DECRYPTER
    lookups = [args for token, args in run.monitor.invokes if token == "gcp:logging/getProjectSettings:getProjectSettings"]
    assert lookups and all(args["project"] == "acme-ml-prod" for args in lookups)


def test_log_bucket_is_cmek_protected_and_regional(run):
    (bucket,) = run.by_type(LOG_BUCKET)
    assert bucket.inputs["cmekSettings"] == {"kmsKeyName": LOGS_KEY}
    assert bucket.inputs["location"] == "europe-west4"
    assert bucket.inputs["bucketId"] == "cmek-ml-training-logs"
    assert bucket.inputs["retentionDays"] == 400
    assert bucket.inputs["project"] == "acme-ml-prod"
    assert bucket.protect


def test_log_bucket_waits_for_the_logging_agents_grant(run):
    grant = grant_for(run, LOGGING_AGENT)
    (bucket,) = run.by_type(LOG_BUCKET)
    assert grant.urn in bucket.property_dependencies["cmekSettings"]
    component = parent_component(run, bucket)
    assert component.type == "cmek-ml:gcp:CmekLogBucket"
    assert grant.urn in component.dependencies


def test_sink_routes_training_and_pipeline_logs_to_the_bucket(run):
    (sink,) = run.by_type(SINK)
    (bucket,) = run.by_type(LOG_BUCKET)
    assert sink.inputs["destination"] == (
        "logging.googleapis.com/projects/acme-ml-prod/locations/europe-west4/buckets/cmek-ml-training-logs"
    )
    assert sink.inputs["filter"] == FILTER
    assert sink.inputs["uniqueWriterIdentity"] is True
    assert bucket.urn in sink.dependencies
    assert run.outputs["gcp"]["trainingLogs"] == {
        "bucket": "projects/acme-ml-prod/locations/europe-west4/buckets/cmek-ml-training-logs",
        "sink": "cmek-ml-training-logs-sink",
        "filter": FILTER,
    }


def test_shared_layout_puts_logs_under_the_shared_key(run_stack):
    run = run_workloads(run_stack, gcpKeyLayout="shared")
    (bucket,) = run.by_type(LOG_BUCKET)
    assert bucket.inputs["cmekSettings"] == {"kmsKeyName": f"{KEY_RING}/cryptoKeys/shared"}


def test_no_log_bucket_unless_asked(run_stack):
    run = run_workloads(run_stack, gcpTrainingLogs=False)
    assert run.by_type(LOG_BUCKET) == [] and run.by_type(SINK) == []
    assert "trainingLogs" not in run.outputs["gcp"]


# --- no training log line stays under a Google-managed key (issue #9 point 6) ---------------

EXCLUSION = "gcp:logging/projectExclusion:ProjectExclusion"


def test_training_logs_are_kept_out_of_default_after_the_sink_exists(run):
    (exclusion,) = run.by_type(EXCLUSION)
    (sink,) = run.by_type(SINK)
    # The exact filter of the CMEK sink: every entry it routes, and nothing else.
    assert exclusion.inputs["filter"] == sink.inputs["filter"] == FILTER
    assert exclusion.inputs["project"] == "acme-ml-prod"
    assert exclusion.inputs["name"] == "cmek-ml-training-logs-off-default"
    assert exclusion.inputs.get("disabled") in (None, False)
    # Created after the sink, so no entry is dropped from both.
    assert sink.urn in exclusion.dependencies
    assert parent_component(run, exclusion).type == "cmek-ml:gcp:CmekLogBucket"


def test_no_exclusion_without_training_logs(run_stack):
    run = run_workloads(run_stack, gcpTrainingLogs=False)
    assert run.by_type(EXCLUSION) == []


@pytest.mark.parametrize("bucket_id", ["x" * 89, "-logs", ".logs"])
def test_log_bucket_id_leaves_room_for_its_exclusion_name(run_stack, bucket_id):
    problem = only_problem(run_stack, {"gcpTrainingLogsBucketId": bucket_id}, "gcpTrainingLogsBucketId")
    assert "1-88" in problem.allowed and "-off-default" in problem.allowed


def test_longest_log_bucket_id_makes_a_valid_exclusion_name(run_stack):
    run = run_workloads(run_stack, gcpTrainingLogsBucketId="L" * 88)
    (exclusion,) = run.by_type(EXCLUSION)
    # LogExclusion.name: at most 100 letters, digits, _ - . starting with a letter or digit.
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", exclusion.inputs["name"])


def test_readme_says_where_training_logs_are_and_are_not():
    section = readme_sections.words(readme_sections.section("## GCP workloads"))
    assert "**Training logs are moved, not copied.**" in section
    assert f"`<id>{DEFAULT_EXCLUSION_SUFFIX}`" in section and "`_Required`" in section

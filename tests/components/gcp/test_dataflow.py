"""Dataflow under the key (seed 003): agents' grants, CMEK temp and staging buckets, the
pipeline options to the character, and the template job that sets `kms_key_name`."""

import logging

import pytest

from cmek_ml.gcp.dataflow import CmekDataflowJob, CmekDataflowJobArgs
from cmek_ml.gcp.key_grants import ENCRYPTER_DECRYPTER
from tests.components.gcp.workload_stack import (
    BUCKET,
    KEY_RING,
    agent,
    grant_for,
    only_problem,
    parent_component,
    run_all_parts,
    run_workloads,
)
from tests import readme_sections
from tools import stack_config

PIPELINES_KEY = f"{KEY_RING}/cryptoKeys/pipelines"
STORAGE_KEY = f"{KEY_RING}/cryptoKeys/storage"
DATAFLOW_AGENT = agent("dataflow-service-producer-prod.iam.gserviceaccount.com")
COMPUTE_AGENT = agent("compute-system.iam.gserviceaccount.com")
STORAGE_AGENT = agent("gs-project-accounts.iam.gserviceaccount.com")
CLASSIC_JOB = "gcp:dataflow/job:Job"
FLEX_JOB = "gcp:dataflow/flexTemplateJob:FlexTemplateJob"


@pytest.fixture(scope="module")
def run():
    return run_all_parts()


def dataflow_buckets(run):
    return {b.inputs["name"]: b for b in run.by_type(BUCKET) if "dataflow" in b.inputs["name"]}


def test_dataflow_and_compute_agents_get_the_pipelines_key(run):
    for member in (DATAFLOW_AGENT, COMPUTE_AGENT):
        assert grant_for(run, member, PIPELINES_KEY).inputs["role"] == ENCRYPTER_DECRYPTER


def test_temp_and_staging_buckets_are_cmek(run):
    buckets = dataflow_buckets(run)
    assert set(buckets) == {"acme-ml-prod-dataflow-temp", "acme-ml-prod-dataflow-staging"}
    for bucket in buckets.values():
        assert bucket.inputs["encryption"] == {"defaultKmsKeyName": STORAGE_KEY}
        assert bucket.inputs["forceDestroy"] is False
        assert bucket.inputs["publicAccessPrevention"] == "enforced"
        assert bucket.inputs["uniformBucketLevelAccess"] is True
        assert bucket.inputs["location"] == "EUROPE-WEST4"


def test_temp_and_staging_buckets_wait_for_the_storage_agents_grant(run):
    grant = grant_for(run, STORAGE_AGENT)
    for bucket in dataflow_buckets(run).values():
        assert grant.urn in bucket.property_dependencies["encryption"]
        assert grant.urn in parent_component(run, bucket).dependencies


def test_pipeline_options_to_the_character(run):
    dataflow = run.outputs["gcp"]["dataflow"]
    assert dataflow["javaPipelineOptions"] == [
        "--project=acme-ml-prod",
        "--region=europe-west4",
        f"--dataflowKmsKey={PIPELINES_KEY}",
        "--tempLocation=gs://acme-ml-prod-dataflow-temp/temp",
        "--stagingLocation=gs://acme-ml-prod-dataflow-staging/staging",
    ]
    assert dataflow["pythonPipelineOptions"] == [
        "--project=acme-ml-prod",
        "--region=europe-west4",
        f"--dataflow_kms_key={PIPELINES_KEY}",
        "--temp_location=gs://acme-ml-prod-dataflow-temp/temp",
        "--staging_location=gs://acme-ml-prod-dataflow-staging/staging",
    ]
    assert dataflow["javaArgs"] == " ".join(dataflow["javaPipelineOptions"])
    assert dataflow["pythonArgs"] == " ".join(dataflow["pythonPipelineOptions"])
    assert dataflow["kmsKey"] == PIPELINES_KEY
    assert dataflow["outsideCmek"] == [
        "data keys used in windowing, grouping and joining (hash PII keys first)",
        "job metadata",
    ]


def test_shared_key_layout_options_use_the_shared_key(run_stack):
    run = run_workloads(run_stack, gcpKeyLayout="shared")
    shared = f"{KEY_RING}/cryptoKeys/shared"
    assert f"--dataflowKmsKey={shared}" in run.outputs["gcp"]["dataflow"]["javaPipelineOptions"]
    assert f"--dataflow_kms_key={shared}" in run.outputs["gcp"]["dataflow"]["pythonPipelineOptions"]


def test_classic_job_sets_the_key_and_refuses_streaming_engine(run):
    (job,) = run.by_type(CLASSIC_JOB)
    assert job.inputs["kmsKeyName"] == PIPELINES_KEY
    assert job.inputs["templateGcsPath"] == "gs://dataflow-templates-europe-west4/latest/Word_Count"
    assert job.inputs["tempGcsLocation"] == "gs://acme-ml-prod-dataflow-temp/temp"
    assert job.inputs["enableStreamingEngine"] is False
    assert job.inputs["region"] == "europe-west4"
    assert job.inputs["name"] == "wordcount-cmek"
    assert job.inputs["onDelete"] == "drain"
    assert job.inputs["parameters"] == {
        "inputFile": "gs://acme-ml-prod-training-data/corpus/*.txt",
        "output": "gs://acme-ml-prod-models/wordcount/out",
    }
    assert run.by_type(FLEX_JOB) == []


def test_job_waits_for_both_agents_grants(run):
    (job,) = run.by_type(CLASSIC_JOB)
    component = parent_component(run, job)
    assert component.type == "cmek-ml:gcp:CmekDataflowJob"
    for grant in (grant_for(run, DATAFLOW_AGENT), grant_for(run, COMPUTE_AGENT, PIPELINES_KEY)):
        assert grant.urn in job.property_dependencies["kmsKeyName"]
        assert grant.urn in component.dependencies


def test_flex_template_job(run_stack):
    run = run_workloads(
        run_stack, gcpDataflowJobKind="flex", gcpDataflowJobTemplate="gs://acme-ml-prod-models/templates/etl.json"
    )
    (job,) = run.by_type(FLEX_JOB)
    assert job.inputs["kmsKeyName"] == PIPELINES_KEY
    assert job.inputs["containerSpecGcsPath"] == "gs://acme-ml-prod-models/templates/etl.json"
    assert job.inputs["tempLocation"] == "gs://acme-ml-prod-dataflow-temp/temp"
    assert job.inputs["stagingLocation"] == "gs://acme-ml-prod-dataflow-staging/staging"
    assert job.inputs["enableStreamingEngine"] is False
    assert run.by_type(CLASSIC_JOB) == []


def test_the_job_component_itself_refuses_streaming_engine_under_full_cmek(run_component):
    def body():
        CmekDataflowJob(
            "job",
            CmekDataflowJobArgs(
                project="acme-ml-prod",
                region="europe-west4",
                job_name="stream",
                kind="flex",
                template="gs://t/spec.json",
                kms_key_name=PIPELINES_KEY,
                temp_location="gs://t/temp",
                staging_location="gs://t/staging",
                streaming_engine=True,
                require_full_cmek=True,
            ),
        )

    with pytest.raises(ValueError, match="Streaming Engine state cannot be protected") as caught:
        run_component(body)
    assert caught.value.program_run.resources == []


def test_no_job_without_a_job_name_and_nothing_when_dataflow_is_off(run_stack):
    run = run_workloads(run_stack, gcpDataflowJobName="")
    assert run.by_type(CLASSIC_JOB) == [] and run.by_type(FLEX_JOB) == []
    assert len(dataflow_buckets(run)) == 2
    dev = run_stack("dev")
    assert dataflow_buckets(dev) == {} and "dataflow" not in dev.outputs["gcp"]


def test_readme_gives_the_seeds_pii_advice():
    """Seed 003: data keys used in windowing, grouping and joining are outside CMEK."""
    section = readme_sections.words(readme_sections.section("## GCP workloads"))
    assert "(windowing, grouping, joining): these are outside CMEK" in section
    assert "hash or otherwise transform them *before* they enter the pipeline" in section
    assert "--dataflowKmsKey=" in section and "--dataflow_kms_key=" in section


# --- a managed job is streaming unless batch re-runs are asked for (issue #9 point 14) -------


def test_a_managed_job_is_streaming_by_default(run_stack, caplog):
    with caplog.at_level(logging.WARNING):
        run = run_workloads(run_stack, gcpDataflowJobMode="streaming")
    assert run.outputs["gcp"]["dataflow"]["jobMode"] == "streaming"
    assert not any("launches it again" in r.getMessage() for r in caplog.records)
    assert stack_config.ProjectFile.load().defaults()["gcpDataflowJobMode"] == "streaming"


def test_a_batch_job_is_opt_in_and_says_it_reruns_after_every_up(run, run_stack, caplog):
    assert run.outputs["gcp"]["dataflow"]["jobMode"] == "batch-rerun-on-every-up"
    with caplog.at_level(logging.WARNING):
        run_workloads(run_stack)
    (message,) = [r.getMessage() for r in caplog.records if "launches it again" in r.getMessage()]
    assert "wordcount-cmek" in message and "exported pipeline options" in message


def test_unknown_job_mode_is_refused(run_stack):
    problem = only_problem(run_stack, {"gcpDataflowJobMode": "batch"}, "gcpDataflowJobMode")
    assert "streaming" in problem.allowed and "batch-rerun-on-every-up" in problem.allowed

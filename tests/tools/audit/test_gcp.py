"""The GCP audit with the real client libraries, over gRPC, against a local server speaking the real protos."""

from __future__ import annotations

import datetime as dt
import io

import grpc
import pytest
from google.cloud import asset_v1, dataflow_v1beta3
from google.cloud.aiplatform_v1 import types as vertex

from tools.audit import gcp
from tools.audit.progress import Progress

from .aws_stubs import rules
from .fake_google import FakeGoogle, paged

ASSET = "google.cloud.asset.v1.AssetService"
JOBS = "google.cloud.aiplatform.v1.JobService"
PIPELINES = "google.cloud.aiplatform.v1.PipelineService"
DATAFLOW = "google.dataflow.v1beta3.JobsV1Beta3"
KEY = "projects/acme-kms/locations/europe-west4/keyRings/ml/cryptoKeys/data"
SINCE = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)


def _asset(name: str, asset_type: str, location: str = "europe-west4", keys: tuple[str, ...] = (),
           project: str = "projects/111111111111") -> asset_v1.ResourceSearchResult:
    return asset_v1.ResourceSearchResult(name=name, asset_type=asset_type, location=location, project=project,
                                         kms_keys=list(keys))


def _search_all(assets: list[asset_v1.ResourceSearchResult]):
    def handler(request: asset_v1.SearchAllResourcesRequest):
        wanted = set(request.asset_types)
        return paged([a for a in assets if a.asset_type in wanted], request, asset_v1.SearchAllResourcesResponse,
                     "results")
    return handler


def _no_jobs(response_type, field):
    return lambda request: response_type(**{field: []})


def _serve_empty_jobs(fake: FakeGoogle) -> None:
    fake.serve(JOBS, "ListHyperparameterTuningJobs", vertex.ListHyperparameterTuningJobsRequest,
               vertex.ListHyperparameterTuningJobsResponse, _no_jobs(vertex.ListHyperparameterTuningJobsResponse,
                                                                     "hyperparameter_tuning_jobs"))
    fake.serve(JOBS, "ListBatchPredictionJobs", vertex.ListBatchPredictionJobsRequest,
               vertex.ListBatchPredictionJobsResponse, _no_jobs(vertex.ListBatchPredictionJobsResponse,
                                                                "batch_prediction_jobs"))


def _audit(fake: FakeGoogle, scope: str = "projects/acme-ml", locations: list[str] | None = None) -> gcp.GcpAudit:
    return gcp.GcpAudit(rules(), scope, locations or [], SINCE, Progress(io.StringIO()),
                        clients=gcp.GcpClients(channel=fake.channel))


def test_assets_vertex_and_dataflow_jobs():
    assets = [
        _asset("//storage.googleapis.com/projects/_/buckets/cmek", "storage.googleapis.com/Bucket", "europe-west4", (KEY,)),
        _asset("//storage.googleapis.com/projects/_/buckets/google-key", "storage.googleapis.com/Bucket"),
        _asset("//aiplatform.googleapis.com/projects/111111111111/locations/europe-west4/datasets/7",
               "aiplatform.googleapis.com/Dataset"),
        _asset("//bigquery.googleapis.com/projects/acme-ml/datasets/features", "bigquery.googleapis.com/Dataset", "EU", (KEY,)),
    ]
    custom_jobs = [vertex.CustomJob(name="projects/111111111111/locations/europe-west4/customJobs/1",
                                    encryption_spec=vertex.EncryptionSpec(kms_key_name=KEY)),
                   vertex.CustomJob(name="projects/111111111111/locations/europe-west4/customJobs/2")]
    pipeline_jobs = [vertex.PipelineJob(name="projects/111111111111/locations/europe-west4/pipelineJobs/p")]
    dataflow = dataflow_v1beta3.types
    flow_jobs = [dataflow.Job(id="2026-10-01_01", project_id="acme-ml", location="europe-west4"),
                 dataflow.Job(id="2026-10-01_02", project_id="acme-ml", location="europe-west4")]
    full = {
        "2026-10-01_01": dataflow.Job(id="2026-10-01_01", environment=dataflow.Environment(
            service_kms_key_name=KEY, experiments=["enable_streaming_engine"])),
        "2026-10-01_02": dataflow.Job(id="2026-10-01_02", environment=dataflow.Environment(experiments=["use_runner_v2"])),
    }
    fake = FakeGoogle()
    fake.serve(ASSET, "SearchAllResources", asset_v1.SearchAllResourcesRequest, asset_v1.SearchAllResourcesResponse,
               _search_all(assets))
    fake.serve(JOBS, "ListCustomJobs", vertex.ListCustomJobsRequest, vertex.ListCustomJobsResponse,
               lambda request: vertex.ListCustomJobsResponse(custom_jobs=custom_jobs))
    fake.serve(PIPELINES, "ListPipelineJobs", vertex.ListPipelineJobsRequest, vertex.ListPipelineJobsResponse,
               lambda request: vertex.ListPipelineJobsResponse(pipeline_jobs=pipeline_jobs))
    _serve_empty_jobs(fake)
    fake.serve(DATAFLOW, "AggregatedListJobs", dataflow.ListJobsRequest, dataflow.ListJobsResponse,
               lambda request: dataflow.ListJobsResponse(jobs=flow_jobs))
    fake.serve(DATAFLOW, "GetJob", dataflow.GetJobRequest, dataflow.Job, lambda request: full[request.job_id])

    with fake:
        report = _audit(fake).run()

    found = {(f.resource.rsplit("/", 1)[-1], f.policy) for f in report.findings}
    assert found == {
        ("google-key", "gcp-storage-bucket-cmek"),
        ("7", "gcp-vertex-resource-cmek"),
        ("2", "gcp-vertex-job-cmek"),
        ("p", "gcp-vertex-job-cmek"),
        ("2026-10-01_02", "gcp-dataflow-job-cmek"),
        ("2026-10-01_01", "gcp-dataflow-job-cmek"),  # keyed, but Streaming Engine state is outside the key
    }
    by_job = {f.resource.rsplit("/", 1)[-1]: f for f in report.findings}
    assert by_job["2"].field == "encryptionSpec.kmsKeyName"
    assert by_job["2026-10-01_02"].field == "environment.serviceKmsKeyName"
    assert "Streaming Engine" in by_job["2026-10-01_01"].message
    search = fake.requests["SearchAllResources"][0]
    assert search.scope == "projects/acme-ml"
    assert {"storage.googleapis.com/Bucket", "aiplatform.googleapis.com/CustomJob", "dataflow.googleapis.com/Job",
            "cloudresourcemanager.googleapis.com/Project"} <= set(search.asset_types)
    listed = fake.requests["ListCustomJobs"][0]
    assert listed.parent == "projects/acme-ml/locations/europe-west4"  # the location CAI found the dataset in
    assert listed.filter == 'create_time>"2026-09-01T00:00:00Z"'
    assert fake.requests["GetJob"][0].view == dataflow.JobView.JOB_VIEW_DESCRIPTION
    assert report.resources_checked == 4 + 3 + 2


def test_search_pages_over_hundreds_of_resources():
    """One audit over 1,200 buckets in pages of 500: every page is read, every bucket judged once."""
    assets = [_asset(f"//storage.googleapis.com/projects/_/buckets/b{i:04d}", "storage.googleapis.com/Bucket",
                     keys=(KEY,) if i % 3 else ()) for i in range(1200)]
    fake = FakeGoogle()
    fake.serve(ASSET, "SearchAllResources", asset_v1.SearchAllResourcesRequest, asset_v1.SearchAllResourcesResponse,
               _search_all(assets))
    with fake:
        report = _audit(fake, scope="organizations/123456789012").run()
    tokens = [r.page_token for r in fake.requests["SearchAllResources"]]
    assert tokens == ["", "500", "1000"]
    assert report.resources_checked == 1200
    assert sorted(f.resource for f in report.findings) == [a.name for a in assets if not a.kms_keys]


def test_permission_denied_is_not_checked():
    fake = FakeGoogle()
    fake.serve(ASSET, "SearchAllResources", asset_v1.SearchAllResourcesRequest, asset_v1.SearchAllResourcesResponse,
               lambda request: grpc.StatusCode.PERMISSION_DENIED)
    with fake:
        report = _audit(fake, scope="folders/42").run()
    assert report.not_checked[0].what == "Cloud Asset Inventory in folders/42"
    assert report.not_checked[0].reason.startswith("access denied to cloudasset.assets.searchAllResources")
    assert report.exit_code() == 3


def test_no_application_default_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    from tools.audit.model import AuditError
    with pytest.raises(AuditError, match="no Google credentials"):
        gcp.GcpClients().preflight()


def test_rejected_credentials_cannot_run():
    fake = FakeGoogle()
    fake.serve(ASSET, "SearchAllResources", asset_v1.SearchAllResourcesRequest, asset_v1.SearchAllResourcesResponse,
               lambda request: grpc.StatusCode.UNAUTHENTICATED)
    from tools.audit.model import AuditError
    with fake, pytest.raises(AuditError, match="credentials were rejected"):
        _audit(fake).run()


def test_no_credentials_from_the_command_line(audit, monkeypatch, tmp_path):
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    run = audit("--cloud", "gcp", "--scope", "projects/acme-ml")
    assert run.code == 2 and run.out == "" and len(run.err.strip().splitlines()) == 1
    assert "no Google credentials" in run.err

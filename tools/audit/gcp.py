"""GCP: Cloud Asset Inventory over the scope, Vertex AI jobs through the job and pipeline services, Dataflow jobs.

Read-only calls only: `SearchAllResources` (one search over every catalogue asset type; each result
carries `kms_keys`, the deprecated `kms_key` is not read), Vertex AI `ListCustomJobs`,
`ListHyperparameterTuningJobs`, `ListBatchPredictionJobs` and `ListPipelineJobs` (`encryption_spec`; the
`create_time>"RFC 3339"` filter is the one their request types document in aiplatform_v1), and
Dataflow `AggregatedListJobs` + `GetJob` (environment `serviceKmsKeyName`, experiments). The client
libraries retry UNAVAILABLE and DEADLINE_EXCEEDED with backoff (google-api-core, each method's default).

`audit:` blocks for GCP:

    audit: {asset_type: storage.googleapis.com/Bucket}           # judged from Cloud Asset Inventory's kmsKeys
    audit: {vertex: custom_jobs, asset_type: aiplatform.googleapis.com/CustomJob}   # listed per project+location
    audit: {dataflow: jobs, fields: {kmsKeyName: environment.serviceKmsKeyName}}  # Dataflow API, per project
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .model import AuditError, Exemption, Finding, NotChecked, Report
from .progress import Progress
from .rules import AuditedType, Naming, Rules, place, with_field

warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\.api_core\._python_version_support")

PROJECT_ASSET = "cloudresourcemanager.googleapis.com/Project"
# Vertex AI list methods per `vertex:` value: (service, method, request parent field).
VERTEX_LISTS = {
    "custom_jobs": ("job", "list_custom_jobs"),
    "hyperparameter_tuning_jobs": ("job", "list_hyperparameter_tuning_jobs"),
    "batch_prediction_jobs": ("job", "list_batch_prediction_jobs"),
    "pipeline_jobs": ("pipeline", "list_pipeline_jobs"),
}
JOB_LOCATION_ASSETS = ("aiplatform.googleapis.com/", "dataflow.googleapis.com/")


@dataclass
class GcpClients:
    """Builds the clients; `channel` (tests) connects every client to one gRPC endpoint instead of Google's."""

    channel: Any = None
    credentials: Any = None
    _made: dict = field(default_factory=dict)

    def _transport(self, transport_class: Any) -> dict:
        return {"transport": transport_class(channel=self.channel)} if self.channel is not None else {
            "credentials": self.credentials}

    def asset(self) -> Any:
        from google.cloud.asset_v1.services.asset_service import AssetServiceClient, transports
        return AssetServiceClient(**self._transport(transports.AssetServiceGrpcTransport))

    def vertex(self, service: str, location: str) -> Any:
        if service == "job":
            from google.cloud.aiplatform_v1.services.job_service import JobServiceClient as Client, transports
            transport = transports.JobServiceGrpcTransport
        else:
            from google.cloud.aiplatform_v1.services.pipeline_service import PipelineServiceClient as Client, transports
            transport = transports.PipelineServiceGrpcTransport
        options = {"api_endpoint": f"{location}-aiplatform.googleapis.com"}
        return Client(client_options=options, **self._transport(transport))

    def dataflow(self) -> Any:
        from google.cloud.dataflow_v1beta3.services.jobs_v1_beta3 import JobsV1Beta3Client, transports
        return JobsV1Beta3Client(**self._transport(transports.JobsV1Beta3GrpcTransport))

    def preflight(self) -> None:
        """Application Default Credentials must exist before anything is read (exit 2 otherwise)."""
        if self.channel is not None:
            return
        import google.auth
        from google.auth import exceptions as auth_errors
        try:
            self.credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        except auth_errors.DefaultCredentialsError as error:
            raise AuditError("no Google credentials: run gcloud auth application-default login or set "
                             f"GOOGLE_APPLICATION_CREDENTIALS ({str(error).splitlines()[0]}).") from None


def not_checked_reason(error: Exception, action: str) -> str:
    """Why `action` could not be read; raises AuditError when the credentials themselves fail."""
    from google.api_core import exceptions as api_errors
    from google.auth import exceptions as auth_errors
    if isinstance(error, auth_errors.RefreshError):
        raise AuditError(f"the Google credentials were rejected ({str(error)[:160]}): run gcloud auth "
                         "application-default login again.") from None
    if isinstance(error, api_errors.Unauthenticated):
        raise AuditError(f"the Google credentials were rejected ({error.message}): run gcloud auth "
                         "application-default login again.") from None
    if isinstance(error, api_errors.PermissionDenied):
        return f"access denied to {action} ({error.message})"
    if isinstance(error, api_errors.ResourceExhausted):
        return f"throttled: {action} still answered RESOURCE_EXHAUSTED after google-api-core's retries"
    if isinstance(error, api_errors.MethodNotImplemented):
        return f"the endpoint does not implement {action}"
    if isinstance(error, (api_errors.ServiceUnavailable, api_errors.DeadlineExceeded, api_errors.RetryError)):
        return f"{action}: service unavailable after retries ({error})"
    if isinstance(error, api_errors.GoogleAPICallError):
        return f"{action} failed: {error.code.name if error.code else ''} {error.message}"
    raise error


def _as_dict(message: Any) -> dict:
    from google.protobuf.json_format import MessageToDict
    return MessageToDict(type(message).pb(message))


class GcpAudit:
    def __init__(self, rules: Rules, scope: str, locations: list[str], since: dt.datetime, progress: Progress,
                 clients: Optional[GcpClients] = None) -> None:
        self.rules, self.scope, self.locations, self.since, self.progress = rules, scope, locations, since, progress
        self.clients = clients or GcpClients()

    def run(self) -> Report:
        self.clients.preflight()
        report = Report(cloud="gcp", scope=[self.scope])
        audited = self.rules.audited("gcp")
        report.checked_types = [a.token for a in audited]
        by_asset = {a.audit["asset_type"]: a for a in audited
                    if "asset_type" in a.audit and "vertex" not in a.audit and "dataflow" not in a.audit}
        located = {a.audit["asset_type"] for a in audited if "asset_type" in a.audit}  # where jobs run
        results = self._search(sorted(set(by_asset) | located | {PROJECT_ASSET}), report)
        projects = self._projects(results)
        locations = self.locations or sorted({r.location for r in results if r.asset_type.startswith(
            JOB_LOCATION_ASSETS) and r.location and r.location != "global"})
        report.scope.append(f"Vertex AI locations: {', '.join(locations) or 'none found by Cloud Asset Inventory'}")
        for result in results:
            if result.asset_type in by_asset:
                self._judge_asset(by_asset[result.asset_type], result, report)
        for item in audited:
            if "vertex" in item.audit:
                for project in projects:
                    for location in locations:
                        self._vertex(item, project, location, report)
            elif "dataflow" in item.audit:
                for project in projects:
                    self._dataflow(item, project, report)
        report.uncovered = self.rules.not_audited("gcp")
        return report

    # --- Cloud Asset Inventory ------------------------------------------------------------------------------

    def _search(self, asset_types: list[str], report: Report) -> list[Any]:
        self.progress.step(f"cloudasset:SearchAllResources in {self.scope}")
        results: list[Any] = []
        try:
            pager = self.clients.asset().search_all_resources(
                request={"scope": self.scope, "asset_types": asset_types, "page_size": 500})
            for page in pager.pages:
                results += list(page.results)
                self.progress.step(f"cloudasset:SearchAllResources in {self.scope}", len(page.results))
        except Exception as error:  # noqa: BLE001 - reported as not checked, or AuditError for credentials
            report.not_checked.append(NotChecked(
                f"Cloud Asset Inventory in {self.scope}", not_checked_reason(error, "cloudasset.assets.searchAllResources")))
        return results

    def _projects(self, results: Iterable[Any]) -> list[str]:
        if self.scope.startswith("projects/"):
            return [self.scope.split("/", 1)[1]]
        return sorted({r.project.split("/", 1)[1] for r in results if r.asset_type == PROJECT_ASSET and r.project})

    def _judge_asset(self, audited: AuditedType, result: Any, report: Report) -> None:
        """Cloud Asset Inventory names a resource's keys (`kms_keys`), not the field that holds each."""
        keys = list(result.kms_keys)
        props: dict = {}
        for rule in audited.spec.keys if keys else ():
            place(props, rule.path, keys[0])
        judgement = self.rules.judge(audited, props)
        for path, message in judgement.problems:
            report.findings.append(Finding(
                result.name, audited.token, audited.policy.name, f"kmsKeys ({path})",
                f"no Cloud KMS key: Cloud Asset Inventory lists no kmsKeys for this {result.asset_type}; {message}",
                audited.policy.severity, result.location))
        for path, reason in judgement.exempt:
            report.exemptions.append(Exemption(result.name, audited.token, path, reason))
        report.resources_checked += 1

    # --- Vertex AI and Dataflow -----------------------------------------------------------------------------

    def _judge_api(self, audited: AuditedType, resource: str, doc: dict, location: str, report: Report) -> None:
        naming = Naming.for_cloud("gcp", audited.audit)
        judgement = self.rules.judge(audited, naming.to_props(doc))
        for path, message in judgement.problems:
            name = naming.api_field(path)
            report.findings.append(Finding(resource, audited.token, audited.policy.name, name,
                                           with_field(message, name), audited.policy.severity, location))
        for path, reason in judgement.exempt:
            report.exemptions.append(Exemption(resource, audited.token, naming.api_field(path), reason))
        report.resources_checked += 1

    def _vertex(self, audited: AuditedType, project: str, location: str, report: Report) -> None:
        service, method = VERTEX_LISTS[audited.audit["vertex"]]
        action = f"aiplatform {method} in projects/{project}/locations/{location}"
        self.progress.step(action)
        stamp = self.since.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            client = self.clients.vertex(service, location)
            request = {"parent": f"projects/{project}/locations/{location}", "filter": f'create_time>"{stamp}"'}
            jobs = list(getattr(client, method)(request=request))
        except Exception as error:  # noqa: BLE001
            report.not_checked.append(NotChecked(f"{audited.token} in projects/{project}/locations/{location}",
                                                 not_checked_reason(error, action)))
            return
        self.progress.step(action, len(jobs))
        for job in jobs:
            self._judge_api(audited, job.name, _as_dict(job), location, report)

    def _dataflow(self, audited: AuditedType, project: str, report: Report) -> None:
        from google.cloud.dataflow_v1beta3 import types as dataflow
        action = f"dataflow.jobs.list in projects/{project}"
        self.progress.step(action)
        try:
            client = self.clients.dataflow()
            summaries = [j for j in client.aggregated_list_jobs(request={"project_id": project})
                         if j.create_time is None or j.create_time >= self.since]
        except Exception as error:  # noqa: BLE001
            report.not_checked.append(NotChecked(f"{audited.token} in projects/{project}", not_checked_reason(error, action)))
            return
        self.progress.step(action, len(summaries))
        for summary in summaries:
            resource = f"projects/{project}/locations/{summary.location}/jobs/{summary.id}"
            try:
                job = client.get_job(request={"project_id": project, "location": summary.location, "job_id": summary.id,
                                              "view": dataflow.JobView.JOB_VIEW_DESCRIPTION})
            except Exception as error:  # noqa: BLE001
                report.not_checked.append(NotChecked(resource, not_checked_reason(error, "dataflow.jobs.get")))
                continue
            self._judge_api(audited, resource, _as_dict(job), summary.location, report)



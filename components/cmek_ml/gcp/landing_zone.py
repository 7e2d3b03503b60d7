"""The GCP half of the platform: KMS project, keys, agent grants, CMEK storage and registry, and
the workloads that use them (training, Dataflow, training logs, Confidential Space, org policies)."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_gcp as gcp

from cmek_ml.gcp.artifact_registry import CmekRepository, CmekRepositoryArgs
from cmek_ml.gcp.bucket import CmekBucket, CmekBucketArgs
from cmek_ml.gcp.confidential_space import (
    ConfidentialModelOwner,
    ConfidentialWorkloadOperator,
    ModelOwnerArgs,
    OperatorArgs,
)
from cmek_ml.gcp.dataflow import (
    CmekDataflowJob,
    CmekDataflowJobArgs,
    DataflowBuckets,
    DataflowBucketsArgs,
    pipeline_state_outside_cmek,
)
from cmek_ml.gcp.key_grants import KeyGrants, KeyUse
from cmek_ml.gcp.keys import KeyRing, KeyRingArgs
from cmek_ml.gcp.kms_project import KmsProject, KmsProjectArgs
from cmek_ml.gcp.locations import is_multi_region_bucket
from cmek_ml.gcp.logging_bucket import CmekLogBucket, CmekLogBucketArgs
from cmek_ml.gcp.org_policies import CmekOrgPolicies, CmekOrgPoliciesArgs, restrictable_services
from cmek_ml.gcp.service_agents import ServiceAgents, ServiceAgentsArgs, catalogue
from cmek_ml.gcp.settings import GcpSettings
from cmek_ml.gcp.training import ai_platform_exports, vertex_exports
from cmek_ml.gcp.vertex import VertexResources, VertexResourcesArgs
from cmek_ml.gcp.workload_apis import enable_part_apis
from cmek_ml.gcp.workload_settings import (
    DATAFLOW_STAGING_BUCKET,
    DATAFLOW_TEMP_BUCKET,
    INPUT_BUCKET,
    MODEL_BUCKET,
    RESULT_BUCKET,
)

SHARED_KEY = "shared"
# Decrypt-only for an external attested workload: never shared with the platform's services.
MODEL_SHARING_KEY = "model-sharing"


class KeyPlan:
    """Which key each service uses, derived from the settings alone (so URNs are stable)."""

    def __init__(self, settings: GcpSettings):
        self.settings = settings
        self.multi_region_storage = "storage" in settings.services and is_multi_region_bucket(
            settings.bucket_location
        )

    def key_for(self, service: str) -> str:
        if service == "storage" and self.multi_region_storage:
            return f"storage-{self.settings.storage_key_location}"
        if self.settings.key_layout == "shared":
            return SHARED_KEY
        return catalogue()[service].key_purpose

    def regional_keys(self) -> list[str]:
        regional = {self.key_for(s) for s in self.settings.services}
        if self.multi_region_storage:
            regional.discard(self.key_for("storage"))
        if self.settings.workloads.confidential_space.key_decrypt:
            regional.add(MODEL_SHARING_KEY)
        return sorted(regional)


class GcpLandingZone(pulumi.ComponentResource):
    exports: dict
    keys: dict[str, gcp.kms.CryptoKey]
    """Key name -> the regional key (per purpose, or `shared`)."""
    grants: KeyGrants
    """Each service agent's grant on its key."""
    usable_key_ids: dict[str, pulumi.Output[str]]
    """Key name -> key id that resolves only after every grant on that key exists."""
    buckets: dict[str, CmekBucket]
    """Bucket suffix -> its CMEK bucket."""
    repository: Optional[CmekRepository]
    """The CMEK Artifact Registry repository, when one is asked for."""

    def __init__(self, name: str, settings: GcpSettings, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:LandingZone", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = KeyPlan(settings)

        if settings.kms_project_mode == "single":
            pulumi.log.warn(
                f"gcpKmsProjectMode=single: keys live in the workload project {settings.ml_project}, "
                "so whoever administers that project also administers its keys (no separation of duties)",
                resource=self,
            )
        kms_project = KmsProject(
            f"{name}-kms-project",
            KmsProjectArgs(
                project_id=settings.kms_project,
                create=settings.kms_project_mode == "create",
                parent=settings.kms_project_parent,
                billing_account=settings.billing_account,
                labels=settings.labels,
            ),
            child,
        )

        # One lookup per project: every fixed-format agent email needs the number.
        ml_project_number = gcp.organizations.get_project_output(project_id=settings.ml_project).number
        agents = ServiceAgents(
            f"{name}-agents",
            ServiceAgentsArgs(
                project=settings.ml_project,
                project_number=ml_project_number,
                services=settings.services,
                email_overrides=settings.agent_email_overrides,
            ),
            child,
        )

        key_args = dict(
            project=kms_project.project_id,
            name=settings.key_ring,
            rotation_period=settings.rotation_period,
            protection_level=settings.protection_level,
            destroy_scheduled_duration=settings.destroy_scheduled_duration,
            labels=settings.labels,
        )
        after_kms_api = pulumi.ResourceOptions(parent=self, depends_on=[kms_project.kms_api])
        rings = {
            settings.region: KeyRing(
                f"{name}-keys",
                KeyRingArgs(location=settings.region, keys=plan.regional_keys(), **key_args),
                after_kms_api,
            )
        }
        keys = {key: rings[settings.region].keys[key] for key in plan.regional_keys()}
        if plan.multi_region_storage:
            location = settings.storage_key_location
            rings[location] = KeyRing(
                f"{name}-keys-{location}", KeyRingArgs(location=location, keys=["storage"], **key_args), after_kms_api
            )
            keys[plan.key_for("storage")] = rings[location].keys["storage"]

        grants = KeyGrants(
            f"{name}-grants",
            [
                KeyUse(
                    key_name,
                    key,
                    [a for s in settings.services if plan.key_for(s) == key_name for a in agents.agents[s]],
                )
                for key_name, key in keys.items()
            ],
            child,
        )
        self.keys = keys
        self.grants = grants
        self.usable_key_ids = grants.usable_key_ids

        self.buckets = {}
        if settings.buckets:
            storage_key = plan.key_for("storage")
            storage_grants = grants.grants[(storage_key, "storage")]
            for suffix in settings.buckets:
                self.buckets[suffix] = CmekBucket(
                    f"{name}-bucket-{suffix}",
                    CmekBucketArgs(
                        project=settings.ml_project,
                        name=settings.bucket_name(suffix),
                        location=settings.bucket_location,
                        kms_key_name=grants.usable_key_ids[storage_key],
                        labels=settings.labels,
                    ),
                    # "Permission denied on Cloud KMS key" on first `up` otherwise.
                    pulumi.ResourceOptions(parent=self, depends_on=storage_grants),
                )

        self.repository = None
        if settings.registry_repository:
            registry_key = plan.key_for("artifactregistry")
            self.repository = CmekRepository(
                f"{name}-registry",
                CmekRepositoryArgs(
                    project=settings.ml_project,
                    repository_id=settings.registry_repository,
                    location=settings.region,
                    kms_key_name=grants.usable_key_ids[registry_key],
                    labels=settings.labels,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=grants.grants[(registry_key, "artifactregistry")]),
            )

        self.exports = {
            "kmsProjectId": kms_project.project_id,
            "mlProjectId": settings.ml_project,
            "region": settings.region,
            "keyRings": {location: ring.key_ring.id for location, ring in rings.items()},
            "keys": grants.usable_key_ids,
            "serviceAgents": {s: [a.email for a in agent_list] for s, agent_list in agents.agents.items()},
            "buckets": {suffix: b.bucket.name for suffix, b in self.buckets.items()},
        }
        if self.repository:
            self.exports["artifactRegistry"] = {
                "repository": self.repository.repository.id,
                "url": self.repository.url,
            }
        if "ml" in settings.services:
            job_dir = (
                pulumi.Output.concat("gs://", next(iter(self.buckets.values())).bucket.name, "/jobs/JOB_ID")
                if self.buckets
                else "gs://BUCKET/jobs/JOB_ID"
            )
            self.exports["aiPlatformTraining"] = ai_platform_exports(
                grants.usable_key_ids[plan.key_for("ml")],
                settings.region,
                job_dir,
                settings.workloads.training.scale_tier,
            )
        self._build_workloads(name, settings, plan, grants)
        self.register_outputs(self.exports)

    def _usable(self, plan: KeyPlan, grants: KeyGrants, service: str) -> tuple[pulumi.Output[str], list]:
        """The key a service uses, resolving after its agents' grants, and those grants."""
        key = plan.key_for(service)
        return grants.usable_key_ids[key], grants.grants.get((key, service), [])

    def _build_workloads(self, name: str, settings: GcpSettings, plan: KeyPlan, grants: KeyGrants) -> None:
        workloads = settings.workloads
        project, region = settings.ml_project, settings.region
        self.vertex = self.dataflow = self.dataflow_job = self.training_logs = None
        self.model_owner = self.operator = self.org_policies = None

        if "aiplatform" in settings.services:
            vertex_key, vertex_grants = self._usable(plan, grants, "aiplatform")
            self.exports["vertexTraining"] = vertex_exports(vertex_key, project, region, workloads.training)
            if workloads.training.vertex_resources:
                self.vertex = VertexResources(
                    f"{name}-vertex",
                    VertexResourcesArgs(
                        project=project,
                        region=region,
                        kms_key_name=vertex_key,
                        resources=workloads.training.vertex_resources,
                        labels=settings.labels,
                    ),
                    pulumi.ResourceOptions(parent=self, depends_on=vertex_grants),
                )
                self.exports["vertexResources"] = {k: r.id for k, r in self.vertex.created.items()}

        storage_key, storage_grants = (
            self._usable(plan, grants, "storage") if "storage" in settings.services else (None, [])
        )
        if workloads.dataflow.enabled:
            pipeline_key, pipeline_grants = self._usable(plan, grants, "dataflow")
            self.dataflow = DataflowBuckets(
                f"{name}-dataflow",
                DataflowBucketsArgs(
                    project=project,
                    region=region,
                    temp_bucket=settings.bucket_name(DATAFLOW_TEMP_BUCKET),
                    staging_bucket=settings.bucket_name(DATAFLOW_STAGING_BUCKET),
                    bucket_location=settings.bucket_location,
                    storage_kms_key_name=storage_key,
                    storage_grants=storage_grants,
                    pipeline_kms_key_name=pipeline_key,
                    labels=settings.labels,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            job = workloads.dataflow.job
            self.exports["dataflow"] = {
                **self.dataflow.exports,
                "outsideCmek": pipeline_state_outside_cmek(bool(job and job.streaming_engine)),
            }
            if job:
                self.dataflow_job = CmekDataflowJob(
                    f"{name}-dataflow-job",
                    CmekDataflowJobArgs(
                        project=project,
                        region=region,
                        job_name=job.name,
                        kind=job.kind,
                        template=job.template,
                        kms_key_name=pipeline_key,
                        temp_location=self.dataflow.exports["tempLocation"],
                        staging_location=self.dataflow.exports["stagingLocation"],
                        parameters=job.parameters,
                        streaming_engine=job.streaming_engine,
                        require_full_cmek=workloads.dataflow.require_full_cmek,
                        labels=settings.labels,
                        mode=job.mode,
                    ),
                    pulumi.ResourceOptions(parent=self, depends_on=pipeline_grants),
                )
                self.exports["dataflow"]["jobId"] = self.dataflow_job.job.id
                self.exports["dataflow"]["jobMode"] = job.mode

        if workloads.training_logs.enabled:
            logs_key, logs_grants = self._usable(plan, grants, "logging")
            self.training_logs = CmekLogBucket(
                f"{name}-training-logs",
                CmekLogBucketArgs(
                    project=project,
                    location=region,
                    bucket_id=workloads.training_logs.bucket_id,
                    kms_key_name=logs_key,
                    retention_days=workloads.training_logs.retention_days,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=logs_grants),
            )
            self.exports["trainingLogs"] = {
                "bucket": self.training_logs.bucket.name,
                "sink": self.training_logs.sink.name,
                "filter": self.training_logs.sink.filter,
            }

        space = workloads.confidential_space
        parts = [f"confidential-space-{party}" for party in space.parties]
        parts += ["org-policies"] if workloads.org_policies.enabled else []
        part_apis = enable_part_apis(f"{name}-workload", project, parts, self)
        if space.parties:
            self.exports["confidentialSpace"] = {}
        if space.model_owner:
            self.model_owner = ConfidentialModelOwner(
                f"{name}-cs-owner",
                ModelOwnerArgs(
                    project=project,
                    model_bucket=settings.bucket_name(MODEL_BUCKET),
                    bucket_location=settings.bucket_location,
                    storage_kms_key_name=storage_key,
                    storage_grants=storage_grants,
                    pool_id=space.pool_id,
                    image_digest=space.image_digest,
                    image_reference=space.image_reference,
                    workload_service_account=space.workload_service_account,
                    decrypt_key_id=grants.usable_key_ids[MODEL_SHARING_KEY] if space.key_decrypt else None,
                    labels=settings.labels,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=part_apis["confidential-space-model-owner"]),
            )
            self.exports["confidentialSpace"]["modelOwner"] = self.model_owner.exports
        if space.operator:
            registry_key, registry_grants = self._usable(plan, grants, "artifactregistry")
            self.operator = ConfidentialWorkloadOperator(
                f"{name}-cs-operator",
                OperatorArgs(
                    project=project,
                    region=region,
                    zone=space.zone,
                    input_bucket=settings.bucket_name(INPUT_BUCKET),
                    result_bucket=settings.bucket_name(RESULT_BUCKET),
                    bucket_location=settings.bucket_location,
                    storage_kms_key_name=storage_key,
                    storage_grants=storage_grants,
                    registry_kms_key_name=registry_key,
                    registry_grants=registry_grants,
                    repository_id=space.repository,
                    workload_account_id=space.workload_account_id,
                    image_reference=space.image_reference,
                    boot_disk_kms_key_name=(
                        self._usable(plan, grants, "compute")[0] if "compute" in settings.services else None
                    ),
                    labels=settings.labels,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=part_apis["confidential-space-operator"]),
            )
            self.exports["confidentialSpace"]["operator"] = self.operator.exports

        if workloads.org_policies.enabled:
            policies = workloads.org_policies
            self.org_policies = CmekOrgPolicies(
                f"{name}-org-policies",
                CmekOrgPoliciesArgs(
                    parent=f"projects/{project}" if policies.scope == "project" else policies.parent,
                    non_cmek_denied_services=restrictable_services([catalogue()[s].api for s in settings.services]),
                    kms_project=settings.kms_project,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=part_apis["org-policies"]),
            )
            self.exports["orgPolicies"] = self.org_policies.exports

"""The GCP half of the platform: KMS project, keys, agent grants, CMEK storage and registry."""

from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_gcp as gcp

from components.gcp.artifact_registry import CmekRepository, CmekRepositoryArgs
from components.gcp.bucket import CmekBucket, CmekBucketArgs
from components.gcp.key_grants import KeyGrants, KeyUse
from components.gcp.keys import KeyRing, KeyRingArgs
from components.gcp.kms_project import KmsProject, KmsProjectArgs
from components.gcp.locations import is_multi_region_bucket
from components.gcp.service_agents import ServiceAgents, ServiceAgentsArgs, catalogue
from components.gcp.settings import GcpSettings
from components.gcp.training import ai_platform_exports

SHARED_KEY = "shared"


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
        return sorted(regional)


class GcpLandingZone(pulumi.ComponentResource):
    exports: dict

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
                grants.usable_key_ids[plan.key_for("ml")], settings.region, job_dir
            )
        self.register_outputs(self.exports)

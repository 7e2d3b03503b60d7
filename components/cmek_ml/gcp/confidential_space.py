"""Confidential Space model sharing (seed 004): a model owner (Primus) releases a model only to
one attested workload image, run by an operator (Secundus) under one service account.

The model owner's workload identity pool trusts the Confidential Space attestation verifier;
its provider's attribute condition admits a token only for the authorized image digest and
reference, on a stable production Confidential Space image, running as the operator's
workload service account. Everything stored on either side is in CMEK buckets and registries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from cmek_ml.gcp.artifact_registry import CmekRepository, CmekRepositoryArgs
from cmek_ml.gcp.bucket import CmekBucket, CmekBucketArgs

ATTESTATION_ISSUER = "https://confidentialcomputing.googleapis.com/"
STS_AUDIENCE = "https://sts.googleapis.com"
ATTRIBUTE_MAPPING = {
    "google.subject": "assertion.sub",
    "attribute.image_digest": "assertion.submods.container.image_digest",
}
PROVIDER_ID = "attestation-verifier"
MODEL_READER_ACCOUNT_ID = "cs-model-reader"
DECRYPTER = "roles/cloudkms.cryptoKeyDecrypter"


def attestation_condition(image_digest: str, image_reference: str, workload_service_account: str) -> str:
    """The provider's CEL attribute condition. The inputs are validated by the settings (no
    quotes can get in): digest `sha256:<hex>`, Artifact Registry reference, SA email."""
    return " && ".join(
        [
            # Where: a Confidential Space TEE on a supported production image, not debuggable.
            "assertion.swname == 'CONFIDENTIAL_SPACE'",
            "'STABLE' in assertion.submods.confidential_space.support_attributes",
            "assertion.dbgstat == 'disabled-since-boot'",
            # What: exactly the authorized image.
            f"assertion.submods.container.image_digest == '{image_digest}'",
            f"assertion.submods.container.image_reference == '{image_reference}'",
            # Who: the operator's workload service account.
            f"'{workload_service_account}' in assertion.google_service_accounts",
        ]
    )


def image_digest_principal_set(pool_name: str, image_digest: str) -> str:
    """Every workload the pool admits that runs `image_digest` (pool_name: projects/N/locations/global/workloadIdentityPools/ID)."""
    return f"principalSet://iam.googleapis.com/{pool_name}/attribute.image_digest/{image_digest}"


def confidential_vm_command(
    project: str, zone: str, service_account: str, image_reference: str, boot_disk_kms_key: str = ""
) -> str:
    """The seed's `gcloud compute instances create`; WORKLOAD_VM is yours. `^~^` makes `~` the
    metadata separator, so `tee-cmd` / `tee-env-*` values may contain commas."""
    disk_key = f" --boot-disk-kms-key={boot_disk_kms_key}" if boot_disk_kms_key else ""
    return (
        "gcloud compute instances create WORKLOAD_VM"
        f" --project={project}"
        f" --zone={zone}"
        " --confidential-compute-type=SEV"
        " --shielded-secure-boot"
        " --maintenance-policy=TERMINATE"
        " --scopes=cloud-platform"
        " --image-project=confidential-space-images"
        " --image-family=confidential-space"
        f" --service-account={service_account}"
        f"{disk_key}"
        f" --metadata ^~^tee-image-reference={image_reference}"
    )


@dataclass
class ModelOwnerArgs:
    project: str
    """The model owner's project: bucket, pool and model reader live there."""
    model_bucket: str
    """Globally unique name of the CMEK bucket that holds the model."""
    bucket_location: str
    """Location of the model bucket; checked against the storage key by the settings."""
    storage_kms_key_name: pulumi.Input[str]
    """Storage key id resolving after the Cloud Storage agent's grant."""
    storage_grants: Sequence[pulumi.Resource]
    """The model bucket is created only after these exist."""
    pool_id: str
    """Workload identity pool id for the attestation verifier's tokens."""
    image_digest: str
    """`sha256:<64 hex>` of the one container image allowed to read the model."""
    image_reference: str
    """Artifact Registry reference of that image, with a tag or digest."""
    workload_service_account: str
    """The operator's workload service account email."""
    decrypt_key_id: Optional[pulumi.Input[str]] = None
    """A dedicated key the authorized image may decrypt with (client-side encrypted model)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the model bucket."""


class ConfidentialModelOwner(pulumi.ComponentResource):
    bucket: CmekBucket
    pool: gcp.iam.WorkloadIdentityPool
    provider: gcp.iam.WorkloadIdentityPoolProvider
    model_reader: gcp.serviceaccount.Account
    decrypt_grant: Optional[gcp.kms.CryptoKeyIAMMember]
    exports: dict
    model_reader_viewer: gcp.storage.BucketIAMMember
    """Object viewer on the model bucket for the model reader."""
    workload_identity_user: gcp.serviceaccount.IAMMember
    """Lets only the authorized image's attested tokens impersonate the model reader."""

    def __init__(self, name: str, args: ModelOwnerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:ConfidentialModelOwner", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = CmekBucket(
            f"{name}-model",
            CmekBucketArgs(
                project=args.project,
                name=args.model_bucket,
                location=args.bucket_location,
                kms_key_name=args.storage_kms_key_name,
                labels=args.labels,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=list(args.storage_grants)),
        )
        self.pool = gcp.iam.WorkloadIdentityPool(
            f"{name}-pool",
            project=args.project,
            workload_identity_pool_id=args.pool_id,
            display_name="Confidential Space workloads",
            description="Attested Confidential Space workloads allowed to read the model",
            opts=child,
        )
        self.provider = gcp.iam.WorkloadIdentityPoolProvider(
            f"{name}-provider",
            project=args.project,
            workload_identity_pool_id=self.pool.workload_identity_pool_id,
            workload_identity_pool_provider_id=PROVIDER_ID,
            display_name="Confidential Space attestation",
            oidc={"issuer_uri": ATTESTATION_ISSUER, "allowed_audiences": [STS_AUDIENCE]},
            attribute_mapping=dict(ATTRIBUTE_MAPPING),
            attribute_condition=attestation_condition(
                args.image_digest, args.image_reference, args.workload_service_account
            ),
            opts=child,
        )
        authorized_image = self.pool.name.apply(lambda pool: image_digest_principal_set(pool, args.image_digest))

        self.model_reader = gcp.serviceaccount.Account(
            f"{name}-model-reader",
            project=args.project,
            account_id=MODEL_READER_ACCOUNT_ID,
            display_name="Reads the model for attested Confidential Space workloads",
            opts=child,
        )
        self.model_reader_viewer = gcp.storage.BucketIAMMember(
            f"{name}-model-reader-viewer",
            bucket=self.bucket.bucket.name,
            role="roles/storage.objectViewer",
            member=self.model_reader.member,
            opts=child,
        )
        # Only tokens for the authorized digest may impersonate the reader (the provider's
        # condition is checked first; this binding narrows it again).
        self.workload_identity_user = gcp.serviceaccount.IAMMember(
            f"{name}-model-reader-workload-identity",
            service_account_id=self.model_reader.name,
            role="roles/iam.workloadIdentityUser",
            member=authorized_image,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.provider]),
        )
        self.decrypt_grant = None
        if args.decrypt_key_id is not None:
            self.decrypt_grant = gcp.kms.CryptoKeyIAMMember(
                f"{name}-model-decrypt",
                crypto_key_id=args.decrypt_key_id,
                role=DECRYPTER,
                member=authorized_image,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.provider]),
            )
        self.exports = {
            "modelBucket": self.bucket.bucket.name,
            "workloadIdentityPool": self.pool.name,
            "provider": self.provider.name,
            "attributeCondition": self.provider.attribute_condition,
            "modelReaderServiceAccount": self.model_reader.email,
            "authorizedPrincipalSet": authorized_image,
        }
        self.register_outputs(self.exports)


@dataclass
class OperatorArgs:
    project: str
    """The operator's project: workload service account, buckets, registry and VM."""
    region: str
    """Region of the buckets and registry; equal to the keys' region."""
    zone: str
    """Zone of the Confidential VM, in `region`."""
    input_bucket: str
    """Globally unique name of the CMEK bucket the workload reads."""
    result_bucket: str
    """Globally unique name of the CMEK bucket the workload writes."""
    bucket_location: str
    """Location of both buckets; checked against the storage key by the settings."""
    storage_kms_key_name: pulumi.Input[str]
    """Storage key id resolving after the Cloud Storage agent's grant."""
    storage_grants: Sequence[pulumi.Resource]
    """The buckets are created only after these exist."""
    registry_kms_key_name: pulumi.Input[str]
    """Registry key id resolving after the Artifact Registry agent's grant."""
    registry_grants: Sequence[pulumi.Resource]
    """The repository is created only after these exist."""
    repository_id: str
    """CMEK Artifact Registry repository for the workload image."""
    workload_account_id: str
    """Account id (before the @) of the workload's service account."""
    image_reference: str
    """Artifact Registry reference of the workload image, with a tag or digest."""
    boot_disk_kms_key_name: Optional[pulumi.Input[str]] = None
    """Compute key id (after the Compute Engine agent's grant) for the VM's boot disk."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the buckets and the repository."""


class ConfidentialWorkloadOperator(pulumi.ComponentResource):
    workload_account: gcp.serviceaccount.Account
    input_bucket: CmekBucket
    result_bucket: CmekBucket
    repository: CmekRepository
    exports: dict
    project_roles: list[gcp.projects.IAMMember]
    """The workload account's project roles (workload user, log writer): no narrower resource exists."""
    repository_reader: gcp.artifactregistry.RepositoryIamMember
    """Reader on the image repository for the workload account."""

    def __init__(self, name: str, args: OperatorArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:ConfidentialWorkloadOperator", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.workload_account = gcp.serviceaccount.Account(
            f"{name}-workload",
            project=args.project,
            account_id=args.workload_account_id,
            display_name="Confidential Space workload",
            opts=child,
        )
        member = self.workload_account.member
        # Project-wide by nature: attestation tokens and log writing have no narrower resource.
        self.project_roles = [
            gcp.projects.IAMMember(
                f"{name}-workload-{role.split('/')[1].replace('.', '-')}",
                project=args.project,
                role=role,
                member=member,
                opts=child,
            )
            for role in ("roles/confidentialcomputing.workloadUser", "roles/logging.logWriter")
        ]

        def bucket(role: str, bucket_name: str, object_role: str) -> tuple[CmekBucket, gcp.storage.BucketIAMMember]:
            cmek_bucket = CmekBucket(
                f"{name}-{role}",
                CmekBucketArgs(
                    project=args.project,
                    name=bucket_name,
                    location=args.bucket_location,
                    kms_key_name=args.storage_kms_key_name,
                    labels=args.labels,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=list(args.storage_grants)),
            )
            grant = gcp.storage.BucketIAMMember(
                f"{name}-{role}-{object_role.split('.')[-1]}",
                bucket=cmek_bucket.bucket.name,
                role=object_role,
                member=member,
                opts=child,
            )
            return cmek_bucket, grant

        self.input_bucket, self.input_grant = bucket("input", args.input_bucket, "roles/storage.objectViewer")
        self.result_bucket, self.result_grant = bucket("results", args.result_bucket, "roles/storage.objectUser")

        self.repository = CmekRepository(
            f"{name}-registry",
            CmekRepositoryArgs(
                project=args.project,
                repository_id=args.repository_id,
                location=args.region,
                kms_key_name=args.registry_kms_key_name,
                labels=args.labels,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=list(args.registry_grants)),
        )
        self.repository_reader = gcp.artifactregistry.RepositoryIamMember(
            f"{name}-registry-reader",
            project=args.project,
            location=args.region,
            repository=self.repository.repository.repository_id,
            role="roles/artifactregistry.reader",
            member=member,
            opts=child,
        )
        self.exports = {
            "workloadServiceAccount": self.workload_account.email,
            "inputBucket": self.input_bucket.bucket.name,
            "resultBucket": self.result_bucket.bucket.name,
            "repositoryUrl": self.repository.url,
            "imageReference": args.image_reference,
            "confidentialVmCommand": pulumi.Output.all(
                self.workload_account.email, args.boot_disk_kms_key_name or ""
            ).apply(
                lambda v: confidential_vm_command(args.project, args.zone, v[0], args.image_reference, v[1])
            ),
        }
        self.register_outputs(self.exports)

"""Confidential Space model sharing (seed 004): the model owner's pool, provider, reader and
decrypt grant; the operator's account, buckets and registry; and the attribute condition,
evaluated by a real CEL interpreter against attestation-token claims."""

import celpy
import pytest

from cmek_ml.gcp.confidential_space import attestation_condition
from tests.components.gcp.workload_stack import (
    BUCKET,
    IMAGE_DIGEST,
    IMAGE_REFERENCE,
    KEY_MEMBER,
    KEY_RING,
    N,
    WORKLOAD_SA,
    agent,
    grant_for,
    parent_component,
    run_all_parts,
    run_workloads,
)

POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"
PROVIDER = "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"
ACCOUNT = "gcp:serviceaccount/account:Account"
ACCOUNT_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
PROJECT_MEMBER = "gcp:projects/iAMMember:IAMMember"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
REPOSITORY_MEMBER = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"

POOL_NAME = f"projects/{N}/locations/global/workloadIdentityPools/confidential-space"
AUTHORIZED = f"principalSet://iam.googleapis.com/{POOL_NAME}/attribute.image_digest/{IMAGE_DIGEST}"
STORAGE_KEY = f"{KEY_RING}/cryptoKeys/storage"
STORAGE_AGENT = agent("gs-project-accounts.iam.gserviceaccount.com")
REGISTRY_AGENT = agent("gcp-sa-artifactregistry.iam.gserviceaccount.com")
WORKLOAD_MEMBER = f"serviceAccount:{WORKLOAD_SA}"
MODEL_READER_MEMBER = "serviceAccount:cs-model-reader@acme-ml-prod.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def run():
    return run_all_parts()


def buckets(run):
    return {b.inputs["name"]: b for b in run.by_type(BUCKET)}


def bucket_members(run):
    return {(m.inputs["bucket"], m.inputs["role"], m.inputs["member"]) for m in run.by_type(BUCKET_MEMBER)}


# --- the attribute condition under a real CEL evaluator ------------------------------------


def authorized_claims():
    """An attestation token's claims for the authorized workload (Confidential Space token claims doc)."""
    return {
        "aud": "https://sts.googleapis.com",
        "iss": "https://confidentialcomputing.googleapis.com",
        "sub": "https://www.googleapis.com/compute/v1/projects/acme-ml-prod/zones/europe-west4-a/instances/workload-vm",
        "dbgstat": "disabled-since-boot",
        "hwmodel": "GCP_AMD_SEV",
        "swname": "CONFIDENTIAL_SPACE",
        "swversion": ["240900"],
        "google_service_accounts": [WORKLOAD_SA],
        "submods": {
            "confidential_space": {"support_attributes": ["LATEST", "STABLE", "USABLE"]},
            "container": {
                "image_reference": IMAGE_REFERENCE,
                "image_digest": IMAGE_DIGEST,
                "restart_policy": "Never",
                "args": ["python", "inference.py"],
            },
            "gce": {"zone": "europe-west4-a", "project_id": "acme-ml-prod", "instance_name": "workload-vm"},
        },
    }


def admitted(condition: str, claims: dict) -> bool:
    """What STS does with the condition: only a CEL `true` admits; false or an error rejects."""
    environment = celpy.Environment()
    program = environment.program(environment.compile(condition))
    try:
        result = program.evaluate({"assertion": celpy.json_to_cel(claims)})
    except celpy.CELEvalError:
        return False
    return isinstance(result, celpy.celtypes.BoolType) and bool(result)


@pytest.fixture(scope="module")
def condition(run):
    """The condition as registered on the provider, not as recomputed by the test."""
    (provider,) = run.by_type(PROVIDER)
    return provider.inputs["attributeCondition"]


def test_authorized_workload_is_admitted(condition):
    assert admitted(condition, authorized_claims())


def test_a_different_digest_is_rejected(condition):
    claims = authorized_claims()
    claims["submods"]["container"]["image_digest"] = "sha256:" + "0" * 64
    assert not admitted(condition, claims)


def test_a_different_image_reference_is_rejected(condition):
    """The seed's "unauthorized workload": the operator's own repository, same tag."""
    claims = authorized_claims()
    claims["submods"]["container"]["image_reference"] = "us-docker.pkg.dev/acme-ml-prod/custom-image/inference:v1"
    assert not admitted(condition, claims)


@pytest.mark.parametrize("support_attributes", [["LATEST", "USABLE"], ["EXPERIMENTAL"], []])
def test_an_unstable_image_is_rejected(condition, support_attributes):
    claims = authorized_claims()
    claims["submods"]["confidential_space"]["support_attributes"] = support_attributes
    assert not admitted(condition, claims)


def test_a_debug_image_is_rejected(condition):
    claims = authorized_claims()
    claims["dbgstat"] = "enabled"
    assert not admitted(condition, claims)


@pytest.mark.parametrize(
    "accounts",
    [["intruder@acme-ml-prod.iam.gserviceaccount.com"], ["cs-workload@secundus-prod.iam.gserviceaccount.com"], []],
)
def test_another_service_account_is_rejected(condition, accounts):
    claims = authorized_claims()
    claims["google_service_accounts"] = accounts
    assert not admitted(condition, claims)


def test_outside_confidential_space_is_rejected(condition):
    claims = authorized_claims()
    claims["swname"] = "GCE"
    assert not admitted(condition, claims)


def test_a_token_without_the_container_claims_is_rejected(condition):
    claims = authorized_claims()
    del claims["submods"]["container"]
    assert not admitted(condition, claims)


def test_condition_is_exactly_the_seeds_checks_plus_debug_off():
    assert attestation_condition("sha256:" + "1" * 64, "r-docker.pkg.dev/p/r/i:t", "a@p.iam.gserviceaccount.com") == (
        "assertion.swname == 'CONFIDENTIAL_SPACE'"
        " && 'STABLE' in assertion.submods.confidential_space.support_attributes"
        " && assertion.dbgstat == 'disabled-since-boot'"
        f" && assertion.submods.container.image_digest == 'sha256:{'1' * 64}'"
        " && assertion.submods.container.image_reference == 'r-docker.pkg.dev/p/r/i:t'"
        " && 'a@p.iam.gserviceaccount.com' in assertion.google_service_accounts"
    )


# --- model owner -----------------------------------------------------------------------------


def test_pool_and_oidc_provider_trust_the_attestation_verifier(run, condition):
    (pool,) = run.by_type(POOL)
    assert pool.inputs["workloadIdentityPoolId"] == "confidential-space"
    assert pool.inputs["project"] == "acme-ml-prod"
    (provider,) = run.by_type(PROVIDER)
    assert provider.inputs["workloadIdentityPoolId"] == "confidential-space"
    assert provider.inputs["oidc"] == {
        "issuerUri": "https://confidentialcomputing.googleapis.com/",
        "allowedAudiences": ["https://sts.googleapis.com"],
    }
    assert provider.inputs["attributeMapping"] == {
        "google.subject": "assertion.sub",
        "attribute.image_digest": "assertion.submods.container.image_digest",
    }
    assert len(condition) <= 4096  # the API's limit


def test_model_bucket_is_cmek_and_waits_for_the_storage_grant(run):
    model = buckets(run)["acme-ml-prod-cs-model"]
    assert model.inputs["encryption"] == {"defaultKmsKeyName": STORAGE_KEY}
    assert model.inputs["forceDestroy"] is False
    grant = grant_for(run, STORAGE_AGENT)
    assert grant.urn in model.property_dependencies["encryption"]
    assert grant.urn in parent_component(run, model).dependencies


def test_model_reader_views_the_model_and_is_usable_only_by_the_authorized_image(run):
    (reader,) = [a for a in run.by_type(ACCOUNT) if a.inputs["accountId"] == "cs-model-reader"]
    assert reader.inputs["project"] == "acme-ml-prod"
    assert ("acme-ml-prod-cs-model", "roles/storage.objectViewer", MODEL_READER_MEMBER) in bucket_members(run)
    (binding,) = run.by_type(ACCOUNT_MEMBER)
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert binding.inputs["member"] == AUTHORIZED
    assert binding.inputs["serviceAccountId"] == "projects/acme-ml-prod/serviceAccounts/cs-model-reader@acme-ml-prod.iam.gserviceaccount.com"
    (provider,) = run.by_type(PROVIDER)
    assert provider.urn in binding.dependencies


def test_decrypt_only_grant_on_a_dedicated_protected_key(run):
    sharing_key = f"{KEY_RING}/cryptoKeys/model-sharing"
    on_key = [g for g in run.by_type(KEY_MEMBER) if g.inputs["cryptoKeyId"] == sharing_key]
    assert [(g.inputs["role"], g.inputs["member"]) for g in on_key] == [("roles/cloudkms.cryptoKeyDecrypter", AUTHORIZED)]
    (key,) = [k for k in run.by_type(CRYPTO_KEY) if k.inputs["name"] == "model-sharing"]
    assert key.protect and key.inputs["deletionPolicy"] == "PREVENT"
    # The principal set never reaches the platform's own keys.
    assert all(g.inputs["member"] != AUTHORIZED for g in run.by_type(KEY_MEMBER) if g.inputs["cryptoKeyId"] != sharing_key)


def test_no_decrypt_grant_or_sharing_key_unless_asked(run_stack):
    run = run_workloads(run_stack, gcpConfidentialSpaceKeyDecrypt=False)
    assert not [k for k in run.by_type(CRYPTO_KEY) if k.inputs["name"] == "model-sharing"]
    assert not [g for g in run.by_type(KEY_MEMBER) if g.inputs["member"].startswith("principalSet://")]
    assert run.by_type(PROVIDER)  # the model owner is still there


# --- operator --------------------------------------------------------------------------------


def test_workload_account_has_exactly_the_seeds_roles(run):
    (workload,) = [a for a in run.by_type(ACCOUNT) if a.inputs["accountId"] == "cs-workload"]
    assert workload.inputs["project"] == "acme-ml-prod"
    project_roles = {(m.inputs["project"], m.inputs["role"], m.inputs["member"]) for m in run.by_type(PROJECT_MEMBER)}
    assert project_roles == {
        ("acme-ml-prod", "roles/confidentialcomputing.workloadUser", WORKLOAD_MEMBER),
        ("acme-ml-prod", "roles/logging.logWriter", WORKLOAD_MEMBER),
    }
    workload_on_buckets = {(b, r) for b, r, m in bucket_members(run) if m == WORKLOAD_MEMBER}
    assert workload_on_buckets == {
        ("acme-ml-prod-cs-input", "roles/storage.objectViewer"),
        ("acme-ml-prod-cs-results", "roles/storage.objectUser"),
    }


def test_input_and_result_buckets_are_cmek_and_wait_for_the_storage_grant(run):
    grant = grant_for(run, STORAGE_AGENT)
    for name in ("acme-ml-prod-cs-input", "acme-ml-prod-cs-results"):
        bucket = buckets(run)[name]
        assert bucket.inputs["encryption"] == {"defaultKmsKeyName": STORAGE_KEY}
        assert bucket.inputs["forceDestroy"] is False
        assert grant.urn in bucket.property_dependencies["encryption"]
        assert grant.urn in parent_component(run, bucket).dependencies


def test_image_repository_is_cmek_and_readable_by_the_workload_only(run):
    (repo,) = [r for r in run.by_type(REPOSITORY) if r.inputs["repositoryId"] == "confidential-workloads"]
    assert repo.inputs["kmsKeyName"] == f"{KEY_RING}/cryptoKeys/registry"
    assert repo.inputs["location"] == "europe-west4"
    grant = grant_for(run, REGISTRY_AGENT)
    assert grant.urn in repo.property_dependencies["kmsKeyName"]
    assert grant.urn in parent_component(run, repo).dependencies
    (reader,) = run.by_type(REPOSITORY_MEMBER)
    assert (reader.inputs["repository"], reader.inputs["role"], reader.inputs["member"]) == (
        "confidential-workloads",
        "roles/artifactregistry.reader",
        WORKLOAD_MEMBER,
    )


def test_confidential_vm_command_to_the_character(run):
    operator = run.outputs["gcp"]["confidentialSpace"]["operator"]
    assert operator["confidentialVmCommand"] == (
        "gcloud compute instances create WORKLOAD_VM --project=acme-ml-prod --zone=europe-west4-a"
        " --confidential-compute-type=SEV --shielded-secure-boot --maintenance-policy=TERMINATE"
        " --scopes=cloud-platform --image-project=confidential-space-images --image-family=confidential-space"
        f" --service-account={WORKLOAD_SA}"
        f" --boot-disk-kms-key={KEY_RING}/cryptoKeys/compute"
        f" --metadata ^~^tee-image-reference={IMAGE_REFERENCE}"
    )
    assert operator["repositoryUrl"] == "europe-west4-docker.pkg.dev/acme-ml-prod/confidential-workloads"


def test_without_the_compute_agent_the_vm_command_has_no_disk_key(run_stack):
    services = ["storage", "artifactregistry", "ml", "aiplatform", "dataflow", "logging"]
    command = run_workloads(run_stack, gcpServices=services).outputs["gcp"]["confidentialSpace"]["operator"][
        "confidentialVmCommand"
    ]
    assert "--boot-disk-kms-key" not in command
    assert command.endswith(f" --service-account={WORKLOAD_SA} --metadata ^~^tee-image-reference={IMAGE_REFERENCE}")


def test_model_owner_exports(run):
    owner = run.outputs["gcp"]["confidentialSpace"]["modelOwner"]
    assert owner["workloadIdentityPool"] == POOL_NAME
    assert owner["provider"] == f"{POOL_NAME}/providers/attestation-verifier"
    assert owner["authorizedPrincipalSet"] == AUTHORIZED
    assert owner["modelBucket"] == "acme-ml-prod-cs-model"
    assert owner["modelReaderServiceAccount"] == "cs-model-reader@acme-ml-prod.iam.gserviceaccount.com"


def test_nothing_confidential_unless_asked(run_stack):
    run = run_workloads(run_stack, gcpConfidentialSpaceParties=[], gcpConfidentialSpaceKeyDecrypt=False)
    for type_token in (POOL, PROVIDER, ACCOUNT, BUCKET_MEMBER, PROJECT_MEMBER, REPOSITORY_MEMBER):
        assert run.by_type(type_token) == [], type_token
    assert "confidentialSpace" not in run.outputs["gcp"]


def test_compute_agent_gets_the_compute_key_for_the_vm_boot_disk(run):
    grant = grant_for(run, agent("compute-system.iam.gserviceaccount.com"), f"{KEY_RING}/cryptoKeys/compute")
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"

"""The GCP landing zone under mocks: keys, agents, grants, buckets, registry, exports."""

import logging

import pytest

from cmek_ml.gcp.key_grants import ENCRYPTER_DECRYPTER

KEY_RING = "gcp:kms/keyRing:KeyRing"
CRYPTO_KEY = "gcp:kms/cryptoKey:CryptoKey"
KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
BUCKET = "gcp:storage/bucket:Bucket"
REPOSITORY = "gcp:artifactregistry/repository:Repository"
SERVICE = "gcp:projects/service:Service"
IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
PROJECT = "gcp:organizations/project:Project"

PROD_KEY_RING = "projects/acme-kms-prod/locations/europe-west4/keyRings/cmek-ml"
N = "222222222222"  # acme-ml-prod's number in tests/conftest.py


@pytest.fixture(scope="module")
def prod(run_stack):
    return run_stack("prod")


@pytest.fixture(scope="module")
def dev(run_stack):
    return run_stack("dev")


def key_use_grants(run):
    """The encrypter/decrypter grants, as {(member, key name): grant}."""
    return {
        (g.inputs["member"], g.inputs["cryptoKeyId"].rsplit("/", 1)[1]): g
        for g in run.by_type(KEY_MEMBER)
        if g.inputs["role"] == ENCRYPTER_DECRYPTER
    }


def grant_for(run, member, key):
    return key_use_grants(run)[(member, key)]


# --- key ring and keys -------------------------------------------------------------------


def test_key_ring_and_keys_are_protected(prod, dev):
    for run in (prod, dev):
        for resource in run.by_type(KEY_RING) + run.by_type(CRYPTO_KEY):
            assert resource.protect, f"{resource.urn} is not protected"


def test_keys_refuse_deletion_and_rotate(prod):
    keys = prod.by_type(CRYPTO_KEY)
    assert sorted(k.inputs["name"] for k in keys) == [
        "compute", "logs", "model-sharing", "pipelines", "registry", "storage", "training",
    ]
    for key in keys:
        assert key.inputs["deletionPolicy"] == "PREVENT"
        assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
        assert key.inputs["rotationPeriod"] == f"{30 * 86400}s"
        assert key.inputs["destroyScheduledDuration"] == f"{90 * 86400}s"
        assert key.inputs["versionTemplate"] == {
            "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
            "protectionLevel": "HSM",
        }
        assert key.inputs["labels"] == {"env": "prod", "owner": "ml-platform", "data-class": "confidential"}
        assert key.inputs["keyRing"] == PROD_KEY_RING
        # destroy_scheduled_duration is create-only: a change must show as a replacement.
        # Only that: a protection-level change applies to new versions, in place.
        assert key.replace_on_changes == ["destroyScheduledDuration"]


def test_dev_uses_one_shared_software_key_in_the_ml_project(dev):
    (key,) = dev.by_type(CRYPTO_KEY)
    assert key.inputs["name"] == "shared"
    assert key.inputs["versionTemplate"]["protectionLevel"] == "SOFTWARE"
    assert key.inputs["rotationPeriod"] == "7776000s"
    (ring,) = dev.by_type(KEY_RING)
    assert ring.inputs == {"location": "europe-west4", "name": "cmek-ml", "project": "acme-ml-dev"}


def test_key_ring_waits_for_the_kms_api(prod):
    api = prod.one(SERVICE, "gcp-kms-project-cloudkms-api")
    assert api.inputs["service"] == "cloudkms.googleapis.com"
    assert api.inputs["disableOnDestroy"] is False
    ring = prod.one(KEY_RING, "gcp-keys-ring")
    ring_component = prod.monitor.by_urn()[ring.parent]
    assert api.urn in ring_component.dependencies


# --- KMS project ---------------------------------------------------------------------------


def test_prod_creates_a_protected_kms_project_under_its_folder(prod):
    (project,) = prod.by_type(PROJECT)
    assert project.protect
    assert project.inputs["projectId"] == "acme-kms-prod"
    assert project.inputs["folderId"] == "123456789012"
    assert "orgId" not in project.inputs
    assert project.inputs["billingAccount"] == "01ABCD-23EF45-6789AB"
    assert project.inputs["autoCreateNetwork"] is False
    api = prod.one(SERVICE, "gcp-kms-project-cloudkms-api")
    assert api.inputs["project"] == "acme-kms-prod"
    assert project.urn in api.dependencies or project.urn in sum(api.property_dependencies.values(), [])


def test_adopting_a_kms_project_creates_no_project(run_stack):
    run = run_stack("prod", {"gcpKmsProjectMode": "adopt"})
    assert run.by_type(PROJECT) == []
    assert run.by_type(KEY_RING)[0].inputs["project"] == "acme-kms-prod"
    assert run.outputs["gcp"]["kmsProjectId"] == "acme-kms-prod"


def test_organization_parent(run_stack):
    run = run_stack("prod", {"gcpKmsProjectParent": "organizations/42"})
    (project,) = run.by_type(PROJECT)
    assert project.inputs["orgId"] == "42" and "folderId" not in project.inputs


def test_single_project_mode_warns(run_stack, caplog):
    with caplog.at_level(logging.WARNING):
        run_stack("dev")
    assert any("no separation of duties" in r.getMessage() for r in caplog.records)


def test_separate_kms_project_does_not_warn(run_stack, caplog):
    with caplog.at_level(logging.WARNING):
        run_stack("prod")
    assert not any("separation of duties" in r.getMessage() for r in caplog.records)


# --- service agents and grants -------------------------------------------------------------

STORAGE_AGENT = f"serviceAccount:service-{N}@gs-project-accounts.iam.gserviceaccount.com"
REGISTRY_AGENT = f"serviceAccount:service-{N}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
TRAINING_AGENT = f"serviceAccount:service-{N}@cloud-ml.google.com.iam.gserviceaccount.com"
COMPUTE_AGENT = f"serviceAccount:service-{N}@compute-system.iam.gserviceaccount.com"
EXPECTED_PROD_GRANTS = {
    (STORAGE_AGENT, "storage"),
    (REGISTRY_AGENT, "registry"),
    (TRAINING_AGENT, "training"),
    (f"serviceAccount:service-{N}@gcp-sa-aiplatform.iam.gserviceaccount.com", "training"),
    (f"serviceAccount:service-{N}@dataflow-service-producer-prod.iam.gserviceaccount.com", "pipelines"),
    (COMPUTE_AGENT, "pipelines"),
    (COMPUTE_AGENT, "compute"),
    (f"serviceAccount:service-{N}@gcp-sa-logging.iam.gserviceaccount.com", "logs"),
}


def test_each_agent_gets_the_key_role_on_its_own_key(prod):
    grants = key_use_grants(prod)
    assert set(grants) == EXPECTED_PROD_GRANTS
    for (member, key), grant in grants.items():
        assert grant.inputs["cryptoKeyId"] == f"{PROD_KEY_RING}/cryptoKeys/{key}"


def test_key_roles_are_granted_on_keys_only_and_never_publicly(prod, dev):
    for run in (prod, dev):
        # Stacks enable other clouds too: this is about GCP's IAM.
        gcp_iam = [r for r in run.resources if r.type.startswith("gcp:") and "IAM" in r.type]
        assert gcp_iam
        for resource in gcp_iam:
            member = resource.inputs.get("member", "")
            assert member not in ("allUsers", "allAuthenticatedUsers"), resource.urn
            if resource.type != KEY_MEMBER:
                assert "cloudkms" not in resource.inputs.get("role", ""), f"key role granted off a key: {resource.urn}"
        for grant in run.by_type(KEY_MEMBER):
            assert "/cryptoKeys/" in grant.inputs["cryptoKeyId"]


def test_agents_are_resolved_the_way_the_catalogue_says(prod):
    identities = {i.inputs["service"] for i in prod.by_type(IDENTITY)}
    assert identities == {
        "artifactregistry.googleapis.com",
        "aiplatform.googleapis.com",
        "dataflow.googleapis.com",
    }
    invoked = [token for token, _ in prod.monitor.invokes]
    assert "gcp:storage/getProjectServiceAccount:getProjectServiceAccount" in invoked
    assert "gcp:logging/getProjectSettings:getProjectSettings" in invoked


def test_service_identities_wait_for_their_api(prod):
    for identity in prod.by_type(IDENTITY):
        service = identity.inputs["service"].split(".")[0]
        api = prod.one(SERVICE, f"gcp-agents-{service}-api")
        assert api.urn in identity.dependencies


def test_apis_are_never_disabled_on_destroy(prod):
    for api in prod.by_type(SERVICE):
        assert api.inputs["disableOnDestroy"] is False


def test_project_number_is_looked_up_once_per_project(prod):
    lookups = [args["projectId"] for token, args in prod.monitor.invokes if token.endswith("getProject:getProject")]
    assert lookups == ["acme-ml-prod"]


def test_fixed_format_agent_grant_waits_for_its_api(prod):
    grant = grant_for(prod, TRAINING_AGENT, "training")
    api = prod.one(SERVICE, "gcp-agents-ml-api")
    assert api.urn in grant.property_dependencies["member"]


def test_an_agent_email_override_replaces_the_catalogue_email(run_stack):
    override = f"service-{N}@cloud-ml.iam.gserviceaccount.com"
    run = run_stack("prod", {"gcpServiceAgentEmails": [f"ml={override}"]})
    grants = key_use_grants(run)
    assert (f"serviceAccount:{override}", "training") in grants
    assert (TRAINING_AGENT, "training") not in grants
    # Same grant name: adding an override does not change URNs.
    assert grants[(f"serviceAccount:{override}", "training")].name == "gcp-grants-training-ml-cloud-ml"


def test_an_override_skips_the_service_identity(run_stack):
    override = f"service-{N}@gcp-sa-artifactregistry.iam.gserviceaccount.com"
    run = run_stack("prod", {"gcpServiceAgentEmails": [f"artifactregistry={override}"]})
    assert "artifactregistry.googleapis.com" not in {i.inputs["service"] for i in run.by_type(IDENTITY)}


# --- buckets and registry ------------------------------------------------------------------


def test_buckets_use_the_storage_key_and_are_locked_down(prod):
    buckets = {b.inputs["name"]: b for b in prod.by_type(BUCKET)}
    # The stack's own buckets, and those the workload parts make (Dataflow, Confidential Space).
    assert {"acme-ml-prod-training-data", "acme-ml-prod-models", "acme-ml-prod-pipeline-temp"} <= set(buckets)
    assert len(buckets) == 8
    for bucket in buckets.values():
        assert bucket.inputs["encryption"] == {"defaultKmsKeyName": f"{PROD_KEY_RING}/cryptoKeys/storage"}
        assert bucket.inputs["uniformBucketLevelAccess"] is True
        assert bucket.inputs["publicAccessPrevention"] == "enforced"
        assert bucket.inputs["forceDestroy"] is False
        assert bucket.inputs["location"] == "EUROPE-WEST4"
        assert bucket.inputs["project"] == "acme-ml-prod"


def test_buckets_wait_for_the_storage_agents_grant(prod):
    grant = grant_for(prod, STORAGE_AGENT, "storage")
    for bucket in prod.by_type(BUCKET):
        assert grant.urn in bucket.property_dependencies["encryption"]
        component = prod.monitor.by_urn()[bucket.parent]
        assert component.type == "cmek-ml:gcp:CmekBucket"
        assert grant.urn in component.dependencies


def test_repository_uses_the_registry_key_in_its_region_and_waits_for_the_grant(prod):
    (repo,) = [r for r in prod.by_type(REPOSITORY) if r.inputs["repositoryId"] == "ml-images"]
    assert repo.inputs["kmsKeyName"] == f"{PROD_KEY_RING}/cryptoKeys/registry"
    assert repo.inputs["location"] == "europe-west4"
    assert repo.inputs["format"] == "DOCKER"
    # The key is create-only: a change is a replacement, shown as such in preview.
    assert "kmsKeyName" in repo.replace_on_changes
    grant = grant_for(prod, REGISTRY_AGENT, "registry")
    assert grant.urn in repo.property_dependencies["kmsKeyName"]
    assert grant.urn in prod.monitor.by_urn()[repo.parent].dependencies


def test_no_repository_when_none_is_asked_for(run_stack):
    run = run_stack("dev", {"gcpArtifactRegistryRepository": ""})
    assert run.by_type(REPOSITORY) == []
    assert "artifactRegistry" not in run.outputs["gcp"]


def test_multi_region_bucket_gets_a_multi_region_storage_key(run_stack):
    run = run_stack("prod", {"gcpBucketLocation": "EU", "gcpAllowMultiRegionStorageKey": True})
    rings = {r.inputs["location"]: r for r in run.by_type(KEY_RING)}
    assert set(rings) == {"europe-west4", "europe"}
    assert all(r.protect for r in rings.values())
    storage_keys = [k for k in run.by_type(CRYPTO_KEY) if k.inputs["name"] == "storage"]
    assert [k.inputs["keyRing"] for k in storage_keys] == ["projects/acme-kms-prod/locations/europe/keyRings/cmek-ml"]
    multi_key = "projects/acme-kms-prod/locations/europe/keyRings/cmek-ml/cryptoKeys/storage"
    for bucket in run.by_type(BUCKET):
        assert bucket.inputs["location"] == "EU"
        assert bucket.inputs["encryption"]["defaultKmsKeyName"] == multi_key
    storage_grant = grant_for(run, STORAGE_AGENT, "storage")
    assert storage_grant.inputs["cryptoKeyId"] == multi_key


def test_shared_layout_grants_every_agent_on_the_one_key(dev):
    key_ids = {g.inputs["cryptoKeyId"] for g in dev.by_type(KEY_MEMBER)}
    assert key_ids == {"projects/acme-ml-dev/locations/europe-west4/keyRings/cmek-ml/cryptoKeys/shared"}
    assert len(dev.by_type(KEY_MEMBER)) == 4


# --- exports -------------------------------------------------------------------------------


def test_exports(prod):
    gcp = prod.outputs["gcp"]
    assert gcp["kmsProjectId"] == "acme-kms-prod"
    assert gcp["keyRings"] == {"europe-west4": PROD_KEY_RING}
    purposes = ("compute", "logs", "model-sharing", "pipelines", "registry", "storage", "training")
    assert gcp["keys"] == {p: f"{PROD_KEY_RING}/cryptoKeys/{p}" for p in purposes}
    assert gcp["buckets"] == {
        "training-data": "acme-ml-prod-training-data",
        "models": "acme-ml-prod-models",
        "pipeline-temp": "acme-ml-prod-pipeline-temp",
    }
    assert gcp["artifactRegistry"]["url"] == "europe-west4-docker.pkg.dev/acme-ml-prod/ml-images"


def test_ai_platform_training_exports_follow_the_seed(prod):
    training = prod.outputs["gcp"]["aiPlatformTraining"]
    key = f"{PROD_KEY_RING}/cryptoKeys/training"
    assert training["encryptionConfig"] == {"trainingInput": {"encryptionConfig": {"kmsKeyName": key}}}
    assert training["configYaml"] == f"trainingInput:\n  encryptionConfig:\n    kmsKeyName: {key}\n"
    command = training["submitCommand"]
    assert command.startswith("gcloud ai-platform jobs submit training JOB_ID ")
    assert " --config=config.yaml " in command
    assert " --region=europe-west4 " in command
    assert " --job-dir=gs://acme-ml-prod-training-data/jobs/JOB_ID " in command


def test_exported_key_ids_carry_their_grants(run_component):
    """A consumer of an exported key id depends on every agent's grant on that key.

    (The model-sharing decrypt grant to an attested workload is made from the key id, so
    it cannot also precede it; it is not a service agent's grant.)
    """
    from cmek_ml.gcp.landing_zone import GcpLandingZone
    from cmek_ml.gcp.settings import read_gcp_settings
    from cmek_ml.settings import SettingsReader
    from tools import stack_config
    import pulumi

    dependencies = {}

    def body():
        pulumi.runtime.set_all_config(stack_config.resolve("prod"))
        zone = GcpLandingZone("gcp", read_gcp_settings(SettingsReader()))

        async def collect():
            for name, key_id in zone.usable_key_ids.items():
                dependencies[name] = {await r.urn.future() for r in await key_id.resources()}

        return pulumi.Output.from_input(collect())

    run = run_component(body)
    grants_by_key = {}
    for (_, key), grant in key_use_grants(run).items():
        grants_by_key.setdefault(key, set()).add(grant.urn)
    assert set(grants_by_key) <= set(dependencies)
    for key, grant_urns in grants_by_key.items():
        assert grant_urns <= dependencies[key], key

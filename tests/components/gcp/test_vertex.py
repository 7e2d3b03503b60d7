"""Training under the key: the Vertex AI agent's grant, the exports users paste, and the
declarative Vertex resources with `encryption_spec`."""

import pytest

from cmek_ml.gcp.key_grants import ENCRYPTER_DECRYPTER
from tests.components.gcp.workload_stack import (
    KEY_RING,
    agent,
    grant_for,
    parent_component,
    run_all_parts,
    run_workloads,
)

TRAINING_KEY = f"{KEY_RING}/cryptoKeys/training"
VERTEX_AGENT = agent("gcp-sa-aiplatform.iam.gserviceaccount.com")
VERTEX_TYPES = {
    "metadata-store": "gcp:vertex/aiMetadataStore:AiMetadataStore",
    "tensorboard": "gcp:vertex/aiTensorboard:AiTensorboard",
    "dataset": "gcp:vertex/aiDataset:AiDataset",
    "featurestore": "gcp:vertex/aiFeatureStore:AiFeatureStore",
}


@pytest.fixture(scope="module")
def run():
    return run_all_parts()


def test_vertex_and_ai_platform_agents_get_the_training_key(run):
    for member in (VERTEX_AGENT, agent("cloud-ml.google.com.iam.gserviceaccount.com")):
        grant = grant_for(run, member)
        assert grant.inputs["role"] == ENCRYPTER_DECRYPTER
        assert grant.inputs["cryptoKeyId"] == TRAINING_KEY


def test_vertex_exports_to_the_character(run):
    vertex = run.outputs["gcp"]["vertexTraining"]
    assert vertex["encryptionSpecKeyName"] == TRAINING_KEY
    assert vertex["encryptionSpec"] == {"kmsKeyName": TRAINING_KEY}
    assert vertex["sdkInit"] == (
        "aiplatform.init(project='acme-ml-prod', location='europe-west4', "
        f"encryption_spec_key_name='{TRAINING_KEY}')"
    )
    assert vertex["customJobFlags"] == f"--region=europe-west4 --encryption-spec-key-name={TRAINING_KEY}"
    assert vertex["customJobCommand"] == (
        "gcloud ai custom-jobs create --project=acme-ml-prod --display-name=JOB_NAME"
        " --worker-pool-spec=machine-type=n1-standard-4,replica-count=1,"
        "accelerator-type=NVIDIA_TESLA_T4,accelerator-count=1,container-image-uri=IMAGE_URI"
        f" --region=europe-west4 --encryption-spec-key-name={TRAINING_KEY}"
    )


def test_ai_platform_exports_stay_next_to_the_vertex_ones(run):
    gcp = run.outputs["gcp"]
    assert gcp["aiPlatformTraining"]["encryptionConfig"] == {
        "trainingInput": {"encryptionConfig": {"kmsKeyName": TRAINING_KEY}}
    }
    assert gcp["aiPlatformTraining"]["submitCommand"].endswith(" --scale-tier=basic")


def test_scale_tier_and_machine_reach_the_commands(run_stack):
    run = run_workloads(
        run_stack,
        gcpTrainingScaleTier="BASIC_GPU",
        gcpTrainingMachineType="a2-highgpu-1g",
        gcpTrainingAcceleratorType="NVIDIA_TESLA_A100",
        gcpTrainingAcceleratorCount=2,
    )
    gcp = run.outputs["gcp"]
    assert gcp["aiPlatformTraining"]["submitCommand"].endswith(" --scale-tier=basic_gpu")
    assert (
        " --worker-pool-spec=machine-type=a2-highgpu-1g,replica-count=1,accelerator-type=NVIDIA_TESLA_A100,"
        "accelerator-count=2,container-image-uri=IMAGE_URI " in gcp["vertexTraining"]["customJobCommand"]
    )


def test_no_accelerator_in_the_worker_pool_by_default(run_stack):
    command = run_stack("dev").outputs["gcp"]["vertexTraining"]["customJobCommand"]
    assert "--worker-pool-spec=machine-type=n1-standard-4,replica-count=1,container-image-uri=IMAGE_URI " in command
    assert "accelerator" not in command
    dev_key = "projects/acme-ml-dev/locations/europe-west4/keyRings/cmek-ml/cryptoKeys/shared"
    assert command.endswith(f" --region=europe-west4 --encryption-spec-key-name={dev_key}")


def test_every_vertex_resource_is_encrypted_with_the_training_key_in_its_region(run):
    for resource, type_token in VERTEX_TYPES.items():
        (registration,) = run.by_type(type_token)
        assert registration.inputs["encryptionSpec"] == {"kmsKeyName": TRAINING_KEY}, resource
        assert registration.inputs["region"] == "europe-west4"
        assert registration.inputs["project"] == "acme-ml-prod"
        assert "encryptionSpec" in registration.replace_on_changes
    assert run.outputs["gcp"]["vertexResources"]["metadata-store"] == (
        "projects/acme-ml-prod/locations/europe-west4/metadataStores/cmek-ml-metadata"
    )
    (featurestore,) = run.by_type(VERTEX_TYPES["featurestore"])
    assert featurestore.inputs["forceDestroy"] is False


def test_vertex_resources_wait_for_the_vertex_agents_grant(run):
    grant = grant_for(run, VERTEX_AGENT)
    for type_token in VERTEX_TYPES.values():
        (registration,) = run.by_type(type_token)
        assert grant.urn in registration.property_dependencies["encryptionSpec"]
        component = parent_component(run, registration)
        assert component.type == "cmek-ml:gcp:VertexResources"
        assert grant.urn in component.dependencies


def test_only_the_vertex_resources_asked_for(run_stack):
    run = run_workloads(run_stack, gcpVertexResources=["tensorboard"])
    assert [type_ for type_ in VERTEX_TYPES.values() if run.by_type(type_)] == [VERTEX_TYPES["tensorboard"]]
    dev = run_stack("dev")
    assert not any(dev.by_type(type_) for type_ in VERTEX_TYPES.values())
    assert "vertexResources" not in dev.outputs["gcp"]

"""The service-agent catalogue is data; these tests pin what the issue and seed 000 require of it."""

import pytest

from cmek_ml.gcp.service_agents import RESOLVERS, catalogue


def test_catalogue_entries_are_complete():
    for name, spec in catalogue().items():
        assert spec.api.endswith(".googleapis.com"), name
        assert spec.key_purpose, name
        assert spec.agents, name
        for agent in spec.agents:
            assert "{project_number}" in agent.email, name
            assert agent.resolve in RESOLVERS, name


@pytest.mark.parametrize("service", ["artifactregistry", "aiplatform", "dataflow", "pubsub"])
def test_services_that_need_a_service_identity(service):
    assert catalogue()[service].agents[0].resolve == "service-identity"


def test_storage_agent_comes_from_its_data_source():
    (agent,) = catalogue()["storage"].agents
    assert agent.resolve == "storage-data-source"
    assert agent.email_for("42") == "service-42@gs-project-accounts.iam.gserviceaccount.com"


def test_ai_platform_training_agent_has_the_seeds_fixed_format():
    (agent,) = catalogue()["ml"].agents
    assert agent.resolve == "fixed"
    assert agent.email_for("123") == "service-123@cloud-ml.google.com.iam.gserviceaccount.com"


def test_dataflow_needs_its_agent_and_the_compute_agent_for_worker_disks():
    emails = [a.email_for("7") for a in catalogue()["dataflow"].agents]
    assert emails == [
        "service-7@dataflow-service-producer-prod.iam.gserviceaccount.com",
        "service-7@compute-system.iam.gserviceaccount.com",
    ]


def test_agent_labels_are_unique_per_service():
    for name, spec in catalogue().items():
        labels = [a.label for a in spec.agents]
        assert len(labels) == len(set(labels)), name

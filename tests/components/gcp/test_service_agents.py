"""The service-agent catalogue is data; these tests pin what the issue and seed 000 require of it."""

import pytest

from cmek_ml.gcp.service_agents import RESOLVERS, catalogue
from tools.mocks import gcp as gcp_mock


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


# --- ServiceIdentity without an email (issue #9 point 8) -----------------------------------

KEY_MEMBER = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
IDENTITY = "gcp:projects/serviceIdentity:ServiceIdentity"
N = "222222222222"  # acme-ml-prod's number in tests/conftest.py


@pytest.fixture
def identities_answer_without_email(monkeypatch):
    """generateServiceIdentity succeeds but returns no details (terraform-provider-google#18649)."""
    silent = {"aiplatform.googleapis.com", "artifactregistry.googleapis.com", "dataflow.googleapis.com"}
    monkeypatch.setattr(gcp_mock, "SERVICE_IDENTITIES_WITHOUT_EMAIL", silent)
    return silent


def test_agents_fall_back_to_the_catalogue_format_when_the_identity_has_no_email(
    run_stack, identities_answer_without_email
):
    run = run_stack("prod", {"clouds": ["gcp"]})
    identities = {i.inputs["service"]: i for i in run.by_type(IDENTITY)}
    assert identities_answer_without_email <= set(identities)
    assert all("email" not in i.state or not i.state["email"] for s, i in identities.items() if s in identities_answer_without_email)
    members = {g.inputs["member"] for g in run.by_type(KEY_MEMBER)}
    for service in ("aiplatform", "artifactregistry", "dataflow"):
        expected = catalogue()[service].agents[0].email_for(N)
        assert f"serviceAccount:{expected}" in members, service
    assert not any(m in ("serviceAccount:", "serviceAccount:None") for m in members)
    assert run.outputs["gcp"]["serviceAgents"]["aiplatform"] == [f"service-{N}@gcp-sa-aiplatform.iam.gserviceaccount.com"]


def test_grants_to_a_fallback_email_still_wait_for_the_identity(run_stack, identities_answer_without_email):
    run = run_stack("prod", {"clouds": ["gcp"]})
    (identity,) = [i for i in run.by_type(IDENTITY) if i.inputs["service"] == "aiplatform.googleapis.com"]
    (grant,) = [
        g for g in run.by_type(KEY_MEMBER) if g.inputs["member"] == f"serviceAccount:service-{N}@gcp-sa-aiplatform.iam.gserviceaccount.com"
    ]
    assert identity.urn in grant.property_dependencies["member"]

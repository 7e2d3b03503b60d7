"""CMEK org policies, opt-in, at project, folder or organization scope."""

import pytest

from cmek_ml.gcp.org_policies import restrictable_services
from tests.components.gcp.workload_stack import run_all_parts, run_workloads

POLICY = "gcp:orgpolicy/policy:Policy"
DENIED = [
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "dataflow.googleapis.com",
    "logging.googleapis.com",
    "storage.googleapis.com",
]


@pytest.fixture(scope="module")
def run():
    return run_all_parts()


def policies(run):
    return {p.inputs["name"].rsplit("/", 1)[1]: p for p in run.by_type(POLICY)}


def test_project_scope_denies_the_stacks_services_without_a_key(run):
    policy = policies(run)["gcp.restrictNonCmekServices"]
    assert policy.inputs["parent"] == "projects/acme-ml-prod"
    assert policy.inputs["name"] == "projects/acme-ml-prod/policies/gcp.restrictNonCmekServices"
    assert policy.inputs["spec"] == {"rules": [{"values": {"deniedValues": DENIED}}]}


def test_legacy_ai_platform_is_left_out_of_the_deny_list():
    """ml.googleapis.com is not a CMEK-restrictable service; listing it would be rejected."""
    assert restrictable_services(["ml.googleapis.com", "storage.googleapis.com"]) == ["storage.googleapis.com"]


def test_keys_only_from_the_kms_project(run):
    policy = policies(run)["gcp.restrictCmekCryptoKeyProjects"]
    assert policy.inputs["name"] == "projects/acme-ml-prod/policies/gcp.restrictCmekCryptoKeyProjects"
    assert policy.inputs["spec"] == {"rules": [{"values": {"allowedValues": ["under:projects/acme-kms-prod"]}}]}
    assert run.outputs["gcp"]["orgPolicies"] == {
        "parent": "projects/acme-ml-prod",
        "deniedNonCmekServices": DENIED,
        "allowedKeyProjects": ["under:projects/acme-kms-prod"],
    }


@pytest.mark.parametrize(
    "scope, parent", [("folder", "folders/123456789012"), ("organization", "organizations/987654321")]
)
def test_folder_and_organization_scope(run_stack, scope, parent):
    run = run_workloads(run_stack, gcpOrgPolicyScope=scope, gcpOrgPolicyParent=parent)
    found = policies(run)
    assert set(found) == {"gcp.restrictNonCmekServices", "gcp.restrictCmekCryptoKeyProjects"}
    for constraint, policy in found.items():
        assert policy.inputs["parent"] == parent
        assert policy.inputs["name"] == f"{parent}/policies/{constraint}"


def test_the_deny_list_follows_the_stacks_services(run_stack):
    run = run_workloads(
        run_stack,
        gcpServices=["storage", "artifactregistry", "aiplatform", "pubsub"],
        gcpDataflow=False,
        gcpDataflowJobName="",
        gcpTrainingLogs=False,
    )
    spec = policies(run)["gcp.restrictNonCmekServices"].inputs["spec"]
    assert spec["rules"][0]["values"]["deniedValues"] == [
        "aiplatform.googleapis.com",
        "artifactregistry.googleapis.com",
        "pubsub.googleapis.com",
        "storage.googleapis.com",
    ]


def test_off_by_default(run_stack):
    dev = run_stack("dev")
    assert dev.by_type(POLICY) == []
    assert "orgPolicies" not in dev.outputs["gcp"]

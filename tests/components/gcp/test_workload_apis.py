"""The APIs the workload parts call are enabled where the part is on (issue #9 point 9)."""

import pytest

from cmek_ml.gcp.workload_apis import PART_APIS
from tests.components.gcp.workload_stack import parent_component, run_all_parts, run_workloads

SERVICE = "gcp:projects/service:Service"
PART_APIS_EXPECTED = {
    "iam.googleapis.com", "iamcredentials.googleapis.com", "sts.googleapis.com",
    "confidentialcomputing.googleapis.com", "orgpolicy.googleapis.com",
}
COMPONENTS = {
    "cmek-ml:gcp:ConfidentialModelOwner": ("iam", "iamcredentials", "sts", "confidentialcomputing"),
    "cmek-ml:gcp:ConfidentialWorkloadOperator": ("iam", "confidentialcomputing"),
    "cmek-ml:gcp:CmekOrgPolicies": ("orgpolicy",),
}


@pytest.fixture(scope="module")
def run():
    return run_all_parts()


def part_apis(run):
    return {s.inputs["service"]: s for s in run.by_type(SERVICE) if s.inputs["service"] in PART_APIS_EXPECTED}


def test_each_api_is_enabled_once_in_the_ml_project_and_never_disabled(run):
    apis = part_apis(run)
    assert set(apis) == PART_APIS_EXPECTED
    assert len([s for s in run.by_type(SERVICE) if s.inputs["service"] == "iam.googleapis.com"]) == 1
    for api in apis.values():
        assert api.inputs["project"] == "acme-ml-prod"
        assert api.inputs["disableOnDestroy"] is False
        assert api.inputs["disableDependentServices"] is False


def test_each_part_waits_for_its_apis(run):
    urns = {s.inputs["service"].split(".")[0]: s.urn for s in part_apis(run).values()}
    components = {r.type: r for r in run.resources if r.type in COMPONENTS}
    assert set(components) == set(COMPONENTS)
    for component_type, needed in COMPONENTS.items():
        assert {urns[api] for api in needed} <= set(components[component_type].dependencies), component_type
    pool = [r for r in run.resources if r.type == "gcp:iam/workloadIdentityPool:WorkloadIdentityPool"][0]
    assert parent_component(run, pool).type == "cmek-ml:gcp:ConfidentialModelOwner"


def test_only_the_parts_that_are_on_enable_apis(run_stack):
    run = run_workloads(run_stack, gcpConfidentialSpaceParties=["operator"], gcpOrgPolicyScope="none", gcpConfidentialSpaceKeyDecrypt=False)
    assert set(part_apis(run)) == set(PART_APIS["confidential-space-operator"])
    dev = run_stack("dev", {"clouds": ["gcp"]})
    assert part_apis(dev) == {}

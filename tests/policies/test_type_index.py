"""The pack's type index: each Analyze sets up only the resource's own policies, with the same answers."""

import pytest

from cmek_policies import type_index
from tests.policies.examples import COMPLIANT
from tests.policies.harness import POLICIES, Analyzer, Res


class _EveryPolicy(type_index.PoliciesByType):
    """The SDK's own behaviour: every policy for every resource."""

    def for_type(self, type_token):
        return tuple(list.__iter__(self))


def _answers(servicer, resource):
    response = servicer.Analyze(resource.analyze_request(), None)
    return sorted((d.policyName, d.message, d.enforcementLevel) for d in response.diagnostics), sorted(
        (n.policy_name, n.reason) for n in response.not_applicable
    )


@pytest.mark.parametrize("policy", sorted(COMPLIANT))
def test_the_index_changes_no_answer(policy):
    indexed = Analyzer("prod").servicer
    every = Analyzer("prod").servicer
    every._PolicyAnalyzerServicer__policies = _EveryPolicy(list(every._PolicyAnalyzerServicer__policies))
    type_, props = COMPLIANT[policy]
    # Compliant, and stripped of every setting (which most policies report).
    for resource in (Res(type_, props), Res(type_, {}), Res(type_, {}, name="exempt-me")):
        assert _answers(indexed, resource) == _answers(every, resource)


def test_the_equivalence_is_checked_on_reported_resources():
    indexed = Analyzer("prod").servicer
    reported = [p for p, (type_, _) in COMPLIANT.items() if _answers(indexed, Res(type_, {}))[0]]
    # Most policies report a resource with no settings (a few have nothing to judge without them),
    # so the equivalence above is checked on violations, not only on silence.
    assert len(reported) >= 20, sorted(set(COMPLIANT) - set(reported))


def test_a_bucket_reaches_only_the_bucket_policies():
    assert type_index.install()
    policies = Analyzer("prod").servicer._PolicyAnalyzerServicer__policies
    assert isinstance(policies, type_index.PoliciesByType)
    resource_policies = {p.name for p in policies.for_type("gcp:storage/bucket:Bucket") if p.name in POLICIES}
    stack_policies = {p.name for p in policies if not hasattr(p, "cmek_resource_types")}
    assert resource_policies - stack_policies == {"gcp-storage-bucket-cmek"}


def test_azure_api_versions_reach_the_same_policies():
    policies = Analyzer("prod").servicer._PolicyAnalyzerServicer__policies
    assert policies.for_type("azure-native:storage/v20230101:StorageAccount") == policies.for_type(
        "azure-native:storage:StorageAccount"
    )


def test_outside_an_analyze_every_policy_is_listed():
    policies = Analyzer("prod").servicer._PolicyAnalyzerServicer__policies
    assert [p.name for p in policies] == list(POLICIES)

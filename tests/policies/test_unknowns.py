"""Unknowns during preview: a present-but-unknown value never causes a violation, nor "can't run" noise.

Every compliant example (each catalogue type's, and each code policy's) is sent again with each of its values,
and each whole object, replaced by the engine's unknown sentinel, as in a first preview where keys are created
in the same stack.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

from tests.policies.examples import COMPLIANT, catalogue_examples, every_compliant_example
from tests.policies.harness import POLICIES, UNKNOWN, Res, analyzer
from pulumi_policy import ResourceValidationPolicy


def _paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, path + (i,))


def _with_unknown(props: dict, path: tuple) -> dict:
    changed = copy.deepcopy(props)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = UNKNOWN
    return changed


EXAMPLES = every_compliant_example()


def test_every_resource_policy_has_a_compliant_example():
    resource_policies = {n for n, p in POLICIES.items() if isinstance(p, ResourceValidationPolicy)}
    assert resource_policies == set(COMPLIANT) | {policy for _id, policy, *_ in catalogue_examples()}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_compliant_example_passes_every_policy(example):
    type_, props = EXAMPLES[example]
    response = analyzer("prod").analyze_response(Res(type_, props))
    assert list(response.diagnostics) == []


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_unknown_values_never_violate_nor_fail_to_run(example):
    type_, props = EXAMPLES[example]
    for path in _paths(props):
        response = analyzer("prod").analyze_response(Res(type_, _with_unknown(props, path)))
        assert [(d.policyName, d.message) for d in response.diagnostics] == [], path


def test_unknown_key_counts_as_customer_key_where_absence_would_fail():
    # The same resource without the key fails; with an unknown key it passes.
    type_, props = COMPLIANT["aws-sagemaker-training-job-cmk"]
    without = copy.deepcopy(props)
    del without["outputDataConfig"]["kmsKeyId"]
    assert analyzer("prod").analyze(Res(type_, without))
    assert analyzer("prod").analyze(Res(type_, _with_unknown(props, ("outputDataConfig", "kmsKeyId")))) == []

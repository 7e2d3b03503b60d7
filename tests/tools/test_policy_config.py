"""The policy pack config: the CLI's `--policy-pack-config` JSON, parsed, reconciled with the pack's
defaults and validated against each policy's schema."""

from __future__ import annotations

import json

import pytest

from tools import policy_config
from tools.analyzer_terms import PackInfo, PolicyConfig, PolicyInfo, PolicyPackError


def _info(*policies: PolicyInfo, initial=None) -> PackInfo:
    return PackInfo(name="p", version="1.0.0", description="", policies=policies, initial_config=initial or {})


def _policy(name: str, level: str = "advisory", schema=None) -> PolicyInfo:
    return PolicyInfo(name=name, description=name, enforcement_level=level, severity="high",
                      remediation_steps="", url="", display_name="", tags=(), framework={},
                      config_schema=schema or {}, policy_type="resource")


def test_policy_config_file_format_is_the_clis():
    parsed = policy_config.parse_policy_config(json.dumps({
        "all": "mandatory",
        "a": {"enforcementLevel": "advisory", "excludeFor": ["legacy-.*"]},
        "b": {"excludeFor": []},
        "c": {},
    }))
    assert parsed == {
        "all": PolicyConfig("mandatory", {}),
        "a": PolicyConfig("advisory", {"excludeFor": ["legacy-.*"]}),
        "b": PolicyConfig("", {"excludeFor": []}),
    }


@pytest.mark.parametrize("text, expected", [
    ('{"a": "strict"}', "a enforcement level 'strict': must be one of advisory, mandatory, remediate, disabled"),
    ('{"a": {"enforcementLevel": 3}}', "a.enforcementLevel = 3"),
    ('{"a": 3}', "a = 3: must be an enforcement level or an object"),
    ('["all"]', "must be a JSON object"),
    ("{", "not valid JSON"),
])
def test_invalid_policy_config_names_the_entry_and_what_is_allowed(text, expected):
    with pytest.raises(PolicyPackError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        policy_config.parse_policy_config(text)


def test_reconcile_applies_defaults_then_initial_config_then_all_then_each_policy():
    schema = {"properties": {"excludeFor": {"type": "array", "items": {"type": "string"}, "default": []},
                             "strict": {"type": "boolean", "default": True}}}
    info = _info(_policy("a", schema=schema), _policy("b", "mandatory"), _policy("c"),
                 initial={"c": PolicyConfig("disabled", {})})
    given = {"all": PolicyConfig("mandatory"), "a": PolicyConfig("advisory", {"excludeFor": ["x"]})}
    reconciled = policy_config.reconcile_policy_config(info, given)
    assert reconciled["a"] == PolicyConfig("advisory", {"excludeFor": ["x"], "strict": True})
    assert reconciled["b"] == PolicyConfig("mandatory", {})
    assert reconciled["c"] == PolicyConfig("mandatory", {})  # `all` from the file beats the pack's initial config
    assert set(reconciled) == {"a", "b", "c"}  # `all` is expanded, never sent as a policy
    assert policy_config.reconcile_policy_config(info, {})["c"] == PolicyConfig("disabled", {})


def test_reconcile_validates_properties_against_the_policy_schema():
    schema = {"properties": {"excludeFor": {"type": "array", "items": {"type": "string"}}}}
    info = _info(_policy("a", schema=schema))
    with pytest.raises(PolicyPackError, match="a: excludeFor: 'legacy' is not of type 'array'"):
        policy_config.reconcile_policy_config(info, {"a": PolicyConfig("", {"excludeFor": "legacy"})})

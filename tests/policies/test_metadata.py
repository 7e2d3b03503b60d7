"""What every policy carries, what the pack advertises, and the per-environment configurations."""

from __future__ import annotations

import json
import re

import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb
from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from tests.policies.harness import CONFIG_DIR, PACK_DIR, POLICIES, Analyzer, configure_request, load_config
from cmek_policies import rules

NAME = re.compile(r"^(gcp|aws|azure|multicloud)-[a-z0-9]+(-[a-z0-9]+){2,}$")
SCHEMA_TYPES = {"string", "integer", "number", "boolean", "array", "object"}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_carries_its_metadata(name):
    policy = POLICIES[name]
    assert NAME.match(name), "names are <cloud>-<service>-<resource>-<rule>"
    assert policy.description.endswith(".") and len(policy.description) > 30
    assert isinstance(policy.severity, Severity)
    assert policy.remediation_steps and len(policy.remediation_steps) > 30
    framework = policy.framework
    assert framework.name and framework.version and framework.reference and framework.specification


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_config_schema_is_valid_and_offers_exemptions(name):
    properties = POLICIES[name].config_schema.properties
    assert properties[rules.EXCLUDE_FOR]["type"] == "array"
    for key, spec in properties.items():
        assert spec["type"] in SCHEMA_TYPES and spec.get("description"), key
        assert "default" in spec, f"{key}: the SDK does not fill defaults, the pack does"
        if spec["type"] == "array":
            assert spec["items"] == {"type": "string"}


def test_analyzer_info_advertises_every_policy_with_metadata():
    info = Analyzer().servicer.GetAnalyzerInfo(empty_pb2.Empty(), None)
    assert info.name == "cmek-ml" and info.supportsConfig
    assert [p.name for p in info.policies] == list(POLICIES)
    for policy in info.policies:
        assert policy.remediation_steps and policy.framework.reference and policy.severity != pb.POLICY_SEVERITY_UNSPECIFIED
        expected = pb.POLICY_TYPE_STACK if isinstance(POLICIES[policy.name], StackValidationPolicy) else pb.POLICY_TYPE_RESOURCE
        assert policy.policy_type == expected
        assert "excludeFor" in policy.configSchema.properties


def test_pack_files():
    import yaml
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    # As `pulumi policy new` writes it: the CLI runs the pack in its own virtualenv.
    assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert re.match(r"^\d+\.\d+\.\d+$", manifest["version"])
    pinned = dict(line.split("==") for line in (PACK_DIR / "requirements.txt").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    project = dict(line.split("==") for line in (PACK_DIR.parents[1] / "requirements.txt").read_text().splitlines()
                   if "==" in line and not line.startswith("#"))
    assert pinned["pulumi-policy"] == "1.21.0"
    assert all(project[name] == version for name, version in pinned.items())


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_config_keys_are_policies_or_all_with_valid_levels(env):
    config = load_config(env)
    assert set(config) <= set(POLICIES) | {"all"}
    for name, value in config.items():
        level = value if isinstance(value, str) else value.get("enforcementLevel", "mandatory")
        assert level in {"advisory", "mandatory", "disabled", "remediate"}
        if isinstance(value, dict):
            assert set(value) - {"enforcementLevel"} <= set(POLICIES[name].config_schema.properties)


def test_prod_is_mandatory_everywhere():
    request = configure_request(load_config("prod"))
    assert set(request.policyConfig) == set(POLICIES)
    assert {name for name, c in request.policyConfig.items() if c.enforcementLevel != pb.MANDATORY} == set()
    assert request.policyConfig["gcp-dataflow-job-cmek"].properties["requireFullCmek"] is True


def test_dev_relaxes_only_hygiene_and_keeps_data_on_customer_keys():
    request = configure_request(load_config("dev"))
    advisory = {name for name, c in request.policyConfig.items() if c.enforcementLevel == pb.ADVISORY}
    assert advisory == {"gcp-kms-cryptokey-rotation", "aws-kms-key-rotation", "aws-s3-bucket-encryption-bucket-key",
                        "gcp-orgpolicy-policy-cmek-effective"}
    # Who may use the model's key is never relaxed, in dev either.
    for name in ("gcp-iam-workloadidentitypoolprovider-attestation", "gcp-kms-iam-federated-decrypt-only"):
        assert request.policyConfig[name].enforcementLevel == pb.MANDATORY
    assert request.policyConfig["gcp-dataflow-job-cmek"].properties["requireFullCmek"] is False


def test_no_config_means_mandatory_except_advice_by_design():
    levels = {p.name: (p.enforcement_level or EnforcementLevel.MANDATORY) for p in POLICIES.values()}
    assert {n for n, level in levels.items() if level != EnforcementLevel.MANDATORY} == {
        "aws-s3-bucket-encryption-bucket-key", "gcp-orgpolicy-policy-cmek-effective"}


def test_configs_are_json_the_cli_accepts():
    for path in CONFIG_DIR.glob("*.json"):
        assert isinstance(json.loads(path.read_text()), dict)


def test_readme_lists_every_policy():
    readme = (PACK_DIR.parent / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", readme, re.MULTILINE))
    assert listed == set(POLICIES)


def test_readme_catalogue_table_is_current():
    from cmek_policies import CATALOGUE
    from tests.policies import readme
    assert readme.README.read_text() == readme.rendered(CATALOGUE), "run: python -m tests.policies.readme --update"
    assert readme.MAIN_README.read_text() == readme.rendered_main(CATALOGUE), "run: python -m tests.policies.readme --update"

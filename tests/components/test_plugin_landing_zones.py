"""The plugin's landing zones build exactly what the Python program builds from the same settings:
the same resources with the same names, options and inputs, under one more parent."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from pulumi.runtime.proto import engine_pb2

from cmek_ml.plugin.inputs import input_names
from tests.conftest import PROJECT_NUMBERS
from tools import mock_engine, stack_config
from tools.mock_engine import ProgramRun
from tools.plugin_host import PluginEngine, PluginProcess

HOSTED = {"gcp": "GcpLandingZone", "aws": "AwsLandingZone", "azure": "AzureLandingZone"}
PROJECT = "cmek-ml"


def plugin_inputs(config: dict[str, str], cloud: str) -> dict[str, Any]:
    """A stack's settings of one cloud, as a TypeScript or YAML program passes them."""
    declared, names = stack_config.ProjectFile.load().declared, input_names()
    inputs = {}
    for qualified, value in config.items():
        key = qualified.partition(":")[2]
        if qualified.startswith(f"{PROJECT}:{cloud}") and key in names:
            inputs[names[key]] = value if declared[key].get("type", "string") == "string" else json.loads(value)
    return inputs


def provider_config(config: dict[str, str]) -> dict[str, str]:
    """What the engine sends with Construct: the consumer stack's config (providers' here)."""
    return {key: value for key, value in config.items() if not key.startswith(f"{PROJECT}:")}


def under(registrations, root_type: str) -> dict[str, Any]:
    """URN (without stack, project and `root_type$` prefix) -> registration, for the resources
    below the Python landing zone (and the landing zone itself)."""
    found = {}
    for registration in registrations:
        type_chain, name = registration.urn.split("::")[2:]
        if root_type in type_chain.split("$"):
            found[type_chain[type_chain.index(root_type):] + "::" + name] = registration
    return found


@pytest.fixture
def engine(plugin_engine: PluginEngine) -> Iterator[PluginEngine]:
    """The shared engine, for this module's deployments: stack and project restored after."""
    stack, project = plugin_engine.stack, plugin_engine.project
    plugin_engine.reset()
    yield plugin_engine
    plugin_engine.stack, plugin_engine.project, plugin_engine.cloud_config = stack, project, {}
    plugin_engine.reset()


@pytest.fixture(scope="module")
def program_runs() -> dict[str, ProgramRun]:
    return {
        stack: mock_engine.run_project_program(stack_config.resolve(stack), stack=stack, project_numbers=PROJECT_NUMBERS)
        for stack in ("dev", "prod")
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("cloud", ["gcp", "aws", "azure"])
def test_landing_zone_matches_the_python_program(plugin: PluginProcess, engine: PluginEngine, program_runs, stack, cloud):
    config = stack_config.resolve(stack)
    engine.stack, engine.project, engine.cloud_config = stack, PROJECT, config
    engine.reset()
    state = plugin.construct(engine, f"cmek-ml:index:{HOSTED[cloud]}", cloud, plugin_inputs(config, cloud), provider_config(config))

    root_type = f"cmek-ml:{cloud}:LandingZone"
    hosted, python = under(engine.registrations, root_type), under(program_runs[stack].resources, root_type)
    assert len(python) > 5 and sorted(hosted) == sorted(python)
    for urn, registration in python.items():
        built = hosted[urn]
        assert (built.protect, built.custom, built.replace_on_changes, built.retain_on_delete) == (
            registration.protect, registration.custom, registration.replace_on_changes, registration.retain_on_delete
        ), urn
        assert built.inputs == registration.inputs, urn
    assert hosted[f"{root_type}::{cloud}"].parent.endswith(f"cmek-ml:index:{HOSTED[cloud]}::{cloud}")
    assert state["exports"] == program_runs[stack].outputs[cloud]


def test_landing_zone_preview_leaves_outputs_unknown_without_failing(plugin: PluginProcess, engine: PluginEngine):
    """`pulumi preview`: Construct with dryRun, ids still unknown."""
    config = stack_config.resolve("dev")
    state = plugin.construct(engine, "cmek-ml:index:GcpLandingZone", "gcp", plugin_inputs(config, "gcp"),
                             provider_config(config), dry_run=True)
    assert any(r.type == "gcp:kms/cryptoKey:CryptoKey" and r.protect for r in engine.registrations)
    assert state["exports"]["mlProjectId"] == "acme-ml-dev"


def test_missing_inputs_take_pulumi_yaml_defaults(plugin: PluginProcess, engine: PluginEngine):
    plugin.construct(engine, "cmek-ml:index:GcpLandingZone", "gcp", {
        "mlProjectId": "acme-ml-dev", "kmsProjectMode": "single",
    })
    warnings = [message for severity, message, _ in engine.logs if severity == engine_pb2.WARNING]
    assert any("no separation of duties" in message for message in warnings), "the engine hears the warning"
    keys = [r for r in engine.registrations if r.type == "gcp:kms/cryptoKey:CryptoKey"]
    defaults = stack_config.ProjectFile.load().defaults()
    assert keys and {k.inputs["rotationPeriod"] for k in keys} == {defaults["gcpKeyRotationPeriod"]}
    buckets = sorted(r.inputs["name"] for r in engine.registrations if r.type == "gcp:storage/bucket:Bucket")
    assert buckets == sorted(f"acme-ml-dev-{suffix}" for suffix in defaults["gcpBuckets"])

"""Every stack file runs as a whole program under mocks, with the Pulumi.yaml defaults."""

import json

import pytest
import yaml

from tools import stack_config

PROJECT = stack_config.ProjectFile.load()
STACKS = PROJECT.stack_names()


def test_there_are_dev_and_prod_stacks():
    assert {"dev", "prod"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_stack_program_runs_and_exports_each_enabled_cloud(run_stack, stack):
    run = run_stack(stack)
    clouds = json.loads(stack_config.resolve(stack)["cmek-ml:clouds"])
    assert set(run.outputs) == set(clouds)
    assert run.resources, f"{stack} registered nothing"
    for resource in run.resources:
        if resource.type.startswith("cmek-ml:"):
            continue
        assert resource.parent, f"{resource.urn} is not inside a component"


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_enables_gcp(stack):
    assert "gcp" in json.loads(stack_config.resolve(stack)["cmek-ml:clouds"])


def test_prod_separates_key_and_data_projects_and_uses_hsm():
    config = stack_config.resolve("prod")
    assert config["cmek-ml:gcpKmsProjectMode"] == "create"
    assert config["cmek-ml:gcpKmsProjectId"] != config["cmek-ml:gcpMlProjectId"]
    assert config["cmek-ml:gcpKeyProtectionLevel"] == "HSM"


def test_dev_is_single_project_software_one_region():
    config = stack_config.resolve("dev")
    assert config["cmek-ml:gcpKmsProjectMode"] == "single"
    assert config["cmek-ml:gcpKeyProtectionLevel"] == "SOFTWARE"


def test_every_project_setting_is_typed_described_and_defaulted():
    assert PROJECT.declared, "Pulumi.yaml declares no settings"
    for key, spec in PROJECT.declared.items():
        assert spec.get("type") in ("string", "integer", "boolean", "array"), key
        assert spec.get("description"), f"{key} has no description"
        assert "default" in spec, f"{key} has no default"
        if spec["type"] == "array":
            assert spec.get("items", {}).get("type"), f"{key} is an array without items"


def test_pulumi_yaml_is_a_python_project_with_stacks_dir():
    data = yaml.safe_load((stack_config.PROJECT_ROOT / "Pulumi.yaml").read_text())
    assert data["name"] == "cmek-ml"
    assert data["runtime"]["name"] == "python"
    assert data["runtime"]["options"]["virtualenv"] == "venv"
    assert data["stackConfigDir"] == "stacks"


def test_undeclared_or_mistyped_stack_values_are_refused_like_the_cli():
    with pytest.raises(stack_config.StackConfigError, match="not declared"):
        stack_config.resolve("dev", {"gcpRegionn": "europe-west4"})
    with pytest.raises(stack_config.StackConfigError, match="declared type boolean"):
        stack_config.resolve("dev", {"gcpAllowRotationOver90Days": "yes"})

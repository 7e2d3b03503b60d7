"""The component plugin as `pulumi package add` sees it: its schema, tokens and version, over gRPC."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from cmek_ml.plugin import HOSTED_COMPONENTS
from cmek_ml.plugin.inputs import input_names
from tools import plugin_args, plugin_schema
from tools.plugin_host import PLUGIN_DIR
from tools.stack_config import PROJECT_ROOT, ProjectFile


def test_schema_is_the_golden_schema(plugin):
    """An accidental API change (an input renamed, retyped, made required, a component lost)
    breaks every program in another language; a deliberate one refreshes the golden file."""
    current = plugin_schema.schema_text(plugin.schema())
    golden = plugin_schema.GOLDEN_SCHEMA.read_text()
    assert current == golden, "the plugin's schema changed: if on purpose, run python -m tools.plugin_schema --update"


def test_every_hosted_component_has_an_index_token(plugin):
    resources = plugin.schema()["resources"]
    assert sorted(resources) == sorted(f"cmek-ml:index:{c.__name__}" for c in HOSTED_COMPONENTS)
    assert all(spec["isComponent"] for spec in resources.values())


# Pulumi's package metaschema (pulumi/pulumi pkg/codegen/schema/pulumi.json): `name` and `$defs/token`.
PACKAGE_NAME = r"[a-zA-Z][-a-zA-Z0-9_]*"
TOKEN = r"[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/-]*"


def test_name_and_tokens_are_what_the_metaschema_allows(plugin):
    schema = plugin.schema()
    assert re.fullmatch(PACKAGE_NAME, schema["name"])
    for token in [*schema["resources"], *schema.get("types", {})]:
        assert re.fullmatch(TOKEN, token), token


def test_inputs_and_outputs_are_typed_and_described(plugin):
    """No `object` without properties (what a provider *Args class becomes), every input and output
    documented, and the landing zones' inputs typed as their settings are in Pulumi.yaml."""
    schema = plugin.schema()
    for token, spec in {**schema["resources"], **schema.get("types", {})}.items():
        properties = {**spec.get("inputProperties", {}), **spec.get("properties", {})}
        assert properties, token
        for name, prop in properties.items():
            assert prop.get("description"), f"{token}.{name} has no description"
            assert prop.get("type") != "object" or "additionalProperties" in prop, f"{token}.{name} is an untyped object"
    gcp_inputs = schema["resources"]["cmek-ml:index:GcpLandingZone"]["inputProperties"]
    declared = ProjectFile.load().declared
    assert gcp_inputs["mlProjectId"]["type"] == declared["gcpMlProjectId"]["type"] == "string"
    assert gcp_inputs["buckets"]["type"] == "array"
    assert gcp_inputs["allowRotationOver90Days"]["type"] == "boolean"
    assert gcp_inputs["trainingLogsRetentionDays"]["type"] == "integer"
    descriptions = " ".join(p["description"] for p in gcp_inputs.values())
    assert "services" in descriptions  # "needs logging in services", not "in gcpServices"
    assert not [key for key in declared if re.search(rf"\b{key}\b", descriptions)], "descriptions name config keys"


def test_landing_zone_inputs_are_the_settings_without_their_prefix(plugin):
    """Pulumi's analyzer names each generated Python field as the generator meant: `mlProjectId`
    for `gcpMlProjectId` (so inputs.input_names(), which maps problems back, is right too)."""
    resources = plugin.schema()["resources"]
    declared = ProjectFile.load().declared
    for cloud, token in (("gcp", "GcpLandingZone"), ("aws", "AwsLandingZone"), ("azure", "AzureLandingZone")):
        expected = {plugin_args.input_name(cloud, key) for key in plugin_args.cloud_keys(ProjectFile.load(), cloud)}
        assert set(resources[f"cmek-ml:index:{token}"]["inputProperties"]) == expected
        assert {input_names()[key] for key in declared if key in input_names() and key.startswith(cloud)} == expected


def test_version_is_the_plugin_files(plugin):
    version = str(yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text())["version"])
    assert plugin.version() == version
    assert plugin.schema()["version"] == version


def test_plugin_file_declares_the_python_runtime_with_its_own_virtualenv():
    runtime = yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text())["runtime"]
    assert runtime == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_landing_zone_inputs_are_generated_from_pulumi_yaml():
    """A setting added to Pulumi.yaml is an input of the plugin's landing zone too."""
    assert plugin_args.ARGS_MODULE.read_text() == plugin_args.render(ProjectFile.load()), \
        "Pulumi.yaml's config changed: run python -m tools.plugin_schema --update"


def test_plugin_requirements_pin_what_the_project_pins():
    """The plugin's own virtualenv runs the versions the tests ran."""
    def pins(path: Path) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), flags=re.M)
        return {name.lower(): version for name, version in found}

    plugin_pins, project_pins = pins(PLUGIN_DIR / "requirements.txt"), pins(PROJECT_ROOT / "requirements.txt")
    assert {"pulumi", "pulumi-gcp", "pulumi-aws", "pulumi-azure-native", "pulumiverse-time", "pyyaml"} <= set(plugin_pins)
    assert {name: project_pins.get(name) for name in plugin_pins} == plugin_pins


IMPORTED_DISTRIBUTIONS = """
import sys
at_startup = set(sys.modules)  # site hooks of this venv (setuptools' .pth), not the plugin's
import importlib.metadata, json, os
sys.path.insert(0, sys.argv[1])
from pulumi.provider.experimental.component import ComponentProvider
from cmek_ml.plugin import HOSTED_COMPONENTS
from cmek_ml.plugin.inputs import input_names, PACKAGE
ComponentProvider(HOSTED_COMPONENTS, PACKAGE)
modules = {name: m for name, m in list(sys.modules.items()) if name not in at_startup}
loaded = {os.path.normpath(m.__file__) for m in modules.values() if getattr(m, "__file__", None)}
candidates = importlib.metadata.packages_distributions()  # namespace packages (google) have many
used = set()
for name in {d for m in modules for d in candidates.get(m.partition(".")[0], [])}:
    dist = importlib.metadata.distribution(name)
    if any(os.path.normpath(dist.locate_file(f)) in loaded for f in dist.files or [] if f.suffix == ".py"):
        used.add(dist.metadata["Name"])
print(json.dumps(sorted(used)))
"""


def test_plugin_requirements_cover_everything_it_imports():
    """`components/venv` gets only `components/requirements.txt` and what those need: every
    distribution the plugin's modules import must be among them (checked without downloading)."""
    import importlib.metadata
    import subprocess
    import sys

    from packaging.requirements import Requirement

    def closure(names: set[str]) -> set[str]:
        found, todo = set(), [n.lower() for n in names]
        while todo:
            name = todo.pop()
            if name in found:
                continue
            found.add(name)
            for line in importlib.metadata.requires(name) or []:
                requirement = Requirement(line)
                if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                    todo.append(requirement.name.lower().replace("_", "-"))
        return found

    pinned = set(re.findall(r"^([A-Za-z0-9_.-]+)==", (PLUGIN_DIR / "requirements.txt").read_text(), flags=re.M))
    imported = subprocess.run(
        [sys.executable, "-c", IMPORTED_DISTRIBUTIONS, str(PLUGIN_DIR)], capture_output=True, text=True, check=True
    ).stdout
    needed = {name.lower().replace("_", "-") for name in json.loads(imported)} - {"cmek-ml"}
    assert {"pulumi", "pulumi-gcp", "pulumi-aws", "pulumi-azure-native", "pulumiverse-time", "pyyaml"} <= needed
    assert needed <= closure(pinned), needed - closure(pinned)

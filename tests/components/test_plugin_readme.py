"""The README's section on the plugin, run: its command names this release, its YAML program is
constructed resource by resource through the plugin, its TypeScript program uses only inputs and
outputs the schema has, and its table lists exactly what the plugin serves."""

from __future__ import annotations

import importlib.util
import json
import re
from typing import Any

import pytest
import yaml

from tests import readme_sections
from tools.plugin_host import PLUGIN_DIR, PluginEngine, PluginProcess

SECTION = "## Use the components from TypeScript, Go, C# or YAML"


@pytest.fixture(scope="module")
def section() -> str:
    return readme_sections.section(SECTION)


def code_block(section: str, language: str) -> str:
    blocks = readme_sections.code_blocks(section, language)
    assert len(blocks) == 1, f"one {language} block expected"
    return blocks[0]


def test_package_add_names_the_plugin_folder_and_this_release(section):
    version = yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text())["version"]
    add, refresh = readme_sections.code_blocks(section, "bash")
    # `pulumi package add --help`: "example.org/org/repo.git/path[@<version>]", the version a tag.
    assert add == f"pulumi package add github.com/<org>/cmek-ml.git/{PLUGIN_DIR.name}@v{version}\n"
    assert refresh == "venv/bin/python -m tools.plugin_schema --update\n"
    assert importlib.util.find_spec(refresh.split()[2]) is not None


def resolve(value: Any, states: dict[str, dict[str, Any]], used: set[str]) -> Any:
    """Pulumi YAML's `${resource.output}` interpolations, from what each Construct returned;
    `used` collects the URNs of the resources referred to."""
    if isinstance(value, dict):
        return {k: resolve(v, states, used) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, states, used) for v in value]
    match = re.fullmatch(r"\$\{([\w-]+)\.(\w+)\}", value) if isinstance(value, str) else None
    if not match:
        return value
    used.add(states[match.group(1)]["urn"])
    return states[match.group(1)][match.group(2)]


def test_yaml_program_constructs(section, plugin: PluginProcess, engine: PluginEngine):
    program = yaml.safe_load(code_block(section, "yaml"))
    assert program["runtime"] == "yaml"
    states: dict[str, dict[str, Any]] = {}
    for name, resource in program["resources"].items():
        inputs, dependencies = {}, {}
        for key, value in resource["properties"].items():
            used: set[str] = set()
            inputs[key] = resolve(value, states, used)
            dependencies[key] = sorted(used)
        states[name] = plugin.construct(engine, resource["type"], name, inputs, dependencies=dependencies)
    outputs = resolve(program["outputs"], states, set())
    assert outputs["dataKeyArn"].startswith("arn:aws:kms:")
    encryption = [r for r in engine.registrations if r.type.endswith(":BucketServerSideEncryptionConfiguration")][0]
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == outputs["dataKeyArn"]
    assert states["data-key"]["urn"] in encryption.property_dependencies["rules"], "the bucket waits for the key"
    assert outputs["bucket"] == program["resources"]["training-data"]["properties"]["bucket"]


def test_typescript_program_matches_the_schema_and_constructs(section, plugin: PluginProcess, engine: PluginEngine):
    source = code_block(section, "typescript")
    resources = plugin.schema()["resources"]
    found = re.findall(r"const (\w+) = new cmekMl\.(\w+)\(\"([\w-]+)\", (\{.*?\n\})\);", source, flags=re.S)
    assert found, "no component in the TypeScript example"
    for variable, class_name, name, literal in found:
        spec = resources[f"cmek-ml:index:{class_name}"]
        inputs = json.loads(re.sub(r",(\s*[}\]])", r"\1", re.sub(r"^(\s+)(\w+):", r'\1"\2":', literal, flags=re.M)))
        assert set(inputs) <= set(spec["inputProperties"]) and set(spec.get("requiredInputs", [])) <= set(inputs)
        for used in re.findall(rf"\b{variable}\.(\w+)", source):
            assert used in spec["properties"], f"{class_name} has no output {used}"
        state = plugin.construct(engine, f"cmek-ml:index:{class_name}", name, inputs)
        assert state["exports"]["keys"], "the exported keys the example reads"


def test_table_lists_what_the_plugin_serves(section, plugin: PluginProcess):
    resources = plugin.schema()["resources"]
    rows = re.findall(r"^\| `(cmek-ml:index:\w+)` \| `([\w:-]+)` \| (.*) \|$", section, flags=re.M)
    assert sorted(token for token, _, _ in rows) == sorted(resources)
    for token, child, outputs in rows:
        assert f"Its child is `{child}`" in " ".join(resources[token]["description"].split()), token
        assert sorted(re.findall(r"`(\w+)`", outputs)) == sorted(resources[token]["properties"]), token

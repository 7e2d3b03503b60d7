"""What the offline preview prints for a reviewer (text) and for code scanning (SARIF), on the dev stack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools import preview, preview_render

from .sarif_check import valid_sarif

ROOT = preview.PROJECT_ROOT
EXAMPLE = ROOT / "tests" / "examples" / "noncompliant"
ECHO_PACK = Path(__file__).resolve().parent / "echo_pack"
DEV_POLICY_CONFIG = ROOT / "policies" / "config" / "dev.json"
WAIVED_BUCKET = "gcp-bucket-models-bucket"


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> preview.PreviewResult:
    """The dev stack under its policy config, with one bucket waived from the CMEK bucket policy."""
    config = json.loads(DEV_POLICY_CONFIG.read_text())
    config["gcp-storage-bucket-cmek"] = {"excludeFor": [WAIVED_BUCKET]}
    path = tmp_path_factory.mktemp("config") / "waiver.json"
    path.write_text(json.dumps(config, indent=2))
    return preview.preview("dev", policy_config_path=path)


@pytest.fixture(scope="module")
def dev_text(dev) -> str:
    return preview.render_text(dev)


def tree_order(text: str) -> dict[tuple[str, str], int]:
    found = re.findall(r"^\s*\+ (\S+)  (\S+)", text, flags=re.M)
    return {(type_, name): i for i, (type_, name) in enumerate(found)}


# --- Text ----------------------------------------------------------------------------------------------


def test_resources_come_after_what_they_depend_on(dev, dev_text):
    order = tree_order(dev_text)
    by_urn = {r.urn: r for r in dev.run.resources}
    checked = 0
    for r in dev.run.resources:
        ancestors, parent = set(), r.parent
        while parent in by_urn:
            ancestors.add(parent)
            parent = by_urn[parent].parent
        for dependency in set(r.dependencies) | {u for urns in r.property_dependencies.values() for u in urns}:
            if dependency in by_urn and dependency not in ancestors:
                d = by_urn[dependency]
                assert order[(d.type, d.name)] < order[(r.type, r.name)], f"{r.name} printed before {d.name}"
                checked += 1
    assert checked > 20


def test_a_key_ring_and_a_vault_come_before_their_keys(dev_text):
    order = tree_order(dev_text)
    assert order[("gcp:kms/keyRing:KeyRing", "gcp-keys-ring")] < order[("gcp:kms/cryptoKey:CryptoKey", "gcp-keys-shared")]
    assert order[("azure-native:keyvault:Vault", "azure-keys-vault")] < order[("azure-native:keyvault:Key", "azure-keys-key")]


def test_long_values_are_wrapped_and_indented_under_their_key(dev_text):
    tree = dev_text[:dev_text.index("\nResources:")]
    value_lines = [line for line in tree.splitlines() if line.startswith(" ") and not line.lstrip().startswith("+ ")]
    assert value_lines and max(map(len, value_lines)) <= preview_render.WIDTH
    lines = dev_text.splitlines()
    properties = [i for i, line in enumerate(lines) if line.strip() == "properties:"]
    assert properties, "Azure properties should be too long for one line"
    first = properties[0]
    key_indent = len(lines[first]) - len(lines[first].lstrip())
    assert len(lines[first + 1]) - len(lines[first + 1].lstrip()) > key_indent


def test_outputs_are_summarised_and_a_flag_shows_them_all(dev, dev_text):
    section = dev_text[dev_text.index("Outputs (summary"):].split("\n\n")[0].splitlines()
    assert len(section) == 1 + len(dev.run.outputs)
    assert all(re.match(r"  \w+: \d+ values, \d+ unknown until created", line) for line in section[1:])
    names = [re.search(r"\((.*)\)$", line).group(1) for line in section[1:]]
    assert all(re.fullmatch(r"\w+(, \w+)*(, \.\.\.)?", listed) for listed in names), names  # "keys, ..." not "keys,, ..."
    full = preview.render_text(dev, all_outputs=True)
    assert full.count("\n") > dev_text.count("\n") + 20 and '"keyRings"' in full


def test_waived_resources_are_listed_with_policy_pattern_and_config_line(dev, dev_text):
    [waiver] = dev.waivers
    assert waiver.policy == "gcp-storage-bucket-cmek" and waiver.urn.endswith(f"::{WAIVED_BUCKET}")
    lines = dev_text.splitlines()
    [at] = [i for i, line in enumerate(lines) if "gcp-storage-bucket-cmek" in line and WAIVED_BUCKET in line]
    assert f"pattern '{WAIVED_BUCKET}'" in lines[at + 1] and re.search(r"waiver\.json:\d+", lines[at + 1])
    assert "Waived by excludeFor (1):" in dev_text


def test_the_summary_counts_the_packs_policies(dev, dev_text):
    names = {p.name for p in dev.pack.policies}
    assert set(dev.enforcement) == names
    assert f"({len(names)} policies in the pack" in dev_text
    assert json.loads(preview.render_json(dev))["policyPacks"][0]["policies"] == len(names)


# --- SARIF -------------------------------------------------------------------------------------------------


def source_line(uri: str, line: int) -> str:
    return "\n".join((ROOT / uri).read_text().splitlines()[line - 1: line + 2])


def test_sarif_places_each_result_on_the_line_that_declares_the_resource():
    result = preview.preview("dev", EXAMPLE, policy_config_path=DEV_POLICY_CONFIG)
    document = valid_sarif(preview.render_sarif(result, EXAMPLE / "__main__.py"))
    results = document["runs"][0]["results"]
    raw_data = next(r for r in results if r["ruleId"] == "gcp-storage-bucket-cmek"
                    and r["locations"][0]["logicalLocations"][0]["name"] == "raw-data")
    physical = raw_data["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "tests/examples/noncompliant/__main__.py"
    assert '"raw-data"' in source_line("tests/examples/noncompliant/__main__.py", physical["region"]["startLine"])
    assert raw_data["message"]["text"].startswith("gcp:storage/bucket:Bucket 'raw-data': ")
    # Each rule's results differ by resource, so code scanning tells them apart.
    texts = [r["message"]["text"] for r in results if r["ruleId"] == "aws-sagemaker-training-job-cmk"]
    assert len(set(texts)) == len(texts)


@pytest.fixture(scope="module")
def echoed_dev() -> preview.PreviewResult:
    """The dev stack with a pack that reports every resource: a result for each, inside components."""
    return preview.preview("dev", pack_dir=ECHO_PACK)


def test_sarif_of_a_component_child_points_into_the_component_and_names_its_parents(echoed_dev):
    document = valid_sarif(preview.render_sarif(echoed_dev, ROOT / "__main__.py"))
    results = document["runs"][0]["results"]
    key = next(r for r in results if r["locations"][0]["logicalLocations"][0].get("name") == "gcp-keys-shared")
    physical = key["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].startswith("components/cmek_ml/gcp/")
    assert "CryptoKey(" in source_line(physical["artifactLocation"]["uri"], physical["region"]["startLine"])
    related = key["relatedLocations"]
    assert "cmek-ml:gcp:KeyRing 'gcp-keys'" in related[0]["message"]["text"]
    assert related[-1]["physicalLocation"]["artifactLocation"]["uri"] == "components/cmek_ml/landing_zones.py"


def test_sarif_fingerprints_are_stable_across_runs(echoed_dev):
    again = preview.preview("dev", pack_dir=ECHO_PACK)

    def prints(result):
        document = valid_sarif(preview.render_sarif(result, ROOT / "__main__.py"))
        return sorted(json.dumps(r["partialFingerprints"]) for r in document["runs"][0]["results"])

    assert prints(echoed_dev) == prints(again)

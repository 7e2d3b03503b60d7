"""One version for the library, the component plugin and the policy pack, and a changelog entry for it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RELEASE_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", re.M)


def released_versions() -> dict[str, str]:
    return {
        "library (pyproject.toml)": tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"],
        "plugin (components/PulumiPlugin.yaml)":
            str(yaml.safe_load((ROOT / "components" / "PulumiPlugin.yaml").read_text())["version"]),
        "pack (policies/cmek/PulumiPolicy.yaml)":
            str(yaml.safe_load((ROOT / "policies" / "cmek" / "PulumiPolicy.yaml").read_text())["version"]),
    }


def test_library_plugin_and_pack_share_one_version():
    versions = released_versions()
    assert len(set(versions.values())) == 1, versions


def test_the_changelogs_latest_release_is_that_version():
    version = next(iter(released_versions().values()))
    releases = RELEASE_HEADING.findall((ROOT / "CHANGELOG.md").read_text())
    assert releases and releases[0] == version, f"CHANGELOG.md's latest release is {releases[:1]}, not {version}"


def test_the_example_requires_the_released_version():
    version = next(iter(released_versions().values()))
    assert f"cmek-ml[gcp]=={version}" in (ROOT / "examples" / "gcp-only" / "requirements.txt").read_text()

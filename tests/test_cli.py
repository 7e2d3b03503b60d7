"""With the real Pulumi CLI (not on CI machines: skipped there), the CLI accepts the project and stacks.

The CLI type-checks stack values against Pulumi.yaml's typed config; tools.stack_config
imitates that for offline runs, and this test holds the imitation to the real thing.
"""

import json
import os
import shutil
import subprocess

import pytest

from tools import stack_config

pytestmark = pytest.mark.skipif(shutil.which("pulumi") is None, reason="needs the Pulumi CLI on PATH")


def test_cli_reads_every_stack_like_the_offline_tools(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(stack_config.PROJECT_ROOT, project, ignore=shutil.ignore_patterns("venv", ".git", "__pycache__"))
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    (tmp_path / "state").mkdir()
    for stack in stack_config.ProjectFile.load().stack_names():
        subprocess.run(["pulumi", "stack", "init", stack, "--non-interactive"], cwd=project, env=env, check=True)
        shown = subprocess.run(
            ["pulumi", "config", "--stack", stack, "--json"], cwd=project, env=env, check=True, capture_output=True, text=True
        )
        cli_values = {k: v.get("value") for k, v in json.loads(shown.stdout).items()}
        offline = stack_config.resolve(stack)
        for key, value in cli_values.items():
            assert _parsed(offline[key]) == _parsed(value), f"{stack}: {key}"


def _parsed(value):
    """Config values are strings; arrays and booleans are JSON inside them."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value

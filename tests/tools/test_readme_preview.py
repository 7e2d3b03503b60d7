"""The README's "Offline preview" section, exercised: its commands, its policy config example and
the error report it shows are what the preview really takes and prints."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests import readme_sections
from tools import preview, stack_config

ROOT = stack_config.PROJECT_ROOT
SECTION = readme_sections.section("## Offline preview\n")
PREFIX = "venv/bin/python -m tools.preview "


def commands() -> list[list[str]]:
    bash = re.search(r"```bash\n(.*?)```", SECTION, re.S).group(1)
    found = []
    for line in bash.splitlines():
        words = shlex.split(line, comments=True)
        if line.startswith(PREFIX):
            if ">" in words:
                words = words[:words.index(">")]
            found.append(words[3:])
    return found


def test_every_command_of_the_section_is_valid_and_names_files_that_exist():
    found = commands()
    assert len(found) == 5
    for argv in found:
        args = preview._parser("x").parse_args(argv)
        for path in (args.policy_config, args.program):
            assert path is None or (ROOT / path).exists(), argv


def test_the_policy_config_example_runs_word_for_word(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    [argv] = [a for a in commands() if "--policy-config" in a]
    assert argv[argv.index("--policy-config") + 1] == "policies/config/example.json"
    assert preview.main(argv) == preview.EXIT_CLEAN
    out = capsys.readouterr().out
    assert "config: policies/config/example.json" in out


def test_the_json_shown_is_the_example_file():
    shown = re.search(r"```json\n(.*?)```", SECTION, re.S).group(1)
    assert json.loads(shown) == json.loads((ROOT / "policies" / "config" / "example.json").read_text())


def test_the_error_report_shown_is_what_the_preview_prints(tmp_path, monkeypatch, capsys):
    shown = re.search(r"```text\n(.*?)```", SECTION, re.S).group(1)
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    added = [re.search(r"(cmek-ml:\w+)", line).group(1) for line in lines[1:]]
    values = {"cmek-ml:gcpRegoin": "us-east1", "cmek-ml:azureKeySize": "big", "cmek-ml:gcpKeyRotationPeriod": "1d"}
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    stack_file = tmp_path / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "".join(f"  {key}: {values[key]}\n" for key in added))
    monkeypatch.chdir(tmp_path)
    code = preview.main(["--stack", "dev", "--policy-pack", str(ROOT / "bench" / "floor_pack")])
    printed = [line.strip() for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == preview.EXIT_INVALID
    assert printed == lines


@pytest.mark.parametrize("section", ["## Quick start\n"])
def test_the_quick_start_says_what_set_up_costs(section):
    text = readme_sections.section(section)
    assert re.search(r"\d+ (MB|GB|MiB|GiB)", text) and re.search(r"\d+ (s|seconds|minutes)", text)

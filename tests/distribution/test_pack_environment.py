"""Which interpreter starts a pack, from PulumiPolicy.yaml's runtime options (the real creation of a
pack virtualenv runs in test_wheel.py, from the installed `cmek-ml preview`)."""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

import pytest

from tools import pack_environment
from tools.analyzer_client import PolicyPackProject
from tools.analyzer_terms import PolicyPackError

PULUMI_PIN = f"pulumi=={metadata.version('pulumi')}"


def _pack(tmp_path: Path, requirements: str, runtime: str = "{name: python, options: {virtualenv: venv}}") -> Path:
    (tmp_path / "PulumiPolicy.yaml").write_text(f"runtime: {runtime}\nversion: 0.0.1\n")
    (tmp_path / "requirements.txt").write_text(requirements)
    return tmp_path


def test_exact_pins_this_interpreter_has_are_met(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"# comment\n{PULUMI_PIN}\n\npulumi==0.0.1\nPyYAML>=6\nno-such-package-xyz==1.0\n")
    assert pack_environment.unmet_pins(requirements) == ["pulumi==0.0.1", "PyYAML>=6", "no-such-package-xyz==1.0"]


def test_the_repository_pack_runs_on_this_interpreter_until_it_has_a_virtualenv():
    """Its pins are the project's (test_metadata.py), so no second environment is built here."""
    pack = Path(__file__).resolve().parents[2] / "policies" / "cmek"
    if (pack / "venv").exists():
        pytest.skip("policies/cmek/venv exists: the pack runs in it")
    assert PolicyPackProject.load(pack).python() == sys.executable


def test_an_existing_virtualenv_is_used(tmp_path):
    pack = _pack(tmp_path, "no-such-package-xyz==1.0\n")
    python = pack / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    os.symlink(sys.executable, python)
    assert PolicyPackProject.load(pack).python() == str(python)


def test_without_the_option_the_pack_runs_on_this_interpreter(tmp_path):
    assert PolicyPackProject.load(_pack(tmp_path, "no-such-package-xyz==1.0\n", runtime="python")).python() == sys.executable


def test_a_missing_virtualenv_with_unmet_pins_is_created(tmp_path, monkeypatch):
    pack = _pack(tmp_path, "no-such-package-xyz==1.0\n")
    created = []
    monkeypatch.setattr(pack_environment, "create_virtualenv",
                        lambda pack_dir, location, note: created.append((pack_dir, location)) or Path("/made/python"))
    assert PolicyPackProject.load(pack).python() == "/made/python"
    assert created == [(pack.resolve(), (pack / "venv").resolve())]


def test_a_virtualenv_that_cannot_be_made_is_a_clear_pack_error(tmp_path):
    pack = _pack(tmp_path, "no-such-package-xyz==1.0\n")
    (pack / "requirements.txt").unlink()
    with pytest.raises(PolicyPackError, match="names the virtualenv 'venv', which does not exist, and there is no"):
        PolicyPackProject.load(pack).python()

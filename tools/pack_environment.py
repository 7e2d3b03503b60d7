"""Which Python runs a policy pack, following its PulumiPolicy.yaml runtime options as the CLI does.

`runtime: {name: python, options: {virtualenv: venv}}` (what `pulumi policy new` writes) tells
the CLI to run the pack with `<pack>/venv/bin/python`; `pulumi install` in the pack folder, or
the CLI itself for a pack enforced from Pulumi Cloud, creates that virtualenv from the pack's
`requirements.txt`. Without the option the CLI uses the `python` on PATH.

The offline preview does the same, with one shortcut: when the virtualenv does not exist yet and
the interpreter running the preview already has every exact pin of the pack's requirements.txt,
the pack runs on that interpreter (the same packages at the same versions the virtualenv would
hold), so a checkout's previews and tests do not build a second environment. Otherwise the
virtualenv is created once, as `pulumi install` would, and reused by every later run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path
from typing import Callable, Optional

REQUIREMENTS = "requirements.txt"
CREATE_TIMEOUT_SECONDS = 900


class PackEnvironmentError(Exception):
    """The pack's virtualenv could not be created; the message says why and what to run."""


def venv_python(virtualenv: Path) -> Path:
    return virtualenv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def unmet_pins(requirements: Path) -> list[str]:
    """The lines of `requirements` this interpreter does not satisfy exactly (`name==version` only;
    any other kind of line counts as unmet, since only an exact pin can be checked without pip)."""
    unmet = []
    for raw in requirements.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        try:
            installed = metadata.version(name.strip()) if separator else None
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version.strip():
            unmet.append(line)
    return unmet


def create_virtualenv(pack_dir: Path, virtualenv: Path, note: Callable[[str], None]) -> Path:
    """Creates `virtualenv` from the pack's requirements.txt, as `pulumi install` does. Built beside
    it and renamed into place, so a preview running at the same time never sees half of one."""
    requirements = pack_dir / REQUIREMENTS
    if not requirements.is_file():
        raise PackEnvironmentError(f"{pack_dir}: PulumiPolicy.yaml names the virtualenv {virtualenv.name!r}, "
                                   f"which does not exist, and there is no {REQUIREMENTS} to create it from")
    note(f"policy pack {pack_dir}: creating its virtualenv {virtualenv} from {REQUIREMENTS} "
         "(once; later runs reuse it, as the Pulumi CLI does)")
    building = virtualenv.with_name(f".{virtualenv.name}.creating-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        venv.EnvBuilder(with_pip=True).create(building)
        installed = subprocess.run(
            [str(venv_python(building)), "-m", "pip", "install", "--disable-pip-version-check", "-q",
             "-r", str(requirements)],
            capture_output=True, text=True, timeout=CREATE_TIMEOUT_SECONDS)
        if installed.returncode != 0:
            raise PackEnvironmentError(
                f"policy pack {pack_dir}: pip could not install {REQUIREMENTS} into its virtualenv:\n"
                f"{installed.stdout}{installed.stderr}\nfix the cause, or create it yourself: "
                f"cd {pack_dir} && python3 -m venv {virtualenv.name} && "
                f"{virtualenv.name}/bin/pip install -r {REQUIREMENTS}")
        try:
            building.rename(virtualenv)
        except OSError:
            if not venv_python(virtualenv).exists():  # not a concurrent run that finished first
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return venv_python(virtualenv)


def pack_python(pack_dir: Path, virtualenv: str, note: Optional[Callable[[str], None]] = None) -> str:
    """The interpreter to start the pack in `pack_dir` with, given its `virtualenv` runtime option."""
    note = note or (lambda message: print(message, file=sys.stderr))
    if not virtualenv:
        return sys.executable
    location = (pack_dir / virtualenv).resolve()
    if venv_python(location).exists():
        return str(venv_python(location))
    requirements = pack_dir / REQUIREMENTS
    if requirements.is_file() and not unmet_pins(requirements):
        return sys.executable
    return str(create_virtualenv(pack_dir, location, note))

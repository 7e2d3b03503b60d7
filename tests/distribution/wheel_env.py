"""Builds the cmek-ml wheel from this checkout and installs it into a fresh virtualenv, as a user would.

Used by the wheel tests (one `[gcp]` virtualenv per test session) and by `bench/install_size.py`.
Versions are held to the project's pins (`requirements.txt`) with a constraints file, so what is
tested is what the project runs on.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What the wheel is built from (pyproject.toml's package-dir), copied so the build leaves nothing here.
SOURCES = ("pyproject.toml", "README.md", "components", "tools", "policies/cmek")
IGNORED = shutil.ignore_patterns("__pycache__", "venv", "*.egg-info", "build", "dist")
PIP_TIMEOUT_SECONDS = 1800


@dataclass(frozen=True)
class Install:
    venv: Path
    seconds: float
    """Creating the virtualenv and `pip install`ing the wheel with its extra."""
    size_bytes: int
    """Everything in the virtualenv."""

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def script(self, name: str) -> Path:
        return self.venv / "bin" / name

    def site_packages(self) -> Path:
        return Path(subprocess.run([str(self.python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   capture_output=True, text=True, check=True).stdout.strip())


def build_wheel(work: Path) -> Path:
    """`pip wheel` of a copy of the sources; returns the .whl."""
    source = work / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=IGNORED)
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)])
    [wheel] = dist.glob("cmek_ml-*.whl")
    return wheel


def constraints_file(work: Path) -> Path:
    """The project's exact pins (`name==version` lines of requirements.txt) as pip constraints."""
    # pip refuses extras in a constraint (`moto[server]==X` constrains `moto==X`).
    pins = [re.sub(r"\[[^\]]*\]", "", line.split("#", 1)[0]).strip()
            for line in (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.lstrip().startswith(("#", "-"))]
    path = work / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


def install(wheel: Path, extra: str, venv: Path, constraints: Path, cache: bool = True) -> Install:
    """A fresh virtualenv with `cmek-ml[extra]` from `wheel`, timed and measured."""
    started = time.perf_counter()
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *([] if cache else ["--no-cache-dir"]),
          "-c", str(constraints), f"{wheel}[{extra}]"])
    return Install(venv, time.perf_counter() - started, tree_size(venv))


def tree_size(folder: Path) -> int:
    return sum(os.lstat(Path(parent) / f).st_size for parent, _, files in os.walk(folder) for f in files)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=PIP_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")

"""Reads a stack's configuration the way the Pulumi CLI does, for runs without the CLI.

The CLI merges `stacks/Pulumi.<stack>.yaml` over the typed defaults of `Pulumi.yaml`,
type-checks project keys and hands the program strings (JSON for non-strings). The mock
engine does none of that, so the offline preview and the tests go through this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""This repository, when the tools run from it (installed, the tools take the project from --program)."""
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")

_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
}


class StackConfigError(Exception):
    """A stack file the Pulumi CLI itself would refuse."""


@dataclass(frozen=True)
class ProjectFile:
    name: str
    declared: Mapping[str, Mapping[str, Any]]
    stack_config_dir: Path

    @classmethod
    def load(cls, root: Path = PROJECT_ROOT) -> "ProjectFile":
        data = yaml.safe_load((root / "Pulumi.yaml").read_text())
        return cls(
            name=data["name"],
            declared=data.get("config") or {},
            stack_config_dir=root / data.get("stackConfigDir", "."),
        )

    def stack_names(self) -> list[str]:
        return sorted(
            p.name[len("Pulumi.") : -len(".yaml")]
            for p in self.stack_config_dir.glob("Pulumi.*.yaml")
        )

    def defaults(self) -> dict[str, Any]:
        return {key: spec["default"] for key, spec in self.declared.items() if "default" in spec}


def find_project_root(start: Path) -> Path:
    """The folder of the nearest `Pulumi.yaml` at or above `start`, as the CLI searches for it."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return folder
    raise StackConfigError(
        f"no Pulumi.yaml in {start} or any folder above it: run from a Pulumi project or pass --program DIR")


def project_program_dir(project_root: Path) -> Path:
    """The folder the CLI runs for a project: `main` of its Pulumi.yaml, else the project's own folder."""
    name = next(n for n in PROJECT_FILES if (project_root / n).is_file())
    main = (yaml.safe_load((project_root / name).read_text()) or {}).get("main")
    return (project_root / main).resolve() if isinstance(main, str) and main else project_root


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_config_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resolve(
    stack: str,
    overrides: Optional[Mapping[str, Any]] = None,
    root: Path = PROJECT_ROOT,
) -> dict[str, str]:
    """Returns the `{"project:key": "value"}` map the CLI would give the program for `stack`.

    `overrides` (unqualified project keys or qualified provider keys) replace stack values,
    which is how tests vary one setting at a time.
    """
    project = ProjectFile.load(root)
    stack_file = project.stack_config_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        known = ", ".join(project.stack_names()) or "none"
        raise StackConfigError(f"no stack file {stack_file} (stacks: {known})")
    stack_values = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}

    merged: dict[str, Any] = {_qualify(project.name, k): v for k, v in project.defaults().items()}
    merged.update({_qualify(project.name, k): v for k, v in stack_values.items()})
    merged.update({_qualify(project.name, k): v for k, v in (overrides or {}).items()})

    for qualified, value in merged.items():
        namespace, _, key = qualified.partition(":")
        if namespace != project.name:
            continue
        spec = project.declared.get(key)
        if spec is None:
            raise StackConfigError(f"{qualified}: not declared in Pulumi.yaml's config block")
        declared_type = spec.get("type", "string")
        if not _TYPE_CHECKS[declared_type](value):
            raise StackConfigError(
                f"{qualified}: {value!r} is not of the declared type {declared_type}"
            )
    return {k: _as_config_string(v) for k, v in merged.items()}

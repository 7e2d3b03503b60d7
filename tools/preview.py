"""Offline preview: runs a stack's program under Pulumi's mock engine and shows what it would create.

    python -m tools.preview --stack dev
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from tools import mock_engine, stack_config
from tools.mock_engine import ProgramRun, Registration

# The inputs worth seeing in a tree: where data is, and which key protects it.
SHOWN_INPUTS = (
    "name", "location", "projectId", "service", "rotationPeriod", "destroyScheduledDuration",
    "versionTemplate", "role", "member", "encryption", "kmsKeyName", "publicAccessPrevention",
    "uniformBucketLevelAccess", "forceDestroy", "deletionPolicy",
)


def _children(run: ProgramRun) -> dict[str, list[Registration]]:
    tree: dict[str, list[Registration]] = {}
    for r in run.resources:
        tree.setdefault(r.parent, []).append(r)
    return tree


def render_tree(run: ProgramRun) -> list[str]:
    tree = _children(run)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(tree.get(parent, []), key=lambda r: (r.type, r.name)):
            flags = " [protect]" if r.protect else ""
            lines.append(f"{'    ' * depth}+ {r.type}  {r.name}{flags}")
            for key in SHOWN_INPUTS:
                if key in r.inputs and r.inputs[key] not in (None, {}, []):
                    lines.append(f"{'    ' * (depth + 1)}  {key}: {json.dumps(r.inputs[key], default=str)}")
            walk(r.urn, depth + 1)

    roots = {r.parent for r in run.resources} - {r.urn for r in run.resources}
    for root in sorted(roots):
        walk(root, 0)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)

    config = stack_config.resolve(args.stack)
    run = mock_engine.run_project_program(config, stack=args.stack)
    print(f"Previewing stack {args.stack} (mock engine, no cloud calls)\n")
    print("\n".join(render_tree(run)))
    print(f"\nResources: {len(run.resources)} to create")
    print("\nOutputs:")
    print(json.dumps(run.outputs, indent=2, default=_unknown))
    return 0


def _unknown(value: Any) -> str:
    return "<unknown>"


if __name__ == "__main__":
    sys.exit(main())

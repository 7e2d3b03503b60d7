"""The golden URN inventory: every URN each stack registers, checked in under tests/golden/.

A changed URN is a delete and a create: for a key, a key ring or a bucket that is data loss.
`tests/test_urn_inventory.py` fails on any difference. After a deliberate change (new
resources, or a rename covered by an alias), refresh the files with:

    python -m tools.urn_inventory --update
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import mock_engine, stack_config

GOLDEN_DIR = stack_config.PROJECT_ROOT / "tests" / "golden"


def golden_file(stack: str) -> Path:
    return GOLDEN_DIR / f"urns.{stack}.txt"


def current_inventory(stack: str) -> list[str]:
    run = mock_engine.run_project_program(stack_config.resolve(stack), stack=stack)
    return sorted(r.urn for r in run.resources)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Refresh the golden URN inventory of every stack.")
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden/urns.<stack>.txt")
    args = parser.parse_args(argv)
    for stack in stack_config.ProjectFile.load().stack_names():
        urns = current_inventory(stack)
        if args.update:
            golden_file(stack).write_text("\n".join(urns) + "\n")
        print(f"{stack}: {len(urns)} URNs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

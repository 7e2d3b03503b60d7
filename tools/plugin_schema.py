"""The component plugin's golden schema: what `pulumi package add` generates SDKs from.

`tests/components/test_plugin_schema.py` starts the plugin as the CLI does, asks it for its
schema over gRPC and fails on any difference from `tests/golden/plugin-schema.json`: a renamed
input, a changed type or a lost component breaks every TypeScript, Go, C# and YAML program using it.
After a deliberate change (a new input, a new setting in Pulumi.yaml), refresh with:

    python -m tools.plugin_schema --update

which first rewrites the landing zones' inputs from Pulumi.yaml (`tools.plugin_args`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import plugin_args
from .plugin_host import PluginEngine, PluginProcess
from .stack_config import PROJECT_ROOT

GOLDEN_SCHEMA = PROJECT_ROOT / "tests" / "golden" / "plugin-schema.json"


def current_schema() -> dict[str, Any]:
    engine = PluginEngine()
    plugin = PluginProcess(engine.address)
    try:
        return plugin.schema()
    finally:
        plugin.stop()
        engine.stop()


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Refresh the component plugin's golden schema.")
    parser.add_argument("--update", action="store_true", help="rewrite landing_zone_args.py and tests/golden/plugin-schema.json")
    args = parser.parse_args(argv)
    if args.update and plugin_args.write():
        print(f"rewrote {plugin_args.ARGS_MODULE.relative_to(PROJECT_ROOT)}")
    schema = current_schema()
    if args.update:
        Path(GOLDEN_SCHEMA).write_text(schema_text(schema))
        print(f"rewrote {GOLDEN_SCHEMA.relative_to(PROJECT_ROOT)}")
    print(f"{len(schema['resources'])} components, {len(schema.get('types', {}))} types")
    return 0


if __name__ == "__main__":
    sys.exit(main())

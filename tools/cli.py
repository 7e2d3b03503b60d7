"""`cmek-ml`: the commands installed with the library.

    cmek-ml preview --stack dev [--program DIR] [--format text|json|sarif] ...   offline preview
    cmek-ml pack-path                                                              the policy pack's folder
    cmek-ml audit ...                                                              live audit (issue 10)

`preview` is `python -m tools.preview` of this repository, run on the Pulumi project of the
current folder (or `--program DIR`), with the policy pack released with this version. `pack-path`
prints that pack's folder, so the real CLI can use it too:
`pulumi preview --policy-pack "$(cmek-ml pack-path)"`.
"""

from __future__ import annotations

import importlib
import sys
from typing import Optional, Sequence

EXIT_UNAVAILABLE = 2

COMMANDS = {
    "preview": "offline `pulumi preview --policy-pack`: the program under the mock engine, checked by the pack",
    "pack-path": "print the folder of the cmek-ml policy pack (for `pulumi preview --policy-pack`)",
    "audit": "audit live cloud resources against the pack's rules",
}


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("cmek-ml")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: cmek-ml {" + ",".join(COMMANDS) + "} ...", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS.items()]
    lines += ["", "cmek-ml COMMAND --help for a command's options; cmek-ml --version"]
    return "\n".join(lines)


def _pack_path(argv: Sequence[str]) -> int:
    from cmek_ml.policy_pack import PolicyPackNotFound, policy_pack_dir

    if argv:
        print(f"cmek-ml pack-path: takes no arguments (got {' '.join(argv)})", file=sys.stderr)
        return EXIT_UNAVAILABLE
    try:
        print(policy_pack_dir())
    except PolicyPackNotFound as error:
        print(f"cmek-ml pack-path: {error}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return 0


def _preview(argv: Sequence[str]) -> int:
    from . import preview

    return preview.main(list(argv), prog="cmek-ml preview")


def _audit(argv: Sequence[str]) -> int:
    # The audit is imported only when asked for: its cloud clients are not needed by the rest.
    try:
        audit_cli = importlib.import_module(f"{__package__}.audit.cli")
    except ModuleNotFoundError as error:
        if error.name not in (f"{__package__}.audit", f"{__package__}.audit.cli"):
            raise
        print("cmek-ml audit: not available in this version of cmek-ml (the live audit is not part of it yet)",
              file=sys.stderr)
        return EXIT_UNAVAILABLE
    return audit_cli.main(list(argv))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else EXIT_UNAVAILABLE
    if args[0] == "--version":
        print(f"cmek-ml {_version()}")
        return 0
    command, rest = args[0], args[1:]
    handlers = {"preview": _preview, "pack-path": _pack_path, "audit": _audit}
    if command not in handlers:
        print(f"cmek-ml: unknown command {command!r}\n\n{_usage()}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return handlers[command](rest)


if __name__ == "__main__":
    sys.exit(main())

"""The policies/README.md table of catalogue policies, generated from the catalogue.

`python -m tests.policies.readme --update` rewrites the block between the markers; test_readme checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "policies" / "README.md"
START, END = "<!-- catalogue-policies:start -->", "<!-- catalogue-policies:end -->"


def _type_name(token: str) -> str:
    return token.rsplit(":", 1)[1] if not token.startswith("azure-native") else token.split(":", 1)[1]


def table(cat) -> str:
    lines = ["| Policy | Severity | Types: where the key must be | Control |", "| --- | --- | --- | --- |"]
    for policy in sorted(cat.policies, key=lambda p: p.name):
        checks = "; ".join(
            f"`{_type_name(t.token)}`: " + ", ".join(f"`{k.path}`" for k in t.keys) for t in policy.types)
        code = f" (plus code: `{policy.code}`)" if policy.code else ""
        control = f"{policy.control['framework']} {policy.control['reference']}"
        lines.append(f"| `{policy.name}` | {policy.severity} | {checks}{code} | {control} |")
    return "\n".join(lines)


def rendered(cat) -> str:
    text = README.read_text()
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{table(cat)}\n{END}{tail}"


if __name__ == "__main__":
    sys.path.insert(0, str(README.parent / "cmek"))
    from cmek_policies import catalogue
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.policies.readme --update")
    README.write_text(rendered(catalogue.load()))
    print(f"updated {README}")

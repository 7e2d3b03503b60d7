"""The policies/README.md blocks generated from the catalogue: the table of catalogue policies and the coverage
figures per cloud.

`python -m tests.policies.readme --update` rewrites the blocks between the markers; a test checks they are current.
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "policies" / "README.md"
MAIN_README = README.parents[1] / "README.md"
START, END = "<!-- catalogue-policies:start -->", "<!-- catalogue-policies:end -->"
COVERAGE_START, COVERAGE_END = "<!-- coverage:start -->", "<!-- coverage:end -->"


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


def coverage_block(cat) -> str:
    from tests.policies import coverage
    rows = coverage.reference_rows()
    lines = ["| cloud | SDK types with a key-like input (+ count-only) | checked | out of scope | ML-relevant per the count, checked |",
             "| --- | --- | --- | --- | --- |"]
    for cloud in coverage.PROVIDERS:
        found = coverage.coverage(cat, cloud, rows)
        ml = len(found.ml_reference & found.catalogue)
        lines.append(f"| {cloud} | {len(found.sdk)} (+{len(found.reference - found.sdk)}) | "
                     f"{len(found.universe & found.catalogue)} | {len(found.universe & set(found.out_of_scope))} | "
                     f"{ml}/{len(found.ml_reference)} ({100 * ml // max(1, len(found.ml_reference))}%) |")
    return "\n".join(lines)


def _replace(text: str, start: str, end: str, body: str) -> str:
    head, rest = text.split(start, 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def rendered(cat) -> str:
    text = _replace(README.read_text(), START, END, table(cat))
    return _replace(text, COVERAGE_START, COVERAGE_END, coverage_block(cat))


def rendered_main(cat) -> str:
    """The project README: the same coverage figures."""
    return _replace(MAIN_README.read_text(), COVERAGE_START, COVERAGE_END, coverage_block(cat))


if __name__ == "__main__":
    sys.path.insert(0, str(README.parent / "cmek"))
    from cmek_policies import catalogue
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python -m tests.policies.readme --update")
    loaded = catalogue.load()
    README.write_text(rendered(loaded))
    MAIN_README.write_text(rendered_main(loaded))
    print(f"updated {README} and {MAIN_README}")

"""Catalogue coverage against the installed provider SDKs and the independent count (cmk-universe.tsv).

`python -m tests.policies.coverage` prints, per cloud: how many SDK resource types take a key-like input, how
many of those the catalogue checks and how many are out of scope (with the reason), the coverage of the
types the independent count calls ML-relevant, and every difference with that count, each with its defence
(the out-of-scope reason, or why the catalogue checks a type the count left out).
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.policies import sdk_inputs

REFERENCE = Path(__file__).resolve().parent / "cmk-universe.tsv"
"""The independent count, copied from the workspace's shared/reference/cmk-universe.tsv: the resource types of
pulumi-gcp 10.2, pulumi-aws 7.51 and pulumi-azure-native 3.29 that accept a customer key, judged by hand."""
PROVIDERS = {"gcp": "gcp", "aws": "aws", "azure": "azure-native"}


def reference_rows() -> dict[str, dict[str, str]]:
    """token -> row of the independent count."""
    with REFERENCE.open() as handle:
        return {row["token"]: row for row in csv.DictReader(handle, delimiter="\t")}


@dataclass
class Coverage:
    cloud: str
    sdk: set[str]            # SDK types with a key-like input
    reference: set[str]      # the independent count's types for this cloud
    ml_reference: set[str]   # ... that it calls ML-relevant
    catalogue: set[str]
    out_of_scope: dict[str, str]

    @property
    def universe(self) -> set[str]:
        return self.sdk | self.reference

    @property
    def unclassified(self) -> set[str]:
        return self.universe - self.catalogue - set(self.out_of_scope)

    def line(self) -> str:
        checked = len(self.universe & self.catalogue)
        ml = len(self.ml_reference & self.catalogue)
        return (f"{self.cloud}: {len(self.universe)} types take a customer key (SDK {len(self.sdk)}, independent count "
                f"{len(self.reference)}); catalogue checks {checked}, out of scope {len(self.universe & set(self.out_of_scope))}, "
                f"unclassified {len(self.unclassified)}; ML-relevant per the count: {ml}/{len(self.ml_reference)} checked "
                f"({100 * ml // max(1, len(self.ml_reference))}%)")


def coverage(cat, cloud: str, rows: dict[str, dict[str, str]] | None = None) -> Coverage:
    rows = reference_rows() if rows is None else rows
    mine = {t for t, r in rows.items() if r["provider"] == PROVIDERS[cloud]}
    return Coverage(
        cloud=cloud, sdk=set(sdk_inputs.key_like_types(cloud)), reference=mine,
        ml_reference={t for t in mine if rows[t]["ml_relevant"] == "yes"},
        catalogue=cat.tokens(cloud), out_of_scope=dict(cat.out_of_scope.get(cloud, {})))


def differences(found: Coverage, rows: dict[str, dict[str, str]]) -> list[str]:
    """Every place the catalogue and the independent count disagree, with the catalogue's defence."""
    lines = []
    for token in sorted(found.ml_reference & set(found.out_of_scope)):
        lines.append(f"  count says ML-relevant, out of scope here: {token}: {found.out_of_scope[token]}")
    for token in sorted((found.reference - found.ml_reference) & found.catalogue):
        lines.append(f"  count says not ML-relevant ({rows[token]['reason']}), checked here: {token}")
    for token in sorted(found.sdk - found.reference):
        where = "checked" if token in found.catalogue else f"out of scope: {found.out_of_scope.get(token, 'UNCLASSIFIED')}"
        lines.append(f"  not in the count (key-like input {sdk_inputs.key_like_types(found.cloud)[token][0]}): {token}: {where}")
    for token in sorted(found.reference - found.sdk):
        lines.append(f"  in the count, not found by the SDK name scan ({rows[token]['key_property_paths'][:60]}): {token}: "
                     f"{'checked' if token in found.catalogue else found.out_of_scope.get(token, 'UNCLASSIFIED')}")
    for token in sorted(found.unclassified):
        lines.append(f"  UNCLASSIFIED: {token}")
    return lines


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policies" / "cmek"))
    from cmek_policies import catalogue
    cat = catalogue.load()
    rows = reference_rows()
    for cloud in PROVIDERS:
        found = coverage(cat, cloud, rows)
        print(found.line())
        print("\n".join(differences(found, rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

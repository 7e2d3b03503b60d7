"""The pack's rules, applied to what cloud APIs return.

There is one set of rules: the policy pack's key catalogue (`policies/cmek/catalogue/`), judged by the
pack's own code (`cmek_policies.catalogue.problems`, and for entries with `code:` the pack's special
check, e.g. SageMaker's NVMe instance storage). The pack is imported from its folder by path; the audit
carries no copy. The pack judges Pulumi-shaped properties (camelCase input names); a live API names
some fields differently, so each audited type has an `audit:` block that says how to read it, and in
`fields` which API subtree holds each catalogue path where the default naming does not fit.

Resources that no Pulumi type creates (SageMaker processing and transform jobs, Vertex AI custom and
pipeline jobs) have no place in the pack; their entries live in `tools/audit/api_catalogue/` in the
catalogue's own format, loaded and judged by the same loader.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Mapping

from cmek_ml.policy_pack import policy_pack_dir

from .model import AuditError

PACKAGE_DIR = Path(__file__).resolve().parent
API_CATALOGUE_DIR = PACKAGE_DIR / "api_catalogue"
PACK_PACKAGE = "cmek_policies"
_MARKERS = re.compile(r"(\[\d*\]|\{\}|~json)")


def default_policy_pack() -> Path:
    """The pack released with the components: policies/cmek in a checkout, the installed one from a wheel."""
    return policy_pack_dir()


def load_pack(pack_dir: Path) -> ModuleType:
    """The pack's `cmek_policies` package, imported from `pack_dir` (as the Pulumi CLI and the pack's tests do)."""
    package_dir = (pack_dir / PACK_PACKAGE).resolve()
    if not (package_dir / "catalogue.py").is_file():
        raise AuditError(f"--policy-pack {pack_dir}: no key catalogue loader at {package_dir / 'catalogue.py'}; "
                         "point --policy-pack at the cmek policy pack folder (policies/cmek).")
    loaded = sys.modules.get(PACK_PACKAGE)
    if loaded is not None:
        if Path(loaded.__file__).resolve().parent != package_dir:
            raise AuditError(f"--policy-pack {pack_dir}: another {PACK_PACKAGE} is already imported "
                             f"from {Path(loaded.__file__).parent}.")
        return loaded
    sys.path.insert(0, str(pack_dir.resolve()))
    try:
        return importlib.import_module(PACK_PACKAGE)
    finally:
        sys.path.remove(str(pack_dir.resolve()))


@dataclass(frozen=True)
class AuditedType:
    """One catalogue type the audit reads: its policy, its rules and how its API names things."""

    policy: Any          # catalogue.PolicySpec
    spec: Any            # catalogue.TypeSpec
    audit: Mapping[str, Any]

    @property
    def token(self) -> str:
        return self.spec.token


@dataclass(frozen=True)
class Judgement:
    """The pack's verdict on one resource, per key field."""

    problems: list[tuple[str, str]]
    """(catalogue path the message names, message) for each way the resource fails."""
    exempt: list[tuple[str, str]]
    """(catalogue key path, reason) for keys the generic rule wants but an exemption lifts."""
    keys: list[tuple[str, Any]]
    """(catalogue key path, value) of keys the pack accepts: on AWS still to resolve with DescribeKey."""


def message_path(message: str) -> str:
    """The path a pack message starts with, without list indexes (`rules[0].x is ...` -> `rules.x`)."""
    return _MARKERS.sub("", message.split(" ", 1)[0].rstrip(":,"))


def with_field(message: str, field: str) -> str:
    """A pack message with its leading catalogue path replaced by the API's field name."""
    head, _, rest = message.partition(" ")
    return f"{field} {rest}" if rest and message_path(head) else message


def _belongs(path: str, key_path: str) -> bool:
    """A message about `path` is about the key at `key_path` (the key itself or a mode field beside it)."""
    key = _MARKERS.sub("", key_path)
    return path == key or path.rsplit(".", 1)[0] == key.rsplit(".", 1)[0] or path.endswith("." + key)


class Rules:
    """The pack's catalogue plus the API-only entries, and the pack's code that judges them."""

    def __init__(self, pack_dir: Path, api_catalogue_dir: Path = API_CATALOGUE_DIR) -> None:
        self.pack = load_pack(pack_dir)
        self.loader = self.pack.catalogue
        try:
            self.catalogue = self.loader.load(pack_dir / "catalogue")
            self.api_only = self.loader.load(api_catalogue_dir)
        except self.loader.CatalogueError as error:
            raise AuditError(f"key catalogue: {error}") from None
        self.special: dict[str, Any] = {}
        for module in ("aws", "gcp", "azure"):
            self.special.update(getattr(getattr(self.pack, module, None), "SPECIAL_CHECKS", {}) or {})

    def policies(self) -> dict[str, Any]:
        return {p.name: p for c in (self.catalogue, self.api_only) for p in c.policies}

    def audited(self, cloud: str) -> list[AuditedType]:
        """Every type of `cloud` (aws, gcp, azure) whose entry has an `audit:` block."""
        return [AuditedType(policy, spec, spec.audit) for catalogue in (self.catalogue, self.api_only)
                for policy in catalogue.policies if policy.cloud == cloud for spec in policy.types
                if spec.audit and "same_as" not in spec.audit]

    def not_audited(self, cloud: str) -> list[str]:
        """Catalogue tokens of `cloud` with no `audit:` block (the report names them as not checked).

        `audit: {same_as: <token>}` marks a type whose live resource another type's audit reads (the
        S3 bucket's inline encryption is the bucket's default encryption)."""
        return sorted(spec.token for policy in self.catalogue.policies if policy.cloud == cloud
                      for spec in policy.types if not spec.audit)

    def pack_check(self, audited: AuditedType) -> Callable[[Any], Iterable[str]]:
        """The pack's check for the type: the catalogue's generic rule, or the entry's `code:` check."""
        spec, code = audited.spec, audited.policy.code
        if not code:
            return lambda props: self.loader.problems(spec, props)
        special = self.special[code]
        options = {k: v["default"] for k, v in (special.options_schema or {}).items() if "default" in v}
        options.update(audited.audit.get("options", {}))
        return lambda props: special.check(props, options, lambda skip=(): self.loader.problems(spec, props, skip))

    def judge(self, audited: AuditedType, props: Mapping[str, Any]) -> Judgement:
        """The pack's messages, each tied to the field it names; exemptions; the keys the pack accepts.

        A key is exempt when the catalogue's rule alone, without exemptions, fails but the pack's check does
        not (a catalogue exemption such as an AI Foundry project, or a `code:` check such as NVMe storage)."""
        loader, spec = self.loader, audited.spec
        messages = list(dict.fromkeys(self.pack_check(audited)(props)))
        exempt, keys = [], []
        for rule in spec.keys:
            alone = list(loader.problems(dataclasses.replace(spec, keys=(rule,)), props))
            mine = [m for m in messages if m in alone or (audited.policy.code and _belongs(message_path(m), rule.path))]
            if mine:
                continue
            bare = dataclasses.replace(spec, exempt=(), keys=(dataclasses.replace(rule, exempt=()),))
            if list(loader.problems(bare, props)):
                holding = [c.reason for c in (*spec.exempt, *rule.exempt) if c.reason and not alone]
                exempt.append((rule.path, "; ".join(holding) or audited.audit.get(
                    "exempt_reason", f"exempt by the pack's {audited.policy.code or 'catalogue'} rule")))
                continue
            keys += [(rule.path, leaf.value) for leaf in loader.walk(props, rule.steps)
                     if isinstance(leaf.value, str) and leaf.value]
        return Judgement([(message_path(m), m) for m in messages], exempt, keys)


# --- from API shapes to the catalogue's property names ----------------------------------------------------------

def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


def identity(name: str) -> str:
    return name


@dataclass(frozen=True)
class Naming:
    """How one type's API names its fields: `fields` moves API subtrees to catalogue paths (dotted, no
    list markers), `names` renames single field names anywhere, `default` renames the rest."""

    fields: Mapping[str, str]
    names: Mapping[str, str]
    default: Callable[[str], str]
    inverse_default: Callable[[str], str]

    @classmethod
    def for_cloud(cls, cloud: str, audit: Mapping[str, Any]) -> "Naming":
        pascal = cloud == "aws" and audit.get("case", "pascal") == "pascal"  # ECR and Logs answer in camelCase
        default, inverse = (lower_first, upper_first) if pascal else (identity, identity)
        return cls(dict(audit.get("fields", {})), dict(audit.get("names", {})), default, inverse)

    def _rename(self, node: Any) -> Any:
        """Renamed recursively; an empty object says nothing and is dropped (moto answers
        `DataCaptureConfig: {}` for an endpoint configuration without capture, AWS omits the field)."""
        if isinstance(node, dict):
            return {self.names.get(k, self.default(k)): self._rename(v) for k, v in node.items() if v != {}}
        if isinstance(node, list):
            return [self._rename(item) for item in node]
        return node

    def to_props(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """The API document with the catalogue's names (moved subtrees are renamed inside too)."""
        props = self._rename(doc)
        for catalogue_path, api_path in self.fields.items():
            value = _get(doc, api_path.split("."))
            if value is not None:
                _set(props, catalogue_path.split("."), self._rename(value))
        return props

    def api_field(self, catalogue_path: str) -> str:
        """The API's name for a catalogue path, for messages."""
        path = _MARKERS.sub("", catalogue_path)
        for ours, theirs in sorted(self.fields.items(), key=lambda item: -len(item[0])):
            if path == ours or path.startswith(ours + "."):
                rest = path[len(ours):].lstrip(".")
                return theirs + ("." + self._inverse(rest) if rest else "")
        return self._inverse(path)

    def _inverse(self, path: str) -> str:
        back = {v: k for k, v in self.names.items()}
        return ".".join(back.get(s, self.inverse_default(s)) for s in path.split("."))


def _get(node: Any, segments: list[str]) -> Any:
    for segment in segments:
        if not isinstance(node, dict):
            return None
        node = node.get(segment)
    return node


def _set(node: dict, segments: list[str], value: Any) -> None:
    for segment in segments[:-1]:
        node = node.setdefault(segment, {}) if isinstance(node.get(segment), dict) or segment not in node else {}
    node[segments[-1]] = value


def place(props: dict, path: str, value: Any) -> None:
    """Put `value` at a catalogue path (`a[].b` makes `a` a one-element list) unless something is there."""
    node: Any = props
    segments = path.split(".")
    for index, segment in enumerate(segments):
        name, is_list = segment.removesuffix("[]"), segment.endswith("[]")
        last = index == len(segments) - 1
        if last:
            node.setdefault(name, [value] if is_list else value)
            return
        child = node.setdefault(name, [{}] if is_list else {})
        node = child[0] if isinstance(child, list) else child

"""The key catalogue: where each resource type keeps its key, and which values mean a provider-managed key.

The catalogue is data (`policies/cmek/catalogue/<cloud>/<service>.yaml`, format in policies/README.md);
this module loads and validates it and matches resource type tokens (azure-native API versions and v2
module aliases included); `catalogue_rules` judges one resource's properties, and its names are available
here too. The live audit (tools/audit) imports this package and applies the very same rules to what the
cloud APIs return; the pack turns each entry into a policy (`generated.py`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import yaml

from .catalogue_rules import (  # noqa: F401  (re-exported: the catalogue's API for the pack and the audit)
    PROVIDER_KEY, UNKNOWN, UNKNOWN_SENTINELS, CatalogueError, Condition, KeyRule, Leaf, PolicySpec, Step, TypeSpec,
    absent, parse_path, problems, read, walk, wire_path,
)

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "catalogue"
PACKAGES = {"gcp": "gcp", "aws": "aws", "azure": "azure-native"}
"""Catalogue folder -> the token package of that cloud's Pulumi provider."""
OUT_OF_SCOPE_FILE = "out_of_scope.yaml"
AZURE_ALIASES_FILE = "aliases.yaml"
GCP_LOCATIONS_FILE = "locations.yaml"
NOT_POLICY_FILES = (OUT_OF_SCOPE_FILE, AZURE_ALIASES_FILE, GCP_LOCATIONS_FILE)
SEVERITIES = ("low", "medium", "high", "critical")
NAME = re.compile(r"^(gcp|aws|azure)-[a-z0-9]+(-[a-z0-9]+){2,}$")


# --- type tokens ------------------------------------------------------------------------------------------

_AZURE_ALIASES: dict[str, str] = {}
"""v2 module names that azure-native v3 still accepts (from catalogue/azure/aliases.yaml): old -> current token."""


_ALIASES_LOADED_FROM: list[Path] = []


def _load_azure_aliases(directory: Path) -> None:
    """Reads <directory>/azure/aliases.yaml into the matcher (once per directory)."""
    path = directory / "azure" / AZURE_ALIASES_FILE
    if not path.exists() or _ALIASES_LOADED_FROM == [path]:
        return
    data = _yaml(path) or {}
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping of alias token -> current token")
    _AZURE_ALIASES.clear()
    _AZURE_ALIASES.update({str(k): str(v) for k, v in data.items()})
    _ALIASES_LOADED_FROM[:] = [path]
    canonical_type.cache_clear()


@lru_cache(maxsize=4096)
def canonical_type(token: str) -> str:
    """`pkg:module:Name`, for azure-native without the `/vYYYYMMDD` API version and with v2 module aliases
    (`azure-native:documentdb/v20230415:DatabaseAccount` -> `azure-native:cosmosdb:DatabaseAccount`)."""
    package, _, rest = token.partition(":")
    module, _, name = rest.rpartition(":")
    if package != "azure-native":
        return token
    versionless = f"{package}:{module.split('/', 1)[0]}:{name}"
    return _AZURE_ALIASES.get(versionless, versionless)


# --- loading --------------------------------------------------------------------------------------------------

_POLICY_KEYS = {"name", "description", "severity", "remediation", "control", "docs", "types", "enforcement", "code"}
_CONTROL_KEYS = {"framework", "version", "reference", "specification"}
_TYPE_KEYS = {"token", "keys", "exempt", "location", "agents", "audit", "examples"}
_KEY_KEYS = {"path", "managed", "when", "exempt", "or"}
_CONDITION_KEYS = {"path", "sibling", "equals", "other_than", "families", "reason", "source"}
FAMILY_LISTS = {"nvme": CATALOGUE_DIR.parent / "nvme_instance_types.yaml"}
"""`families: <name>` in a condition -> the file listing those instance families (the pack's NVMe option and the
IAM guardrail read the same file)."""
_MATCHER_WORDS = ("absent", "aws-managed-alias")


class _Where:
    """Builds errors that name the file and the key."""

    def __init__(self, file: Path, trail: str = "") -> None:
        self.file, self.trail = file, trail

    def at(self, key: Any) -> "_Where":
        return _Where(self.file, f"{self.trail}.{key}" if self.trail and not str(key).startswith("[") else
                      f"{self.trail}{key}")

    def fail(self, value: Any, allowed: str) -> CatalogueError:
        return CatalogueError(f"{self.file}: {self.trail or '(top)'} is {value!r}; expected {allowed}.")


def _mapping(value: Any, where: _Where, allowed_keys: set[str], required: set[str]) -> dict:
    if not isinstance(value, dict):
        raise where.fail(value, f"a mapping with keys {sorted(allowed_keys)}")
    for key in value:
        if key not in allowed_keys:
            raise where.at(key).fail(value[key], f"no such key; allowed keys are {sorted(allowed_keys)}")
    for key in required:
        if value.get(key) in (None, "", [], {}):
            raise where.at(key).fail(value.get(key), "a value (required)")
    return value


def _text(value: Any, where: _Where) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.fail(value, "a non-empty string")
    return value


def _literals(value: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, (str, bool, int)) for v in value):
        raise where.fail(value, "a non-empty list of strings")
    return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in value)


def _steps(value: Any, where: _Where) -> tuple[Step, ...]:
    try:
        return parse_path(value)
    except ValueError as error:
        raise where.fail(value, f"a path ({error})") from None


def _condition(value: Any, where: _Where, *, reason_required: bool = False) -> Condition:
    if isinstance(value, str):
        return Condition(_steps(value, where), relative=False, text=value)
    raw = _mapping(value, where, _CONDITION_KEYS, {"reason"} if reason_required else set())
    if ("path" in raw) == ("sibling" in raw):
        raise where.fail(value, "exactly one of path (absolute) or sibling (relative to the key's object)")
    if sum(k in raw for k in ("equals", "other_than", "families")) > 1:
        raise where.fail(value, "at most one of equals, other_than and families")
    text = raw.get("path") or raw.get("sibling")
    up = text.count("../") if "sibling" in raw and isinstance(text, str) else 0
    return Condition(
        _steps(text.replace("../", "") if up else text, where.at("path" if "path" in raw else "sibling")),
        relative="sibling" in raw, up=up,
        equals=_literals(raw["equals"], where.at("equals")) if "equals" in raw else (),
        other_than=_literals(raw["other_than"], where.at("other_than")) if "other_than" in raw else (),
        reason=str(raw.get("reason", "")), source=str(raw.get("source", "")), text=text,
        families=_families(raw["families"], where.at("families")) if "families" in raw else frozenset())


def _families(name: Any, where: _Where) -> frozenset[str]:
    if name not in FAMILY_LISTS:
        raise where.fail(name, f"one of {sorted(FAMILY_LISTS)}")
    data = _yaml(FAMILY_LISTS[name])
    families = data.get("families") if isinstance(data, dict) else None
    if not isinstance(families, list) or not all(isinstance(f, str) for f in families):
        raise _Where(FAMILY_LISTS[name], "families").fail(families, "a list of instance families like ml.g5")
    return frozenset(families)


def _conditions(value: Any, where: _Where, *, reason_required: bool) -> tuple[Condition, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(_condition(v, where.at(f"[{i}]"), reason_required=reason_required) for i, v in enumerate(items))


def _matcher(value: Any, where: _Where) -> Any:
    if value in _MATCHER_WORDS:
        return value
    if isinstance(value, dict) and set(value) == {"equals"}:
        return ("equals", _literals(value["equals"], where.at("equals")))
    if isinstance(value, dict) and ("sibling" in value or "path" in value) and (
            "equals" in value or "other_than" in value):
        return _condition(value, where)
    raise where.fail(value, f"one of {list(_MATCHER_WORDS)}, {{equals: [..]}}, "
                            "{sibling|path: p, equals|other_than: [..]}")


def _key(value: Any, where: _Where) -> KeyRule:
    raw = _mapping(value, where, _KEY_KEYS, {"path", "managed"})
    if not isinstance(raw["managed"], list):
        raise where.at("managed").fail(raw["managed"], "a list of matchers")
    alternatives = raw.get("or", [])
    if not isinstance(alternatives, list):
        raise where.at("or").fail(alternatives, "a list of paths")
    return KeyRule(
        path=raw["path"], steps=_steps(raw["path"], where.at("path")),
        managed=tuple(_matcher(m, where.at("managed").at(f"[{i}]")) for i, m in enumerate(raw["managed"])),
        when=_conditions(raw["when"], where.at("when"), reason_required=False) if "when" in raw else (),
        exempt=_conditions(raw["exempt"], where.at("exempt"), reason_required=True) if "exempt" in raw else (),
        alternatives=tuple(_steps(p, where.at("or").at(f"[{i}]")) for i, p in enumerate(alternatives)))


def _type(value: Any, where: _Where, cloud: str) -> TypeSpec:
    raw = _mapping(value, where, _TYPE_KEYS, {"token", "keys", "examples"})
    token = _text(raw["token"], where.at("token"))
    if not token.startswith(PACKAGES[cloud] + ":") or token.count(":") != 2:
        raise where.at("token").fail(token, f"a {PACKAGES[cloud]}:<module>:<Name> token")
    if not isinstance(raw["keys"], list):
        raise where.at("keys").fail(raw["keys"], "a list of key entries")
    examples = _mapping(raw["examples"], where.at("examples"), {"compliant", "noncompliant"},
                        {"compliant", "noncompliant"})
    if not isinstance(examples["compliant"], dict):
        raise where.at("examples.compliant").fail(examples["compliant"], "a mapping of camelCase inputs")
    noncompliant = examples["noncompliant"]
    if not isinstance(noncompliant, list) or not all(isinstance(e, dict) for e in noncompliant):
        raise where.at("examples.noncompliant").fail(noncompliant, "a non-empty list of mappings")
    agents = raw.get("agents", [])
    if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
        raise where.at("agents").fail(agents, "a list of service-agent domains")
    location = raw.get("location")
    if location is not None:
        _mapping(location, where.at("location"), {"inputs", "pairing"}, {"inputs", "pairing"})
    return TypeSpec(
        token=token, keys=tuple(_key(k, where.at("keys").at(f"[{i}]")) for i, k in enumerate(raw["keys"])),
        exempt=_conditions(raw["exempt"], where.at("exempt"), reason_required=True) if "exempt" in raw else (),
        location=location, agents=tuple(agents), audit=raw.get("audit"),
        compliant=examples["compliant"], noncompliant=tuple(noncompliant), cloud=cloud)


def _policy(value: Any, where: _Where, cloud: str, file: Path) -> PolicySpec:
    raw = _mapping(value, where, _POLICY_KEYS, _POLICY_KEYS - {"enforcement", "code"})
    name = _text(raw["name"], where.at("name"))
    if not NAME.match(name) or not name.startswith(cloud + "-"):
        raise where.at("name").fail(name, f"{cloud}-<service>-<resource>-<rule> in lower case")
    if raw["severity"] not in SEVERITIES:
        raise where.at("severity").fail(raw["severity"], f"one of {list(SEVERITIES)}")
    if raw.get("enforcement") not in (None, "advisory", "mandatory"):
        raise where.at("enforcement").fail(raw["enforcement"], "advisory or mandatory")
    if not _text(raw["description"], where.at("description")).endswith("."):
        raise where.at("description").fail(raw["description"], "a sentence ending with '.'")
    control = _mapping(raw["control"], where.at("control"), _CONTROL_KEYS, _CONTROL_KEYS)
    if not isinstance(raw["types"], list) or not raw["types"]:
        raise where.at("types").fail(raw["types"], "a non-empty list of types")
    return PolicySpec(
        name=name, description=raw["description"], severity=raw["severity"],
        remediation=_text(raw["remediation"], where.at("remediation")),
        control={k: str(v) for k, v in control.items()}, docs=_text(raw["docs"], where.at("docs")),
        types=tuple(_type(t, where.at("types").at(f"[{i}]"), cloud) for i, t in enumerate(raw["types"])),
        cloud=cloud, file=str(file), enforcement=raw.get("enforcement"), code=raw.get("code"))


@dataclass
class Catalogue:
    policies: list[PolicySpec]
    out_of_scope: dict[str, dict[str, str]]
    """cloud -> token -> one-line reason."""
    pairings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """GCP location pairings (catalogue/gcp/locations.yaml): name -> {source, locations}."""
    _by_type: dict[str, list[tuple[PolicySpec, TypeSpec]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for policy in self.policies:
            for spec in policy.types:
                self._by_type.setdefault(canonical_type(spec.token), []).append((policy, spec))

    def types_for(self, token: str) -> list[tuple[PolicySpec, TypeSpec]]:
        """The catalogue entries for a type token (any azure-native API version or v2 alias)."""
        return self._by_type.get(canonical_type(token), [])

    def key_locations(self, pairing: str, data_location: str) -> tuple[str, ...]:
        """Cloud KMS locations a key may be in for data in `data_location` (lower case, zones as regions)."""
        return tuple(self.pairings[pairing]["locations"].get(data_location, (data_location,)))

    def pairing_source(self, pairing: str) -> str:
        return self.pairings[pairing]["source"]

    def tokens(self, cloud: str) -> set[str]:
        return {t.token for p in self.policies if p.cloud == cloud for t in p.types}


def _pairings(data: Any, where: _Where) -> dict[str, dict[str, Any]]:
    raw = _mapping(data, where, {"pairings"}, {"pairings"})["pairings"]
    if not isinstance(raw, dict):
        raise where.at("pairings").fail(raw, "a mapping of pairing name -> {source, locations}")
    found = {}
    for name, pairing in raw.items():
        pairing = _mapping(pairing, where.at(f"pairings.{name}"), {"source", "locations"}, {"source"})
        locations = pairing.get("locations") or {}
        if not isinstance(locations, dict) or not all(isinstance(v, list) and v for v in locations.values()):
            raise where.at(f"pairings.{name}.locations").fail(locations, "a mapping of data location -> [KMS locations]")
        found[name] = {"source": pairing["source"],
                       "locations": {str(k).lower(): tuple(str(x).lower() for x in v) for k, v in locations.items()}}
    return found


CACHE_ENV = "CMEK_CATALOGUE_CACHE"
"""Folder for parsed catalogue files (default ~/.cache/cmek-ml/catalogue; empty: no cache)."""


def _cache_dir() -> Optional[Path]:
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured else None
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except (KeyError, RuntimeError):  # no home directory
        return None
    return base / "cmek-ml" / "catalogue"


def _yaml(path: Path) -> Any:
    """A catalogue file's data. PyYAML builds objects in Python even with its C parser (0.2 s for the whole
    catalogue, most of the pack's own start-up), so each file's data is kept as JSON under the hash of its
    bytes: an edited file has another hash and is parsed again; an unreadable cache is ignored."""
    raw = path.read_bytes()
    cache = _cache_dir()
    cached = cache / f"{hashlib.sha256(raw).hexdigest()}.json" if cache else None
    if cached is not None:
        try:
            return json.loads(cached.read_text())
        except (OSError, ValueError):
            pass
    try:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path}: not valid YAML ({error})") from None
    if cached is not None:
        try:
            text = json.dumps(data)
            if json.loads(text) == data:  # only what JSON keeps exactly (string keys, no dates)
                cache.mkdir(parents=True, exist_ok=True)
                partial = cached.with_name(f"{cached.name}.{os.getpid()}.partial")
                partial.write_text(text)
                partial.replace(cached)
        except (OSError, TypeError, ValueError):
            pass
    return data


def load(directory: Path = CATALOGUE_DIR) -> Catalogue:
    """Every catalogue file under `directory`, validated; raises CatalogueError on the first problem."""
    _load_azure_aliases(directory)
    policies: list[PolicySpec] = []
    out_of_scope: dict[str, dict[str, str]] = {}
    pairings: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for cloud in PACKAGES:
        out_of_scope[cloud] = {}
        for path in sorted((directory / cloud).glob("*.yaml")):
            data = _yaml(path)
            if path.name == AZURE_ALIASES_FILE:
                continue
            if path.name == GCP_LOCATIONS_FILE:
                pairings.update(_pairings(data, _Where(path)))
                continue
            if path.name == OUT_OF_SCOPE_FILE:
                if not isinstance(data, dict) or not all(isinstance(v, str) and v.strip() for v in data.values()):
                    raise _Where(path).fail(data, "a mapping of token -> one-line reason")
                out_of_scope[cloud].update(data)
                continue
            raw = _mapping(data, _Where(path), {"policies"}, {"policies"})
            for i, item in enumerate(raw["policies"]):
                policy = _policy(item, _Where(path, f"policies[{i}]"), cloud, path)
                if policy.name in names:
                    raise _Where(path, f"policies[{i}].name").fail(policy.name, f"a name not already used in {names[policy.name]}")
                names[policy.name] = str(path)
                for spec in policy.types:
                    token = canonical_type(spec.token)
                    if token in tokens:
                        raise _Where(path, f"policies[{i}].types").fail(spec.token, f"a token not already in {tokens[token]}")
                    tokens[token] = f"{path.name} ({policy.name})"
                policies.append(policy)
    for policy in policies:
        for i, spec in enumerate(policy.types):
            if spec.location and spec.location["pairing"] not in pairings:
                raise _Where(Path(policy.file), f"{policy.name}.types[{i}].location.pairing").fail(
                    spec.location["pairing"], f"one of {sorted(pairings)} (catalogue/gcp/{GCP_LOCATIONS_FILE})")
    return Catalogue(policies, out_of_scope, pairings)


_load_azure_aliases(CATALOGUE_DIR)  # the matcher works before (and without) a full load

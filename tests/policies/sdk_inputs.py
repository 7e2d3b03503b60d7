"""What the installed provider SDKs accept, read from their source without importing every module.

Each SDK registers its resource tokens in its root `__init__.py` (`_utilities.register(resource_modules=...)`,
a JSON list of {mod, fqn, classes: {token: class}}). Each resource's `<Class>Args` (in the module's
`<class_snake>.py`) declares its inputs with `@pulumi.getter(name="<wireName>")`, and nested input types live in
the module's `_inputs.py` as `class <Type>Args`. Walking those gives every input path a resource accepts, in
the camelCase wire names the engine sends: the same names the catalogue's paths use.
"""

from __future__ import annotations

import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterator

SDKS = {"gcp": "pulumi_gcp", "aws": "pulumi_aws", "azure": "pulumi_azure_native"}
"""Catalogue folder -> the installed SDK package."""
MAX_DEPTH = 8

_REGISTER = re.compile(r'resource_modules="""(.*?)"""', re.S)
_GETTER = re.compile(r'@pulumi\.getter(?:\(name="([^"]+)"\))?\n(?:\s+@.*\n)*\s+def (\w+)\(self\) -> (.+?):\n')
_CLASS = re.compile(r"^class (\w+):\n", re.M)
_TYPE_REF = re.compile(r"'(?:[\w.]+\.)?(\w+Args)'")
_TYPE_TOKEN = re.compile(r'@pulumi\.type_token\("([^"]+)"\)')
_ALIAS = re.compile(r'pulumi\.Alias\(type_="([^"]+)"\)')

KEY_LIKE = re.compile(
    r"(?i)(kms|cmek|cmk|customer_?managed|key_?vault|key_?identifier|crypto_?key|disk_?encryption_?set|"
    r"encryption_?key|key_?source|sse_?algorithm|key_?arn|key_?reference|key_?uri|key_?url|byok)")
"""Input names that can hold (or select) a customer-managed key, matched on any segment of a path."""
ENCRYPTION_BLOCK = re.compile(r"(?i)(encrypt|protector)")
KEY_LEAF = re.compile(r"(?i)^(key_?(id|name)|server_?key_?(name|type)|vault_?(base_?)?ur[il]|uri)$")
"""A key named plainly (keyId, keyName, vaultUri) counts inside an encryption block, or as a top-level input."""
NOT_KEY_LIKE = re.compile(r"(?i)(ssh|public_?key|api_?key|access_?key|secret_?key|signing|sign_?in|key_?pair)")
"""Names the pattern above would catch that are not encryption keys."""


def sdk_dir(cloud: str) -> Path:
    for entry in sys.path:
        candidate = Path(entry) / SDKS[cloud]
        if (candidate / "__init__.py").exists():
            return candidate
    raise FileNotFoundError(f"{SDKS[cloud]} is not installed")


def _snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


@lru_cache(maxsize=None)
def resources(cloud: str) -> dict[str, Path]:
    """token -> the file defining the resource, for every resource the SDK registers (default modules)."""
    root = sdk_dir(cloud)
    modules = json.loads(_REGISTER.search((root / "__init__.py").read_text()).group(1))
    found = {}
    for module in modules:
        folder = root.joinpath(*module["fqn"].split(".")[1:])
        for token, class_name in module["classes"].items():
            found[token] = folder / f"{_snake(class_name)}.py"
    return found


@lru_cache(maxsize=None)
def _classes(path: Path) -> dict[str, list[tuple[str, str]]]:
    """class name -> [(wire name, annotation)] of every class in a file (getters only)."""
    if not path.exists():
        return {}
    text = path.read_text()
    starts = [(m.start(), m.group(1)) for m in _CLASS.finditer(text)] + [(len(text), "")]
    found = {}
    for (start, name), (end, _next) in zip(starts, starts[1:]):
        body = text[start:end]
        found[name] = [(wire or python, annotation) for wire, python, annotation in _GETTER.findall(body)]
    return found


def _args_class(token: str, path: Path) -> tuple[Path, str]:
    """The file and name of a resource's input class (`<Class>InitArgs` where `<Class>Args` names an input type)."""
    class_name = token.rsplit(":", 1)[1]
    candidates = [path] + [p for p in sorted(path.parent.glob("*.py")) if p != path]
    for candidate in candidates:
        if candidate != path and f'@pulumi.type_token("{token}")' not in candidate.read_text():
            continue  # file name not derivable from the class: find the token's declaration
        for name in (f"{class_name}InitArgs", f"{class_name}Args"):
            if name in _classes(candidate):
                return candidate, name
    return path, f"{class_name}Args"


def _fields(folder: Path, root: Path, type_name: str) -> list[tuple[str, str]]:
    for candidate in (folder / "_inputs.py", root / "_inputs.py"):
        fields = _classes(candidate).get(type_name)
        if fields is not None:
            return fields
    return []


def _marker(annotation: str) -> str:
    before = annotation.split("'", 1)[0]
    return "[]" if "Sequence[" in before else "{}" if "Mapping[" in before else ""


@lru_cache(maxsize=None)
def input_paths(cloud: str, token: str) -> frozenset[str]:
    """Every input path of a resource: `a.b[].c` (lists `[]`, maps `{}`), to MAX_DEPTH, without cycles."""
    path = resources(cloud).get(token)
    if path is None:
        return frozenset()
    root = sdk_dir(cloud)
    file, args = _args_class(token, path)
    found: set[str] = set()

    def walk(fields: list[tuple[str, str]], prefix: str, seen: tuple[str, ...]) -> None:
        for wire, annotation in fields:
            ref = _TYPE_REF.search(annotation)
            here = f"{prefix}{wire}{_marker(annotation) if ref else ''}"
            found.add(here)
            if ref and ref.group(1) not in seen and len(seen) < MAX_DEPTH:
                walk(_fields(file.parent, root, ref.group(1)), here + ".", seen + (ref.group(1),))

    walk(_classes(file).get(args, []), "", ())
    return frozenset(found)


def plain(path: str) -> str:
    """A catalogue or SDK path without list/map/JSON markers."""
    return re.sub(r"(\[\]|\{\}|~json)", "", path)


def key_like(path: str) -> bool:
    segments = plain(path).split(".")
    if any(NOT_KEY_LIKE.search(s) for s in segments):
        return False
    plain_key = KEY_LEAF.match(segments[-1]) and (len(segments) == 1 or any(ENCRYPTION_BLOCK.search(s) for s in segments))
    return bool(plain_key) or any(KEY_LIKE.search(s) for s in segments)


@lru_cache(maxsize=None)
def key_like_types(cloud: str) -> dict[str, tuple[str, ...]]:
    """token -> its key-like input paths, for every resource type of the SDK that has one."""
    found = {}
    for token in resources(cloud):
        paths = sorted(p for p in input_paths(cloud, token) if key_like(p))
        if paths:
            found[token] = tuple(paths)
    return found


def azure_module_aliases() -> dict[str, str]:
    """Versionless alias token -> current token, for every azure-native resource whose aliases name another
    module (the v2 module names v3 still accepts, e.g. documentdb for cosmosdb)."""
    found = {}
    for token, path in resources("azure").items():
        if not path.exists():
            continue
        module = token.split(":")[1]
        for alias in set(_ALIAS.findall(path.read_text())):
            package, alias_module, name = alias.split(":")
            versionless = f"{package}:{alias_module.split('/', 1)[0]}:{name}"
            if versionless.split(":")[1] != module and versionless not in resources("azure"):
                found[versionless] = token
    return dict(sorted(found.items()))


def iter_catalogue_paths(cat) -> Iterator[tuple[str, str, str, str]]:
    """(cloud, policy, token, path) for every key path, alternative and condition path of the catalogue
    (a sibling condition resolved against its key's path)."""
    for policy in cat.policies:
        for spec in policy.types:
            for condition in spec.exempt:
                yield policy.cloud, policy.name, spec.token, _text(condition.steps)
            for rule in spec.keys:
                yield policy.cloud, policy.name, spec.token, rule.path
                for alternative in rule.alternatives:
                    yield policy.cloud, policy.name, spec.token, _text(alternative)
                modes = [m for m in rule.managed if hasattr(m, "relative")]
                for condition in (*rule.when, *rule.exempt, *modes):
                    if condition.relative:
                        base = rule.path.split(".")[:-1 - condition.up]
                        yield policy.cloud, policy.name, spec.token, ".".join(base + [_text(condition.steps)])
                    else:
                        yield policy.cloud, policy.name, spec.token, _text(condition.steps)


def _text(steps) -> str:
    markers = {"each": "[]", "values": "{}", "json": "~json", "": ""}
    return ".".join(s.name + markers[s.kind] for s in steps)


def write_azure_aliases(path: Path) -> None:
    """Writes catalogue/azure/aliases.yaml from the installed pulumi-azure-native (rerun after an upgrade)."""
    lines = ["# Generated by `python -m tests.policies.sdk_inputs --azure-aliases` from pulumi-azure-native's resource",
             "# aliases (pulumi.Alias(type_=...) in each resource): module names v3 still accepts from v2, versionless.",
             "# The loader maps these to the current token; tests/policies/test_catalogue_coverage.py keeps it in sync."]
    lines += [f'"{old}": "{new}"' for old, new in azure_module_aliases().items()]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--azure-aliases"]:
        target = Path(__file__).resolve().parents[2] / "policies" / "cmek" / "catalogue" / "azure" / "aliases.yaml"
        write_azure_aliases(target)
        print(f"wrote {target}")
    else:
        sys.exit("usage: python -m tests.policies.sdk_inputs --azure-aliases")

"""Reads a stack's configuration the way the Pulumi CLI does, for runs without the CLI.

Followed, from pulumi/pulumi (Go):
- `sdk/go/common/resource/config/object.go`: a stack file's value is decoded from YAML (bool,
  int64, float64, string, list, map; a map whose only key is `secure` holding a string is a
  secret) and kept as text by `MarshalString`: a scalar becomes its own text (`30`, `true`,
  `111122223333`) and a list or map becomes JSON marked as an object.
- `sdk/go/common/workspace/config.go` (`mergeConfig`, `validateStackConfigValue`): declared keys
  missing from the stack take `Pulumi.yaml`'s `default` (or `value`); a key declared `secret`
  must be encrypted in the stack; a non-object value is checked as that text, an object value as
  its parsed JSON, against the declared type with `ValidateConfigValue`.
- `sdk/go/common/workspace/project.go` (`ValidateConfigValue`): `string` takes any text (so an
  unquoted number or `true` is a fine string); `integer` takes an int, a whole float or text that
  `strconv.Atoi` parses (`"30"`); `boolean` takes a bool or the text `true`/`false` (not `yes`);
  `array` takes a list whose items pass their own type (list items are JSON, not text: `[30]` is
  not a list of strings); `object` takes a map.
- YAML as gopkg.in/yaml.v3 reads it, duplicate keys refused (`tools.yaml_nodes`).

Beyond the CLI: a project key that `Pulumi.yaml` does not declare is refused (the CLI ignores it,
and the program would silently use the default), with "did you mean".
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from . import yaml_nodes
from .mistakes import PROJECT_ROOT, Location, Mistake, UserMistakes, did_you_mean
from .yaml_nodes import Node

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
DECLARATION_ATTRIBUTES = ("type", "items", "description", "secret", "default", "value")
# The CLI's stack names: letters, digits, `-`, `_`, `.` (pulumi/pulumi sdk/go/common/tokens, ValidateStackName).
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_ATOI = re.compile(r"[+-]?[0-9]+")

__all__ = ["PROJECT_ROOT", "StackConfigError", "find_project_root", "project_program_dir", "ProjectFile", "StackConfig", "read", "resolve"]


class StackConfigError(UserMistakes):
    """A project or stack file the Pulumi CLI itself would refuse; every mistake, in file order."""


@dataclass(frozen=True)
class Declaration:
    """One `config:` entry of `Pulumi.yaml`."""

    key: str
    type: Optional[str]
    items: Optional[Mapping[str, Any]]
    secret: bool
    default: Any
    has_default: bool
    value: Any
    has_value: bool
    location: Location
    spec: Mapping[str, Any]
    """The declaration as written (a shorthand value as `{"default": value}`)."""


@dataclass(frozen=True)
class ProjectFile:
    name: str
    declarations: Mapping[str, Declaration]
    """Project keys (unqualified) with their declaration."""
    provider_values: Mapping[str, Declaration]
    """Other namespaces' keys (`aws:region`) with a `value`."""
    stack_config_dir: Path
    path: Path
    description: str = ""
    main: str = ""
    """The program folder (`main:`), relative to the project; "" for the project's own folder."""

    @classmethod
    def load(cls, root: Optional[Path] = None) -> "ProjectFile":
        root = Path(root or PROJECT_ROOT)
        path = next((root / n for n in PROJECT_FILES if (root / n).is_file()), root / PROJECT_FILES[0])
        node, mistakes = yaml_nodes.read(path)
        if mistakes:
            raise StackConfigError(mistakes)
        return _project(node, path)

    def stack_names(self) -> list[str]:
        return sorted(p.name[len("Pulumi."): -len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))

    @property
    def declared(self) -> dict[str, Mapping[str, Any]]:
        """Project keys (unqualified) with their declaration as written."""
        return {key: d.spec for key, d in self.declarations.items()}

    def defaults(self) -> dict[str, Any]:
        return {key: d.default for key, d in self.declarations.items() if d.has_default}


def find_project_root(start: Path) -> Path:
    """The folder of the nearest `Pulumi.yaml` at or above `start`, as the CLI searches for it."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return folder
    raise StackConfigError([Mistake(Location(start), f"no Pulumi.yaml in {start} or any folder above it: run from "
                                                     "a Pulumi project or pass --program DIR")])


def project_program_dir(project_root: Path) -> Path:
    """The folder the CLI runs for a project: `main` of its Pulumi.yaml, else the project's own folder."""
    main = ProjectFile.load(project_root).main
    return (Path(project_root) / main).resolve() if main else Path(project_root)


def _mapping(node: Optional[Node]) -> dict[str, tuple[Node, Node]]:
    return {key.text: (key, value) for key, value in node.value} if node and node.kind == "mapping" else {}


def _project(node: Optional[Node], path: Path) -> ProjectFile:
    where = lambda n: Location(path, n.line, n.column) if n else Location(path)  # noqa: E731
    if node is None or node.kind != "mapping":
        raise StackConfigError([Mistake(where(node), "must be a map with at least `name:` (a Pulumi project file)")])
    top = _mapping(node)
    mistakes: list[Mistake] = []
    if "name" not in top:
        mistakes.append(Mistake(where(node), "the project has no 'name' attribute" + did_you_mean("name", top)))
    elif not (isinstance(top["name"][1].value, str) and top["name"][1].value):
        mistakes.append(Mistake(where(top["name"][1]), "'name' must be a non-empty string"))
    stack_config_dir = path.parent
    if "stackConfigDir" in top:
        dir_node = top["stackConfigDir"][1]
        if not isinstance(dir_node.value, str) or dir_node.kind != "scalar":
            mistakes.append(Mistake(where(dir_node), "'stackConfigDir' must be a folder name"))
        else:
            stack_config_dir = path.parent / dir_node.value
    name = top["name"][1].value if "name" in top and not mistakes else ""
    declared: dict[str, Declaration] = {}
    provider_values: dict[str, Declaration] = {}
    config = top.get("config", (None, None))[1]
    if config is not None and not (config.kind == "scalar" and config.value is None):
        if config.kind == "scalar" and isinstance(config.value, str) and "stackConfigDir" not in top:
            stack_config_dir = path.parent / config.value  # the deprecated spelling of stackConfigDir
        elif config.kind != "mapping":
            mistakes.append(Mistake(where(config), "'config' must be a map of configuration keys to their types "
                                                    f"(found a {config.kind})"))
        else:
            for key_node, spec in config.value:
                declaration = _declaration(name, key_node, spec, path, mistakes)
                if declaration is None:
                    continue
                if ":" not in declaration.key or declaration.key.startswith(f"{name}:"):
                    declared[declaration.key.split(":", 1)[-1]] = declaration
                else:
                    provider_values[declaration.key] = declaration
    if mistakes:
        raise StackConfigError(sorted(mistakes, key=lambda m: m.location.order()))
    description = top["description"][1].value if "description" in top else ""
    main = top["main"][1].value if "main" in top else ""
    return ProjectFile(name=name, declarations=declared, provider_values=provider_values,
                       stack_config_dir=stack_config_dir, path=path,
                       description=description if isinstance(description, str) else "",
                       main=main if isinstance(main, str) else "")


def _declaration(project: str, key_node: Node, spec: Node, path: Path, mistakes: list[Mistake]) -> Optional[Declaration]:
    """One config declaration, as the CLI's RewriteShorthandConfigValues and Project.Validate see it."""
    key = key_node.text
    here = Location(path, key_node.line, key_node.column)
    project_key = ":" not in key or key.startswith(f"{project}:")
    if spec.kind != "mapping":  # shorthand: a project key's default, another namespace's value
        value = spec.plain()
        spec_as_written = {"default": value} if project_key else {"value": value}
        return Declaration(key, None, None, False, value, project_key, value, not project_key, here, spec_as_written)
    attributes = _mapping(spec)
    before = len(mistakes)
    for name, (attribute_node, _) in attributes.items():
        if name not in DECLARATION_ATTRIBUTES:
            mistakes.append(Mistake(Location(path, attribute_node.line, attribute_node.column),
                                    f"config {key}: unknown attribute {name!r}" + did_you_mean(name, DECLARATION_ATTRIBUTES)
                                    + f" (allowed: {', '.join(DECLARATION_ATTRIBUTES)})", key))
    type_name = attributes["type"][1].value if "type" in attributes else None
    items = attributes["items"][1].plain() if "items" in attributes else None
    if type_name is not None and type_name not in CONFIG_TYPES:
        node = attributes["type"][1]
        mistakes.append(Mistake(Location(path, node.line, node.column),
                                f"config {key}: type {type_name!r} is not one of {', '.join(CONFIG_TYPES)}", key))
    if type_name == "array" and not (isinstance(items, dict) and items.get("type") in CONFIG_TYPES):
        mistakes.append(Mistake(here, f"config {key}: an array must give its items' type (`items: {{type: string}}`)", key))
    has_default, has_value = "default" in attributes, "value" in attributes
    default = attributes["default"][1].plain() if has_default else None
    if has_default and has_value:
        mistakes.append(Mistake(here, f"config {key}: cannot have both a 'default' and a 'value'", key))
    if project_key and type_name in CONFIG_TYPES and has_default and len(mistakes) == before:
        if not valid_value(type_name, items, default):
            mistakes.append(Mistake(Location(path, attributes["default"][1].line, attributes["default"][1].column),
                                    f"config {key}: the default {default!r} is not of the declared type {type_name}", key))
    if not project_key and type_name is not None:
        mistakes.append(Mistake(here, f"config {key}: is not namespaced by the project, so it takes a 'value', not a type", key))
    secret_node = attributes.get("secret", (None, None))[1]
    if secret_node is not None and not isinstance(secret_node.value, bool):
        mistakes.append(Mistake(Location(path, secret_node.line, secret_node.column),
                                f"config {key}: 'secret' must be true or false", key))
    if len(mistakes) != before:
        return None
    return Declaration(key, type_name, items, bool(secret_node and secret_node.value), default, has_default,
                       attributes["value"][1].plain() if has_value else None, has_value, here, spec.plain())


# --- Values -----------------------------------------------------------------------------------------


def valid_value(type_name: str, items: Optional[Mapping[str, Any]], value: Any) -> bool:
    """pulumi/pulumi sdk/go/common/workspace/project.go, ValidateConfigValue."""
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer()):
            return True
        return isinstance(value, str) and bool(_ATOI.fullmatch(value)) and -(2**63) <= int(value) < 2**63
    if type_name == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or not isinstance(items, Mapping):
        return False
    return all(valid_value(items.get("type", ""), items.get("items"), item) for item in value)


def type_label(declaration: Declaration) -> str:
    """InferFullTypeName: `array<string>` for typed arrays."""
    def label(type_name: Optional[str], items: Optional[Mapping[str, Any]]) -> str:
        return f"array<{label(items.get('type'), items.get('items'))}>" if isinstance(items, Mapping) else str(type_name)
    return label(declaration.type, declaration.items)


_ALLOWED = {
    "string": "any text",
    "integer": "a whole number, e.g. 30 or \"30\"",
    "boolean": "true or false",
    "object": "a map",
    "array": "a list, e.g. [a, b]; its items are not converted, so quote numbers in a list of strings",
}


def _go_json(value: Any) -> Any:
    """Values as Go's encoding/json writes them: a whole float64 without a fraction (30, not 30.0)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, list):
        return [_go_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _go_json(v) for k, v in value.items()}
    return value


def config_text(value: Any) -> tuple[str, bool]:
    """MarshalString: (text, is_object). Scalars are their text; lists, maps and null are JSON."""
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(_go_json(value)), False
    if isinstance(value, str):
        return value, False
    return json.dumps(_go_json(value), separators=(",", ":"), sort_keys=True), True


def _is_secure(value: Any) -> bool:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("secure"), str):
            return True
        return any(_is_secure(v) for v in value.values())
    return isinstance(value, list) and any(_is_secure(v) for v in value)


@dataclass
class StackConfig:
    """What the CLI would hand the program, where each value came from, and what is wrong."""

    stack: str
    project: ProjectFile
    path: Path
    values: dict[str, str] = field(default_factory=dict)
    locations: dict[str, Location] = field(default_factory=dict)
    """Qualified key -> the stack file's line, or `Pulumi.yaml`'s declaration for a default."""
    mistakes: list[Mistake] = field(default_factory=list)

    def locate(self, key: str) -> Location:
        qualified = key if ":" in key else f"{self.project.name}:{key}"
        return self.locations.get(qualified, Location(self.path))

    def raise_if_invalid(self) -> None:
        if self.mistakes:
            raise StackConfigError(self.mistakes, what="problems in the stack's configuration")


def read(stack: str, overrides: Optional[Mapping[str, Any]] = None, root: Optional[Path] = None) -> StackConfig:
    """The stack's configuration with every mistake collected (file order); raises StackConfigError
    only when a file cannot be read at all (no such stack, not YAML, not a map)."""
    project = ProjectFile.load(root)
    path = project.stack_config_dir / f"Pulumi.{stack}.yaml"
    if not STACK_NAME.fullmatch(stack):
        raise StackConfigError([Mistake(Location(path), f"{stack!r} is not a stack name "
                                        "(letters, digits, '-', '_' and '.' only)")])
    if not path.is_file() and not path.is_dir():
        known = ", ".join(project.stack_names()) or "none"
        raise StackConfigError([Mistake(Location(path), f"no stack file for stack {stack!r} (stacks: {known})"
                                        + did_you_mean(stack, project.stack_names()))])
    document, mistakes = yaml_nodes.read(path)
    result = StackConfig(stack=stack, project=project, path=path, mistakes=list(mistakes))
    if document is not None and document.kind != "mapping":
        raise StackConfigError([Mistake(Location(path, document.line, document.column),
                                        f"a stack file must be a map with a `config:` map (found a {document.kind})")])
    config = _mapping(document).get("config", (None, None))[1]
    entries: list[tuple[str, Any, Location]] = []
    if config is not None and not (config.kind == "scalar" and config.value is None):
        if config.kind != "mapping":
            raise StackConfigError([Mistake(Location(path, config.line, config.column),
                                            f"`config:` must be a map of `namespace:key: value` (found a {config.kind})")])
        for key_node, value_node in config.value:
            entries.append((key_node.text, value_node.plain(), Location(path, key_node.line, key_node.column)))
    for key, value in (overrides or {}).items():
        entries.append((key if ":" in key else f"{project.name}:{key}", value, Location(path)))
    _apply(result, entries)
    result.mistakes.sort(key=lambda m: m.location.order())
    return result


def _apply(result: StackConfig, entries: list[tuple[str, Any, Location]]) -> None:
    project, name = result.project, result.project.name
    given: dict[str, tuple[Any, Location]] = {}
    for key, value, location in entries:
        namespace, colon, rest = key.partition(":")
        if not colon or not namespace or not rest:
            result.mistakes.append(Mistake(location, f"{key!r} is not a configuration key: write `<namespace>:<name>`"
                                           + (f", e.g. {name}:{key}" if key in project.declarations else ""), key))
            continue
        if namespace != name and rest in project.declarations and did_you_mean(namespace, [name]):
            result.mistakes.append(Mistake(location, f"{key}: unknown namespace {namespace!r}; did you mean "
                                                     f"'{name}:{rest}'?", key))
            continue
        if namespace == name and rest not in project.declarations:
            result.mistakes.append(Mistake(location, f"{key}: not declared in Pulumi.yaml's config block"
                                           + did_you_mean(rest, project.declarations), key))
            continue
        given[key] = (value, location)

    for key, declaration in project.declarations.items():
        qualified = f"{name}:{key}"
        if qualified not in given:
            if not declaration.has_default:
                result.mistakes.append(Mistake(declaration.location, f"stack {result.stack!r} is missing configuration "
                                                                     f"value {qualified!r} (it has no default)", key))
                continue
            given[qualified] = (declaration.default, declaration.location)
        elif declaration.type is not None:
            _check(result, qualified, declaration, *given[qualified])
    for key, declaration in project.provider_values.items():
        given.setdefault(key, (declaration.value, declaration.location))

    for key, (value, location) in given.items():
        result.locations[key] = location
        if _is_secure(value):
            result.mistakes.append(Mistake(location, f"{key} is encrypted (`secure:`): the offline preview has no "
                                                     "secrets provider to decrypt it; use `pulumi preview`, or give "
                                                     "a plaintext value in a stack kept for offline checks", key))
            continue
        result.values[key] = config_text(value)[0]


def _check(result: StackConfig, key: str, declaration: Declaration, value: Any, location: Location) -> None:
    if declaration.secret and not _is_secure(value):
        result.mistakes.append(Mistake(location, f"{key} must be encrypted, as Pulumi.yaml declares it secret "
                                                 f"(`pulumi config set --secret {key} ...`)", key))
        return
    if _is_secure(value):
        return  # typed after decryption by the CLI; refused offline in _apply
    text, is_object = config_text(value)
    content = json.loads(text) if is_object else text
    if not valid_value(declaration.type or "", declaration.items, content):
        result.mistakes.append(Mistake(location, f"{key} = {value!r} is not of the declared type "
                                                 f"{type_label(declaration)}: {_ALLOWED.get(declaration.type or '', '')}",
                                       key))


def resolve(stack: str, overrides: Optional[Mapping[str, Any]] = None, root: Optional[Path] = None) -> dict[str, str]:
    """Returns the `{"project:key": "value"}` map the CLI would give the program for `stack`.

    `overrides` (unqualified project keys or qualified provider keys) replace stack values,
    which is how tests vary one setting at a time. Raises StackConfigError listing every mistake.
    """
    config = read(stack, overrides, root)
    config.raise_if_invalid()
    return config.values

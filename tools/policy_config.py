"""The policy pack config (the CLI's `--policy-pack-config FILE.json`): parsed with the line of
each entry, reconciled with the pack's defaults and validated against each policy's schema as the
CLI does (`pkg/resource/analyzer/config.go`), and sent in Configure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import jsonschema
from pulumi.runtime.proto import analyzer_pb2

from .analyzer_terms import ENFORCEMENT_LEVELS, PackInfo, PolicyConfig, PolicyPackError
from .mistakes import did_you_mean


def json_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line of each object key in a JSON text, by its path of keys (`("policy", "option")`).

    The policy config is JSON, whose parsers keep no positions; a mistake should still name its line."""
    lines: dict[tuple[str, ...], int] = {}
    path: list[Any] = []  # one entry per open container: its current key (None in arrays, or before one)
    index, line, pending = 0, 1, None  # pending: the last string, while only whitespace follows it
    while index < len(text):
        char = text[index]
        if char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            pending = (text[index + 1:end], line)
            index = end + 1
            continue
        if char == "\n":
            line += 1
        elif char == ":" and pending is not None and path:
            path[-1] = pending[0]
            lines.setdefault(tuple(k for k in path if k is not None), pending[1])
        elif char in "{[":
            path.append(None)
        elif char in "}]" and path:
            path.pop()
        if not char.isspace():
            pending = None
        index += 1
    return lines


def parse_policy_config(text: str, source: str = "policy config") -> dict[str, PolicyConfig]:
    """Parses the CLI's policy config JSON: `{"name"|"all": "level" | {"enforcementLevel": ..., props}}`."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyPackError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from error
    if not isinstance(raw, dict):
        raise PolicyPackError(f"{source}:1: must be a JSON object keyed by policy name or 'all'")
    key_lines = json_key_lines(text)
    at = lambda *path: f"{source}:{key_lines[path]}" if path in key_lines else source  # noqa: E731
    allowed = ", ".join(ENFORCEMENT_LEVELS)
    result: dict[str, PolicyConfig] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            level, properties = value, {}
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", "")
            if not isinstance(level, str):
                raise PolicyPackError(f"{at(name, 'enforcementLevel')}: {name}.enforcementLevel = {level!r}: "
                                      f"must be one of {allowed}")
        else:
            raise PolicyPackError(f"{at(name)}: {name} = {value!r}: must be an enforcement level or an object")
        if level and level not in ENFORCEMENT_LEVELS:
            raise PolicyPackError(f"{at(name)}: {name} enforcement level {level!r}: must be one of {allowed}")
        if level or properties:
            result[name] = PolicyConfig(level, properties, at(name), {k: at(name, k) for k in properties})
    return result


def load_policy_config(path: Path) -> dict[str, PolicyConfig]:
    try:
        text = Path(path).read_text()
    except IsADirectoryError:
        raise PolicyPackError(f"policy config {path}: is a folder, not a JSON file") from None
    except UnicodeDecodeError as error:
        raise PolicyPackError(f"policy config {path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise PolicyPackError(f"policy config {path}: {error.strerror}") from error
    return parse_policy_config(text, str(path))


def _apply_config(result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]) -> None:
    everything = given.get("all")
    if everything and everything.enforcement_level:
        for name, config in list(result.items()):
            result[name] = PolicyConfig(everything.enforcement_level, config.properties)
    for name, config in given.items():
        if name == "all":  # applied above; the CLI sends no policy of that name
            continue
        current = result.get(name, PolicyConfig())
        result[name] = PolicyConfig(
            config.enforcement_level or current.enforcement_level,
            {**current.properties, **config.properties},
        )


def _unknown_entries(info: PackInfo, given: Mapping[str, PolicyConfig]) -> list[str]:
    """Policies the pack does not have and options a policy's schema does not declare: the CLI
    would send them and the pack ignore them, so a typo (`excludFor`) would silently do nothing."""
    names = [p.name for p in info.policies]
    problems = []
    for name, config in given.items():
        where = config.where or "policy config"
        if name == "all":
            if config.properties:
                problems.append(f"{where}: 'all' takes an enforcement level only, not options")
            continue
        policy = info.policy(name)
        if policy is None:
            problems.append(f"{where}: unknown policy {name!r} in pack {info.name}{did_you_mean(name, names)}")
            continue
        options = list((policy.config_schema.get("properties") or {}))
        for option in config.properties:
            if option not in options:
                known = f" (its options: {', '.join(sorted(options))})" if options else " (it takes no options)"
                problems.append(f"{config.property_lines.get(option, where)}: unknown option {option!r} for policy "
                                f"{name}{did_you_mean(option, options)}{known}")
    return problems


def reconcile_policy_config(info: PackInfo, given: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    """The config the CLI sends in Configure: schema defaults, then the pack's initial config,
    then the file (`all` first, then per policy); validated against each policy's schema.
    Unknown policies and options are refused first, with "did you mean"."""
    unknown = _unknown_entries(info, given)
    if unknown:
        raise PolicyPackError("invalid policy pack config:\n" + "\n".join(f"  - {p}" for p in unknown))
    result = {
        p.name: PolicyConfig(
            p.enforcement_level,
            {k: s["default"] for k, s in (p.config_schema.get("properties") or {}).items() if "default" in s},
        )
        for p in info.policies
    }
    _apply_config(result, info.initial_config)
    _apply_config(result, given)

    problems = []
    for policy in info.policies:
        schema = {"type": "object", **{k: v for k, v in policy.config_schema.items() if v}}
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(dict(result[policy.name].properties)):
            where = ".".join(str(p) for p in error.absolute_path) or "(config)"
            entry = given.get(policy.name)
            located = entry.property_lines.get(str(error.absolute_path[0]), entry.where) if (
                entry and error.absolute_path) else (entry.where if entry else "")
            problems.append(f"{located + ': ' if located else ''}{policy.name}: {where}: {error.message}")
    for name, config in result.items():
        if not config.enforcement_level:
            problems.append(f"{name}: no enforcement level (set one for it, or for 'all')")
    if problems:
        raise PolicyPackError("invalid policy pack config:\n" + "\n".join(f"  - {p}" for p in problems))
    return result


def configure_request(reconciled: Mapping[str, PolicyConfig]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The Configure request for a reconciled config: one entry per policy."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, config in reconciled.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = ENFORCEMENT_LEVELS[config.enforcement_level]
        entry.properties.update(dict(config.properties))
    return request

"""Typed, validated access to the stack's settings.

Every setting is read and checked before any resource is registered, and all problems are
reported together: a stack either deploys whole or registers nothing. Each problem names the
config key, the value given and what is allowed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

import pulumi

PROJECT = "cmek-ml"


@dataclass(frozen=True)
class Problem:
    key: str
    value: Any
    allowed: str

    def __str__(self) -> str:
        return f"{PROJECT}:{self.key} = {self.value!r}: {self.allowed}"


class ConfigError(Exception):
    """The stack's settings are invalid; nothing has been registered."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid stack settings ({len(self.problems)}):\n{lines}")


class SettingsReader:
    """Reads project settings and collects problems instead of failing on the first one.

    Defaults live in `Pulumi.yaml` only (the CLI applies them, and so does
    `tools.stack_config` for offline runs); a key with no value is itself a problem.
    """

    def __init__(self, config: Optional[pulumi.Config] = None):
        self._config = config or pulumi.Config(PROJECT)
        self.problems: list[Problem] = []

    def problem(self, key: str, value: Any, allowed: str) -> None:
        self.problems.append(Problem(key, value, allowed))

    def _raw(self, key: str) -> Optional[str]:
        value = self._config.get(key)
        if value is None:
            self.problem(key, None, "not set; declare it in Pulumi.yaml with a default")
        return value

    def string(self, key: str) -> str:
        return self._raw(key) or ""

    def boolean(self, key: str) -> bool:
        raw = self._raw(key)
        if raw is None:
            return False
        if raw not in ("true", "false"):
            self.problem(key, raw, "must be true or false")
        return raw == "true"

    def integer(self, key: str, minimum: int, maximum: int) -> int:
        raw = self._raw(key)
        try:
            value = int(raw) if raw is not None else minimum
        except ValueError:
            self.problem(key, raw, f"must be a whole number from {minimum} to {maximum}")
            return minimum
        if not minimum <= value <= maximum:
            self.problem(key, value, f"must be from {minimum} to {maximum}")
        return value

    def strings(self, key: str) -> list[str]:
        raw = self._raw(key)
        if raw is None:
            return []
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(key, raw, "must be a list of strings")
            return []
        return value

    def choice(self, key: str, allowed: Iterable[str]) -> str:
        allowed = list(allowed)
        value = self.string(key)
        if value not in allowed:
            self.problem(key, value, f"must be one of {', '.join(allowed)}")
        return value

    def matching(self, key: str, pattern: str, allowed: str, optional: bool = False) -> str:
        """A string that must fully match `pattern` (or be empty, when `optional`)."""
        value = self.string(key)
        if optional and value == "":
            return value
        if not re.fullmatch(pattern, value):
            self.problem(key, value, allowed)
        return value

    def subset(self, key: str, allowed: Iterable[str]) -> list[str]:
        allowed = sorted(allowed)
        values = self.strings(key)
        for value in values:
            if value not in allowed:
                self.problem(key, value, f"unknown; each entry must be one of {', '.join(allowed)}")
        return [v for v in values if v in allowed]

    def pairs(
        self,
        key: str,
        check_key: Callable[[str], Optional[str]] = lambda _: None,
        check_value: Callable[[str], Optional[str]] = lambda _: None,
    ) -> dict[str, str]:
        """A list of `name=value` strings (Pulumi's typed config has no map type).

        The check functions return a description of what is allowed when an entry is wrong.
        """
        result: dict[str, str] = {}
        for entry in self.strings(key):
            name, sep, value = entry.partition("=")
            if not sep or not name:
                self.problem(key, entry, "each entry must be NAME=VALUE")
                continue
            why = check_key(name) or check_value(value)
            if why:
                self.problem(key, entry, why)
                continue
            result[name] = value
        return result

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

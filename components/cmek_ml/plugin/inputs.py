"""What every hosted component shares: its type token, and checking plugin inputs before anything
is registered, with one message that names each input, the value given and what is allowed."""

import collections.abc
import json
import re
import typing
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import pulumi
from typing_extensions import NotRequired

from cmek_ml.plugin import landing_zone_args
from cmek_ml.settings import ConfigError, SettingsReader

PACKAGE = "cmek-ml"
"""The plugin's package name: hosted type tokens are `cmek-ml:index:<Class>`."""
KNOWN_VALUE = "must be a plain value known before deployment, not a secret or another resource's output"


class PluginInputError(Exception):
    """A hosted component's inputs are invalid; nothing has been registered."""

    def __init__(self, component: str, name: str, problems: Sequence[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid inputs of {component} {name!r} ({len(self.problems)}):\n{lines}")

    # The component provider appends the traceback of any error raised while constructing
    # (pulumi/provider/server.py, ComponentInitError), read from `__traceback__`. An input error is
    # the user's to fix, not a bug: its message says everything, so Python code sees no traceback.
    @property  # type: ignore[override]
    def __traceback__(self) -> None:
        return None

    @__traceback__.setter
    def __traceback__(self, _value: Any) -> None:
        pass


class HostedComponent(pulumi.ComponentResource):
    """A component the plugin serves to other languages, typed `cmek-ml:index:<Class>`.

    Pulumi's component provider only constructs `<package>:index:<Class>` tokens, so each hosted
    class is a parent that builds the Python component (with its own token) as its child.
    """

    def __init__(self, name: str, opts: Optional[pulumi.ResourceOptions]):
        super().__init__(f"{PACKAGE}:index:{type(self).__name__}", name, {}, opts)


class InputChecks:
    """Collects problems of a building block's inputs; `raise_if_invalid` reports them all.

    Starts by refusing outputs (a secret, another resource's output) where the schema says plain:
    the checks need the values themselves.
    """

    def __init__(self, component: str, name: str, args: Mapping[str, Any], args_type: type):
        self.component, self.name = component, name
        self.problems: list[str] = []
        annotations = args_type.__annotations__
        for py_name, value in args.items():
            if isinstance(value, pulumi.Output) and not _takes_outputs(annotations[py_name]):
                self.problem(schema_name(py_name), "<output>", KNOWN_VALUE)
        self.raise_if_invalid()

    def problem(self, field: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{field} = {value!r}: {allowed}")

    def one_of(self, field: str, value: Any, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        if value not in allowed:
            self.problem(field, value, f"must be one of {', '.join(allowed)}")

    def within(self, field: str, value: Any, low: int, high: int) -> None:
        if not isinstance(value, int) or not low <= value <= high:
            self.problem(field, value, f"must be a whole number from {low} to {high}")

    def matching(self, field: str, value: Any, pattern: str, allowed: str) -> None:
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            self.problem(field, value, allowed)

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise PluginInputError(self.component, self.name, self.problems)


def whole(value: Any) -> Any:
    """Numbers cross gRPC as floats; a whole float is the integer the user wrote."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class _InputConfig:
    """A landing zone's inputs, seen as the `pulumi.Config` the settings readers read."""

    def __init__(self, cloud: str, inputs: Mapping[str, Any]):
        settings = landing_zone_args.SETTINGS[cloud]
        self.values = dict(settings.values())
        for py_name, value in inputs.items():
            self.values[settings[py_name][0]] = config_string(value)

    def get(self, key: str) -> Optional[str]:
        return self.values.get(key)


def read_landing_zone_settings(
    component: str,
    name: str,
    cloud: str,
    inputs: Mapping[str, Any],
    args_type: type,
    read: Callable[[SettingsReader], Any],
) -> Any:
    """The cloud's validated settings from a landing zone's inputs, by the program's own reader."""
    InputChecks(component, name, inputs, args_type)  # every input is plain: outputs are refused
    reader = SettingsReader(_InputConfig(cloud, inputs))  # type: ignore[arg-type]
    settings = read(reader)
    try:
        reader.raise_if_invalid()
    except ConfigError as error:
        raise PluginInputError(component, name, [_plugin_problem(p) for p in error.problems]) from None
    return settings


def plugin_wording(text: str, names: Mapping[str, str]) -> str:
    """Descriptions and problems name config keys (`gcpServices`); plugin users know the inputs."""
    return re.sub(r"\b(?:gcp|aws|azure)[A-Z]\w*", lambda m: names.get(m.group(0), m.group(0)), text)


def input_names() -> dict[str, str]:
    """Config key -> the landing zone input that stands for it (`gcpMlProjectId` -> `mlProjectId`)."""
    return {
        key: schema_name(py_name)
        for settings in landing_zone_args.SETTINGS.values()
        for py_name, (key, _default) in settings.items()
    }


def _plugin_problem(problem: Any) -> str:
    names = input_names()
    return plugin_wording(f"{names.get(problem.key, problem.key)} = {problem.value!r}: {problem.allowed}", names)


def config_string(value: Any) -> str:
    """The string the CLI would hand a program for this config value."""
    if isinstance(value, str):
        return value
    return json.dumps(whole(value))


def _takes_outputs(annotation: Any) -> bool:
    """`pulumi.Input[T]` (a union with `Awaitable[T]`), as Pulumi's analyzer tells inputs apart."""
    if typing.get_origin(annotation) is NotRequired:
        annotation = typing.get_args(annotation)[0]
    return any(typing.get_origin(member) is collections.abc.Awaitable for member in typing.get_args(annotation))


def schema_name(py_name: str) -> str:
    """The schema's name of a Python input name (Pulumi's analyzer camel-cases them)."""
    head, *rest = py_name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)

"""The pack's catalogue policies: one policy per catalogue entry, generated from policies/cmek/catalogue.

Each entry names its types and, per type, where the key must be; `catalogue.problems` judges a resource
against that. An entry with `code: <name>` hands its types to the pack's own check of that name (special
logic that is not a key path, such as SageMaker's NVMe instance storage); the check still receives the
generic verdict to build on. Adding a type is a catalogue entry with its two examples, not code here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from . import catalogue
from .props import _unwrap
from .rules import Control, Options, resource_policy

_SEVERITIES = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}
_LEVELS = {None: None, "mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}

Generic = Callable[..., Iterable[str]]
"""The catalogue's verdict on the resource at hand: `generic()` for every key of the entry, `generic(skip=paths)`
without the keys at those catalogue paths (the ones the special check judges itself)."""


@dataclass(frozen=True)
class SpecialCheck:
    """Code for what a key path cannot say; `check(props, options, generic)` yields messages."""

    check: Callable[[Any, Options, Generic], Iterable[str]]
    options_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _type_check(spec: catalogue.TypeSpec, special: SpecialCheck | None):
    def generic_for(props: Any) -> Generic:
        return lambda skip=(): catalogue.problems(spec, _unwrap(props), skip)

    if special is None:
        return lambda props, _options: catalogue.problems(spec, _unwrap(props))

    def check(props: Any, options: Options) -> Iterator[str]:
        yield from special.check(props, options, generic_for(props))

    return check


def build(specs: Iterable[catalogue.PolicySpec], special: Mapping[str, SpecialCheck]) -> list[ResourceValidationPolicy]:
    """A resource policy per catalogue entry; `special` holds the code that entries name with `code:`."""
    policies = []
    for spec in specs:
        if spec.code is not None and spec.code not in special:
            raise catalogue.CatalogueError(
                f"{spec.file}: {spec.name}.code is {spec.code!r}; expected one of {sorted(special)}.")
        code = special.get(spec.code) if spec.code else None
        policies.append(resource_policy(
            spec.name,
            description=spec.description,
            resource_types=[t.token for t in spec.types],
            check={t.token: _type_check(t, code) for t in spec.types},
            severity=_SEVERITIES[spec.severity],
            remediation=spec.remediation,
            control=Control(**spec.control),
            options_schema=code.options_schema if code else None,
            enforcement_level=_LEVELS[spec.enforcement],
        ))
    return policies

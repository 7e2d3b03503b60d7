"""How every policy of the pack is built: type matching, option defaults, exemptions and metadata, once.

A policy module declares its rule as a `check` function and hands it to `resource_policy` or
`stack_policy`. Those add what every policy shares:

- the `excludeFor` option: a list of regular expressions; a resource whose *name* (the Pulumi logical
  name, as in the URN) fully matches one of them is exempt from that policy. Pulumi's compliance packs
  use the same name for the same idea.
- defaults of the policy's options (the Pulumi CLI fills them in from the schema, the SDK does not);
- resource type matching that also accepts azure-native's API-versioned tokens
  (`azure-native:storage/v20230101:StorageAccount` matches `azure-native:storage:StorageAccount`);
- description, severity, remediation steps and the cloud control the policy implements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, Optional, Union

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyResource

from . import catalogue

EXCLUDE_FOR = "excludeFor"
RESOURCE_TYPES_ATTRIBUTE = "cmek_resource_types"
"""Set on each resource policy: the canonical types it checks (the pack's type index reads it)."""
_EXCLUDE_FOR_SCHEMA = {
    "type": "array",
    "items": {"type": "string"},
    "default": [],
    "description": "Exemptions: regular expressions; a resource whose name fully matches one is not checked.",
}

Options = Mapping[str, Any]
ResourceCheck = Callable[[Any, Options], Iterable[str]]
"""`check(props, options)` yields one message per way the resource fails (props read via `props.lookup`)."""
ResourceChecks = Union[ResourceCheck, Mapping[str, ResourceCheck]]
"""One check for every type, or one per canonical type token."""
StackCheck = Callable[[list[PolicyResource], Options], Iterable[tuple[PolicyResource, str]]]
"""`check(resources, options)` yields (offending resource, message) pairs."""


@dataclass(frozen=True)
class Control:
    """The cloud's own control that a policy enforces, shown as the policy's compliance framework."""

    framework: str
    """Benchmark or rule set, e.g. "CIS Google Cloud Platform Foundation Benchmark"."""
    version: str
    """Version of the benchmark or rule set."""
    reference: str
    """Item id: CIS item, AWS Security Hub control / Config rule, Azure Policy definition GUID, org constraint."""
    specification: str
    """The control's title."""

    def framework_value(self) -> PolicyComplianceFramework:
        return PolicyComplianceFramework(
            name=self.framework, version=self.version, reference=self.reference, specification=self.specification)


# The anchor used when a cloud has no control of its own for a rule (notes §5.3).
CIS_CONTROLS_3_11 = Control("CIS Critical Security Controls", "8.1", "3.11", "Encrypt sensitive data at rest")


canonical_type = catalogue.canonical_type
"""`pkg:module:Name`; azure-native without its API version and with v2 module aliases (the catalogue's matcher)."""


@lru_cache(maxsize=256)
def _exemption_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def _options(defaults: Options, configured: Options) -> dict[str, Any]:
    return {**defaults, **configured}


def _exemptions(options: Options, report_violation: ReportViolation) -> tuple[re.Pattern[str], ...]:
    """The compiled `excludeFor` patterns; a bad one is reported as a violation and exempts nothing."""
    try:
        return _exemption_patterns(tuple(options.get(EXCLUDE_FOR) or ()))
    except re.error as error:
        report_violation(
            f"Option {EXCLUDE_FOR}: pattern {error.pattern!r} is not a regular expression ({error}); "
            "nothing was exempted.", None)
        return ()


def _exempt(name: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(p.fullmatch(name) for p in patterns)


def _schema(options_schema: Optional[Mapping[str, Mapping[str, Any]]]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={EXCLUDE_FOR: _EXCLUDE_FOR_SCHEMA, **(options_schema or {})})


def _defaults(options_schema: Optional[Mapping[str, Mapping[str, Any]]]) -> dict[str, Any]:
    return {k: spec["default"] for k, spec in (options_schema or {}).items() if "default" in spec}


def resource_policy(
    name: str,
    *,
    description: str,
    resource_types: Iterable[str],
    check: ResourceChecks,
    severity: Severity,
    remediation: str,
    control: Control,
    options_schema: Optional[Mapping[str, Mapping[str, Any]]] = None,
    enforcement_level: Optional[EnforcementLevel] = None,
) -> ResourceValidationPolicy:
    """A policy that runs `check` (or `check[type]`) on every resource whose type is one of `resource_types`."""
    types = frozenset(canonical_type(t) for t in resource_types)
    checks = ({canonical_type(t): c for t, c in check.items()} if isinstance(check, Mapping)
              else dict.fromkeys(types, check))
    defaults = _defaults(options_schema)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        check = checks.get(canonical_type(args.resource_type))
        if check is None:
            return
        options = _options(defaults, args.get_config())
        if _exempt(args.name, _exemptions(options, report_violation)):
            args.not_applicable(f"{args.name} is exempt by {EXCLUDE_FOR}")
        for message in check(args.props, options):
            report_violation(message, None)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=_schema(options_schema),
        severity=severity,
        framework=control.framework_value(),
        remediation_steps=remediation,
        tags=[name.split("-", 1)[0], "cmek"],
    )
    setattr(policy, RESOURCE_TYPES_ATTRIBUTE, types)
    return policy


def stack_policy(
    name: str,
    *,
    description: str,
    check: StackCheck,
    severity: Severity,
    remediation: str,
    control: Control,
    options_schema: Optional[Mapping[str, Mapping[str, Any]]] = None,
    enforcement_level: Optional[EnforcementLevel] = None,
) -> StackValidationPolicy:
    """A policy over the whole stack; `check` gets the resources once and must index them itself."""
    defaults = _defaults(options_schema)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        options = _options(defaults, args.get_config())
        exemptions = _exemptions(options, report_violation)
        for resource, message in check(args.resources, options):
            if not _exempt(resource.name, exemptions):
                report_violation(message, resource.urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=_schema(options_schema),
        severity=severity,
        framework=control.framework_value(),
        remediation_steps=remediation,
        tags=[name.split("-", 1)[0], "cmek", "stack"],
    )

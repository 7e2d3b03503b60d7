"""The analyzer protocol's terms as the tools use them (`pulumi/analyzer.proto`): enforcement
levels and severities, a pack's description of itself (GetAnalyzerInfo), a policy config entry,
a violation, and the error for a pack that cannot be started, configured or run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

ENFORCEMENT_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
LEVEL_NAMES = {number: name for name, number in ENFORCEMENT_LEVELS.items()}

SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


class PolicyPackError(Exception):
    """The pack could not be started, configured or run; the message says why."""


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes it in GetAnalyzerInfo."""

    name: str
    description: str
    enforcement_level: str
    severity: str
    remediation_steps: str
    url: str
    display_name: str
    tags: tuple[str, ...]
    framework: Mapping[str, str]
    config_schema: Mapping[str, Any]
    """JSON schema of the policy's config object (`properties`, `required`)."""
    policy_type: str
    """resource or stack."""


@dataclass(frozen=True)
class PackInfo:
    name: str
    version: str
    description: str
    policies: tuple[PolicyInfo, ...]
    initial_config: Mapping[str, "PolicyConfig"]

    def policy(self, name: str) -> Optional[PolicyInfo]:
        return next((p for p in self.policies if p.name == name), None)


@dataclass(frozen=True)
class PolicyConfig:
    """One entry of a policy pack config: an enforcement level ("" if unset) and properties."""

    enforcement_level: str = ""
    properties: Mapping[str, Any] = field(default_factory=dict)
    where: str = field(default="", compare=False)
    """`file:line` of the entry in the policy config file ("" when not from a file)."""
    property_lines: Mapping[str, str] = field(default_factory=dict, compare=False)
    """`file:line` of each property."""


@dataclass(frozen=True)
class Violation:
    policy_name: str
    policy_pack: str
    policy_pack_version: str
    enforcement_level: str
    severity: str
    urn: str
    description: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


def pack_info(response: analyzer_pb2.AnalyzerInfo, version: str = "", description: str = "") -> PackInfo:
    """A GetAnalyzerInfo answer; the CLI prefers PulumiPolicy.yaml's version and description."""
    return PackInfo(
        name=response.name,
        version=version or response.version,
        description=response.description or description,
        policies=tuple(sorted((_policy_info(p) for p in response.policies), key=lambda p: p.name)),
        initial_config={
            name: PolicyConfig(LEVEL_NAMES[c.enforcementLevel], json_format.MessageToDict(c.properties))
            for name, c in response.initialConfig.items()
        },
    )


def _policy_info(p: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    schema = json_format.MessageToDict(p.configSchema) if p.HasField("configSchema") else {}
    return PolicyInfo(
        name=p.name,
        description=p.description,
        enforcement_level=LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
        severity=SEVERITIES.get(p.severity, ""),
        remediation_steps=p.remediation_steps,
        url=p.url,
        display_name=p.displayName,
        tags=tuple(p.tags),
        framework=json_format.MessageToDict(p.framework) if p.HasField("framework") else {},
        config_schema=schema,
        policy_type={analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}.get(
            p.policy_type, ""
        ),
    )

"""Drive the cmek-ml policy pack through the analyzer protocol, in process.

The servicer is pulumi-policy 1.21's private `_PolicyAnalyzerServicer`, the object `PolicyPack` serves
over gRPC (pulumi-policy's own tests call it the same way). Requests are real `analyzer_pb2` messages,
so properties go through the Struct encoding, including the preview's unknown sentinels.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as pb

PACK_DIR = Path(__file__).resolve().parents[2] / "policies" / "cmek"
CONFIG_DIR = PACK_DIR.parent / "config"
if str(PACK_DIR) not in sys.path:
    sys.path.insert(0, str(PACK_DIR))

import cmek_policies  # noqa: E402  (needs the pack folder on sys.path, as the CLI has it)
from pulumi_policy.policy import _PolicyAnalyzerServicer  # noqa: E402

from tools import policy_config  # noqa: E402
from tools.analyzer_terms import pack_info  # noqa: E402

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel
PACK_VERSION = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())["version"]
POLICIES = {p.name: p for p in cmek_policies.ALL_POLICIES}

_LEVELS = {
    "advisory": pb.ADVISORY, "mandatory": pb.MANDATORY, "disabled": pb.DISABLED, "remediate": pb.REMEDIATE,
}
_LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


def load_config(env: str) -> dict[str, Any]:
    return json.loads((CONFIG_DIR / f"{env}.json").read_text())


def configure_request(pack_config: Mapping[str, Any]) -> pb.ConfigureAnalyzerRequest:
    """What the CLI sends for `--policy-pack-config`, reconciled as the offline preview does it."""
    servicer = _PolicyAnalyzerServicer(
        cmek_policies.PACK_NAME, PACK_VERSION, cmek_policies.ALL_POLICIES, cmek_policies.ENFORCEMENT_LEVEL)
    info = pack_info(servicer.GetAnalyzerInfo(empty_pb2.Empty(), None))
    given = policy_config.parse_policy_config(json.dumps(pack_config))
    return policy_config.configure_request(policy_config.reconcile_policy_config(info, given))


@dataclass(frozen=True)
class Finding:
    policy: str
    level: str
    message: str
    urn: str


@dataclass
class Res:
    """A resource as the engine describes it to an analyzer."""

    type: str
    props: Mapping[str, Any]
    name: str = "r"
    protect: bool = False
    parent: str = ""
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:dev::cmek-ml::{self.type}::{self.name}"

    def _struct(self) -> struct_pb2.Struct:
        struct = struct_pb2.Struct()
        struct.update(self.props)
        return struct

    def analyze_request(self) -> pb.AnalyzeRequest:
        return pb.AnalyzeRequest(
            type=self.type, properties=self._struct(), urn=self.urn, name=self.name,
            options=pb.AnalyzerResourceOptions(protect=self.protect, parent=self.parent))

    def stack_resource(self) -> pb.AnalyzerResource:
        return pb.AnalyzerResource(
            type=self.type, properties=self._struct(), urn=self.urn, name=self.name,
            options=pb.AnalyzerResourceOptions(protect=self.protect, parent=self.parent),
            parent=self.parent, dependencies=list(self.dependencies),
            propertyDependencies={
                k: pb.AnalyzerPropertyDependencies(urns=list(v)) for k, v in self.property_dependencies.items()})


class Analyzer:
    """The pack's servicer, optionally configured with policies/config/<env>.json or a dict."""

    def __init__(self, config: Optional[Mapping[str, Any] | str] = None) -> None:
        self.servicer = _PolicyAnalyzerServicer(
            cmek_policies.PACK_NAME, PACK_VERSION, cmek_policies.ALL_POLICIES,
            cmek_policies.ENFORCEMENT_LEVEL, None, cmek_policies.DESCRIPTION)
        if config is not None:
            self.servicer.Configure(configure_request(load_config(config) if isinstance(config, str) else config), None)

    @staticmethod
    def _findings(response: pb.AnalyzeResponse) -> list[Finding]:
        return [Finding(d.policyName, _LEVEL_NAMES[d.enforcementLevel], d.message, d.urn) for d in response.diagnostics]

    def analyze(self, resource: Res) -> list[Finding]:
        return self._findings(self.servicer.Analyze(resource.analyze_request(), None))

    def analyze_response(self, resource: Res) -> pb.AnalyzeResponse:
        return self.servicer.Analyze(resource.analyze_request(), None)

    def analyze_stack(self, resources: Sequence[Res]) -> list[Finding]:
        request = pb.AnalyzeStackRequest(resources=[r.stack_resource() for r in resources])
        return self._findings(self.servicer.AnalyzeStack(request, None))

    def analyze_program_stack(self, registrations: Sequence[Any]) -> list[Finding]:
        """AnalyzeStack over what a program registered under tools.mock_engine (its raw input Structs)."""
        request = pb.AnalyzeStackRequest(resources=[pb.AnalyzerResource(
            type=r.type, properties=r.raw_inputs, urn=r.urn, name=r.name,
            options=pb.AnalyzerResourceOptions(protect=r.protect, parent=r.parent), parent=r.parent,
            dependencies=r.dependencies,
            propertyDependencies={k: pb.AnalyzerPropertyDependencies(urns=v) for k, v in r.property_dependencies.items()},
        ) for r in registrations])
        return self._findings(self.servicer.AnalyzeStack(request, None))


def of(findings: Sequence[Finding], policy: str) -> list[Finding]:
    return [f for f in findings if f.policy == policy]


_ANALYZERS: dict[str, Analyzer] = {}


def analyzer(env: str = "prod") -> Analyzer:
    """A shared servicer configured with policies/config/<env>.json (servicers keep no state per request)."""
    if env not in _ANALYZERS:
        _ANALYZERS[env] = Analyzer(env)
    return _ANALYZERS[env]


def messages(policy: str, type_: str, props: Mapping[str, Any], env: str = "prod", name: str = "r") -> list[str]:
    """What `policy` reports for one resource (its last line: the SDK prefixes the description)."""
    return [f.message.splitlines()[-1] for f in of(analyzer(env).analyze(Res(type_, props, name=name)), policy)]



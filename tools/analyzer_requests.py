"""The requests the CLI sends a pack about the resources of a program: Analyze for each resource
and AnalyzeStack over all of them, with their inputs, options, provider and dependencies.

Resources are given as `tools.mock_engine.Registration`s: the RegisterResource requests the
program made, whose wire-format inputs keep unknowns unknown, as in a real first preview.
"""

from __future__ import annotations

from importlib import metadata
from typing import Callable, Mapping, Optional, Sequence

from google.protobuf import struct_pb2, text_format
from pulumi.runtime.proto import alias_pb2, analyzer_pb2

from .mock_engine import Registration


def _without_internal_keys(properties: Optional[struct_pb2.Struct]) -> struct_pb2.Struct:
    # The CLI marshals with SkipInternalKeys: top-level `__`-prefixed keys never reach a pack.
    if properties is None:
        return struct_pb2.Struct()
    if not any(key.startswith("__") for key in properties.fields):
        return properties
    cleaned = struct_pb2.Struct()
    for key, value in properties.fields.items():
        if not key.startswith("__"):
            cleaned.fields[key].CopyFrom(value)
    return cleaned


def alias_urns(registration: Registration, urn_for: Callable[[str, str, str], str]) -> list[str]:
    """Alias URNs as the engine computes them from the SDK's alias specs.

    `urn_for(parent_urn, type, name)` builds a URN in the current stack and project.
    """
    urns = []
    for entry in registration.aliases:
        if entry.startswith("urn:pulumi:"):
            urns.append(entry)
            continue
        alias = text_format.Parse(entry, alias_pb2.Alias())
        if alias.WhichOneof("alias") == "urn":
            urns.append(alias.urn)
            continue
        spec = alias.spec
        parent = "" if spec.noParent else (spec.parentUrn or registration.parent)
        urn = urn_for(parent, spec.type or registration.type, spec.name or registration.name)
        if spec.stack or spec.project:
            stack, project, rest = urn[len("urn:pulumi:"):].split("::", 2)
            urn = "urn:pulumi:" + "::".join([spec.stack or stack, spec.project or project, rest])
        urns.append(urn)
    return urns


def resource_options(
    registration: Registration, aliases: Sequence[str] = ()
) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        protect=registration.protect,
        ignoreChanges=registration.ignore_changes,
        deleteBeforeReplace=registration.delete_before_replace,
        # The registration keeps the flag, not whether it was set; a set flag was certainly defined.
        deleteBeforeReplaceDefined=registration.delete_before_replace,
        aliases=aliases,
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
        parent=registration.parent,
    )


def analyzer_resource(
    registration: Registration,
    provider: Optional[analyzer_pb2.AnalyzerProviderResource] = None,
    aliases: Sequence[str] = (),
) -> analyzer_pb2.AnalyzerResource:
    """The AnalyzeStack view of a resource: inputs, options, parent, dependencies, provider.

    Properties with no dependencies are left out of `propertyDependencies`, as the CLI does.
    """
    return analyzer_pb2.AnalyzerResource(
        type=registration.type,
        urn=registration.urn,
        name=registration.name,
        properties=_without_internal_keys(registration.raw_inputs),
        options=resource_options(registration, aliases),
        provider=provider,
        parent=registration.parent,
        dependencies=registration.dependencies,
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
            for key, urns in registration.property_dependencies.items()
            if urns
        },
    )


def analyze_request(resource: analyzer_pb2.AnalyzerResource) -> analyzer_pb2.AnalyzeRequest:
    """The Analyze view of a resource: AnalyzeRequest has no parent/dependency fields of its own."""
    return analyzer_pb2.AnalyzeRequest(
        type=resource.type,
        urn=resource.urn,
        name=resource.name,
        properties=resource.properties,
        options=resource.options,
        provider=resource.provider if resource.HasField("provider") else None,
    )


def provider_resource(registration: Registration) -> analyzer_pb2.AnalyzerProviderResource:
    return analyzer_pb2.AnalyzerProviderResource(
        type=registration.type,
        urn=registration.urn,
        name=registration.name,
        properties=_without_internal_keys(registration.raw_inputs),
    )


def default_provider(package: str, config: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The name and inputs the engine gives a package's default provider: `default_10_2_0` for
    pulumi-gcp 10.2.0, configured by the stack's `<package>:*` keys and the plugin version."""
    inputs = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{package}:")}
    try:
        version = metadata.version(f"pulumi-{package}")
    except metadata.PackageNotFoundError:
        return "default", inputs
    inputs["version"] = version
    return "default_" + version.replace(".", "_").replace("-", "_").replace("+", "_"), inputs

"""SARIF 2.1.0 of an offline preview, for GitHub code scanning.

GitHub documents `region.startLine` as required to place an alert, and github/codeql-action
computes its own fingerprint only for results with a line; so every result here has one, taken
from where the resource is declared (the SDK's `sourcePosition` and `stackTrace`), with paths
relative to the repository root and a stable `partialFingerprints` entry of our own.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

from .mistakes import Mistake
from .sarif_terms import SARIF_SCHEMA, SECURITY_SEVERITY
from .mock_engine import STACK_TYPE, Registration
from .preview_render import _by_urn, _violation_sort_key

if TYPE_CHECKING:
    from .preview import PreviewResult

INFORMATION_URI = "https://www.pulumi.com/docs/insights/policy/"


def repository_root(start: Path) -> Path:
    """The nearest folder above `start` with a `.git`: SARIF paths are relative to it."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


class SourceLocator:
    """Where each resource is declared, from the `sourcePosition` and `stackTrace` the SDK sent."""

    def __init__(self, repository: Path, program_file: Path, by_urn: dict[str, Registration]):
        self.repository = repository
        self.program_file = program_file
        self.by_urn = by_urn
        tools = Path(__file__).resolve().parent
        self._excluded = (tools, *(p for p in repository.glob("*venv*") if p.is_dir()))

    def relative(self, path: str | Path) -> Optional[str]:
        resolved = Path(path).resolve()
        if "site-packages" in resolved.parts or any(resolved.is_relative_to(x) for x in self._excluded):
            return None
        try:
            return resolved.relative_to(self.repository).as_posix()
        except ValueError:
            return None

    def frame(self, registration: Optional[Registration]) -> Optional[tuple[str, int]]:
        """The innermost frame in the repository's own code: the line that declares the resource."""
        if registration is None:
            return None
        frames = ([registration.source_position] if registration.source_position else []) + registration.stack_trace
        for f in frames:
            relative = self.relative(f.path)
            if relative:
                return relative, f.line
        return None

    def primary(self, urn: str) -> tuple[str, int]:
        found = self.frame(self.by_urn.get(urn))
        return found or (self.relative(self.program_file) or self.program_file.name, 1)

    def components(self, urn: str) -> list[tuple[str, int, Registration]]:
        """The enclosing components, innermost first, each where it is declared."""
        chain = []
        registration = self.by_urn.get(urn)
        while registration is not None and registration.parent in self.by_urn:
            registration = self.by_urn[registration.parent]
            found = self.frame(registration)
            if found and registration.type != STACK_TYPE:
                chain.append((*found, registration))
        return chain


def _physical(uri: str, line: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                 "region": {"startLine": max(1, line)}}}


def _sarif_level(enforcement_level: str) -> str:
    return {"mandatory": "error", "remediate": "error", "advisory": "warning"}.get(enforcement_level, "none")


def _rules(result: "PreviewResult") -> list[dict[str, Any]]:
    rules = []
    for p in result.pack.policies:
        level = result.enforcement.get(p.name, p.enforcement_level)
        rule = {
            "id": p.name,
            "name": p.display_name or p.name,
            "shortDescription": {"text": p.description},
            "fullDescription": {"text": p.description},
            "help": {"text": p.remediation_steps or p.description},
            "defaultConfiguration": {"level": _sarif_level(level), "enabled": level != "disabled"},
            "properties": {
                "severity": p.severity, "enforcementLevel": level, "policyType": p.policy_type,
                "tags": ["security", *p.tags], **({"framework": dict(p.framework)} if p.framework else {}),
                **({"security-severity": SECURITY_SEVERITY[p.severity]} if p.severity in SECURITY_SEVERITY else {}),
            },
        }
        if p.url:
            rule["helpUri"] = p.url
        rules.append(rule)
    return rules


def render_sarif(result: "PreviewResult", program_file: Path) -> str:
    """SARIF 2.1.0 for code scanning: one rule per policy, one result per violation, located at the
    line that declares the resource, with its enclosing components as related locations."""
    rule_index = {p.name: i for i, p in enumerate(result.pack.policies)}
    by_urn = _by_urn(result)
    repository = repository_root(program_file.parent)
    locator = SourceLocator(repository, program_file, by_urn)
    results = []
    for v in sorted(result.violations, key=_violation_sort_key):
        resource = by_urn.get(v.urn)
        uri, line = locator.primary(v.urn)
        logical = {"fullyQualifiedName": v.urn, "kind": "resource"}
        named = f"{resource.type} '{resource.name}'" if resource else f"the stack {result.context.stack}"
        if resource:
            logical.update(name=resource.name, decoratedName=resource.type)
        entry = {
            "ruleId": v.policy_name,
            "level": _sarif_level(v.enforcement_level),
            "message": {"text": f"{named}: {v.message}"},
            "locations": [{**_physical(uri, line), "logicalLocations": [logical]}],
            "partialFingerprints": {
                # Stable across runs and edits elsewhere: the policy and the resource's URN.
                "cmekPolicyResource/v1": hashlib.sha256(f"{v.policy_name}\n{v.urn}".encode()).hexdigest(),
            },
            "properties": {"enforcementLevel": v.enforcement_level, "severity": v.severity,
                           "policyPack": f"{v.policy_pack}@v{v.policy_pack_version}"},
        }
        related = [
            {"id": i + 1, **_physical(c_uri, c_line),
             "message": {"text": f"inside component {component.type} '{component.name}', declared here"}}
            for i, (c_uri, c_line, component) in enumerate(locator.components(v.urn))
        ]
        if related:
            entry["relatedLocations"] = related
        if v.policy_name in rule_index:
            entry["ruleIndex"] = rule_index[v.policy_name]
        results.append(entry)
    run = _run(result.pack.name, result.pack.version, repository, f"{result.context.project}/{result.context.stack}/")
    run["tool"]["driver"]["rules"] = _rules(result)
    run["invocations"] = [{"executionSuccessful": True, "exitCode": result.exit_code}]
    run["results"] = results
    return json.dumps({"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [run]}, indent=2)


def _run(name: str, version: str, repository: Path, automation_id: str) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": name, "informationUri": INFORMATION_URI}
    if version:
        driver["version"] = version
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": automation_id},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": repository.as_uri() + "/"}},
    }


def render_mistakes_sarif(mistakes: Sequence[Mistake], exit_code: int, automation_id: str, program_file: Path) -> str:
    """A valid SARIF file when nothing could be judged: no results, and each mistake as a tool
    execution notification at its file and line (the upload step rejects an empty file)."""
    repository = repository_root(program_file.parent)
    notifications = []
    for m in mistakes:
        notification: dict[str, Any] = {"level": "error", "message": {"text": m.message},
                                        "descriptor": {"id": "invalid-input"}}
        try:
            uri = Path(m.location.path).resolve().relative_to(repository).as_posix()
        except ValueError:
            uri = Path(m.location.path).as_posix()
        notification["locations"] = [_physical(uri, m.location.line)]
        notifications.append(notification)
    run = _run("cmek-ml offline preview", "", repository, automation_id)
    run["invocations"] = [{"executionSuccessful": False, "exitCode": exit_code,
                           "toolExecutionNotifications": notifications}]
    run["results"] = []
    return json.dumps({"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [run]}, indent=2)

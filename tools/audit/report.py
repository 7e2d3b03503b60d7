"""An audit report as text, JSON or SARIF 2.1.0 (results per key field; what was not checked as notifications)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from ..sarif_terms import SARIF_SCHEMA, SECURITY_SEVERITY
from .model import EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, Report

TOOL_NAME = "cmek-ml-audit"
TOOL_URI = "https://github.com/cmek-ml/cmek-ml#audit-a-live-account"
# SARIF level per catalogue severity (security-severity: the offline preview's table, so both rank alike).
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
VERDICTS = {
    EXIT_CLEAN: "clean: every resource read is under customer keys",
    EXIT_FINDINGS: "findings: data on provider-managed keys",
    EXIT_INCOMPLETE: "no findings, but the audit is incomplete (see not checked)",
}


def render(report: Report, fmt: str, policies: Mapping[str, Any]) -> str:
    return {"text": text, "json": as_json, "sarif": sarif}[fmt](report, policies)


def text(report: Report, policies: Mapping[str, Any]) -> str:
    lines = [f"cmek-ml audit: {report.cloud} ({'; '.join(report.scope)})"]
    if report.findings:
        lines.append(f"\nFindings ({len(report.findings)}):")
        lines += [f"  [{f.severity}] {f.resource}\n      {f.message} ({f.policy})" for f in report.findings]
    if report.exemptions:
        lines.append(f"\nExempt ({len(report.exemptions)}):")
        lines += [f"  {e.resource}\n      {e.field}: {e.reason}" for e in report.exemptions]
    if report.not_checked:
        lines.append(f"\nNot checked ({len(report.not_checked)}):")
        lines += [f"  {n.what}: {n.reason}" for n in report.not_checked]
    if report.uncovered:
        lines.append(f"\nNot covered by the audit ({len(report.uncovered)} catalogue types without an audit: block): "
                     + ", ".join(report.uncovered))
    lines.append(f"\n{report.resources_checked} resources checked, {len(report.findings)} findings, "
                 f"{len(report.exemptions)} exempt, {len(report.not_checked)} not checked: "
                 f"{VERDICTS[report.exit_code()]}.")
    return "\n".join(lines) + "\n"


def as_json(report: Report, policies: Mapping[str, Any]) -> str:
    body = {
        "cloud": report.cloud,
        "scope": report.scope,
        "exitCode": report.exit_code(),
        "verdict": VERDICTS[report.exit_code()],
        "resourcesChecked": report.resources_checked,
        "findings": [dataclasses.asdict(f) for f in report.findings],
        "exempt": [dataclasses.asdict(e) for e in report.exemptions],
        "notChecked": [dataclasses.asdict(n) for n in report.not_checked],
        "notCovered": report.uncovered,
        "checkedTypes": report.checked_types,
    }
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def _rule(name: str, policy: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": name}
    if policy is None:
        return rule
    rule.update({
        "name": name,
        "shortDescription": {"text": policy.description},
        "help": {"text": policy.remediation},
        "defaultConfiguration": {"level": LEVELS.get(policy.severity, "warning")},
        "properties": {"security-severity": SECURITY_SEVERITY.get(policy.severity, "5.0"),
                       "tags": ["security", "cmek", policy.cloud]},
    })
    if policy.docs:
        rule["helpUri"] = policy.docs
    return rule


def _location(resource: str, location: str = "") -> dict[str, Any]:
    logical = {"fullyQualifiedName": resource, "name": resource.rsplit("/", 1)[-1], "kind": "resource"}
    out: dict[str, Any] = {"logicalLocations": [logical]}
    if location:
        out["properties"] = {"cloudLocation": location}
    return out


def sarif(report: Report, policies: Mapping[str, Any]) -> str:
    names = sorted({f.policy for f in report.findings})
    index = {name: i for i, name in enumerate(names)}
    results = [{
        "ruleId": f.policy,
        "ruleIndex": index[f.policy],
        "kind": "fail",
        "level": LEVELS.get(f.severity, "warning"),
        "message": {"text": f"{f.resource}: {f.message}"},
        "locations": [_location(f.resource, f.location)],
        "partialFingerprints": {"resourceField/v1": f"{f.resource}#{f.field}"},
        "properties": {"resourceType": f.resource_type, "field": f.field},
    } for f in report.findings]
    results += [{
        "ruleId": "exempt",
        "kind": "notApplicable",
        "level": "none",
        "message": {"text": f"{e.resource}: {e.field} is exempt: {e.reason}"},
        "locations": [_location(e.resource)],
        "properties": {"resourceType": e.resource_type, "field": e.field},
    } for e in report.exemptions]
    notifications = [{
        "descriptor": {"id": "not-checked"},
        "level": "warning",
        "message": {"text": f"not checked: {n.what}: {n.reason}"},
    } for n in report.not_checked]
    notifications += [{
        "descriptor": {"id": "not-covered"},
        "level": "note",
        "message": {"text": f"not covered: {token} has no audit: block in the key catalogue"},
    } for token in report.uncovered]
    run = {
        "tool": {"driver": {
            "name": TOOL_NAME,
            "informationUri": TOOL_URI,
            "rules": [_rule(name, policies.get(name)) for name in names],
            "notifications": [
                {"id": "not-checked", "shortDescription": {"text": "A part of the scope the audit could not read."}},
                {"id": "not-covered", "shortDescription": {"text": "A catalogue type the audit does not read."}},
            ],
        }},
        "invocations": [{
            "executionSuccessful": not report.not_checked,
            "exitCode": report.exit_code(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
        "properties": {"cloud": report.cloud, "scope": report.scope, "resourcesChecked": report.resources_checked},
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2) + "\n"

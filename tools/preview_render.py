"""What the offline preview prints: text for a reviewer and JSON (SARIF is `tools.sarif`)."""

from __future__ import annotations

import heapq
import json
import textwrap
from typing import TYPE_CHECKING, Any, Iterable, Optional, Sequence

from google.protobuf import json_format
from pulumi.runtime import rpc

from .analyzer_terms import Violation
from .mistakes import Mistake, display_path
from .mock_engine import STACK_TYPE, Registration

if TYPE_CHECKING:
    from .preview import PreviewResult

UNKNOWN_DISPLAY = "<unknown>"
SECRET_DISPLAY = "[secret]"
WIDTH = 100
INDENT = "    "

# The inputs worth seeing in a tree: where data is, and which key protects it.
SHOWN_INPUTS = (
    "name", "location", "projectId", "service", "rotationPeriod", "destroyScheduledDuration",
    "versionTemplate", "role", "member", "encryption", "kmsKeyName", "publicAccessPrevention",
    "uniformBucketLevelAccess", "forceDestroy", "deletionPolicy", "bucket", "accountName", "rules",
    "kmsKeyId", "resourceConfig", "outputDataConfig", "encryptionConfigurations", "encryptionSpec",
    "keyVaultKeyUri",
    # AWS keys, registries, logs, account defaults
    "enableKeyRotation", "rotationPeriodInDays", "deletionWindowInDays", "imageTagMutability",
    "retentionInDays", "enabled",
    # Azure vaults, keys, grants and the services that use them
    "properties", "sku", "roleDefinitionId", "principalType", "scope", "minimumTlsVersion",
    "allowBlobPublicAccess", "hbiWorkspace",
)

SEVERITY_ORDER = ("critical", "high", "medium", "low", "")
LEVEL_ORDER = ("mandatory", "advisory")



# --- Values -------------------------------------------------------------------------------------


def display_value(value: Any) -> Any:
    """A wire-format value for people: unknowns and secrets marked, resource references as URNs."""
    if value == rpc.UNKNOWN:
        return UNKNOWN_DISPLAY
    if isinstance(value, list):
        return [display_value(v) for v in value]
    if isinstance(value, dict):
        signature = value.get(rpc._special_sig_key)
        if signature == rpc._special_secret_sig:
            return SECRET_DISPLAY
        if signature == rpc._special_resource_sig:
            return value.get("urn", UNKNOWN_DISPLAY)
        return {k: display_value(v) for k, v in value.items()}
    # The wire's numbers are doubles: show a whole number as one (180, not 180.0).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def display_inputs(registration: Registration) -> dict[str, Any]:
    if registration.raw_inputs is None:
        return {}
    return display_value(json_format.MessageToDict(registration.raw_inputs))


def _unknown(value: Any) -> str:
    return UNKNOWN_DISPLAY


def wrapped(key: str, value: Any, indent: str) -> list[str]:
    """`key: value` on one line when it fits, else the value as indented JSON with long strings
    wrapped under their start (Azure `properties` are objects of 300 characters)."""
    one_line = f"{indent}{key}: {json.dumps(value, default=_unknown)}"
    if len(one_line) <= WIDTH:
        return [one_line]
    lines = [f"{indent}{key}:"]
    body = json.dumps(value, indent=2, default=_unknown) if isinstance(value, (dict, list)) else json.dumps(value)
    for line in body.splitlines():
        prefix = f"{indent}{INDENT}{' ' * (len(line) - len(line.lstrip()))}"
        lines.extend(textwrap.wrap(line.lstrip(), WIDTH, initial_indent=prefix, subsequent_indent=prefix + "  ",
                                   break_long_words=True, break_on_hyphens=False) or [prefix])
    return lines


# --- The tree ------------------------------------------------------------------------------------


def _dependencies(r: Registration) -> set[str]:
    return set(r.dependencies) | {urn for urns in r.property_dependencies.values() for urn in urns}


def children_in_dependency_order(resources: Sequence[Registration]) -> dict[str, list[Registration]]:
    """Each parent's children, ordered so that a child comes after the siblings its subtree depends
    on (a key ring before its keys, a vault before its key), else in registration order."""
    index = {r.urn: i for i, r in enumerate(resources)}
    parent_of = {r.urn: r.parent for r in resources}
    groups: dict[str, list[Registration]] = {}
    for r in resources:
        groups.setdefault(r.parent, []).append(r)

    def member_under(parent: str, urn: str) -> Optional[str]:
        seen = set()
        while urn in parent_of and urn not in seen:
            seen.add(urn)
            if parent_of[urn] == parent:
                return urn
            urn = parent_of[urn]
        return None

    subtree: dict[str, list[Registration]] = {}
    for r in resources:  # every resource under each of its ancestors
        urn, seen = r.urn, set()
        while urn in parent_of and urn not in seen:
            seen.add(urn)
            subtree.setdefault(urn, []).append(r)
            urn = parent_of[urn]

    ordered: dict[str, list[Registration]] = {}
    for parent, members in groups.items():
        after: dict[str, set[str]] = {m.urn: set() for m in members}
        for member in members:
            for r in subtree.get(member.urn, [member]):
                for dependency in _dependencies(r):
                    other = member_under(parent, dependency)
                    if other is not None and other != member.urn:
                        after[member.urn].add(other)
        waiting = {urn: len(deps) for urn, deps in after.items()}
        unblocks: dict[str, list[str]] = {}
        for urn, deps in after.items():
            for dep in deps:
                unblocks.setdefault(dep, []).append(urn)
        ready = [(index[urn], urn) for urn, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        result: list[str] = []
        while ready:
            _, urn = heapq.heappop(ready)
            result.append(urn)
            for next_urn in unblocks.get(urn, []):
                waiting[next_urn] -= 1
                if waiting[next_urn] == 0:
                    heapq.heappush(ready, (index[next_urn], next_urn))
        placed = set(result)  # a dependency cycle between subtrees: the rest in registration order
        result += [m.urn for m in members if m.urn not in placed]
        by_urn = {m.urn: m for m in members}
        ordered[parent] = [by_urn[urn] for urn in result]
    return ordered


def render_tree(resources: Sequence[Registration], depth: int = 0) -> list[str]:
    """The resources under their parents, each with the inputs that matter, `depth` levels in."""
    tree = children_in_dependency_order(resources)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in tree.get(parent, []):
            flags = " [protect]" if r.protect else ""
            lines.append(f"{INDENT * depth}+ {r.type}  {r.name}{flags}")
            inputs = display_inputs(r)
            for key in SHOWN_INPUTS:
                if key in inputs and inputs[key] not in (None, {}, []):
                    lines.extend(wrapped(key, inputs[key], f"{INDENT * (depth + 1)}  "))
            walk(r.urn, depth + 1)

    roots = {r.parent for r in resources} - {r.urn for r in resources}
    for root in sorted(roots):
        walk(root, depth)
    return lines


# --- Outputs ----------------------------------------------------------------------------------------


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _is_unknown(value: Any) -> bool:
    return value is None or value == UNKNOWN_DISPLAY or type(value).__name__ == "Unknown"


def summarise_outputs(outputs: dict[str, Any]) -> list[str]:
    """One line per export: a short value as it is, a structure as its count of values and how many
    stay unknown until the resources exist."""
    lines = []
    for key, value in outputs.items():
        if not isinstance(value, (dict, list)):
            shown = UNKNOWN_DISPLAY if _is_unknown(value) else json.dumps(value, default=_unknown)
            lines.append(f"  {key}: {textwrap.shorten(shown, WIDTH - len(key) - 4)}")
            continue
        leaves = list(_leaves(value))
        unknown = sum(_is_unknown(v) for v in leaves)
        fields = ", ".join(value) if isinstance(value, dict) else ""
        line = f"  {key}: {len(leaves)} values, {unknown} unknown until created"
        if fields:
            line += f" ({textwrap.shorten(fields, WIDTH - len(line) - 3, placeholder=' ...')})"
        lines.append(line)
    return lines


# --- Text ---------------------------------------------------------------------------------------------


def _violation_sort_key(v: Violation):
    return (LEVEL_ORDER.index(v.enforcement_level) if v.enforcement_level in LEVEL_ORDER else len(LEVEL_ORDER),
            SEVERITY_ORDER.index(v.severity) if v.severity in SEVERITY_ORDER else len(SEVERITY_ORDER),
            v.policy_name, v.urn)


def _by_urn(result: "PreviewResult") -> dict[str, Registration]:
    return {r.urn: r for r in result.resources}


def render_text(result: "PreviewResult", all_outputs: bool = False) -> str:
    ctx = result.context
    config = (display_path(result.policy_config_path) if result.policy_config_path
              else "none (each policy at its own level)")
    pack = f"{result.pack.name}@v{result.pack.version} ({display_path(result.pack_dir)})"
    lines = [
        f"Previewing stack {ctx.stack} (mock engine, no cloud calls)",
        f"Policy pack {pack}, config: {config}",
        "",
        f"+ {STACK_TYPE}  {ctx.project}-{ctx.stack}",
        *render_tree(result.run.resources, depth=1),
        "",
        f"Resources: {len(result.run.resources)} to create",
        "",
    ]
    if all_outputs:
        lines += ["Outputs:", json.dumps(result.run.outputs, indent=2, default=_unknown), ""]
    else:
        lines += ["Outputs (summary; --all-outputs prints every value):", *summarise_outputs(result.run.outputs), ""]
    by_urn = _by_urn(result)
    if result.waivers:
        lines.append(f"Waived by excludeFor ({len(result.waivers)}):")
        for w in result.waivers:
            resource = by_urn.get(w.urn)
            where = f"{resource.type}  {resource.name}" if resource else w.urn
            lines.append(f"  {w.policy}  {where}")
            lines.append(f"      pattern {w.pattern!r} ({w.where})")
        lines.append("")
    policies = len(result.pack.policies)
    enabled = sum(level != "disabled" for level in result.enforcement.values())
    counted = f"{policies} policies in the pack, {enabled} enabled"
    if not result.violations:
        lines.append(f"Policies: no violations ({counted})")
    else:
        lines.append(f"Policy violations ({counted}):")
    for level in sorted({v.enforcement_level for v in result.violations},
                        key=lambda l: LEVEL_ORDER.index(l) if l in LEVEL_ORDER else len(LEVEL_ORDER)):
        found = sorted((v for v in result.violations if v.enforcement_level == level), key=_violation_sort_key)
        lines.append(f"  {level} ({len(found)}):")
        for v in found:
            resource = by_urn.get(v.urn)
            where = f"{resource.type}  {resource.name}" if resource else (v.urn or "(stack)")
            lines.append(f"    [{v.severity or 'unspecified'}] {v.policy_name}  {where}")
            lines.extend(f"        {line}" for line in v.message.splitlines())
    mandatory = sum(v.mandatory for v in result.violations)
    lines += ["", f"{mandatory} mandatory, {len(result.violations) - mandatory} other policy violations"
                  + ("; the preview fails, as `pulumi preview` would" if mandatory else "")]
    return "\n".join(lines)


# --- JSON ---------------------------------------------------------------------------------------------


def _violation_json(v: Violation) -> dict[str, Any]:
    return {
        "policy": v.policy_name, "policyPack": v.policy_pack, "policyPackVersion": v.policy_pack_version,
        "urn": v.urn, "enforcementLevel": v.enforcement_level, "severity": v.severity,
        "description": v.description, "message": v.message,
    }


def render_json(result: "PreviewResult") -> str:
    resources = [
        {
            "urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom,
            "inputs": display_inputs(r),
            "options": {
                "protect": r.protect, "parent": r.parent, "dependencies": r.dependencies,
                "propertyDependencies": {k: v for k, v in r.property_dependencies.items() if v},
                "aliases": r.aliases, "provider": r.provider, "ignoreChanges": r.ignore_changes,
                "deleteBeforeReplace": r.delete_before_replace, "retainOnDelete": r.retain_on_delete,
            },
        }
        for r in result.resources
    ]
    mandatory = sum(v.mandatory for v in result.violations)
    document = {
        "stack": result.context.stack,
        "project": result.context.project,
        "policyPacks": [{
            "name": result.pack.name, "version": result.pack.version, "path": display_path(result.pack_dir),
            "config": display_path(result.policy_config_path) if result.policy_config_path else None,
            "policies": len(result.pack.policies),
            "enforcement": result.enforcement,
        }],
        "resources": resources,
        "outputs": result.run.outputs,
        "violations": [_violation_json(v) for v in sorted(result.violations, key=_violation_sort_key)],
        "waived": [{"policy": w.policy, "urn": w.urn, "pattern": w.pattern, "config": w.where} for w in result.waivers],
        "summary": {"resources": len(resources), "mandatory": mandatory,
                    "advisory": len(result.violations) - mandatory, "exitCode": result.exit_code},
    }
    return json.dumps(document, indent=2, default=_unknown)


def render_mistakes_json(mistakes: Sequence[Mistake], exit_code: int) -> str:
    return json.dumps({"errors": [_mistake_json(m) for m in mistakes], "summary": {"exitCode": exit_code}}, indent=2)


def _mistake_json(m: Mistake) -> dict[str, Any]:
    return {"file": display_path(m.location.path), "line": m.location.line or None,
            "column": m.location.column or None, "key": m.key or None, "message": m.message}

"""Offline preview: runs a stack's program under Pulumi's mock engine, checks it with the policy pack.

    python -m tools.preview --stack dev [--policy-config FILE] [--format text|json|sarif]
                            [--program DIR] [--policy-pack DIR]

It is `pulumi preview --policy-pack policies/cmek --policy-pack-config policies/config/<stack>.json`
without the CLI or a cloud: the program runs in preview mode (ids and computed outputs unknown,
as in a first preview), the pack is started and spoken to exactly as the CLI does
(`tools.analyzer_client`), each resource analyzed as it registers and the whole stack at the end,
and the exit code is 1 when a mandatory policy is violated, as `pulumi preview` fails. Anything
that prevents a verdict (invalid stack settings, every problem printed; an invalid policy config;
a pack or program that fails) exits 2.
"""

from __future__ import annotations

import argparse
import contextvars
import hashlib
import json
import queue
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import yaml
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings

from cmek_ml.policy_pack import policy_pack_dir
from cmek_ml.settings import ConfigError
from . import analyzer_client, mock_engine, stack_config
from .analyzer_client import PackInfo, PolicyAnalyzer, PolicyConfig, PolicyPackError, StackContext, Violation
from .mock_engine import STACK_TYPE, ProgramRun, Registration
from .stack_config import PROJECT_ROOT, StackConfigError

# The pack released with the components: policies/cmek here, the installed folder from a wheel.
DEFAULT_POLICY_PACK = policy_pack_dir()
POLICY_CONFIG_DIR = PROJECT_ROOT / "policies" / "config"
"""This repository's configs; a project's own are `<project>/policies/config/<stack>.json`."""

EXIT_CLEAN, EXIT_MANDATORY_VIOLATION, EXIT_INVALID = 0, 1, 2

UNKNOWN_DISPLAY = "<unknown>"
SECRET_DISPLAY = "[secret]"

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

# GitHub code scanning ranks findings by this number (CVSS-like).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


# --- What the engine would see --------------------------------------------------------------


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


def _synthetic(urn: str, type_: str, name: str, inputs: dict[str, Any], custom: bool) -> Registration:
    raw = struct_pb2.Struct()
    raw.update(inputs)
    return Registration(
        urn=urn, type=type_, name=name, parent="", custom=custom, protect=False, dependencies=[],
        property_dependencies={}, inputs=dict(inputs), aliases=[], retain_on_delete=False,
        delete_before_replace=False, replace_on_changes=[], ignore_changes=[], provider="", raw_inputs=raw,
    )


class EngineView:
    """The resources the engine analyzes, in registration order: the root stack, then each resource
    with its provider; a package's default provider (named and configured as the engine does) comes
    just before its first user."""

    def __init__(self, context: StackContext):
        self.context = context
        self._prefix = f"urn:pulumi:{context.stack}::{context.project}::"
        name = f"{context.project}-{context.stack}"
        root = _synthetic(f"{self._prefix}{STACK_TYPE}::{name}", STACK_TYPE, name, {}, custom=False)
        self.entries: list[tuple[Registration, Any]] = [(root, None)]
        self._by_urn: dict[str, Registration] = {}
        self._default_providers: dict[str, Registration] = {}

    def add(self, registration: Registration) -> list[tuple[Registration, Any]]:
        """Adds a registration; returns the entries added (a new default provider first)."""
        added: list[tuple[Registration, Any]] = []
        self._by_urn[registration.urn] = registration
        provider = None
        package = registration.type.split(":", 1)[0]
        if registration.provider:
            explicit = self._by_urn.get(registration.provider.rsplit("::", 1)[0])
            provider = analyzer_client.provider_resource(explicit) if explicit else None
        elif registration.custom and package != "pulumi":
            if package not in self._default_providers:
                name, inputs = analyzer_client.default_provider(package, self.context.config)
                self._default_providers[package] = _synthetic(
                    f"{self._prefix}pulumi:providers:{package}::{name}", f"pulumi:providers:{package}", name,
                    inputs, custom=True,
                )
                added.append((self._default_providers[package], None))
            provider = analyzer_client.provider_resource(self._default_providers[package])
        added.append((registration, provider))
        self.entries.extend(added)
        return added

    @property
    def resources(self) -> list[Registration]:
        return [registration for registration, _ in self.entries]


class AnalysisAsRegistered:
    """Analyzes each resource as the program registers it, as the CLI's step generator does.

    A worker thread waits for the pack (it boots while the program starts), configures it, then
    sends Analyze for every registration the monitor hands over, without waiting for answers, so
    the pack works on its own core while the program runs. `finish` collects the answers and
    sends AnalyzeStack.
    """

    _DONE = object()

    def __init__(self, pack: PolicyAnalyzer, given: dict[str, PolicyConfig], context: StackContext):
        self.pack = pack
        self.given = given
        self.view = EngineView(context)
        self.resources: list[Any] = []
        self.reconciled: dict[str, PolicyConfig] = {}
        self._submitted: list[Any] = []
        self._registered: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None

    def observing(self, body: Callable[[], None]) -> Callable[[], None]:
        """`body` starting the analysis from inside the program, where the monitor is known."""

        def observed() -> None:
            monitor = pulumi_settings.get_monitor()
            # The worker needs Pulumi's settings (stack, project: alias URNs), which are contextvars.
            program_context = contextvars.copy_context()
            self._worker = threading.Thread(target=program_context.run, args=(self._work, monitor), daemon=True)
            self._worker.start()
            body()

        return observed

    def registered(self, registration: Registration) -> None:
        """The monitor's hook: called on the program's thread, so it only hands over."""
        self._registered.put(registration)

    def _work(self, monitor) -> None:
        try:
            self.pack.connect()
            self.reconciled = self.pack.configure(self.given)
            for registration, provider in self.view.entries:
                self._submit(registration, provider, monitor)
            while (next_registration := self._registered.get()) is not self._DONE:
                for registration, provider in self.view.add(next_registration):
                    self._submit(registration, provider, monitor)
        except BaseException as error:  # pylint: disable=broad-except  # re-raised by finish()
            self._error = error

    def _submit(self, registration: Registration, provider: Any, monitor) -> None:
        resource = analyzer_client.analyzer_resource(
            registration, provider, analyzer_client.alias_urns(registration, monitor.make_urn))
        self.resources.append(resource)
        self._submitted.append(self.pack.submit(resource))

    def finish(self) -> list[Violation]:
        """Once the program is done: every Analyze answer, then AnalyzeStack over all resources."""
        self._registered.put(self._DONE)
        if self._worker is None:
            raise RuntimeError("the program never ran, so nothing was analyzed")
        self._worker.join()
        if self._error is not None:
            raise self._error
        return self.pack.collect(self._submitted) + self.pack.analyze_stack(self.resources)

    def abandon(self) -> None:
        """Stops the worker wherever it is (the program failed): kills the pack it may wait on."""
        self._registered.put(self._DONE)
        self.pack.kill()
        if self._worker is not None:
            self._worker.join()


@dataclass
class PreviewResult:
    context: StackContext
    run: ProgramRun
    resources: list[Registration]
    """Everything analyzed: the root stack, the program's resources, default providers."""
    pack: PackInfo
    pack_dir: Path
    policy_config_path: Optional[Path]
    enforcement: dict[str, str]
    """The enforcement level each policy ran at, after the config was reconciled."""
    violations: list[Violation]

    @property
    def has_mandatory_violation(self) -> bool:
        return any(v.mandatory for v in self.violations)

    @property
    def exit_code(self) -> int:
        return EXIT_MANDATORY_VIOLATION if self.has_mandatory_violation else EXIT_CLEAN


def stack_context(stack: str, config: dict[str, str], project_root: Path = PROJECT_ROOT) -> StackContext:
    project = yaml.safe_load((project_root / "Pulumi.yaml").read_text())
    tags = {"pulumi:project": project["name"], "pulumi:runtime": "python"}
    if project.get("description"):
        tags["pulumi:description"] = project["description"]
    return StackContext(project=project["name"], stack=stack, config=config, tags=tags)


def analyze(
    body: Callable[[], None],
    config: dict[str, str],
    context: StackContext,
    pack_dir: Path = DEFAULT_POLICY_PACK,
    policy_config_path: Optional[Path] = None,
) -> PreviewResult:
    """Runs `body` as a Pulumi program in preview mode with `config`, the pack analyzing each
    resource as it registers, then the whole stack. The pack process is always stopped."""
    given: dict[str, PolicyConfig] = (
        analyzer_client.load_policy_config(policy_config_path) if policy_config_path else {}
    )
    pack = PolicyAnalyzer(pack_dir, context)
    analysis = AnalysisAsRegistered(pack, given, context)
    pack.launch()
    try:
        run = mock_engine.run(analysis.observing(body), config, stack=context.stack, project=context.project,
                              preview=True, on_register=analysis.registered)
        violations = analysis.finish()
        return PreviewResult(
            context=context, run=run, resources=analysis.view.resources, pack=pack.info(),
            pack_dir=Path(pack_dir), policy_config_path=policy_config_path,
            enforcement={name: c.enforcement_level for name, c in analysis.reconciled.items()},
            violations=violations,
        )
    finally:
        analysis.abandon()
        pack.close()


def default_policy_config(stack: str, project_root: Path = PROJECT_ROOT) -> Optional[Path]:
    candidate = project_root / "policies" / "config" / f"{stack}.json"
    return candidate if candidate.exists() else None


def preview(
    stack: str,
    program_dir: Path = PROJECT_ROOT,
    pack_dir: Path = DEFAULT_POLICY_PACK,
    policy_config_path: Optional[Path] = None,
) -> PreviewResult:
    """The offline `pulumi preview --policy-pack` of `stack`: its config, `program_dir/__main__.py`.

    The stack's config comes from the project `program_dir` belongs to (the nearest Pulumi.yaml at
    or above it, and that project's stackConfigDir), as the CLI finds it."""
    project_root = stack_config.find_project_root(program_dir)
    config = stack_config.resolve(stack, root=project_root)
    return analyze(mock_engine.project_program(program_dir), config, stack_context(stack, config, project_root),
                   pack_dir, policy_config_path)


# --- Output -----------------------------------------------------------------------------------


def _children(run: ProgramRun) -> dict[str, list[Registration]]:
    tree: dict[str, list[Registration]] = {}
    for r in run.resources:
        tree.setdefault(r.parent, []).append(r)
    return tree


def render_tree(run: ProgramRun) -> list[str]:
    tree = _children(run)
    lines: list[str] = []

    def walk(parent: str, depth: int) -> None:
        for r in sorted(tree.get(parent, []), key=lambda r: (r.type, r.name)):
            flags = " [protect]" if r.protect else ""
            lines.append(f"{'    ' * depth}+ {r.type}  {r.name}{flags}")
            inputs = display_inputs(r)
            for key in SHOWN_INPUTS:
                if key in inputs and inputs[key] not in (None, {}, []):
                    lines.append(f"{'    ' * (depth + 1)}  {key}: {json.dumps(inputs[key])}")
            walk(r.urn, depth + 1)

    roots = {r.parent for r in run.resources} - {r.urn for r in run.resources}
    for root in sorted(roots):
        walk(root, 0)
    return lines


def _by_urn(result: PreviewResult) -> dict[str, Registration]:
    return {r.urn: r for r in result.resources}


def _violation_sort_key(v: Violation):
    return (LEVEL_ORDER.index(v.enforcement_level) if v.enforcement_level in LEVEL_ORDER else len(LEVEL_ORDER),
            SEVERITY_ORDER.index(v.severity) if v.severity in SEVERITY_ORDER else len(SEVERITY_ORDER),
            v.policy_name, v.urn)


def render_text(result: PreviewResult) -> str:
    ctx = result.context
    config = (project_relative(result.policy_config_path) if result.policy_config_path
              else "none (each policy at its own level)")
    pack = f"{result.pack.name}@v{result.pack.version} ({project_relative(result.pack_dir)})"
    lines = [
        f"Previewing stack {ctx.stack} (mock engine, no cloud calls)",
        f"Policy pack {pack}, config: {config}",
        "",
        f"+ {STACK_TYPE}  {ctx.project}-{ctx.stack}",
        *("    " + line for line in render_tree(result.run)),
        "",
        f"Resources: {len(result.run.resources)} to create",
        "",
        "Outputs:",
        json.dumps(result.run.outputs, indent=2, default=_unknown),
        "",
    ]
    by_urn = _by_urn(result)
    if not result.violations:
        lines.append(f"Policies: no violations ({len(result.enforcement)} policies)")
    else:
        lines.append("Policy violations:")
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


def _violation_json(v: Violation) -> dict[str, Any]:
    return {
        "policy": v.policy_name, "policyPack": v.policy_pack, "policyPackVersion": v.policy_pack_version,
        "urn": v.urn, "enforcementLevel": v.enforcement_level, "severity": v.severity,
        "description": v.description, "message": v.message,
    }


def render_json(result: PreviewResult) -> str:
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
            "name": result.pack.name, "version": result.pack.version, "path": project_relative(result.pack_dir),
            "config": project_relative(result.policy_config_path) if result.policy_config_path else None,
            "enforcement": result.enforcement,
        }],
        "resources": resources,
        "outputs": result.run.outputs,
        "violations": [_violation_json(v) for v in sorted(result.violations, key=_violation_sort_key)],
        "summary": {"resources": len(resources), "mandatory": mandatory,
                    "advisory": len(result.violations) - mandatory, "exitCode": result.exit_code},
    }
    return json.dumps(document, indent=2, default=_unknown)


def render_sarif(result: PreviewResult, program_path: str) -> str:
    """SARIF 2.1.0 for code-scanning tools: one rule per policy, one result per violation."""
    policies = result.pack.policies
    rule_index = {p.name: i for i, p in enumerate(policies)}
    rules = []
    for p in policies:
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

    by_urn = _by_urn(result)
    results = []
    for v in sorted(result.violations, key=_violation_sort_key):
        resource = by_urn.get(v.urn)
        logical = {"fullyQualifiedName": v.urn, "kind": "resource"}
        if resource:
            logical.update(name=resource.name, decoratedName=resource.type)
        entry = {
            "ruleId": v.policy_name,
            "level": _sarif_level(v.enforcement_level),
            "message": {"text": v.message},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": program_path}},
                "logicalLocations": [logical],
            }],
            "partialFingerprints": {
                "pulumiPolicyUrn/v1": hashlib.sha256(f"{v.policy_name}\n{v.urn}".encode()).hexdigest(),
            },
            "properties": {"enforcementLevel": v.enforcement_level, "severity": v.severity,
                           "policyPack": f"{v.policy_pack}@v{v.policy_pack_version}"},
        }
        if v.policy_name in rule_index:
            entry["ruleIndex"] = rule_index[v.policy_name]
        results.append(entry)

    document = {
        "version": "2.1.0",
        "$schema": SARIF_SCHEMA,
        "runs": [{
            "tool": {"driver": {
                "name": result.pack.name,
                "version": result.pack.version,
                "informationUri": "https://www.pulumi.com/docs/insights/policy/",
                "rules": rules,
            }},
            "automationDetails": {"id": f"{result.context.project}/{result.context.stack}/"},
            "invocations": [{"executionSuccessful": True, "exitCode": result.exit_code}],
            "results": results,
        }],
    }
    return json.dumps(document, indent=2)


def _sarif_level(enforcement_level: str) -> str:
    return {"mandatory": "error", "remediate": "error", "advisory": "warning"}.get(enforcement_level, "none")


def _unknown(value: Any) -> str:
    return UNKNOWN_DISPLAY


# --- Command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, prog: str = "python -m tools.preview") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--policy-config", type=Path,
                        help="policy pack config JSON, as for --policy-pack-config "
                             "(default: the project's policies/config/<stack>.json if it exists)")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--program", type=Path,
                        help="folder whose __main__.py is the program (default: the Pulumi project of the "
                             "current folder); its stack config is that project's stackConfigDir")
    parser.add_argument("--policy-pack", type=Path, default=DEFAULT_POLICY_PACK,
                        help=f"policy pack folder (default: the cmek-ml pack, {DEFAULT_POLICY_PACK})")
    args = parser.parse_args(argv)

    try:
        if args.program:
            program_dir = args.program.resolve()
        else:
            program_dir = stack_config.project_program_dir(stack_config.find_project_root(Path.cwd()))
        policy_config = args.policy_config or default_policy_config(
            args.stack, stack_config.find_project_root(program_dir))
        result = preview(args.stack, program_dir, args.policy_pack, policy_config)
    except (ConfigError, StackConfigError, PolicyPackError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except Exception:  # pylint: disable=broad-except  # the program itself failed, as `pulumi preview` reports
        traceback.print_exc()
        print("error: the program failed; nothing was analyzed", file=sys.stderr)
        return EXIT_INVALID

    if args.format == "json":
        print(render_json(result))
    elif args.format == "sarif":
        print(render_sarif(result, project_relative(program_dir / "__main__.py")))
    else:
        print(render_text(result))
    return result.exit_code


def project_relative(path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


if __name__ == "__main__":
    sys.exit(main())

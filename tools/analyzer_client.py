"""Runs a policy pack the way the Pulumi CLI does, without the CLI.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine-address> .` from the pack's
folder, reads the gRPC port the pack prints, and then speaks the analyzer protocol
(`pulumi/analyzer.proto`): Handshake, ConfigureStack, GetAnalyzerInfo, Configure (the
`--policy-pack-config` JSON reconciled with the pack's defaults), Analyze for each resource and
AnalyzeStack over all of them. This module does the same, following the CLI's Go code
(`pkg/resource/plugin/analyzer_plugin.go`, `pkg/resource/analyzer/config.go`), so a pack that
passes here behaves the same under `pulumi preview --policy-pack`.

Resources are given as `tools.mock_engine.Registration`s: the RegisterResource requests the
program made, whose wire-format inputs keep unknowns unknown, as in a real first preview.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import grpc
import jsonschema
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2, text_format
from pulumi.runtime.proto import alias_pb2, analyzer_pb2, analyzer_pb2_grpc

from . import pack_environment
from .mistakes import did_you_mean
from .mock_engine import STACK_TYPE, Registration

ENFORCEMENT_LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_LEVEL_NAMES = {number: name for name, number in ENFORCEMENT_LEVELS.items()}

SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}

# What a DIY-backend CLI passes as the organization (PULUMI_ORGANIZATION).
DIY_ORGANIZATION = "organization"

# How long a pack may take to print its port: imports of pulumi, grpc and the policies.
PACK_START_TIMEOUT_SECONDS = 120


class PolicyPackError(Exception):
    """The pack could not be started, configured or run; the message says why."""


@dataclass(frozen=True)
class StackContext:
    """The stack a pack analyzes, as the CLI describes it to the pack (env and ConfigureStack)."""

    project: str
    stack: str
    config: Mapping[str, str]
    """The stack's resolved configuration, `{"project:key": "string value"}`."""
    dry_run: bool = True
    """True for a preview: the pack sees PULUMI_DRY_RUN=true."""
    organization: str = DIY_ORGANIZATION
    tags: Mapping[str, str] = field(default_factory=dict)
    """Stack tags (the CLI adds pulumi:project, pulumi:runtime, pulumi:description)."""


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


# --- Policy pack config (`--policy-pack-config FILE.json`) ----------------------------------


def json_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line of each object key in a JSON text, by its path of keys (`("policy", "option")`).

    The policy config is JSON, whose parsers keep no positions; a mistake should still name its line."""
    lines: dict[tuple[str, ...], int] = {}
    path: list[Any] = []  # one entry per open container: its current key (None in arrays, or before one)
    index, line, pending = 0, 1, None  # pending: the last string, while only whitespace follows it
    while index < len(text):
        char = text[index]
        if char == '"':
            end = index + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            pending = (text[index + 1:end], line)
            index = end + 1
            continue
        if char == "\n":
            line += 1
        elif char == ":" and pending is not None and path:
            path[-1] = pending[0]
            lines.setdefault(tuple(k for k in path if k is not None), pending[1])
        elif char in "{[":
            path.append(None)
        elif char in "}]" and path:
            path.pop()
        if not char.isspace():
            pending = None
        index += 1
    return lines


def parse_policy_config(text: str, source: str = "policy config") -> dict[str, PolicyConfig]:
    """Parses the CLI's policy config JSON: `{"name"|"all": "level" | {"enforcementLevel": ..., props}}`."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyPackError(f"{source}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from error
    if not isinstance(raw, dict):
        raise PolicyPackError(f"{source}:1: must be a JSON object keyed by policy name or 'all'")
    key_lines = json_key_lines(text)
    at = lambda *path: f"{source}:{key_lines[path]}" if path in key_lines else source  # noqa: E731
    allowed = ", ".join(ENFORCEMENT_LEVELS)
    result: dict[str, PolicyConfig] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            level, properties = value, {}
        elif isinstance(value, dict):
            properties = dict(value)
            level = properties.pop("enforcementLevel", "")
            if not isinstance(level, str):
                raise PolicyPackError(f"{at(name, 'enforcementLevel')}: {name}.enforcementLevel = {level!r}: "
                                      f"must be one of {allowed}")
        else:
            raise PolicyPackError(f"{at(name)}: {name} = {value!r}: must be an enforcement level or an object")
        if level and level not in ENFORCEMENT_LEVELS:
            raise PolicyPackError(f"{at(name)}: {name} enforcement level {level!r}: must be one of {allowed}")
        if level or properties:
            result[name] = PolicyConfig(level, properties, at(name), {k: at(name, k) for k in properties})
    return result


def load_policy_config(path: Path) -> dict[str, PolicyConfig]:
    try:
        text = Path(path).read_text()
    except IsADirectoryError:
        raise PolicyPackError(f"policy config {path}: is a folder, not a JSON file") from None
    except UnicodeDecodeError as error:
        raise PolicyPackError(f"policy config {path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise PolicyPackError(f"policy config {path}: {error.strerror}") from error
    return parse_policy_config(text, str(path))


def _apply_config(result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]) -> None:
    everything = given.get("all")
    if everything and everything.enforcement_level:
        for name, config in list(result.items()):
            result[name] = PolicyConfig(everything.enforcement_level, config.properties)
    for name, config in given.items():
        if name == "all":  # applied above; the CLI sends no policy of that name
            continue
        current = result.get(name, PolicyConfig())
        result[name] = PolicyConfig(
            config.enforcement_level or current.enforcement_level,
            {**current.properties, **config.properties},
        )


def _unknown_entries(info: PackInfo, given: Mapping[str, PolicyConfig]) -> list[str]:
    """Policies the pack does not have and options a policy's schema does not declare: the CLI
    would send them and the pack ignore them, so a typo (`excludFor`) would silently do nothing."""
    names = [p.name for p in info.policies]
    problems = []
    for name, config in given.items():
        where = config.where or "policy config"
        if name == "all":
            if config.properties:
                problems.append(f"{where}: 'all' takes an enforcement level only, not options")
            continue
        policy = info.policy(name)
        if policy is None:
            problems.append(f"{where}: unknown policy {name!r} in pack {info.name}{did_you_mean(name, names)}")
            continue
        options = list((policy.config_schema.get("properties") or {}))
        for option in config.properties:
            if option not in options:
                known = f" (its options: {', '.join(sorted(options))})" if options else " (it takes no options)"
                problems.append(f"{config.property_lines.get(option, where)}: unknown option {option!r} for policy "
                                f"{name}{did_you_mean(option, options)}{known}")
    return problems


def reconcile_policy_config(info: PackInfo, given: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    """The config the CLI sends in Configure: schema defaults, then the pack's initial config,
    then the file (`all` first, then per policy); validated against each policy's schema.
    Unknown policies and options are refused first, with "did you mean"."""
    unknown = _unknown_entries(info, given)
    if unknown:
        raise PolicyPackError("invalid policy pack config:\n" + "\n".join(f"  - {p}" for p in unknown))
    result = {
        p.name: PolicyConfig(
            p.enforcement_level,
            {k: s["default"] for k, s in (p.config_schema.get("properties") or {}).items() if "default" in s},
        )
        for p in info.policies
    }
    _apply_config(result, info.initial_config)
    _apply_config(result, given)

    problems = []
    for policy in info.policies:
        schema = {"type": "object", **{k: v for k, v in policy.config_schema.items() if v}}
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(dict(result[policy.name].properties)):
            where = ".".join(str(p) for p in error.absolute_path) or "(config)"
            entry = given.get(policy.name)
            located = entry.property_lines.get(str(error.absolute_path[0]), entry.where) if (
                entry and error.absolute_path) else (entry.where if entry else "")
            problems.append(f"{located + ': ' if located else ''}{policy.name}: {where}: {error.message}")
    for name, config in result.items():
        if not config.enforcement_level:
            problems.append(f"{name}: no enforcement level (set one for it, or for 'all')")
    if problems:
        raise PolicyPackError("invalid policy pack config:\n" + "\n".join(f"  - {p}" for p in problems))
    return result


def pack_info(response: analyzer_pb2.AnalyzerInfo, version: str = "", description: str = "") -> PackInfo:
    """A GetAnalyzerInfo answer; the CLI prefers PulumiPolicy.yaml's version and description."""
    return PackInfo(
        name=response.name,
        version=version or response.version,
        description=response.description or description,
        policies=tuple(sorted((_policy_info(p) for p in response.policies), key=lambda p: p.name)),
        initial_config={
            name: PolicyConfig(_LEVEL_NAMES[c.enforcementLevel], json_format.MessageToDict(c.properties))
            for name, c in response.initialConfig.items()
        },
    )


def configure_request(reconciled: Mapping[str, PolicyConfig]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The Configure request for a reconciled config: one entry per policy."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, config in reconciled.items():
        entry = request.policyConfig[name]
        entry.enforcementLevel = ENFORCEMENT_LEVELS[config.enforcement_level]
        entry.properties.update(dict(config.properties))
    return request


# --- Requests --------------------------------------------------------------------------------


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


# --- The pack process --------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyPackProject:
    """`PulumiPolicy.yaml`: the pack's runtime, version and description."""

    directory: Path
    version: str
    description: str
    virtualenv: str

    @classmethod
    def load(cls, directory: Path) -> "PolicyPackProject":
        directory = Path(directory).resolve()
        manifest = directory / "PulumiPolicy.yaml"
        if not manifest.is_file():
            raise PolicyPackError(f"{directory}: no PulumiPolicy.yaml, so not a policy pack")
        data = yaml.safe_load(manifest.read_text()) or {}
        runtime = data.get("runtime")
        runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
        if runtime_name != "python":
            raise PolicyPackError(f"{manifest}: runtime {runtime_name!r}; only python packs are supported")
        options = (runtime.get("options") or {}) if isinstance(runtime, dict) else {}
        return cls(directory, str(data.get("version", "")), data.get("description", ""),
                   options.get("virtualenv", ""))

    def python(self) -> str:
        """The interpreter its runtime options call for (`tools.pack_environment`)."""
        try:
            return pack_environment.pack_python(self.directory, self.virtualenv)
        except pack_environment.PackEnvironmentError as error:
            raise PolicyPackError(str(error)) from None


class PolicyAnalyzer:
    """A running policy pack. Use as a context manager: the process is always killed on exit.

        with PolicyAnalyzer(pack_dir, context) as pack:
            pack.configure(load_policy_config(path))
            violations = pack.analyze(resource)
    """

    def __init__(self, pack_dir: Path, context: StackContext):
        self.project = PolicyPackProject.load(pack_dir)
        self.context = context
        self._process: Optional[subprocess.Popen] = None
        self._stderr = tempfile.TemporaryFile()
        self._stdout_lines: list[bytes] = []
        self._drainer: Optional[threading.Thread] = None
        self._closing = threading.Lock()
        self._channel: Optional[grpc.Channel] = None
        self._stub: Optional[analyzer_pb2_grpc.AnalyzerStub] = None
        self._info: Optional[PackInfo] = None
        self.not_applicable: list[tuple[str, str, str]] = []
        """(urn, policy, reason) for each policy the pack found not applicable to an analyzed resource."""

    # Starting and stopping.

    def launch(self) -> "PolicyAnalyzer":
        """Starts the pack process; returns at once, so the pack boots while the caller works."""
        env = dict(os.environ)
        env.update(
            PULUMI_CONFIG=json.dumps(dict(self.context.config)),
            PULUMI_ORGANIZATION=self.context.organization,
            PULUMI_PROJECT=self.context.project,
            PULUMI_STACK=self.context.stack,
            PULUMI_DRY_RUN="true" if self.context.dry_run else "false",
        )
        # pulumi.policy parses and ignores the engine address, and a Python pack logs to stderr
        # when no engine is configured, so no engine server is needed; the CLI passes "." as
        # the program with the pack folder as working directory.
        self._process = subprocess.Popen(
            [self.project.python(), "-u", "-m", "pulumi.policy", "127.0.0.1:0", "."],
            cwd=self.project.directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        return self

    def connect(self) -> "PolicyAnalyzer":
        """Waits for the port, then handshakes and describes the stack, as the CLI does."""
        if self._process is None:
            self.launch()
        port = self._read_port()
        self._drainer = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drainer.start()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}",
            options=[("grpc.max_receive_message_length", 400 * 1024 * 1024),
                     ("grpc.max_send_message_length", 400 * 1024 * 1024)],
        )
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._call_optional(
            self._stub.Handshake,
            analyzer_pb2.AnalyzerHandshakeRequest(
                engine_address="127.0.0.1:0",
                root_directory=str(self.project.directory),
                program_directory=str(self.project.directory),
            ),
        )
        self._call_optional(
            self._stub.ConfigureStack,
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.context.stack,
                project=self.context.project,
                organization=self.context.organization,
                dry_run=self.context.dry_run,
                config=dict(self.context.config),
                tags=dict(self.context.tags),
            ),
        )
        return self

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], PACK_START_TIMEOUT_SECONDS)
        line = self._process.stdout.readline() if ready else b""
        try:
            return int(line.strip())
        except ValueError:
            self.close()
            reason = "did not print its port" if ready else f"printed no port in {PACK_START_TIMEOUT_SECONDS}s"
            raise PolicyPackError(
                f"policy pack {self.project.directory} {reason}; its output:\n{line.decode(errors='replace')}"
                f"{self.output()}"
            ) from None

    def _drain_stdout(self) -> None:
        # Anything a policy prints must not fill the pipe and block the pack.
        stream = self._process.stdout if self._process else None
        if stream is not None:
            for line in iter(stream.readline, b""):
                self._stdout_lines.append(line)

    def output(self) -> str:
        """What the pack printed (policies' prints, pulumi.log, tracebacks), for error messages."""
        printed = b"".join(self._stdout_lines).decode(errors="replace")
        self._stderr.seek(0)
        return printed + self._stderr.read().decode(errors="replace")

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill(self) -> None:
        """Stops the pack process at once; whoever waits on it (its port, an answer) gets an error."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def close(self) -> None:
        """Kills the process and releases the channel and pipes; safe to call more than once."""
        with self._closing:
            if self._channel is not None:
                self._channel.close()
                self._channel = None
            if self._process is not None:
                self.kill()
                self._process.wait()
                if self._drainer is not None:
                    self._drainer.join()
                if self._process.stdout is not None:
                    self._process.stdout.close()

    def __enter__(self) -> "PolicyAnalyzer":
        try:
            return self.connect()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc_info) -> None:
        self.close()

    # The protocol.

    def _call(self, name: str, request):
        try:
            return getattr(self._stub, name)(request)
        except grpc.RpcError as error:
            raise self._failure(name, error) from None

    def _failure(self, name: str, error: grpc.RpcError) -> PolicyPackError:
        return PolicyPackError(
            f"policy pack {self.project.directory}: {name} failed: {error.code().name}: {error.details()}\n"
            f"{self.output()}"
        )

    def _call_optional(self, method, request) -> None:
        # The CLI tolerates packs that predate Handshake and ConfigureStack.
        try:
            method(request)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise self._failure(type(request).__name__, error) from None

    def info(self) -> PackInfo:
        if self._info is None:
            response = self._call("GetAnalyzerInfo", empty_pb2.Empty())
            self._info = pack_info(response, self.project.version, self.project.description)
        return self._info

    def configure(self, given: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
        """Reconciles `given` with the pack's defaults and sends it; returns what was sent."""
        reconciled = reconcile_policy_config(self.info(), given)
        if reconciled:
            self._call("Configure", configure_request(reconciled))
        return reconciled

    def analyze(self, resource: analyzer_pb2.AnalyzerResource) -> list[Violation]:
        response = self._call("Analyze", analyze_request(resource))
        return self._violations(response.diagnostics, resource.urn)

    def submit(self, resource: analyzer_pb2.AnalyzerResource) -> tuple[str, grpc.Future]:
        """Sends Analyze without waiting for the answer, so several are in flight at once, as when
        the engine analyzes each resource while the program goes on registering others."""
        return resource.urn, self._stub.Analyze.future(analyze_request(resource))

    def collect(self, submitted: Iterable[tuple[str, grpc.Future]]) -> list[Violation]:
        """The violations of submitted Analyze requests, in the order they were sent."""
        violations: list[Violation] = []
        for urn, future in submitted:
            try:
                response = future.result()
            except grpc.RpcError as error:
                raise self._failure("Analyze", error) from None
            violations.extend(self._violations(response.diagnostics, urn))
            self.not_applicable.extend((urn, n.policy_name, n.reason) for n in response.not_applicable)
        return violations

    def analyze_stack(self, resources: Sequence[analyzer_pb2.AnalyzerResource]) -> list[Violation]:
        response = self._call("AnalyzeStack", analyzer_pb2.AnalyzeStackRequest(resources=resources))
        violations = self._violations(response.diagnostics)
        # As the CLI does: a stack violation without a URN of this stack belongs to the root stack.
        known = {r.urn for r in resources}
        root = next((r.urn for r in resources if r.type == STACK_TYPE), "")
        return [v if v.urn in known or not root else _with_urn(v, root) for v in violations]

    def _violations(self, diagnostics, analyzed_urn: str = "") -> list[Violation]:
        """Violations of diagnostics; one without a URN is about the resource analyzed, as in the CLI."""
        info = self.info()
        result = []
        for d in diagnostics:
            policy = info.policy(d.policyName)
            severity = SEVERITIES.get(d.severity, "") or (policy.severity if policy else "")
            result.append(
                Violation(
                    policy_name=d.policyName,
                    policy_pack=d.policyPackName or info.name,
                    policy_pack_version=info.version or d.policyPackVersion,
                    enforcement_level=_LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                    severity=severity,
                    urn=d.urn or analyzed_urn,
                    description=d.description,
                    message=d.message,
                )
            )
        return result


def _with_urn(violation: Violation, urn: str) -> Violation:
    return Violation(**{**violation.__dict__, "urn": urn})


def _policy_info(p: analyzer_pb2.PolicyInfo) -> PolicyInfo:
    schema = json_format.MessageToDict(p.configSchema) if p.HasField("configSchema") else {}
    return PolicyInfo(
        name=p.name,
        description=p.description,
        enforcement_level=_LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
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

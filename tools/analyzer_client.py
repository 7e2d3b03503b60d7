"""Runs a policy pack the way the Pulumi CLI does, without the CLI.

The CLI starts a Python pack as `python -u -m pulumi.policy <engine-address> .` from the pack's
folder, reads the gRPC port the pack prints, and then speaks the analyzer protocol
(`pulumi/analyzer.proto`): Handshake, ConfigureStack, GetAnalyzerInfo, Configure (the
`--policy-pack-config` JSON reconciled with the pack's defaults), Analyze for each resource and
AnalyzeStack over all of them. This module does the same, following the CLI's Go code
(`pkg/resource/plugin/analyzer_plugin.go`, `pkg/resource/analyzer/config.go`), so a pack that
passes here behaves the same under `pulumi preview --policy-pack`.


Policy config is `tools.policy_config`, the requests about resources `tools.analyzer_requests`,
the protocol's terms `tools.analyzer_terms`.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

import grpc
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from . import pack_environment
from .analyzer_requests import analyze_request
from .analyzer_terms import (LEVEL_NAMES, SEVERITIES, PackInfo, PolicyConfig, PolicyPackError, Violation,
                             pack_info)
from .mock_engine import STACK_TYPE
from .policy_config import configure_request, reconcile_policy_config

# What a DIY-backend CLI passes as the organization (PULUMI_ORGANIZATION).
DIY_ORGANIZATION = "organization"

# How long a pack may take to print its port: imports of pulumi, grpc and the policies.
PACK_START_TIMEOUT_SECONDS = 120


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
                    enforcement_level=LEVEL_NAMES.get(d.enforcementLevel, "advisory"),
                    severity=severity,
                    urn=d.urn or analyzed_urn,
                    description=d.description,
                    message=d.message,
                )
            )
        return result


def _with_urn(violation: Violation, urn: str) -> Violation:
    return Violation(**{**violation.__dict__, "urn": urn})


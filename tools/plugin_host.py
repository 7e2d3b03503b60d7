"""Runs the component plugin the way the Pulumi CLI does, without the CLI.

The CLI's Python language host runs a plugin folder that has a `__main__.py` as
`<folder>/venv/bin/python <folder> <engine address>` (pulumi/pulumi
`sdk/python/cmd/pulumi-language-python/main.go`, `RunPlugin`; the engine address is the one
argument the engine gives a provider plugin). The plugin prints its gRPC port on stdout's first
line. The engine then calls `GetSchema` (`pulumi package add`, SDK generation) and, for each
component a program declares, `Construct` with `monitorEndpoint`: the plugin registers the
component's resources with that resource monitor.

Here the engine is `PluginEngine`: one gRPC server that is both the resource monitor (the SDK's
mock monitor, recording every registration as `tools.mock_engine` does for programs) and the
engine's log service. The plugin runs with this interpreter, whose pins
`components/requirements.txt` repeats, not with a `components/venv` of its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from .mock_engine import STACK_TYPE, CloudMocks, RecordingMonitor, Registration
from .stack_config import PROJECT_ROOT

PLUGIN_DIR = PROJECT_ROOT / "components"
STARTUP_SECONDS = 60


class StackMonitor(RecordingMonitor):
    """The recording mock monitor, for the stack and project a Construct request names (the SDK's
    mock monitor reads them from this process's Pulumi settings, which a plugin run never sets)."""

    def __init__(self, mocks: CloudMocks, stack: str, project: str):
        super().__init__(mocks)
        self.stack, self.project = stack, project

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type.startswith(f"{STACK_TYPE}$"):
                parent_type = parent_type[len(STACK_TYPE) + 1:]
            if parent_type != STACK_TYPE:
                type_ = f"{parent_type}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"


class _MonitorServicer(resource_pb2_grpc.ResourceMonitorServicer):
    """The ResourceMonitor service in front of the mock monitor; one request at a time."""

    def __init__(self, engine: "PluginEngine"):
        self.engine = engine
        self.lock = threading.Lock()

    def _call(self, method: str, request: Any) -> Any:
        with self.lock:
            # The mock cloud answers from the deployment's config and project, as in a program
            # run; this worker thread has neither (config is a context variable).
            pulumi_config.set_all_config(dict(self.engine.cloud_config))
            pulumi_settings.SETTINGS.project, pulumi_settings.SETTINGS.stack = self.engine.project, self.engine.stack
            return getattr(self.engine.monitor, method)(request)

    def SupportsFeature(self, request, context):
        # The mock monitor answers with a stand-in object; the wire needs the message.
        return resource_pb2.SupportsFeatureResponse(hasSupport=self._call("SupportsFeature", request).hasSupport)

    def GetDeploymentInfo(self, request, context):
        return self._call("GetDeploymentInfo", request)

    def Invoke(self, request, context):
        return self._call("Invoke", request)

    def ReadResource(self, request, context):
        return self._call("ReadResource", request)

    def RegisterResource(self, request, context):
        return self._call("RegisterResource", request)

    def RegisterResourceOutputs(self, request, context):
        return self._call("RegisterResourceOutputs", request)

    def RegisterPackage(self, request, context):
        return self._call("RegisterPackage", request)

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()


class _EngineServicer(engine_pb2_grpc.EngineServicer):
    def __init__(self, engine: "PluginEngine"):
        self.engine = engine

    def Log(self, request, context):
        self.engine.logs.append((request.severity, request.message, request.urn))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse()

    def SetRootResource(self, request, context):
        return engine_pb2.SetRootResourceResponse()


@dataclass
class PluginEngine:
    """What the CLI's engine is to a plugin: resource monitor and log sink, on one port."""

    stack: str = "dev"
    project: str = "consumer"
    project_numbers: Mapping[str, str] = field(default_factory=dict)
    """GCP project numbers the mock cloud answers lookups with."""
    cloud_config: Mapping[str, str] = field(default_factory=dict)
    """The deployment's config as the mock cloud sees it (`aws:region`, account, subscription)."""
    monitor: StackMonitor = field(init=False)
    logs: list[tuple[int, str, str]] = field(default_factory=list)
    """(severity, message, urn) of each message the plugin logged."""
    address: str = ""

    def __post_init__(self) -> None:
        self.reset()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(_MonitorServicer(self), self._server)
        engine_pb2_grpc.add_EngineServicer_to_server(_EngineServicer(self), self._server)
        self.address = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        self._server.start()

    def reset(self) -> None:
        """A fresh deployment: nothing registered, nothing logged."""
        self.monitor = StackMonitor(CloudMocks(project_numbers=self.project_numbers), self.stack, self.project)
        self.logs = []

    @property
    def registrations(self) -> list[Registration]:
        return self.monitor.registrations

    def stop(self) -> None:
        self._server.stop(grace=None)


class PluginProcess:
    """The plugin, started as the CLI starts it; `provider` is its ResourceProvider client."""

    def __init__(self, engine_address: str, plugin_dir: Path = PLUGIN_DIR, python: str = sys.executable):
        # The CLI runs the plugin in the consumer program's folder, never in the plugin's own.
        self.workdir = tempfile.TemporaryDirectory(prefix="plugin-consumer-")
        # A file, not a pipe: nobody reads stderr while the plugin runs, and a full pipe blocks it.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [python, str(plugin_dir), engine_address],
            cwd=self.workdir.name,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.port = self._read_port()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.provider = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def _read_port(self) -> int:
        reader = futures.ThreadPoolExecutor(max_workers=1)
        try:
            line = reader.submit(self.process.stdout.readline).result(timeout=STARTUP_SECONDS)
        except futures.TimeoutError:
            self.stop()
            raise RuntimeError(f"the plugin printed no port within {STARTUP_SECONDS}s") from None
        finally:
            reader.shutdown(wait=False)
        if not line.strip().isdigit():
            self.stop()
            raise RuntimeError(f"the plugin printed {line!r}, not a port:\n{self.stderr_text()}")
        return int(line)

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()

    def schema(self) -> dict[str, Any]:
        return json.loads(self.provider.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)

    def version(self) -> str:
        return self.provider.GetPluginInfo(empty_pb2.Empty()).version

    def construct(
        self,
        engine: PluginEngine,
        type_token: str,
        name: str,
        inputs: Mapping[str, Any],
        config: Optional[Mapping[str, str]] = None,
        dry_run: bool = False,
        dependencies: Optional[Mapping[str, list[str]]] = None,
    ) -> dict[str, Any]:
        """One Construct, as the engine sends it for a component a program declares; the state.

        `dependencies` are the URNs each input came from (`${key.arn}` in YAML): the engine sends
        the value and, apart, the resources it depends on.
        """
        request = provider_pb2.ConstructRequest(
            project=engine.project,
            stack=engine.stack,
            config=dict(config or {}),
            dryRun=dry_run,
            parallel=4,
            monitorEndpoint=engine.address,
            type=type_token,
            name=name,
            parent=f"urn:pulumi:{engine.stack}::{engine.project}::{STACK_TYPE}::{engine.project}-{engine.stack}",
            inputs=_struct(inputs),
            inputDependencies={
                key: provider_pb2.ConstructRequest.PropertyDependencies(urns=urns)
                for key, urns in (dependencies or {}).items()
            },
            organization="organization",
        )
        response = self.provider.Construct(request, timeout=120)
        return {"urn": response.urn, **rpc.deserialize_properties(response.state, keep_unknowns=True)}

    def stop(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.stderr.close()
        self.workdir.cleanup()


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """Plain values, as the engine sends a program's known inputs."""
    message = struct_pb2.Struct()
    message.update(dict(values))
    return message

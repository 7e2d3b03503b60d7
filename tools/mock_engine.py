"""Runs the Pulumi program under the SDK's mock engine and records every registration.

`MockMonitor` keeps only ids and state; a real preview also sees each resource's options
(protect, parent, dependencies, aliases). `RecordingMonitor` captures those from the
RegisterResource request itself, so tests and the offline preview can check them.
"""

from __future__ import annotations

import asyncio
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Optional
from urllib.parse import urlparse
from urllib.request import url2pathname

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .mocks import cloud_state
from .stack_config import PROJECT_ROOT, ProjectFile

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One RegisterResource request, as the engine (and so the policy analyzer) sees it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    aliases: list[Any]
    retain_on_delete: bool
    delete_before_replace: bool
    replace_on_changes: list[str]
    ignore_changes: list[str]
    provider: str
    raw_inputs: Any = None
    """The request's protobuf Struct, unknowns and secrets encoded as on the wire."""
    id: str = ""
    state: dict[str, Any] = field(default_factory=dict)
    source_position: Optional["SourceFrame"] = None
    """Where the program constructed the resource: the SDK's `sourcePosition` (its first user frame)."""
    stack_trace: list["SourceFrame"] = field(default_factory=list)
    """The SDK's `stackTrace`, innermost frame first: the constructing code, then its callers."""


@dataclass(frozen=True)
class SourceFrame:
    path: str
    """A local file path (the SDK sends `file://` URIs)."""
    line: int


def source_frame(position) -> Optional[SourceFrame]:
    """A `pulumirpc.SourcePosition` as a local path and line (None when the SDK sent none)."""
    if position is None or not position.uri.startswith("file:"):
        return None
    return SourceFrame(url2pathname(urlparse(position.uri).path), position.line)


class CloudMocks(pulumi.runtime.Mocks):
    """Answers resource creations and invokes the way the clouds would, without calling them.

    `preview=True` imitates a first `pulumi preview`: ids and computed outputs stay unknown,
    so anything built from another resource's output reaches policies as unknown.
    """

    def __init__(self, project_numbers: Optional[Mapping[str, str]] = None, preview: bool = False):
        self.world = cloud_state.World(project_numbers=dict(project_numbers or {}))
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        resource_id, computed = self.world.create(args.typ, args.name, args.inputs)
        if self.preview:
            return "", self.world.preview_state(args.typ, args.inputs)
        return resource_id, {**args.inputs, **computed}

    def call(self, args: pulumi.runtime.MockCallArgs):
        return self.world.invoke(args.token, args.args)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: CloudMocks, on_register: Optional[Callable[[Registration], None]] = None):
        super().__init__(mocks)
        self.on_register = on_register
        """Called with each registration as it is recorded (the offline preview analyzes it then)."""
        self.registrations: list[Registration] = []
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def Invoke(self, request):
        self.invokes.append((request.tok, rpc.deserialize_properties(request.args)))
        return super().Invoke(request)

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a child's type with its parent's whole type chain
        # (`A$B$C`); the SDK's MockMonitor keeps only the last link. Match the engine, so
        # the golden URN inventory guards real URNs.
        if parent:
            qualified_parent_type = parent.split("::")[2]
            stack_type_prefix = f"{STACK_TYPE}$"
            if qualified_parent_type.startswith(stack_type_prefix):
                qualified_parent_type = qualified_parent_type[len(stack_type_prefix):]
            if qualified_parent_type != STACK_TYPE:
                type_ = f"{qualified_parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type == STACK_TYPE:
            return response
        urn = response.urn
        registered = self.resources.get(urn)
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=request.custom,
            protect=request.protect,
            dependencies=list(request.dependencies),
            property_dependencies={
            key: list(deps.urns) for key, deps in request.propertyDependencies.items()
            },
            inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
            aliases=[str(a) for a in request.aliases] + list(request.aliasURNs),
            retain_on_delete=request.retainOnDelete,
            delete_before_replace=request.deleteBeforeReplace,
            replace_on_changes=list(request.replaceOnChanges),
            ignore_changes=list(request.ignoreChanges),
            provider=request.provider,
            raw_inputs=request.object,
            id=registered.id if registered else "",
            state=dict(registered.state) if registered else {},
            source_position=source_frame(request.sourcePosition) if request.HasField("sourcePosition") else None,
            stack_trace=[frame for frame in (source_frame(f.pc) for f in request.stackTrace.frames if f.HasField("pc"))
                         if frame is not None],
        )
        self.registrations.append(registration)
        if self.on_register is not None:
            self.on_register(registration)
        return response

    def by_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}


@dataclass
class ProgramRun:
    monitor: RecordingMonitor
    outputs: dict[str, Any]

    @property
    def resources(self) -> list[Registration]:
        return self.monitor.registrations

    def by_type(self, type_token: str) -> list[Registration]:
        return self.monitor.by_type(type_token)

    def one(self, type_token: str, name: str) -> Registration:
        found = [r for r in self.by_type(type_token) if r.name == name]
        if len(found) != 1:
            names = sorted(r.name for r in self.by_type(type_token))
            raise LookupError(f"{len(found)} {type_token} named {name!r}; have {names}")
        return found[0]


def run(
    body: Callable[[], Any],
    config: Mapping[str, str],
    stack: str = "dev",
    project: Optional[str] = None,
    preview: bool = False,
    project_numbers: Optional[Mapping[str, str]] = None,
    on_register: Optional[Callable[[Registration], None]] = None,
) -> ProgramRun:
    """Runs `body` as a Pulumi program with `config`, returning what it registered and exported."""
    project = project or ProjectFile.load().name
    mocks = CloudMocks(project_numbers=project_numbers, preview=preview)
    monitor = RecordingMonitor(mocks, on_register)
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config))
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    # The SDK tracks a program's pending outputs in a process-wide set, which set_mocks does not
    # reset: a failed run's tasks would otherwise fail the next run with the old error.
    pulumi_settings.SETTINGS.outputs.clear()
    outputs: dict[str, Any] = {}

    def program() -> None:
        body()
        root = pulumi_settings.get_root_resource()
        exported = pulumi.Output.from_input(getattr(root, "outputs", {}))
        outputs.update(_sync_await(exported.future(with_unknowns=True)) or {})

    try:
        _sync_await(run_pulumi_func(program))
    except Exception as error:
        _cancel_leftover_tasks()
        # What was registered before the failure: an invalid stack must have registered nothing.
        error.program_run = ProgramRun(monitor=monitor, outputs=outputs)
        raise
    return ProgramRun(monitor=monitor, outputs=outputs)


def _cancel_leftover_tasks() -> None:
    """Cancels what a failed program left scheduled, so it cannot run into the next program."""
    loop = asyncio.get_event_loop()
    leftover = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftover:
        task.cancel()
    if leftover:
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
    pulumi_settings.SETTINGS.outputs.clear()


def project_program(program_dir: Path = PROJECT_ROOT) -> Callable[[], None]:
    """The body `pulumi up` or `preview` runs for a project folder: its `__main__.py`, siblings importable."""

    def body() -> None:
        if str(program_dir) not in sys.path:
            sys.path.insert(0, str(program_dir))
        runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")

    return body


def run_project_program(
    config: Mapping[str, str],
    stack: str = "dev",
    preview: bool = False,
    project_numbers: Optional[Mapping[str, str]] = None,
    program_dir: Path = PROJECT_ROOT,
) -> ProgramRun:
    """Runs the project's `__main__.py` as `pulumi up` (or `preview`) would, under mocks."""
    return run(project_program(program_dir), config, stack=stack, preview=preview, project_numbers=project_numbers)

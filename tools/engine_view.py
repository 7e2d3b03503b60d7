"""The engine's side of an offline preview: what it analyzes, and when.

`EngineView` is the list of resources the engine hands a policy pack (the root stack, each
resource with its provider, a package's default provider before its first user);
`AnalysisAsRegistered` analyzes each resource as the program registers it, as the CLI's step
generator does, then the whole stack.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from typing import Any, Callable, Optional

from google.protobuf import struct_pb2
from pulumi.runtime import settings as pulumi_settings

from . import analyzer_requests
from .analyzer_client import PolicyAnalyzer, StackContext
from .analyzer_terms import PolicyConfig, Violation
from .mock_engine import STACK_TYPE, Registration


# --- What the engine would see --------------------------------------------------------------


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
            provider = analyzer_requests.provider_resource(explicit) if explicit else None
        elif registration.custom and package != "pulumi":
            if package not in self._default_providers:
                name, inputs = analyzer_requests.default_provider(package, self.context.config)
                self._default_providers[package] = _synthetic(
                    f"{self._prefix}pulumi:providers:{package}::{name}", f"pulumi:providers:{package}", name,
                    inputs, custom=True,
                )
                added.append((self._default_providers[package], None))
            provider = analyzer_requests.provider_resource(self._default_providers[package])
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
        resource = analyzer_requests.analyzer_resource(
            registration, provider, analyzer_requests.alias_urns(registration, monitor.make_urn))
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

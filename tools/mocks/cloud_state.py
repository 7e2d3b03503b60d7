"""The simulated cloud: ids and computed outputs for resources, answers for invokes."""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Mapping

ResourceHandler = Callable[["World", str, Mapping[str, Any]], tuple[str, dict[str, Any]]]
InvokeHandler = Callable[["World", Mapping[str, Any]], dict[str, Any]]

RESOURCES: dict[str, ResourceHandler] = {}
INVOKES: dict[str, InvokeHandler] = {}
OUTPUT_SHAPES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {}


def resource(*type_tokens: str):
    """Registers the handler that computes a resource's id and outputs."""

    def register(handler: ResourceHandler) -> ResourceHandler:
        for token in type_tokens:
            RESOURCES[token] = handler
        return handler

    return register


def output_shape(*type_tokens: str):
    """Registers how a provider answers inputs whose output form differs (e.g. list -> map),
    so a preview's input-derived state has the types the SDK expects."""

    def register(shape: Callable[[Mapping[str, Any]], dict[str, Any]]):
        for token in type_tokens:
            OUTPUT_SHAPES[token] = shape
        return shape

    return register


def invoke(*tokens: str):
    """Registers the handler that answers a data-source invoke."""

    def register(handler: InvokeHandler) -> InvokeHandler:
        for token in tokens:
            INVOKES[token] = handler
        return handler

    return register


class World:
    def __init__(self, project_numbers: dict[str, str]):
        self.project_numbers = project_numbers

    def project_number(self, project_id: str) -> str:
        """A stable 12-digit number per project id, unless a test fixes one."""
        if project_id not in self.project_numbers:
            digest = int(hashlib.sha256(project_id.encode()).hexdigest()[:12], 16)
            self.project_numbers[project_id] = str(100000000000 + digest % 899999999999)
        return self.project_numbers[project_id]

    def create(self, type_token: str, name: str, inputs: Mapping[str, Any]):
        handler = RESOURCES.get(type_token)
        if handler is None:
            return f"{name}-id", {}
        return handler(self, name, inputs)

    def preview_state(self, type_token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """A preview's state: the inputs, in the form the provider answers them."""
        shape = OUTPUT_SHAPES.get(type_token)
        return shape(inputs) if shape else dict(inputs)

    def invoke(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        handler = INVOKES.get(token)
        if handler is None:
            raise NotImplementedError(f"the mock cloud has no answer for invoke {token}")
        return handler(self, args)


# Each cloud's handlers register themselves on import.
from . import gcp  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import azure  # noqa: E402,F401  pylint: disable=wrong-import-position
from . import aws  # noqa: E402,F401  pylint: disable=wrong-import-position

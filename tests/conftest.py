"""Shared fixtures: run the real program or a component under the mock engine."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import pytest

from tools import mock_engine, stack_config
from tools.mock_engine import ProgramRun

# Fixed project numbers, so tests can state exact agent emails.
PROJECT_NUMBERS = {
    "acme-ml-dev": "111111111111",
    "acme-ml-prod": "222222222222",
    "acme-kms-prod": "333333333333",
}

RunStack = Callable[..., ProgramRun]


@pytest.fixture(scope="session")
def run_stack() -> RunStack:
    """`run_stack("dev", {"gcpRegion": "..."})` runs `__main__.py` with that stack's config."""

    def run(stack: str = "dev", overrides: Optional[Mapping[str, Any]] = None, preview: bool = False) -> ProgramRun:
        config = stack_config.resolve(stack, overrides)
        return mock_engine.run_project_program(config, stack=stack, preview=preview, project_numbers=PROJECT_NUMBERS)

    return run


@pytest.fixture(scope="session")
def run_component() -> Callable[..., ProgramRun]:
    """`run_component(lambda: MyComponent(...))` runs a body that builds components directly."""

    def run(body: Callable[[], Any], preview: bool = False) -> ProgramRun:
        return mock_engine.run(body, config={}, preview=preview, project_numbers=PROJECT_NUMBERS)

    return run

"""Azure tests run the real program with only Azure enabled: the same code path, less to build."""

from typing import Any, Mapping, Optional

import pytest


@pytest.fixture(scope="session")
def run_azure(run_stack):
    """`run_azure("prod", {"azureKeySize": 4096})`: the stack's settings with only Azure enabled."""

    def run(stack: str = "dev", overrides: Optional[Mapping[str, Any]] = None, preview: bool = False):
        return run_stack(stack, {"clouds": ["azure"], **(overrides or {})}, preview=preview)

    return run

"""The component plugin, started once for every plugin test, as the CLI starts it."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.conftest import PROJECT_NUMBERS
from tools.plugin_host import PluginEngine, PluginProcess


@pytest.fixture(scope="session")
def plugin_engine() -> Iterator[PluginEngine]:
    """The resource monitor and engine the plugin reports to; `reset()` it per deployment."""
    engine = PluginEngine(project_numbers=PROJECT_NUMBERS)
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def plugin(plugin_engine: PluginEngine) -> Iterator[PluginProcess]:
    process = PluginProcess(plugin_engine.address)
    yield process
    process.stop()


@pytest.fixture
def engine(plugin_engine: PluginEngine) -> PluginEngine:
    """A fresh deployment: nothing registered yet."""
    plugin_engine.reset()
    return plugin_engine

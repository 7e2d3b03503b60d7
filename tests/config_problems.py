"""Shared checks for invalid settings: a ConfigError, and nothing registered at all."""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pytest

from cmek_ml.settings import ConfigError, Problem

RunStack = Callable[[str, Mapping[str, Any]], Any]


def problems_for(run: RunStack, overrides: Mapping[str, Any], stack: str = "dev") -> list[Problem]:
    """Runs `run(stack, overrides)` expecting a ConfigError; returns its problems."""
    with pytest.raises(ConfigError) as caught:
        run(stack, overrides)
    assert caught.value.program_run.resources == [], "an invalid stack registered resources"
    return caught.value.problems


def only_problem(run: RunStack, overrides: Mapping[str, Any], key: str, stack: str = "dev") -> Problem:
    """The one problem `overrides` cause, which must be about `key`."""
    problems = problems_for(run, overrides, stack)
    assert [p.key for p in problems] == [key], problems
    return problems[0]

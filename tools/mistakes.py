"""Mistakes a person can make in a file, located by file, line and column, and "did you mean".

Everything the offline preview refuses because of what someone wrote (a stack file, `Pulumi.yaml`,
a policy config, a command-line argument) is a `Mistake`; the preview prints them all and exits 2
without a traceback. A traceback is kept for bugs in the program itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Sequence

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def display_path(path: Path) -> str:
    """`path` relative to the current folder or else to this repository when inside one, else as given."""
    resolved = Path(path).resolve()
    for base in (Path.cwd(), PROJECT_ROOT):
        if resolved.is_relative_to(base):
            return resolved.relative_to(base).as_posix()
    return Path(path).as_posix()


@dataclass(frozen=True)
class Location:
    path: Path
    line: int = 0
    """1-based; 0 when the mistake is about the whole file."""
    column: int = 0

    def __str__(self) -> str:
        text = display_path(self.path)
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text

    def order(self) -> tuple[int, int]:
        return (self.line, self.column)


@dataclass(frozen=True)
class Mistake:
    location: Location
    message: str
    key: str = ""
    """The configuration key or policy the mistake is about, when there is one."""

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class UserMistakes(Exception):
    """One or more mistakes in what a person wrote; nothing has been run."""

    def __init__(self, mistakes: Sequence[Mistake], what: str = "problems"):
        self.mistakes = list(mistakes)
        if len(self.mistakes) == 1:
            text = str(self.mistakes[0])
        else:
            text = f"{len(self.mistakes)} {what}:\n" + "\n".join(f"  {m}" for m in self.mistakes)
        super().__init__(text)


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest(needle: str, haystack: Iterable[str]) -> Optional[str]:
    """The name `needle` was probably meant to be: case-insensitive edit distance, ties alphabetical.

    The Pulumi CLI suggests project attributes within distance 2 (`findClosestKey` in
    pulumi/pulumi sdk/go/common/workspace/project.go); long names get a little more room here,
    since config keys and policy names are long (`gcpKeyRotationPeriod`)."""
    limit = max(2, len(needle) // 6)
    best, best_distance = None, limit + 1
    for candidate in sorted(haystack):
        distance = levenshtein(needle.lower(), candidate.lower())
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def did_you_mean(needle: str, haystack: Iterable[str]) -> str:
    suggestion = closest(needle, haystack)
    return f"; did you mean {suggestion!r}?" if suggestion else ""


def line_of_offset(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column

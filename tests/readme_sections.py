"""The project README read by section, for the tests that run or check what a section says."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def section(heading: str) -> str:
    """From the first `heading` (`## Offline preview`) up to the next level-2 heading."""
    start = README.index(heading)
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def words(text: str) -> str:
    """`text` with every run of white space as one space: a phrase reads the same however it wraps."""
    return " ".join(text.split())


def code_blocks(text: str, language: str) -> list[str]:
    """The bodies of the fenced ```language blocks in `text`."""
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)

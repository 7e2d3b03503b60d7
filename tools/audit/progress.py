"""Progress on a terminal: one line on stderr, rewritten in place, only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import Optional, TextIO


class Progress:
    def __init__(self, stream: Optional[TextIO] = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.resources = 0
        self._width = 0

    def step(self, where: str, added: int = 0) -> None:
        """Say what is being read now; `added` resources were read since the last step."""
        self.resources += added
        if not self.enabled:
            return
        line = f"{self.resources} resources read; {where}"[:120]
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = len(line)

    def done(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()

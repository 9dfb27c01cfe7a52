"""A progress bar on stderr for runs long enough to wonder about.

Drawn only on a terminal (a log or a pipe gets no carriage-return noise), after half a
second (short runs stay silent), in colour unless `NO_COLOR` is set (https://no-color.org).
"""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import TextIO

WIDTH = 28
DELAY_S = 0.5


class Progress:
    """`with Progress(total, "analysing") as bar: ... bar.advance()`; erased when done."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, delay_s: float = DELAY_S) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.drawn = False
        self.start = time.monotonic()
        self.delay_s = delay_s
        self.enabled = total > 1 and _is_terminal(self.stream)
        self.colour = self.enabled and not os.environ.get("NO_COLOR")

    def __enter__(self) -> Progress:
        return self

    def advance(self, step: int = 1) -> None:
        self.done = min(self.total, self.done + step)
        if self.enabled and time.monotonic() - self.start >= self.delay_s:
            self._draw()

    def _draw(self) -> None:
        filled = WIDTH * self.done // self.total
        bar = "█" * filled + "·" * (WIDTH - filled)
        if self.colour:
            bar = f"\x1b[32m{bar}\x1b[0m"
        self.stream.write(f"\r{bar} {self.done}/{self.total} {self.label}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")  # leave the line clean for what is printed next
            self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False

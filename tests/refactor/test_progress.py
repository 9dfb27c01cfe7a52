"""The progress bar: on a real pseudo-terminal it draws and erases itself; elsewhere it is silent."""

from __future__ import annotations

import io
import os
import pty
import select
from collections.abc import Iterator

import pytest

from harp_refactor.progress import Progress


@pytest.fixture
def terminal() -> Iterator[tuple[io.TextIOWrapper, int]]:
    """The writing end of a real pseudo-terminal, and the fd to read what it shows."""
    reader, writer = pty.openpty()
    stream = open(writer, "w", encoding="utf-8", closefd=True)  # noqa: SIM115 (closed below)
    yield stream, reader
    stream.close()
    os.close(reader)


def shown(reader: int) -> str:
    """All the terminal shows: a pty hands over what was written in pieces, so read until it pauses."""
    chunks = []
    while select.select([reader], [], [], 0.2)[0]:
        chunks.append(os.read(reader, 65536))
    return b"".join(chunks).decode("utf-8")


def test_a_terminal_sees_the_bar_then_a_clean_line(
    terminal: tuple[io.TextIOWrapper, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream, reader = terminal
    with Progress(4, "analysing", stream, delay_s=0) as bar:
        bar.advance()
        bar.advance(3)
    text = shown(reader)
    assert "1/4 analysing" in text and "4/4 analysing" in text
    assert "\x1b[32m" in text  # coloured
    assert text.endswith("\r\x1b[K")  # erased at the end


def test_no_colour_with_no_color(terminal: tuple[io.TextIOWrapper, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    stream, reader = terminal
    with Progress(2, "verifying", stream, delay_s=0) as bar:
        bar.advance(2)
    text = shown(reader)
    assert "2/2 verifying" in text and "\x1b[32m" not in text


def test_silent_off_a_terminal_and_for_short_runs(terminal: tuple[io.TextIOWrapper, int]) -> None:
    log = io.StringIO()
    with Progress(10, "analysing", log, delay_s=0) as bar:
        bar.advance(10)
    assert log.getvalue() == ""
    stream, reader = terminal
    with Progress(10, "analysing", stream, delay_s=60) as bar:  # done before the delay
        bar.advance(10)
    stream.write("end")
    stream.flush()
    assert shown(reader) == "end"

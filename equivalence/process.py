"""The parent's handle on one runner child: start it, send requests, enforce the limits."""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runner import FRAME_HEADER, write_frame


@dataclass(frozen=True)
class Limits:
    """How long one request may take, and how much memory a runner may map."""

    timeout_s: float = 120.0
    memory_mb: int = 6144


class RunnerFailed(Exception):
    """The runner timed out, died, or could not do what was asked; the message says which."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class RunnerProcess:
    """A `harp_refactor.equivalence.runner` child in a copy of the project."""

    def __init__(self, root: Path, limits: Limits, seed: int = 0) -> None:
        self.limits = limits
        self.timed_out = False
        self.output = tempfile.TemporaryFile()
        environment = {
            **os.environ,
            "PYTHONHASHSEED": "0",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        environment.pop("PYTHONSTARTUP", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harp_refactor.equivalence.runner", str(limits.memory_mb * 1024 * 1024)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.output,
            cwd=root,
            env=environment,
            start_new_session=True,
        )
        self.request("setup", root=str(root), seed=seed)

    def request(self, name: str, **arguments: Any) -> dict[str, Any]:
        """Send one request and wait for its reply within the time limit."""
        assert self.process.stdin is not None
        if self.timed_out:
            raise RunnerFailed("an earlier run timed out", timed_out=True)
        try:
            write_frame(self.process.stdin, (name, arguments))
        except (BrokenPipeError, OSError):
            raise RunnerFailed(self.death()) from None
        deadline = time.monotonic() + self.limits.timeout_s
        (size,) = FRAME_HEADER.unpack(self._read(FRAME_HEADER.size, deadline))
        reply: dict[str, Any] = pickle.loads(self._read(size, deadline))
        if not reply.get("ok"):
            raise RunnerFailed(str(reply.get("error", "unknown error")))
        return reply

    def _read(self, size: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        stream = self.process.stdout.fileno()
        chunks: list[bytes] = []
        remaining = size
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            while remaining > 0:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.kill()
                    limit = self.limits.timeout_s
                    message = f"timed out after {limit:g} s (the limit; set `timeout` to change it)"
                    raise RunnerFailed(message, timed_out=True)
                chunk = os.read(stream, min(remaining, 1 << 20))
                if not chunk:
                    raise RunnerFailed(self.death())
                chunks.append(chunk)
                remaining -= len(chunk)
        return b"".join(chunks)

    def death(self) -> str:
        """Why the runner is gone: a signal (the memory limit, a crash) or an exit code."""
        code = self.process.wait(timeout=10)
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory?)" if name == "SIGKILL" else ""
            return f"the program crashed: killed by {name}{hint}; {self.tail()}"
        return f"the program exited with status {code}; {self.tail()}"

    def tail(self, lines: int = 3) -> str:
        """The last lines the program printed, for the report."""
        self.output.seek(0)
        text = self.output.read().decode("utf-8", errors="replace").strip().splitlines()
        return " | ".join(text[-lines:]) if text else "no output"

    def kill(self) -> None:
        self.timed_out = self.process.poll() is None
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    def close(self) -> None:
        if self.process.poll() is None and self.process.stdin is not None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
        self.output.close()

    def __enter__(self) -> RunnerProcess:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

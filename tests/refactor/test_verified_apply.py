"""Fixes pass through the equivalence harness before they are shown or written."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# HARP's one false positive: a property named `next` that returns a new batch on every read.
# The analysis assumes attribute reads are side-effect free and hoists it; the harness must not.
NEXT_PROPERTY = """
import numpy as np


class Batches:
    def __init__(self):
        self.seen = 0

    @property
    def next(self):
        self.seen += 1
        return np.full(3, float(self.seen))


def total(batches, n: int):
    acc = np.zeros(3)
    for _ in range(n):
        acc = acc + np.sqrt(batches.next)
    return acc


if __name__ == "__main__":
    print(total(Batches(), 4))
"""


def harp(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harp_refactor", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


class TestRejectedFix:
    def test_property_with_side_effect_is_found_but_not_written(
        self, tmp_path: Path, write: Callable[[str, str], Path]
    ) -> None:
        """The hoist rests on an assumption that is false here: the harness rejects it, exit 3, a log explains."""
        write("pyproject.toml", "[project]\nname = 'demo'\n")
        program = write("batches.py", NEXT_PROPERTY)
        before = program.read_bytes()
        result = harp(tmp_path, "--apply", "batches.py")
        assert result.returncode == 3, result.stderr
        assert program.read_bytes() == before
        assert "reading `batches.next` has no side effect" in result.stdout
        rejection = next(line for line in result.stderr.splitlines() if line.startswith("not written: batches.py:"))
        assert "not equivalent" in rejection
        log = Path(rejection.split("log: ")[1].strip())
        assert log.is_file() and "return" in log.read_text()

    def test_json_carries_the_verdict(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """With --diff --format json each fixable finding has a verdict with the evidence fields."""
        write("pyproject.toml", "[project]\nname = 'demo'\n")
        write("batches.py", NEXT_PROPERTY)
        result = harp(tmp_path, "--diff", "--format", "json", "batches.py")
        assert result.returncode == 3
        (finding,) = json.loads(result.stdout)["findings"]
        verdict = finding["verdict"]
        assert verdict["status"] == "not_equivalent"
        assert verdict["inputs"].startswith("captured") and verdict["input_count"] >= 1
        assert verdict["max_abs_err"] > 0 and verdict["log"]
        expected = {"reason", "rtol", "atol", "max_rel_err", "time_original_s", "time_rewritten_s", "speedup"}
        assert expected <= set(verdict)

    def test_no_verify_labels_patches_unverified(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """--no-verify skips the harness and says so in the verdict."""
        write("batches.py", NEXT_PROPERTY)
        result = harp(tmp_path, "--diff", "--no-verify", "--format", "json", "batches.py")
        (finding,) = json.loads(result.stdout)["findings"]
        assert finding["verdict"]["status"] == "unverified"
        assert finding["diff"]

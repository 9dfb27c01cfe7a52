"""Fixes pass through the equivalence harness before they are shown or written."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.helpers import harp_command

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

# A hoist that saves most of the program's time, and a tf.function that, called once, costs
# more to trace than it saves: the patch as a whole is faster, the decorator is not.
HOIST_AND_SLOW_TF_FUNCTION = """
import numpy as np
import tensorflow as tf


def normalise_step(x):
    centred = x - tf.reduce_mean(x)
    scaled = centred / tf.math.reduce_std(x)
    clipped = tf.clip_by_value(scaled, -3.0, 3.0)
    squashed = tf.tanh(clipped) + tf.sigmoid(clipped) - tf.nn.softplus(clipped)
    ranked = tf.sort(squashed) * tf.cumsum(squashed) + tf.math.cumprod(tf.ones_like(squashed))
    mixed = tf.einsum("i,j->ij", ranked, squashed)
    summary = tf.linalg.trace(mixed) + tf.reduce_max(mixed) - tf.reduce_min(mixed)
    return summary * tf.reduce_sum(tf.abs(ranked)) + tf.reduce_logsumexp(squashed)


def gram_trace(D, n):
    total = 0.0
    for _ in range(n):
        total += float(np.trace(D @ D.T))
    return total


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    D = rng.standard_normal((300, 300))
    result = gram_trace(D, 100)
    summary = normalise_step(tf.constant(rng.standard_normal(8))).numpy()
    print(result, summary)
"""


def harp(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(harp_command(*args), cwd=cwd, capture_output=True, text=True, timeout=300)


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


class TestPerFixSpeed:
    def test_a_slower_tf_function_is_withdrawn_beside_a_faster_fix(
        self, tmp_path: Path, write: Callable[[str, str], Path]
    ) -> None:
        """HARP203 is judged on its own speed even beside a fix that saves much more: the hoist is written,
        and the decorator only if its own verdict is equivalent (which of the two depends on the timing)."""
        program = write("mixed.py", HOIST_AND_SLOW_TF_FUNCTION)
        result = harp(tmp_path, "--apply", "--format", "json", "mixed.py")
        verdicts = {f["code"]: f["verdict"] for f in json.loads(result.stdout)["findings"]}
        assert verdicts["HARP101"]["status"] == "equivalent"
        assert verdicts["HARP203"]["status"] in ("equivalent", "too_slow"), verdicts["HARP203"]
        assert verdicts["HARP203"] != verdicts["HARP101"]  # verified and timed apart from the hoist
        written = program.read_text(encoding="utf-8")
        assert "trace_D_D_T = np.trace(D @ D.T)" in written
        assert ("@tf.function" in written) == (verdicts["HARP203"]["status"] == "equivalent")

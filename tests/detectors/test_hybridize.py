"""HARP203: every Hybridize precondition blocks the rewrite on its own and says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harp_refactor.detectors import source
from harp_refactor.detectors.facts import extract
from harp_refactor.detectors.patterns.harp203 import REASONS
from harp_refactor.detectors.patterns.harp203_examples import NEGATIVE
from harp_refactor.pipeline import Settings, find_with_skips
from tests.helpers import dedent


def _skips(code: str) -> tuple[list[object], list[tuple[str, ...]]]:
    text = dedent(code)
    findings, skips = find_with_skips("example.py", text, extract(source.parse("example.py", text).module), Settings())
    return [f for f in findings if f.code == "HARP203"], [s.reasons for s in skips if s.code == "HARP203"]


@pytest.mark.parametrize(("reason", "code"), NEGATIVE, ids=[f"{r}-{i}" for i, (r, _) in enumerate(NEGATIVE)])
def test_failed_precondition_blocks_and_says_why(reason: str, code: str) -> None:
    findings, skips = _skips(code)
    assert findings == []
    expected = REASONS[reason].split("{node}")[-1]
    assert any(any(expected in why for why in reasons) for reasons in skips), skips


def test_every_precondition_has_a_negative_example() -> None:
    assert {reason for reason, _ in NEGATIVE} == set(REASONS)


def test_a_safe_function_is_not_skipped() -> None:
    findings, skips = _skips(
        """
        import tensorflow as tf
        def affine(x: tf.Tensor, w: tf.Tensor) -> tf.Tensor:
            return tf.matmul(x, w)
        """
    )
    assert [f.message.split("`")[1] for f in findings] == ["def affine"]
    assert skips == []


def test_explain_lists_what_was_left_alone_and_why(tmp_path: Path) -> None:
    """`--explain` prints each function HARP203 left eager with its failed preconditions."""
    program = tmp_path / "scale.py"
    program.write_text(dedent(NEGATIVE[1][1]), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "harp_refactor", "--explain", str(program)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "left alone:" in result.stdout and "HARP203 `scale` stays eager" in result.stdout
    assert "Python side effect" in result.stdout

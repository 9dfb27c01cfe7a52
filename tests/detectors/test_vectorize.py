"""HARP103/HARP104: the vectorised code computes what the loop did, and loops left alone say why."""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pytest
import torch

from harp_refactor.detectors.facts import extract
from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.pipeline import Settings, find_with_skips, fix_text
from tests.helpers import dedent

EXAMPLES = [
    (code, index, example)
    for code in ("HARP103", "HARP104")
    for index, example in enumerate(all_patterns()[code].INVALID)
]


def _run(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "example.py", "exec"), namespace)
    return namespace["run"]()


def _assert_same(expected: Any, actual: Any, rtol: float) -> None:
    """Same types, dtypes, shapes, and values within `rtol` (0: bit for bit)."""
    assert type(actual) is type(expected)
    if isinstance(expected, tuple):
        for e, a in zip(expected, actual, strict=True):
            _assert_same(e, a, rtol)
        return
    if isinstance(expected, torch.Tensor):
        expected, actual = expected.numpy(), actual.numpy()
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert (actual.dtype, actual.shape) == (expected.dtype, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0)


@pytest.mark.parametrize(("code", "index", "example"), EXAMPLES, ids=[f"{c}-{i}" for c, i, _ in EXAMPLES])
def test_rewrite_computes_what_the_loop_did(code: str, index: int, example: Any) -> None:
    """Run each example before and after the fix: a map gives the same bits, a reduction the
    same values within float rounding; dtypes and shapes never change."""
    before = dedent(example.before)
    settings = Settings(select=(code,))
    findings, _ = find_with_skips("example.py", before, extract(_parse(before)), settings)
    after, errors = fix_text("example.py", before, findings, settings)
    assert errors == [] and after != before
    _assert_same(_run(before), _run(after), rtol=1e-6 if code == "HARP104" else 0)


def _parse(text: str) -> Any:
    import libcst as cst

    return cst.parse_module(text)


REASONS = [
    ("a[i] = a[i + 1] + x[i]", "a = np.zeros(6)", "one iteration's result feeds another"),
    ("a[i] = a[i - 1] + x[i]", "a = np.zeros(5)", "reaches below index 0"),
    ("if x[i] < 0:\n    break\na[i] = x[i]", "a = np.zeros(5)", "has a branch"),
    ("a[i] = x[i]\nbreak", "a = np.zeros(5)", "leaves the loop early (`break`)"),
    ("print(x[i])", "", "runs `print(x[i])` for its effect"),
    ("a[i] = helper(x[i])", "a = np.zeros(5)", "calls `helper`, which may have effects"),
    ("a[i] = np.linalg.norm(x[i])", "a = np.zeros(5)", "not known to work element by element"),
    ("a[i] = x[i] * i", "a = np.zeros(5)", "uses the counter `i` as a number"),
    ("a[i] = x[i] + np.random.rand()", "a = np.zeros(5)", "may have effects or draw random numbers"),
    ("s += x[i]\na[i] = s", "a = np.zeros(5)\ns = 0.0", "reads `s` before the body sets it"),
    ("ys[i] = x[i] * 2", "ys = [0.0] * 5", "nothing shows that `ys` is an array"),
    ("a[i, :] = x[i, :]", "a = np.zeros((5, 2))", "takes a slice"),
    ("p *= x[i]", "p = 1.0", "combines iterations with `*=`"),
    ("a[i] = x[i].item()", "a = np.zeros(5)", "calls a method of a value computed in the loop"),
]


@pytest.mark.parametrize(("body", "setup", "reason"), REASONS, ids=[r[2][:30] for r in REASONS])
def test_loop_left_alone_says_why(body: str, setup: str, reason: str) -> None:
    """`--explain` lists each excluded loop with the reason it stays a loop."""
    source = (
        "import numpy as np\n\n\ndef f(x, helper):\n"
        + textwrap.indent(setup + "\n", "    ")
        + "    for i in range(5):\n"
        + textwrap.indent(body + "\n", "        ")
        + "    return x\n"
    )
    settings = Settings(select=("HARP103", "HARP104"))
    findings, skips = find_with_skips("example.py", source, extract(_parse(source)), settings)
    assert findings == [], source
    loop_line = source.splitlines().index("    for i in range(5):") + 1
    assert [skip.span.line for skip in skips] == [loop_line], (source, skips)
    assert any(reason in why for why in skips[0].reasons), (source, skips)

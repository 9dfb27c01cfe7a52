"""Several transforms on one file: spans carried across an earlier edit, or the fix waits."""

from __future__ import annotations

from harp_refactor.finding import Span
from harp_refactor.pipeline import Settings, analyse_text, apply_fixes
from harp_refactor.shift import SpanLost, line_map, shifted
from tests.helpers import dedent

# A hoist (HARP101) in one function and a reused computation (HARP102) in another: two
# span-located transforms, the first of which moves every line below it.
TWO_FIXES = dedent(
    """
    import numpy as np

    def solve(D, X, n):
        A = X
        for _ in range(n):
            A = A - 0.1 * (D.T @ D) @ A
        return A

    def rotate(points, theta):
        x = np.cos(theta) * points[:, 0]
        y = np.cos(theta) * points[:, 1]
        return x + y
    """
)


def test_both_fixes_apply_in_one_pass() -> None:
    """The reuse's spans are carried below the hoisted lines, so both fixes land together."""
    findings = [f for f in analyse_text("m.py", TWO_FIXES, Settings()) if f.fixable]
    assert {f.code for f in findings} == {"HARP101", "HARP102"}
    fixed = apply_fixes("m.py", TWO_FIXES, findings)
    assert "D_T_D = 0.1 * (D.T @ D)" in fixed
    assert "cos_theta = np.cos(theta)" in fixed and fixed.count("np.cos(theta)") == 1
    assert [f for f in analyse_text("m.py", fixed, Settings()) if f.fixable] == []


def test_a_span_on_an_edited_line_is_lost() -> None:
    """Lines the edit changed carry no span; unchanged ones move with the inserted lines."""
    old = "a = 1\nb = f(x)\nc = f(x)\n"
    new = "a = 1\nt = f(x)\nb = t\nc = f(x)\n"
    lines = line_map(old, new)
    assert lines == {1: 1, 3: 4}
    findings = [f for f in analyse_text("m.py", TWO_FIXES, Settings()) if f.code == "HARP102"]
    moved_down = "\n\n" + TWO_FIXES
    (again,) = [shifted(f, line_map(TWO_FIXES, moved_down)) for f in findings]
    assert again.span.line == findings[0].span.line + 2
    assert again.fix["first"].line == findings[0].fix["first"].line + 2
    edited = TWO_FIXES.replace("y = np.cos(theta)", "y = np.sin(theta)")
    try:
        shifted(findings[0], line_map(TWO_FIXES, edited))
    except SpanLost as lost:
        assert lost.args[0] == Span(11, 8, 11, 21)
    else:
        raise AssertionError("a span on an edited line was carried over")

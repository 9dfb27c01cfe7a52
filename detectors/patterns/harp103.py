"""HARP103: an element-wise Python loop over arrays or tensors → one slice expression."""

from __future__ import annotations

from ..loop_pattern import LoopVectorization
from ..vectorize import Plan
from .harp103_examples import INVALID, VALID


class ElementwiseLoop(LoopVectorization):
    """A `for i in range(n)` loop (or a nest of them) that reads and writes arrays one element
    at a time, with straight-line arithmetic and element-wise calls (`np.exp`, `torch.tanh`),
    and no value carried from one iteration to the next. Each element access is a native
    call with its own checks, so the loop pays n of them where one slice expression pays one
    (PieProf's slice under-utilisation, HARP's scalar computation: 2.0x on a back-propagation
    network, 3.9x on a CNN's filter gradients). The fix turns each counter into a slice
    (`w[i, j] += lr * g[i, j]` → `w[:n, :m] += lr * g[:n, :m]`), adds `None` where an array
    lacks a counter (`out[i, j] = a[i] * b[j]` → `a[:n, None] * b[None, :m]`) or where the
    written elements are themselves arrays of known shape (`np.zeros((n, 3, 3))`), and keeps
    stores in place, so the written array keeps its dtype and anything that shares it sees
    the change.

    Left alone, and listed with the reason by `--explain`: loops that carry a value between
    iterations (`a[i] = a[i - 1] + x[i]`, a temporary read before it is set), that exit early
    (`break`, `return`), branch (`if`), call anything with effects or not known to work
    element by element, use the counter as a number, index arrays against the loop order or
    with slices, write one element from several iterations, or leave a temporary or the
    counter to be read after the loop. The finding states what the rewrite assumes: that the
    indexed elements are single numbers where the shapes are not visible in the code, and
    that a computed loop bound is not negative. The rewrite is kept only when the
    equivalence harness finds the same results.
    """

    code = "HARP103"
    title = "element-wise loop"
    reduces = False
    VALID = VALID
    INVALID = INVALID

    def message(self, head: str, plan: Plan) -> str:
        lines = plan.code.splitlines()
        more = f" and {len(lines) - 1} more line{'s' if len(lines) > 2 else ''}" if len(lines) > 1 else ""
        return (
            f"`{head}` works one element per iteration, each a separate native call: "
            f"slices do it in one (`{lines[-1]}`{more})"
        )

"""HARP104: a total or a dot product accumulated in a Python loop → one library call."""

from __future__ import annotations

from harp_refactor.assumption import Assumption

from ..loop_pattern import REASSOCIATION, LoopVectorization
from ..vectorize import Plan
from .harp104_examples import INVALID, VALID


class LoopAccumulation(LoopVectorization):
    """A `for i in range(n)` loop that adds one term per iteration into a running total:
    `s += x[i] ** 2`, `s = s + a[i] * b[i]`, `grad[f] += d[i, f] * x[i]`. Each iteration
    makes several native calls for one number (PieProf's API misuse: one `np.sum` instead of
    a native call per element; 27x on a metaheuristic benchmark function, 3.9x on a PyTorch
    Cholesky). The fix computes all the terms with slices and adds them with one call:
    `.sum(axis)` over the counters the total does not keep (`.sum(-1)` after a leading `...`),
    or `a[:n] @ b[:n]` for a dot product. The same array methods exist in NumPy and PyTorch.

    Float addition is not associative and the library adds in blocks, so the total can
    differ from the loop's in its last bits: the finding says so, and the rewrite is kept
    only when the equivalence harness finds the results equal within the dtype's tolerance.
    Integer totals are exact unless they overflow, but NumPy adds int32 in int64, so the
    total's dtype can change, and the harness then rejects the rewrite.

    Left alone, with the reason under `--explain`: everything HARP103 leaves alone, and
    totals read inside the loop (`if s > limit`), products (`*=`) and other ways of
    combining iterations.
    """

    code = "HARP104"
    title = "accumulation in a loop"
    reduces = True
    VALID = VALID
    INVALID = INVALID

    def message(self, head: str, plan: Plan) -> str:
        total = plan.code.splitlines()[-1]
        return (
            f"`{head}` adds up a total one term per iteration, each a separate native call: "
            f"one call adds them all (`{total}`); the terms are added in a different order"
        )

    def assumptions(self, plan: Plan) -> tuple[Assumption, ...]:
        return (*plan.assumptions, REASSOCIATION)

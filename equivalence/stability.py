"""What two runs of the original must share: the parts that differ between them are not compared.

Numbers a program prints may include timings, and a function may return a timestamp:
those positions of the printed numbers, and those functions' calls, are left out of the
comparison.  Any other disagreement between two runs of the original is nondeterminism,
and nothing can be concluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .compare import Tolerance, compare, describe
from .evidence import Unverifiable

PRINTED = "printed numbers"


def self_check(first: Any, second: Any) -> None:
    """The original run twice must agree with itself exactly, or nothing can be concluded."""
    comparison = compare(first, second, Tolerance(rtol=0.0, atol=0.0))
    if not comparison.equal:
        lines = describe(comparison, limit=3)
        raise Unverifiable("nondeterministic: the original disagrees with itself at " + "; ".join(lines))


@dataclass
class Unstable:
    """What differed between the original's two runs and is therefore not compared."""

    printed: set[int] | None = field(default_factory=set)  # None: the count of printed numbers varies
    functions: set[str] = field(default_factory=set)

    def drop(self, outcome: Any) -> Any:
        if not isinstance(outcome, dict):
            return outcome
        outcome = dict(outcome)
        if PRINTED in outcome:
            if self.printed is None:
                del outcome[PRINTED]
            elif self.printed:
                outcome[PRINTED] = [None if i in self.printed else n for i, n in enumerate(outcome[PRINTED])]
        if isinstance(outcome.get("calls"), dict) and self.functions:
            outcome["calls"] = {k: v for k, v in outcome["calls"].items() if k not in self.functions}
        return outcome


def unstable_parts(first: Any, second: Any) -> Unstable:
    unstable = Unstable()
    if not (isinstance(first, dict) and isinstance(second, dict)):
        return unstable
    printed_first, printed_second = first.get(PRINTED), second.get(PRINTED)
    if isinstance(printed_first, list) and isinstance(printed_second, list):
        if len(printed_first) != len(printed_second):
            unstable.printed = None
        else:
            unstable.printed = {i for i, (a, b) in enumerate(zip(printed_first, printed_second, strict=True)) if a != b}
    calls_first, calls_second = first.get("calls") or {}, second.get("calls") or {}
    exact = Tolerance(rtol=0.0, atol=0.0)
    for name in set(calls_first) | set(calls_second):
        if not compare(calls_first.get(name), calls_second.get(name), exact).equal:
            unstable.functions.add(name)
    return unstable

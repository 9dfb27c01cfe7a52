"""Side-by-side timing: alternating runs until the speedup is known with confidence, or the budget ends.

One pair is one run of the original and one of the rewrite, in alternating order, so that
load on a shared machine falls on both.  The speedup is the ratio of the medians; its
interval is a bootstrap over the pairs (seeded, so a verdict is reproducible from its
timings).  A fix is faster only when the whole interval lies above the floor.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

_RESAMPLES = 400
_CONFIDENCE = 0.90


@dataclass(frozen=True)
class Timing:
    """The seconds each version took, pair by pair."""

    original_s: tuple[float, ...]
    rewritten_s: tuple[float, ...]

    @property
    def median_original(self) -> float:
        return statistics.median(self.original_s)

    @property
    def median_rewritten(self) -> float:
        return statistics.median(self.rewritten_s)

    @property
    def ratio(self) -> float:
        """Original over rewritten: above 1 the rewrite is faster."""
        return _ratio(self.original_s, self.rewritten_s)

    def interval(self) -> tuple[float, float]:
        """A 90% bootstrap interval of the ratio of medians, resampling whole pairs."""
        pairs = list(zip(self.original_s, self.rewritten_s, strict=True))
        if len(pairs) < 3:
            return (min(self.ratio, 1.0), max(self.ratio, 1.0)) if len(pairs) < 2 else _spread(pairs)
        generator = random.Random(len(pairs))
        ratios = sorted(_ratio(*zip(*(generator.choice(pairs) for _ in pairs), strict=True)) for _ in range(_RESAMPLES))
        tail = (1 - _CONFIDENCE) / 2
        return ratios[int(tail * (_RESAMPLES - 1))], ratios[int((1 - tail) * (_RESAMPLES - 1))]

    def decided(self, floor: float) -> bool:
        """Does the interval lie wholly above or below the floor?"""
        low, high = self.interval()
        return low > floor or high < floor


def _ratio(original: tuple[float, ...] | list[float], rewritten: tuple[float, ...] | list[float]) -> float:
    after = statistics.median(rewritten)
    return statistics.median(original) / after if after > 0 else float("inf")


def _spread(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """Two pairs: the ratios of each, as the interval (too few to resample)."""
    ratios = [old / new if new > 0 else float("inf") for old, new in pairs]
    return min(ratios), max(ratios)


def measure(
    run_pair: Callable[[bool], tuple[float, float]], floor: float, minimum: int, maximum: int, budget_s: float
) -> Timing:
    """Run pairs until `minimum` are in and the interval clears `floor`, or `maximum` or the budget is reached.

    `run_pair(original_first)` times one run of each version and returns (original, rewritten).
    """
    original: list[float] = []
    rewritten: list[float] = []
    deadline = time.monotonic() + budget_s
    while True:
        before, after = run_pair(len(original) % 2 == 0)
        original.append(before)
        rewritten.append(after)
        timing = Timing(tuple(original), tuple(rewritten))
        count = len(original)
        if count >= maximum or (count >= minimum and (timing.decided(floor) or time.monotonic() > deadline)):
            return timing


def speed_words(ratio: float) -> str:
    """ "1.70x faster" or "1.70x slower": never a speedup below one."""
    if ratio >= 1:
        return f"{ratio:.2f}x faster"
    return f"{1 / ratio:.2f}x slower" if ratio > 0 else "slower"

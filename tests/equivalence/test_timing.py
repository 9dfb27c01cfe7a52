"""The speed decision from given timings: interval of the ratio, when to stop, and how speed is worded.

Every timing here is a made-up number: no test measures time.
"""

from __future__ import annotations

import itertools

import pytest

from harp_refactor.equivalence.timing import Timing, measure, speed_words
from harp_refactor.equivalence.verdict import EQUIVALENT, TOO_SLOW, Verdict


class TestTiming:
    def test_ratio_of_medians(self) -> None:
        """The speedup is the original's median over the rewrite's."""
        timing = Timing((4.0, 5.0, 100.0), (2.0, 2.5, 2.0))
        assert timing.ratio == pytest.approx(2.5)

    def test_steady_speedup_has_a_narrow_interval_above_one(self) -> None:
        """Pairs that all show about 2x give an interval around 2x that clears a floor of 1."""
        timing = Timing((2.0, 2.1, 1.9, 2.05, 2.0, 1.95), (1.0, 1.02, 0.98, 1.01, 1.0, 0.99))
        low, high = timing.interval()
        assert 1.8 < low <= timing.ratio <= high < 2.2
        assert timing.decided(1.0)

    def test_noisy_timings_straddling_one_are_undecided(self) -> None:
        """Pairs that are sometimes faster and sometimes slower leave the floor inside the interval."""
        timing = Timing((1.0, 1.3, 0.8, 1.2, 0.9, 1.1), (1.1, 0.9, 1.2, 0.8, 1.3, 1.0))
        low, high = timing.interval()
        assert low < 1.0 < high
        assert not timing.decided(1.0)

    def test_interval_is_reproducible(self) -> None:
        """The bootstrap is seeded: the same timings give the same interval."""
        timing = Timing((1.0, 1.3, 0.8, 1.2), (1.1, 0.9, 1.2, 0.8))
        assert timing.interval() == timing.interval()


class TestMeasure:
    def test_stops_at_the_minimum_once_decided(self) -> None:
        """A clear speedup needs no more pairs than the minimum."""
        calls = []

        def pair(original_first: bool) -> tuple[float, float]:
            calls.append(original_first)
            return 2.0 + 0.01 * len(calls), 1.0

        timing = measure(pair, floor=1.0, minimum=4, maximum=12, budget_s=60)
        assert len(timing.original_s) == 4
        assert calls == [True, False, True, False]  # the order alternates

    def test_undecided_runs_to_the_maximum(self) -> None:
        """While the interval straddles the floor, pairs are added up to the maximum."""
        noise = itertools.cycle([(1.0, 1.1), (1.1, 1.0), (0.9, 1.05), (1.05, 0.95)])
        timing = measure(lambda _: next(noise), floor=1.0, minimum=3, maximum=9, budget_s=60)
        assert len(timing.original_s) == 9


class TestSpeedWords:
    @pytest.mark.parametrize(
        ("ratio", "words"), [(1.7, "1.70x faster"), (1 / 1.7, "1.70x slower"), (1.0, "1.00x faster")]
    )
    def test_slower_is_never_a_fraction_faster(self, ratio: float, words: str) -> None:
        """A rewrite at 0.59x is "1.70x slower", never "0.59x faster"."""
        assert speed_words(ratio) == words

    def test_verdict_line_shows_the_interval(self) -> None:
        """The verdict line gives the median speedup with its interval and run count."""
        verdict = Verdict(
            EQUIVALENT, time_original_s=0.004, time_rewritten_s=0.002, speedup_low=1.8, speedup_high=2.2, timing_runs=7
        )
        assert "2.00x faster (1.80–2.20x, 7 runs; 4.00 ms → 2.00 ms)" in verdict.line()

    def test_too_slow_verdict_says_slower(self) -> None:
        """A too-slow verdict words its speed as slower."""
        verdict = Verdict(TOO_SLOW, time_original_s=0.001, time_rewritten_s=0.0017)
        assert "1.70x slower" in verdict.line() and "faster" not in verdict.line()

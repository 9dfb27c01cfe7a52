"""`Verdict`: what the harness concluded about one patch, and the evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .timing import speed_words

EQUIVALENT = "equivalent"
NOT_EQUIVALENT = "not_equivalent"
COULD_NOT_VERIFY = "could_not_verify"
TOO_SLOW = "too_slow"
UNVERIFIED = "unverified"


@dataclass(frozen=True)
class Verdict:
    """Equivalent or not (and why), on which inputs, with the largest errors and both timings."""

    status: str
    reason: str = ""
    inputs: str = ""
    input_count: int = 0
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    rtol: float | None = None
    atol: float | None = None
    time_original_s: float | None = None  # medians of the alternating runs
    time_rewritten_s: float | None = None
    speedup_low: float | None = None  # 90% interval of the speedup
    speedup_high: float | None = None
    timing_runs: int = 0
    calls_observed: int = 0  # calls of the file's functions compared in whole-program runs
    coverage: str = ""  # which changed lines were seen to run
    variant_check: str = ""  # how many deliberately wrong variants the observations told apart
    numeric: bool = False  # were numbers compared (so the largest errors mean something)?
    differences: tuple[str, ...] = field(default=())
    log: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == EQUIVALENT

    @property
    def speedup(self) -> float | None:
        if self.time_original_s is None or not self.time_rewritten_s:
            return None
        return self.time_original_s / self.time_rewritten_s

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["speedup"] = self.speedup
        document["differences"] = list(self.differences)
        return document

    def evidence(self) -> str:
        """What the verdict rests on, in words: inputs, calls, coverage, the wrong-variant check."""
        parts = []
        if self.input_count:
            parts.append(f"{self.input_count} {self.inputs} input{'s' * (self.input_count != 1)}")
        elif self.inputs:
            parts.append(self.inputs)
        if self.calls_observed:
            parts.append(f"{self.calls_observed} call{'s' * (self.calls_observed != 1)} observed")
        return "; ".join(parts + [part for part in (self.coverage, self.variant_check) if part])

    def speed(self) -> str:
        """ "1.90x faster (1.6–2.2x, 7 runs; 3.20 ms → 1.68 ms)"."""
        speedup = self.speedup
        if speedup is None or self.time_original_s is None or self.time_rewritten_s is None:
            return ""
        before, after = self.time_original_s * 1e3, self.time_rewritten_s * 1e3
        spread = ""
        if self.speedup_low is not None and self.speedup_high is not None:
            spread = f"{self.speedup_low:.2f}–{self.speedup_high:.2f}x, {self.timing_runs} runs; "
        return f"{speed_words(speedup)} ({spread}{before:.2f} ms → {after:.2f} ms)"

    def line(self) -> str:
        """One line for people: status (evidence), largest error, speed, reason, log."""
        if self.status == UNVERIFIED:
            return f"unverified{': ' + self.reason if self.reason else ''}"
        status = self.status.replace("_", " ")
        evidence = self.evidence()
        parts = [f"{status} ({evidence})" if evidence else status]
        if self.numeric and self.max_abs_err is not None and self.atol is not None:
            relation = "≤" if self.status != NOT_EQUIVALENT else "vs"
            parts.append(f"max |Δ| {self.max_abs_err:.1e} {relation} atol {self.atol:.0e}, rtol {self.rtol or 0:.0e}")
        if self.speed():
            parts.append(self.speed())
        if self.reason:
            parts.append(self.reason)
        if self.log:
            parts.append(f"log: {self.log}")
        return ", ".join(parts)

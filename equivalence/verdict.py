"""`Verdict`: what the harness concluded about one patch, and the evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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
    time_original_s: float | None = None
    time_rewritten_s: float | None = None
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

    def line(self) -> str:
        """One line for people: `equivalent on 3 captured inputs, max |Δ| 3e-07 ≤ atol 1e-05, 1.9x faster`."""
        if self.status == UNVERIFIED:
            return f"unverified{': ' + self.reason if self.reason else ''}"
        parts = [self.status.replace("_", " ")]
        if self.input_count:
            parts[0] += f" on {self.input_count} {self.inputs} input{'s' * (self.input_count != 1)}"
        elif self.inputs:
            parts[0] += f" ({self.inputs})"
        if self.max_abs_err is not None and self.atol is not None:
            relation = "≤" if self.status != NOT_EQUIVALENT else "vs"
            parts.append(f"max |Δ| {self.max_abs_err:.1e} {relation} atol {self.atol:.0e}, rtol {self.rtol or 0:.0e}")
        if self.speedup is not None and self.time_original_s is not None and self.time_rewritten_s is not None:
            before, after = self.time_original_s * 1e3, self.time_rewritten_s * 1e3
            parts.append(f"{self.speedup:.2f}x faster ({before:.2f} ms → {after:.2f} ms)")
        if self.reason:
            parts.append(self.reason)
        if self.log:
            parts.append(f"log: {self.log}")
        return ", ".join(parts)

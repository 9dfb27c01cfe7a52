"""What a verification saw: comparisons, inputs, calls observed, lines covered and wrong variants told apart.

"Equivalent" is a claim that could have failed: the changed code ran on the compared
inputs, something was compared, and a deliberately wrong variant of the fix was told
apart by the same observations.  `Evidence` gathers each of those as the checks run and
says which of them is missing.
"""

from __future__ import annotations

import pprint
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .changes import ORIGINAL, REWRITTEN, Probe, describe_lines
from .compare import Comparison, Tolerance, compare, describe


class Unverifiable(Exception):
    """The original could not be run, observed or fed, or the evidence is missing: could not verify."""


class Different(Exception):
    """The rewrite behaved differently: not equivalent."""


def short(value: Any, limit: int = 400) -> str:
    text = pprint.pformat(value, compact=True, width=1_000_000)
    return text if len(text) <= limit else text[:limit] + " ..."


@dataclass
class Evidence:
    """Everything one version's check found, for the verdict and the log."""

    probes: tuple[Probe, ...] = ()
    comparisons: list[Comparison] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    input_count: int = 0
    calls_observed: int = 0
    covered: dict[str, set[int]] = field(default_factory=lambda: {ORIGINAL: set(), REWRITTEN: set()})
    entered: dict[str, set[str]] = field(default_factory=lambda: {ORIGINAL: set(), REWRITTEN: set()})
    variants: dict[int, str] = field(default_factory=dict)  # variant index -> how it was told apart
    program_observations: int = 0  # globals, files, printed numbers and calls a program run showed
    variant_count: int = 0
    variants_checked: bool = False
    unobserved_removals: int = 0  # removal variants not told apart (allowed: a removal computes nothing new)

    def check(self, expected: Any, actual: Any, what: str, tolerance: Tolerance) -> None:
        """Record the comparison; a difference ends the check."""
        comparison = compare(expected, actual, tolerance, path=what)
        self.comparisons.append(comparison)
        if not comparison.equal:
            lines = describe(comparison)
            self.lines += lines
            self.details += [f"{what}: expected {short(expected, 4000)}", f"{what}: got {short(actual, 4000)}"]
            more = f" (and {len(comparison.differences) - 1} more)" if len(comparison.differences) > 1 else ""
            raise Different(lines[0] + more)

    def cover(self, version: str, coverage: dict[str, Any] | None) -> None:
        """Add the lines and functions one run of `version` executed."""
        if coverage:
            self.covered[version].update(coverage.get("lines", ()))
            self.entered[version].update(coverage.get("entered", ()))

    def ran(self, probe: Probe) -> bool:
        if probe.function:
            names = self.entered[probe.version]
            return probe.function in names or probe.function.rsplit(".", 1)[-1] in names
        return probe.line in self.covered[probe.version]

    def require_coverage(self) -> None:
        """Every changed statement, and the original ones it replaces, must have run."""
        missed = [probe for probe in self.probes if not self.ran(probe)]
        if missed:
            raise Unverifiable(f"the changed code never ran: {_probe_list(missed)}")

    def coverage_words(self) -> str:
        """Which changed lines ran, for the verdict."""
        if not self.probes:
            return ""
        return f"changed code ran ({_probe_list(self.probes)})"

    def require_something_compared(self) -> None:
        """A run whose only observable is its exit status compared nothing."""
        if not self.input_count and not self.program_observations:
            raise Unverifiable(
                "nothing was compared: the program leaves no globals, writes no files, prints no numbers "
                "and calls none of the file's functions (set `entry` to a command that does)"
            )

    def variant_words(self) -> str:
        if not self.variants_checked:
            return ""
        if not self.variant_count:
            return "no wrong variant applies (the change computes no value)"
        told = len(self.variants)
        words = f"{told} of {self.variant_count} wrong variant{'s' * (self.variant_count != 1)} told apart"
        larger = sum("times the base perturbation" in how for how in self.variants.values())
        if larger:
            words += f" ({larger} only at a 10% perturbation)"
        if self.unobserved_removals:
            words += f" ({self.unobserved_removals} of a removal, whose operands nothing observed reads later)"
        return words


def _probe_list(probes: Iterable[Probe]) -> str:
    """ "rewritten lines 12, 14-16; original line 9; train_step called" """
    parts: list[str] = []
    for version in (REWRITTEN, ORIGINAL):
        lines = sorted({p.line for p in probes if p.version == version and not p.function})
        if lines:
            parts.append(f"{version} line{'s' * (len(lines) > 1)} {describe_lines(lines)}")
    functions = sorted({p.function for p in probes if p.function})
    parts += [f"{name} called" for name in functions]
    return "; ".join(parts)

"""The per-function check: each changed function or method called on the same inputs in both versions.

Inputs, in order of trust: samples the user declares; every call captured while running
the user's entry command or the file's own `__main__` block (receivers included, all
arguments of a call copied together), up to a time budget; else inputs generated from
the signature and the body, including some on which the original raises.  Each input is
run twice in the original (a disagreement is nondeterminism), once in the rewrite, and
the outcomes — return or exception, arguments and receiver after the call, module
globals — must agree.  The lines each run executed are recorded as evidence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .changes import ORIGINAL, REWRITTEN
from .compare import compare, describe
from .evidence import Different, Evidence, Unverifiable, short
from .process import RunnerFailed, RunnerProcess
from .sandbox import Sandbox
from .stability import Unstable, self_check, unstable_parts
from .values import Raised

if TYPE_CHECKING:
    from .harness import HarnessSettings


class NoInputs(Unverifiable):
    """No argument set could be built for a function: another kind of check may still work."""


@dataclass
class _Inputs:
    blobs: list[bytes]
    source: str  # "declared", "captured", "generated", or several joined by "+"
    real: int  # how many of the blobs, first, are the program's own calls or declared samples
    used: int = 0  # how many the last comparison got through in its time budget

    def made_up(self, index: int) -> bool:
        return index >= self.real


def _as_raised_alike(expected: Any, actual: Any) -> Any:
    """On a made-up input both versions may raise, each its own way: a made-up input is often
    invalid (mismatched shapes), and which check fails first is no result.  The state up to the
    raise is still compared, and an input on which only one version raises is still a difference."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        if isinstance(expected.get("return"), Raised) and isinstance(actual.get("return"), Raised):
            return {**actual, "return": expected["return"]}
    return actual


@dataclass
class UnitCheck:
    """The original's runner (its outcomes cached per input) and the rewrite's, for one file."""

    sandbox: Sandbox
    original: str
    settings: HarnessSettings
    old: RunnerProcess | None = None
    new: RunnerProcess | None = None
    root: Path = Path()
    target: Path = Path()
    inputs: dict[str, _Inputs] = field(default_factory=dict)
    expected: dict[tuple[str, int], tuple[Any, dict[str, Any], Unstable]] = field(default_factory=dict)

    def start(self) -> RunnerProcess:
        if self.old is None:
            self.root = self.sandbox.copy(self.original)
            self.target = self.root / self.sandbox.relative
            self.old = self.sandbox.runner(self.root)
            self.old.request("load", key="v", path=str(self.target), source=self.original)
        if self.new is None or self.new.process.poll() is not None:  # a version killed it: a fresh one
            self.new = self.sandbox.runner(self.root)
        return self.old

    def ask_new(self, name: str, **arguments: Any) -> dict[str, Any]:
        """A request to the rewritten runner: its failure is a difference in behaviour."""
        assert self.new is not None
        try:
            return self.new.request(name, **arguments)
        except RunnerFailed as error:
            raise Different(f"the rewrite failed where the original did not: {error}") from None

    def compare(self, key: str, rewritten: str, units: Sequence[str], evidence: Evidence) -> None:
        """Call every unit on its inputs in both versions; raises on a difference or a failure."""
        old = self.start()
        self.ask_new("load", key=key, path=str(self.target), source=rewritten)
        for unit in units:
            inputs = self.unit_inputs(unit)
            evidence.sources.extend(inputs.source.split("+"))
            deadline = time.monotonic() + self.settings.input_budget_s
            inputs.used = 0
            for index, blob in enumerate(inputs.blobs):
                if index and time.monotonic() > deadline:
                    break
                inputs.used += 1
                evidence.input_count += 1
                try:
                    expected, unstable = self.expected_call(unit, index, blob, evidence)
                    reply = self.ask_new("call", key=key, function=unit, inputs=blob, printed=self.printed)
                    evidence.cover(REWRITTEN, reply["coverage"])
                    actual = unstable.drop(reply["outcome"])
                    actual = _as_raised_alike(expected, actual) if inputs.made_up(index) else actual
                    evidence.check(expected, actual, unit, self.settings.tolerance)
                except (Different, Unverifiable):
                    snapshot = old.request("describe", inputs=blob)["snapshot"]
                    evidence.details.insert(0, f"inputs ({inputs.source}) of {unit}: {short(snapshot, 4000)}")
                    raise

    def told_apart(self, key: str, variant: str, units: Sequence[str], scale: float = 1.0) -> str:
        """How a deliberately wrong variant (its perturbations `scale` times the base size) was seen to
        differ on the inputs compared ("" when it was not)."""
        self.start()
        try:
            self.ask_new("setup", root=str(self.root), seed=0, perturbation=scale)
            self.ask_new("load", key=key, path=str(self.target), source=variant)
        except Different as error:
            return f"it failed to load ({error})"
        for unit in units:
            inputs = self.inputs[unit]
            for index, blob in enumerate(inputs.blobs[: inputs.used]):
                expected, _, unstable = self.expected[(unit, index)]
                try:
                    outcome = self.ask_new("call", key=key, function=unit, inputs=blob, printed=self.printed)["outcome"]
                except Different:
                    return f"{unit} failed on input {index + 1}"
                outcome = unstable.drop(outcome)
                outcome = _as_raised_alike(expected, outcome) if inputs.made_up(index) else outcome
                comparison = compare(expected, outcome, self.settings.tolerance)
                if not comparison.equal:
                    return f"{unit} on input {index + 1}: {describe(comparison, limit=1)[0]}"
        return ""

    @property
    def printed(self) -> bool:
        return self.settings.compare_printed_numbers

    def expected_call(self, unit: str, index: int, blob: bytes, evidence: Evidence) -> tuple[Any, Unstable]:
        """The original's outcome on one input, run twice to rule out nondeterminism; cached.

        Printed numbers that differ between the two runs (timings) are left out.
        """
        if (unit, index) not in self.expected:
            assert self.old is not None
            call: dict[str, Any] = {"key": "v", "function": unit, "inputs": blob, "printed": self.printed}
            first = self.old.request("call", **call)
            second = self.old.request("call", **call)["outcome"]
            unstable = unstable_parts(first["outcome"], second)
            self_check(unstable.drop(first["outcome"]), unstable.drop(second))
            self.expected[(unit, index)] = (unstable.drop(first["outcome"]), first["coverage"], unstable)
        outcome, coverage, unstable = self.expected[(unit, index)]
        evidence.cover(ORIGINAL, coverage)
        return outcome, unstable

    def timing_pair(self, key: str, units: Sequence[str]) -> Callable[[bool], tuple[float, float]]:
        """One timed call of each unit on its first input, in each version."""
        assert self.old is not None
        old = self.old

        def run_pair(original_first: bool) -> tuple[float, float]:
            before = after = 0.0
            for unit in units:
                call = {"function": unit, "inputs": self.inputs[unit].blobs[0], "observe": False}
                if original_first:
                    before += old.request("call", key="v", **call)["seconds"][0]
                    after += self.ask_new("call", key=key, **call)["seconds"][0]
                else:
                    after += self.ask_new("call", key=key, **call)["seconds"][0]
                    before += old.request("call", key="v", **call)["seconds"][0]
            return before, after

        return run_pair

    def unit_inputs(self, unit: str) -> _Inputs:
        if unit not in self.inputs:
            self.inputs[unit] = self.gather_inputs(unit)
        return self.inputs[unit]

    def gather_inputs(self, unit: str) -> _Inputs:
        """Declared samples, else captured calls, else generated argument sets."""
        assert self.old is not None
        settings, old = self.settings, self.old
        tried: list[str] = []

        def attempt(what: str, name: str, **request: Any) -> list[bytes]:
            try:
                blobs: list[bytes] = old.request(name, **request)["inputs"]
            except RunnerFailed as error:
                if error.timed_out:  # the runner is gone; nothing else can be tried in it
                    raise Unverifiable(f"{what}: {error}") from None
                tried.append(f"{what}: {error}")
                return []
            if not blobs:
                tried.append(f"{what} gave none")
            return blobs

        if settings.samples:
            declared = attempt(f"samples {settings.samples}", "samples", factory=settings.samples)
            if declared:
                return _Inputs(declared, "declared", len(declared))
        entry = list(settings.entry) or ([str(self.target)] if has_main_block(self.original) else [])
        captured: list[bytes] = []
        if entry:
            request = {"entry": entry, "path": str(self.target), "function": unit, "limit": settings.max_captured}
            captured = attempt(f"running {' '.join(entry)}", "capture", **request)
        # Varied around the captured calls where there are some (sizes, counts past the data, empty,
        # aliased ...), from the signature and the body where there are none.
        generate = {"key": "v", "function": unit, "draws": settings.max_inputs, "like": captured[:1] or None}
        generated = attempt("generating inputs", "generate", **generate)
        if captured:
            return _Inputs(captured + generated, "captured+generated" if generated else "captured", len(captured))
        if generated:
            return _Inputs(generated, "generated", 0)
        raise NoInputs(f"could not build inputs for {unit}: " + "; ".join(tried))


def has_main_block(source: str) -> bool:
    return "__name__" in source and "__main__" in source

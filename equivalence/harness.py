"""Verify rewrites: run the original and each rewritten version in child processes and compare.

A change inside functions or methods calls each of them on the same inputs in both
versions (`unit_check`); a change elsewhere, or inputs not taken from the program, also
runs the program (`program_check`).  "Equivalent" then needs evidence (`evidence`): the
changed lines ran, something was compared, and every deliberately wrong variant of the
change was told apart.  Last, alternating timed runs must show the rewrite faster with
confidence (`timing`).  One set of runners serves every version of a file, so the
frameworks are imported once per file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .changes import Variant, changed_units, probes, variants
from .compare import Tolerance
from .evidence import Different, Evidence, Unverifiable
from .process import Limits, RunnerFailed
from .program_check import ProgramCheck
from .sandbox import Sandbox
from .timing import Timing, measure, speed_words
from .unit_check import NoInputs, UnitCheck, has_main_block
from .verdict import COULD_NOT_VERIFY, EQUIVALENT, NOT_EQUIVALENT, TOO_SLOW, Verdict

UNIT_VARIANTS, PROGRAM_VARIANTS = 6, 3  # wrong variants at most per version: calls are cheap, programs not
PERTURBATION_SCALES = (1.0, 100.0)  # a wrong variant's perturbation: 1e-3 relative, then 10%


@dataclass(frozen=True)
class HarnessSettings:
    """Where inputs come from, the limits, the tolerance and how timing is done.

    `min_speedup` None asks for "faster with confidence" (the interval above 1); 0 turns the
    speed check off.
    """

    limits: Limits = Limits()
    tolerance: Tolerance = Tolerance()
    samples: str | None = None
    entry: tuple[str, ...] = ()
    max_inputs: int = 3  # generated inputs on which the original returns (some on which it raises follow)
    max_captured: int = 32  # calls captured per function
    input_budget_s: float = 30.0  # comparison time per function, past the first input
    repeats: int = 5  # timed pairs at least; up to three times as many while the speedup is undecided
    timing_budget_s: float = 20.0
    compare_printed_numbers: bool = True
    min_speedup: float | None = None
    speed_note: str = ""  # why the speed is not judged (min_speedup 0), for the verdict
    log_dir: Path = field(default_factory=lambda: Path.cwd() / ".harp-refactor" / "logs")

    @property
    def floor(self) -> float:
        return 1.0 if self.min_speedup is None else self.min_speedup


class Harness:
    """The copies, the runners and the original's cached results for one file.

    Use it through `open_harness`; `check` gives the verdict on one rewritten version.
    """

    def __init__(self, path: Path, original: str, settings: HarnessSettings, stack: ExitStack) -> None:
        self.path = str(path)
        self.versions = 0
        self.original = original
        self.settings = settings
        sandbox = Sandbox(path, settings.limits, stack)
        self.units = UnitCheck(sandbox, original, settings)
        self.program = ProgramCheck(sandbox, original, settings)

    def runs_as_program(self) -> bool:
        """Is there a program to run: an entry command, or the file's own `__main__` block?"""
        return bool(self.settings.entry) or has_main_block(self.original)

    def check(
        self,
        rewritten: str,
        functions: Sequence[str] | None = None,
        whole_program: bool = False,
        min_speedup: float | None = None,
        speed_note: str = "",
    ) -> Verdict:
        """The verdict on one rewritten version of the file; never raises.

        Changed functions and methods are called on inputs; the program runs too where
        there is one and the inputs were not the program's own, and always with
        `whole_program` (a change whose cost is paid once per process, such as tracing a
        tf.function, is timed as the program pays it). `min_speedup` overrides the
        settings' floor for this version; 0 with a `speed_note` says why speed is not judged.
        """
        self.versions += 1
        settings = self.settings if min_speedup is None else replace(self.settings, min_speedup=min_speedup)
        settings = replace(settings, speed_note=speed_note or settings.speed_note)
        evidence = Evidence(probes=probes(self.original, rewritten))
        try:
            if rewritten == self.original:
                verdict = Verdict(EQUIVALENT, reason="no change")
            else:
                verdict = self.verify(f"c{self.versions}", rewritten, functions, whole_program, settings, evidence)
        except Unverifiable as error:
            verdict = Verdict(COULD_NOT_VERIFY, reason=str(error))
        except Different as error:
            verdict = Verdict(NOT_EQUIVALENT, reason=str(error))
            new = self.units.new or self.program.new
            evidence.details.append(f"output of the rewritten run: {new.tail(20) if new else ''}")
        except RunnerFailed as error:
            verdict = Verdict(COULD_NOT_VERIFY, reason=f"the original could not run: {error}")
        except ImportError as error:  # the comparison needs NumPy in this process
            verdict = Verdict(COULD_NOT_VERIFY, reason=f"{error}: install numpy to compare results")
        return _conclude(self.path, rewritten, verdict, evidence, settings)

    def verify(
        self,
        key: str,
        rewritten: str,
        functions: Sequence[str] | None,
        whole_program: bool,
        settings: HarnessSettings,
        evidence: Evidence,
    ) -> Verdict:
        """Compare, then demand the evidence (coverage, wrong variants told apart), then time."""
        units = list(functions) if functions else (changed_units(self.original, rewritten) or [])
        program = self.runs_as_program()
        if units:
            try:
                self.units.compare(key, rewritten, units, evidence)
            except NoInputs:
                if not program:
                    raise
                units = []  # the program's run is the evidence
        # The program runs too where the inputs were made up, and where a def header changed:
        # a decorator such as tf.function keeps state across calls that no single call shows.
        # A change outside functions runs the file as a script even without a `__main__` block.
        headers = any(probe.function for probe in evidence.probes)
        untrusted = not _from_the_program(evidence.sources)
        run = not units or (program and (whole_program or headers or untrusted))
        runs = _ProgramRuns(self.program, rewritten, evidence, run)
        evidence.require_coverage()
        evidence.require_something_compared()
        self.told_apart(key, rewritten, units, runs if program or not units else None, evidence)
        if runs.root is not None and (whole_program or not units):
            pair = self.program.timing_pair(runs.root)
        else:
            pair = self.units.timing_pair(key, units)
        # Unjudged (a floor of 0), the speed is only reported: two pairs give its size.
        least = settings.repeats if settings.floor > 0 else min(2, settings.repeats)
        most = settings.repeats * 3 if settings.floor > 0 else least
        return _timed(measure(pair, settings.floor, least, most, settings.timing_budget_s), settings)

    def told_apart(
        self, key: str, rewritten: str, units: list[str], runs: _ProgramRuns | None, evidence: Evidence
    ) -> None:
        """Each deliberately wrong variant of the rewrite must be seen to differ from the original:
        by the calls of the units, else by the program (compared first, if it has not been)."""
        found = variants(self.original, rewritten, limit=UNIT_VARIANTS if units else PROGRAM_VARIANTS)
        evidence.variant_count, evidence.variants_checked = len(found), True
        for index, variant in enumerate(found):
            how = self.tell_apart(f"{key}w{index}", variant, rewritten, units, runs)
            if how:
                evidence.variants[index] = how
            elif variant.removal:  # nothing observed reads what the removed statement read, after it
                evidence.unobserved_removals += 1
            else:
                raise Unverifiable(
                    f"no observed result depends on the change: a wrong variant ({variant.what}) "
                    "gave the same results as the original"
                )

    def tell_apart(
        self, key: str, variant: Variant, rewritten: str, units: list[str], runs: _ProgramRuns | None
    ) -> str:
        """How the variant was told apart: by the units' calls, else the program; its values moved by
        1e-3 first, then by 10% (a convergent solver absorbs the first), then a call's arguments
        instead of its result (`tf.assign(...)` matters by its effect)."""
        tries = [(variant.source, scale, "") for scale in PERTURBATION_SCALES]
        if variant.alternative:
            tries += [(variant.alternative, scale, "its call's arguments") for scale in PERTURBATION_SCALES]
        for attempt, (source, scale, way) in enumerate(tries):
            how = self.units.told_apart(f"{key}a{attempt}", source, units, scale) if units else ""
            if not how and runs is not None:
                runs.ensure()
                how = self.program.told_apart(source, rewritten, scale)
            if how:
                notes = [way, f"at {scale:g} times the base perturbation" if scale != 1 else ""]
                note = ", ".join(filter(None, notes))
                return how + (f" ({note})" if note else "")
        return ""


class _ProgramRuns:
    """The rewrite's whole-program comparison, made at once or when first needed."""

    def __init__(self, check: ProgramCheck, rewritten: str, evidence: Evidence, now: bool) -> None:
        self.check, self.rewritten, self.evidence = check, rewritten, evidence
        self.root: Path | None = None
        if now:
            self.ensure()

    def ensure(self) -> None:
        if self.root is None:
            self.root = self.check.compare(self.rewritten, self.evidence)


def _timed(timing: Timing, settings: HarnessSettings) -> Verdict:
    """Equivalent, or too slow when the speedup's interval does not lie above the floor."""
    low, high = timing.interval()
    verdict = Verdict(
        EQUIVALENT,
        time_original_s=timing.median_original,
        time_rewritten_s=timing.median_rewritten,
        speedup_low=low,
        speedup_high=high,
        timing_runs=len(timing.original_s),
        reason=settings.speed_note,
    )
    floor = settings.floor
    if floor > 0 and low <= floor:
        wanted = f"min-speedup {floor:g}x" if settings.min_speedup is not None else "faster"
        return replace(verdict, status=TOO_SLOW, reason=f"{speed_words(timing.ratio)}: not {wanted} with confidence")
    return verdict


def _from_the_program(sources: Sequence[str]) -> bool:
    """Did some inputs come from the user's program or declarations (not made up)?"""
    return any(trusted in source for source in sources for trusted in ("captured", "declared"))


@contextmanager
def open_harness(path: str, original: str, settings: HarnessSettings) -> Iterator[Harness]:
    """A harness for `path`; its copies and runners are cleaned up on exit."""
    with ExitStack() as stack:
        yield Harness(Path(path), original, settings, stack)


def verify(
    path: str, original: str, rewritten: str, settings: HarnessSettings, functions: Sequence[str] | None = None
) -> Verdict:
    """The verdict on replacing `original` by `rewritten` as the text of `path`."""
    with open_harness(path, original, settings) as harness:
        return harness.check(rewritten, functions)


def _conclude(path: str, rewritten: str, verdict: Verdict, evidence: Evidence, settings: HarnessSettings) -> Verdict:
    """Add the evidence, the largest errors and the speed check; log a rejection."""
    verdict = replace(
        verdict,
        calls_observed=evidence.calls_observed,
        coverage=evidence.coverage_words() if verdict.status in (EQUIVALENT, TOO_SLOW) else "",
        variant_check=evidence.variant_words(),
    )
    if evidence.sources:
        verdict = replace(verdict, inputs="+".join(dict.fromkeys(evidence.sources)), input_count=evidence.input_count)
    if evidence.comparisons:
        worst = max(evidence.comparisons, key=lambda c: (not c.equal, c.max_abs))
        verdict = replace(
            verdict,
            max_abs_err=max(c.max_abs for c in evidence.comparisons),
            max_rel_err=max(c.max_rel for c in evidence.comparisons),
            rtol=worst.rtol,
            atol=worst.atol,
            numeric=any(c.numeric for c in evidence.comparisons),
        )
    if verdict.status != EQUIVALENT:
        log = _write_log(path, rewritten, verdict, evidence, settings)
        verdict = replace(verdict, differences=tuple(evidence.lines), log=log)
    return verdict


def _write_log(path: str, rewritten: str, verdict: Verdict, evidence: Evidence, settings: HarnessSettings) -> str:
    """The evidence for a rejected patch, where the user can read it."""
    digest = hashlib.sha256(rewritten.encode()).hexdigest()[:10]
    log = settings.log_dir / f"{Path(path).stem}-{digest}.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(
            "\n".join(
                [
                    f"file: {path}",
                    f"verdict: {verdict.status}: {verdict.reason}",
                    f"inputs: {verdict.inputs} ({verdict.input_count})",
                    f"tolerance: rtol={verdict.rtol} atol={verdict.atol}",
                    "differences:",
                    *(f"  {line}" for line in evidence.lines),
                    "evidence:",
                    *(f"  {line}" for line in evidence.details),
                    "--- rewritten source ---",
                    rewritten,
                ]
            ),
            encoding="utf-8",
        )
    except OSError:
        return ""
    return str(log)

"""Verify rewrites: run the original and each rewritten version in child processes and compare.

Function patches (only top-level functions changed) call each changed function on
declared, captured or generated inputs; any other change runs the program as a script.
The original runs twice first, so a program that disagrees with itself is reported as
nondeterministic instead of being guessed about.  Timings alternate between the two
runners after a warm-up, and the speedup is the ratio of the medians.  One pair of
runners serves every version of a file, so the frameworks are imported once per file.
"""

from __future__ import annotations

import ast
import hashlib
import pprint
import shutil
import statistics
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .compare import Comparison, Tolerance, compare, describe
from .process import Limits, RunnerFailed, RunnerProcess
from .verdict import COULD_NOT_VERIFY, EQUIVALENT, NOT_EQUIVALENT, TOO_SLOW, Verdict

_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".hg", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache", ".pytest_cache", ".harp-refactor",
    "*.egg-info", "build", "dist",
)  # fmt: skip


@dataclass(frozen=True)
class HarnessSettings:
    """Where inputs come from, the limits, the tolerance and how timing is done."""

    limits: Limits = Limits()
    tolerance: Tolerance = Tolerance()
    samples: str | None = None
    entry: tuple[str, ...] = ()
    max_inputs: int = 3
    repeats: int = 5
    compare_printed_numbers: bool = False
    min_speedup: float | None = None
    log_dir: Path = field(default_factory=lambda: Path.cwd() / ".harp-refactor" / "logs")


class _Unverifiable(Exception):
    """The original itself could not be run, observed or fed: could not verify."""


class _Different(Exception):
    """The rewrite behaved differently: not equivalent."""


def touched_functions(original: str, rewritten: str) -> list[str] | None:
    """Names of the top-level functions that differ, or None when anything else changed."""
    try:
        before, after = ast.parse(original).body, ast.parse(rewritten).body
    except SyntaxError:
        return None
    if len(before) != len(after):
        return None
    touched = []
    for old, new in zip(before, after, strict=True):
        if ast.dump(old) == ast.dump(new):
            continue
        if not (isinstance(old, ast.FunctionDef) and isinstance(new, ast.FunctionDef) and old.name == new.name):
            return None
        touched.append(old.name)
    return touched


def _loop_variables(source: str) -> set[str]:
    """Names bound as targets of module-level `for` loops."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.id
        for statement in tree.body
        if isinstance(statement, ast.For)
        for node in ast.walk(statement.target)
        if isinstance(node, ast.Name)
    }


def _names(source: str) -> set[str]:
    """Every identifier a program mentions."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _without(globals_: Any, names: set[str]) -> Any:
    return {k: v for k, v in globals_.items() if k not in names} if isinstance(globals_, dict) else globals_


def project_root(path: Path) -> Path:
    """The nearest folder above `path` with a pyproject.toml or .git, else the file's folder."""
    start = path.resolve().parent
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return start


def _short(value: Any, limit: int = 400) -> str:
    text = pprint.pformat(value, compact=True, width=1_000_000)
    return text if len(text) <= limit else text[:limit] + " ..."


@dataclass
class _Evidence:
    """What one version's check found: comparisons, lines for the log, inputs used."""

    comparisons: list[Comparison] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    input_count: int = 0

    def check(self, expected: Any, actual: Any, what: str, tolerance: Tolerance) -> None:
        """Record the comparison; a difference ends the check."""
        comparison = compare(expected, actual, tolerance)
        self.comparisons.append(comparison)
        if not comparison.equal:
            lines = describe(comparison)
            self.lines += lines
            self.details += [f"{what}: expected {_short(expected, 4000)}", f"{what}: got {_short(actual, 4000)}"]
            more = f" (and {len(comparison.differences) - 1} more)" if len(comparison.differences) > 1 else ""
            raise _Different(lines[0] + more)


def _self_check(first: Any, second: Any) -> None:
    """The original run twice must agree with itself exactly, or nothing can be concluded."""
    comparison = compare(first, second, Tolerance(rtol=0.0, atol=0.0))
    if not comparison.equal:
        lines = describe(comparison, limit=3)
        raise _Unverifiable("nondeterministic: the original disagrees with itself at " + "; ".join(lines))


class Harness:
    """The copies, the runners and the original's cached results for one file.

    Use it through `open_harness`; `check` gives the verdict on one rewritten version.
    """

    def __init__(self, path: Path, original: str, settings: HarnessSettings, stack: ExitStack) -> None:
        self.path = str(path)
        self.versions = 0
        self.root = project_root(path)
        self.relative = path.resolve().relative_to(self.root)
        self.original = original
        self.settings = settings
        self.stack = stack
        self.scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harp-verify-")))
        self.copies = 0
        self.old: RunnerProcess | None = None
        self.new: RunnerProcess | None = None
        self.function_root = self.target = Path()
        self.program_old: RunnerProcess | None = None
        self.again_copy = Path()
        self.inputs: dict[str, tuple[list[bytes], str]] = {}
        self.expected: dict[tuple[str, int], Any] = {}
        self.program_expected: Any = None
        self.program_failure: _Unverifiable | RunnerFailed | None = None

    def copy(self, source: str) -> Path:
        """A private copy of the project with `source` as the file under test."""
        self.copies += 1
        destination = self.scratch / f"copy{self.copies}"
        shutil.copytree(self.root, destination, ignore=_COPY_IGNORE, symlinks=True)
        (destination / self.relative).write_text(source, encoding="utf-8")
        return destination

    def runner(self, root: Path) -> RunnerProcess:
        return self.stack.enter_context(RunnerProcess(root, self.settings.limits))

    def start_new(self, root: Path) -> None:
        """The runner for rewritten versions; restarted after a version killed it."""
        if self.new is None or self.new.process.poll() is not None:
            self.new = self.runner(root)

    def ask_new(self, name: str, **arguments: Any) -> dict[str, Any]:
        """A request to the rewritten runner: its failure is a difference in behaviour."""
        assert self.new is not None
        try:
            return self.new.request(name, **arguments)
        except RunnerFailed as error:
            raise _Different(f"the rewrite failed where the original did not: {error}") from None

    def timed(
        self, old: RunnerProcess, name: str, old_call: dict[str, Any], new_call: dict[str, Any]
    ) -> tuple[float, float]:
        """Alternate single runs of each version (the comparison runs warmed both up); the medians."""
        old_times: list[float] = []
        new_times: list[float] = []
        for _ in range(self.settings.repeats):
            old_times += old.request(name, **old_call, observe=False)["seconds"]
            new_times += self.ask_new(name, **new_call, observe=False)["seconds"]
        return statistics.median(old_times), statistics.median(new_times)

    # -- function patches -----------------------------------------------------------------
    def function_verdict(self, key: str, rewritten: str, functions: Sequence[str], evidence: _Evidence) -> Verdict:
        if self.old is None:
            self.function_root = self.copy(self.original)
            self.target = self.function_root / self.relative
            self.old = self.runner(self.function_root)
            self.old.request("load", key="v", path=str(self.target), source=self.original)
        old = self.old
        self.start_new(self.function_root)
        self.ask_new("load", key=key, path=str(self.target), source=rewritten)
        timings = []
        for function in functions:
            inputs, source = self.function_inputs(function)
            evidence.sources.extend(source.split("+"))  # "captured+generated": one entry per kind
            for index, blob in enumerate(inputs):
                evidence.input_count += 1
                try:
                    expected = self.expected_call(function, index, blob)
                    actual = self.ask_new("call", key=key, function=function, inputs=blob)["outcome"]
                    evidence.check(expected, actual, function, self.settings.tolerance)
                except (_Different, _Unverifiable):
                    snapshot = old.request("describe", inputs=blob)["snapshot"]
                    evidence.details.insert(0, f"inputs ({source}) of {function}: {_short(snapshot, 4000)}")
                    raise
            old_call = {"key": "v", "function": function, "inputs": inputs[0]}
            timings.append(self.timed(old, "call", old_call, {**old_call, "key": key}))
        return Verdict(
            EQUIVALENT, time_original_s=sum(t[0] for t in timings), time_rewritten_s=sum(t[1] for t in timings)
        )

    def expected_call(self, function: str, index: int, blob: bytes) -> Any:
        """The original's outcome on one input, run twice to rule out nondeterminism; cached."""
        if (function, index) not in self.expected:
            assert self.old is not None
            call: dict[str, Any] = {"key": "v", "function": function, "inputs": blob}
            first = self.old.request("call", **call)["outcome"]
            _self_check(first, self.old.request("call", **call)["outcome"])
            self.expected[(function, index)] = first
        return self.expected[(function, index)]

    def function_inputs(self, function: str) -> tuple[list[bytes], str]:
        if function not in self.inputs:
            self.inputs[function] = self.gather_inputs(function)
        return self.inputs[function]

    def gather_inputs(self, function: str) -> tuple[list[bytes], str]:
        """Argument sets: the most trusted source first, topped up with generated ones."""
        assert self.old is not None
        settings, old = self.settings, self.old
        tried: list[str] = []
        chosen: list[bytes] = []
        sources: list[str] = []

        def take(blobs: list[bytes], source: str) -> None:
            room = settings.max_inputs - len(chosen)
            if blobs and room > 0:
                chosen.extend(blobs[:room])
                sources.append(source)

        def attempt(what: str, request: Callable[[], list[bytes]], source: str) -> None:
            try:
                blobs = request()
            except RunnerFailed as error:
                if error.timed_out:  # the runner is gone; nothing else can be tried in it
                    raise _Unverifiable(f"{what}: {error}") from None
                tried.append(f"{what}: {error}")
                return
            if not blobs:
                tried.append(f"{what} gave none")
            take(blobs, source)

        if settings.samples:
            samples: dict[str, Any] = {"factory": settings.samples}
            attempt(f"samples {settings.samples}", lambda: old.request("samples", **samples)["inputs"], "declared")
        entry = list(settings.entry) or ([str(self.target)] if self.has_main_block() else [])
        if entry and not chosen:
            capture: dict[str, Any] = {
                "entry": entry,
                "path": str(self.target),
                "function": function,
                "limit": settings.max_inputs,
            }
            attempt(f"running {' '.join(entry)}", lambda: old.request("capture", **capture)["inputs"], "captured")
        if len(chosen) < settings.max_inputs:
            generate: dict[str, Any] = {"key": "v", "function": function, "draws": settings.max_inputs}
            attempt("generating with Hypothesis", lambda: old.request("generate", **generate)["inputs"], "generated")
        if not chosen:
            raise _Unverifiable(f"could not build inputs for {function}: " + "; ".join(tried))
        return chosen, "+".join(sources)

    # -- program patches ------------------------------------------------------------------
    def program_verdict(self, rewritten: str, evidence: _Evidence) -> Verdict:
        entry = list(self.settings.entry) or [str(self.relative)]
        evidence.sources.append(f"program run: {' '.join(entry)}")

        def program(root: Path) -> dict[str, Any]:
            return {"path": str(root / entry[0]), "argv": entry[1:], "printed": self.settings.compare_printed_numbers}

        if self.program_failure is not None:  # every later version meets the same original
            raise self.program_failure
        if self.program_old is None:
            first_copy, self.again_copy = self.copy(self.original), self.copy(self.original)
            self.program_old = old = self.runner(first_copy)
            try:
                first = old.request("program", **program(first_copy))["outcome"]
                old.request("setup", root=str(self.again_copy), seed=0)
                second = old.request("program", **program(self.again_copy))["outcome"]
                _self_check(first, second)
            except (_Unverifiable, RunnerFailed) as error:
                self.program_failure = error
                raise
            self.program_expected = first
        new_copy = self.copy(rewritten)
        self.start_new(new_copy)
        self.ask_new("setup", root=str(new_copy), seed=0)
        actual = self.ask_new("program", **program(new_copy))["outcome"]
        expected = self.program_expected
        # Not results: the variable of a loop the rewrite removed, and the temporaries it added.
        counters = _loop_variables(self.original) - _loop_variables(rewritten)
        temporaries = _names(rewritten) - _names(self.original)
        if (counters or temporaries) and isinstance(expected, dict) and isinstance(actual, dict):
            expected = {**expected, "globals": _without(expected.get("globals"), counters)}
            actual = {**actual, "globals": _without(actual.get("globals"), counters | temporaries)}
        evidence.check(expected, actual, "program", self.settings.tolerance)
        before, after = self.timed(self.program_old, "program", program(self.again_copy), program(new_copy))
        return Verdict(EQUIVALENT, time_original_s=before, time_rewritten_s=after)

    def has_main_block(self) -> bool:
        return "__name__" in self.original and "__main__" in self.original

    def runs_as_program(self) -> bool:
        """Is there a program to run: an entry command, or the file's own `__main__` block?"""
        return bool(self.settings.entry) or self.has_main_block()

    def check(
        self,
        rewritten: str,
        functions: Sequence[str] | None = None,
        whole_program: bool = False,
        min_speedup: float | None = None,
    ) -> Verdict:
        """The verdict on one rewritten version of the file; never raises.

        `whole_program` runs and times the program even when only functions changed, where
        there is one: a change whose cost is paid once per process (tracing a tf.function)
        is then timed as the program pays it. `min_speedup` overrides the settings' floor
        for this version.
        """
        self.versions += 1
        evidence = _Evidence()
        touched = list(functions) if functions else touched_functions(self.original, rewritten)
        if whole_program and self.runs_as_program():
            touched = []
        try:
            if rewritten == self.original:
                verdict = Verdict(EQUIVALENT, reason="no change")
            elif touched:
                verdict = self.function_verdict(f"c{self.versions}", rewritten, touched, evidence)
                if self.runs_as_program() and not _from_the_program(evidence.sources):
                    # Inputs made up for the functions say little of how the program calls
                    # them (a generator where a list was made up): run the program too.
                    verdict = self.program_verdict(rewritten, evidence)
            else:
                verdict = self.program_verdict(rewritten, evidence)
        except _Unverifiable as error:
            verdict = Verdict(COULD_NOT_VERIFY, reason=str(error))
        except _Different as error:
            verdict = Verdict(NOT_EQUIVALENT, reason=str(error))
            evidence.details.append(f"output of the rewritten run: {self.new.tail(20) if self.new else ''}")
        except RunnerFailed as error:
            verdict = Verdict(COULD_NOT_VERIFY, reason=f"the original could not run: {error}")
        except ImportError as error:  # the comparison needs NumPy in this process
            verdict = Verdict(COULD_NOT_VERIFY, reason=f"{error}: install numpy to compare results")
        settings = self.settings if min_speedup is None else replace(self.settings, min_speedup=min_speedup)
        return _conclude(self.path, rewritten, verdict, evidence, settings)


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


def _conclude(path: str, rewritten: str, verdict: Verdict, evidence: _Evidence, settings: HarnessSettings) -> Verdict:
    """Add the inputs used, the largest errors and the speed check; log a rejection."""
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
        )
    if verdict.status == EQUIVALENT and settings.min_speedup is not None:
        if verdict.speedup is not None and verdict.speedup < settings.min_speedup:
            verdict = replace(verdict, status=TOO_SLOW, reason=f"slower than min-speedup {settings.min_speedup:g}x")
    if verdict.status != EQUIVALENT:
        log = _write_log(path, rewritten, verdict, evidence, settings)
        verdict = replace(verdict, differences=tuple(evidence.lines), log=log)
    return verdict


def _write_log(path: str, rewritten: str, verdict: Verdict, evidence: _Evidence, settings: HarnessSettings) -> str:
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

"""Verify a rewrite: run both versions in child processes on the same inputs and compare.

Function patches (only top-level functions changed) call each changed function on
declared, captured or generated inputs; any other change runs the program as a script.
The original runs twice first, so a program that disagrees with itself is reported as
nondeterministic instead of being guessed about.  Timings alternate between the two
runners after a warm-up, and the speedup is the ratio of the medians.
"""

from __future__ import annotations

import ast
import hashlib
import pprint
import shutil
import statistics
import tempfile
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
    min_speedup: float | None = None
    log_dir: Path = field(default_factory=lambda: Path.cwd() / ".harp-refactor" / "logs")


class _Unverifiable(Exception):
    """The original itself could not be run or observed: could not verify."""


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


def project_root(path: Path) -> Path:
    """The nearest folder above `path` with a pyproject.toml or .git, else the file's folder."""
    start = path.resolve().parent
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return start


def _has_main_block(source: str) -> bool:
    return "__name__" in source and "__main__" in source


class _Session:
    """One verification: the copies, the two runners, and the evidence gathered."""

    def __init__(self, path: Path, original: str, rewritten: str, settings: HarnessSettings, scratch: Path) -> None:
        self.root = project_root(path)
        self.relative = path.resolve().relative_to(self.root)
        self.original, self.rewritten = original, rewritten
        self.settings = settings
        self.scratch = scratch
        self.comparisons: list[Comparison] = []
        self.evidence: list[str] = []
        self.sources: list[str] = []
        self.input_count = 0

    def copy(self, name: str, source: str) -> Path:
        """A private copy of the project with `source` as the file under test."""
        destination = self.scratch / name
        shutil.copytree(self.root, destination, ignore=_COPY_IGNORE, symlinks=True)
        (destination / self.relative).write_text(source, encoding="utf-8")
        return destination

    def check(self, expected: Any, actual: Any, what: str, *, self_check: bool = False) -> None:
        comparison = compare(expected, actual, self.settings.tolerance)
        if not comparison.equal:
            lines = describe(comparison)
            self.evidence += [f"{what}: expected {_short(expected)}", f"{what}: got {_short(actual)}", *lines]
            more = f" (and {len(comparison.differences) - 1} more)" if len(comparison.differences) > 1 else ""
            if self_check:
                raise _Unverifiable(f"nondeterministic: the original disagrees with itself at {lines[0]}{more}")
            self.comparisons.append(comparison)
            raise _Different(lines[0] + more)
        if not self_check:
            self.comparisons.append(comparison)

    def timed(
        self,
        old: RunnerProcess,
        new: RunnerProcess,
        name: str,
        old_call: dict[str, Any],
        new_call: dict[str, Any],
    ) -> tuple[float, float]:
        """Alternate single runs of each version (after the comparison runs warmed both up); the medians."""
        old_times: list[float] = []
        new_times: list[float] = []
        for _ in range(self.settings.repeats):
            old_times += old.request(name, **old_call, observe=False)["seconds"]
            new_times += _rewritten(new.request, name, **new_call, observe=False)["seconds"]
        return statistics.median(old_times), statistics.median(new_times)


def _rewritten(request: Any, name: str, **arguments: Any) -> dict[str, Any]:
    """A request to the rewritten runner: its failure is a difference in behaviour."""
    try:
        reply: dict[str, Any] = request(name, **arguments)
    except RunnerFailed as error:
        raise _Different(f"the rewrite failed where the original did not: {error}") from None
    return reply


def _short(value: Any, limit: int = 400) -> str:
    text = pprint.pformat(value, compact=True, width=100)
    return text if len(text) <= limit else text[:limit] + " ..."


def verify(
    path: str, original: str, rewritten: str, settings: HarnessSettings, functions: list[str] | None = None
) -> Verdict:
    """The verdict on replacing `original` by `rewritten` as the text of `path`."""
    if original == rewritten:
        return Verdict(EQUIVALENT, reason="no change")
    if functions is None:
        functions = touched_functions(original, rewritten)
    with tempfile.TemporaryDirectory(prefix="harp-verify-") as scratch:
        session = _Session(Path(path), original, rewritten, settings, Path(scratch))
        try:
            if functions:
                verdict = _verify_functions(session, functions)
            else:
                verdict = _verify_program(session)
        except _Unverifiable as error:
            verdict = Verdict(COULD_NOT_VERIFY, reason=str(error))
        except _Different as error:
            verdict = Verdict(NOT_EQUIVALENT, reason=str(error))
        except RunnerFailed as error:
            verdict = Verdict(COULD_NOT_VERIFY, reason=f"the original could not run: {error}")
        if session.sources and not verdict.inputs:
            verdict = replace(verdict, inputs="+".join(dict.fromkeys(session.sources)), input_count=session.input_count)
        verdict = _with_errors(verdict, session.comparisons)
        if verdict.status == EQUIVALENT and settings.min_speedup is not None:
            if verdict.speedup is not None and verdict.speedup < settings.min_speedup:
                verdict = replace(verdict, status=TOO_SLOW, reason=f"slower than min-speedup {settings.min_speedup:g}x")
        if verdict.status != EQUIVALENT:
            verdict = replace(verdict, log=_write_log(path, verdict, session))
        return verdict


def _with_errors(verdict: Verdict, comparisons: list[Comparison]) -> Verdict:
    """The largest errors seen, and the tolerance that governed them."""
    if not comparisons:
        return verdict
    worst = max(comparisons, key=lambda c: (not c.equal, c.max_abs))
    return replace(
        verdict,
        max_abs_err=max(c.max_abs for c in comparisons),
        max_rel_err=max(c.max_rel for c in comparisons),
        rtol=worst.rtol,
        atol=worst.atol,
    )


def _inputs(session: _Session, old: RunnerProcess, target: Path, function: str) -> tuple[list[bytes], str]:
    """Argument sets for `function`: the most trusted source first, topped up with generated ones."""
    settings = session.settings
    tried: list[str] = []
    chosen: list[bytes] = []
    sources: list[str] = []

    def take(blobs: list[bytes], source: str) -> None:
        room = settings.max_inputs - len(chosen)
        if blobs and room > 0:
            chosen.extend(blobs[:room])
            sources.append(source)

    if settings.samples:
        try:
            take(old.request("samples", factory=settings.samples)["inputs"], "declared")
        except RunnerFailed as error:
            tried.append(f"samples {settings.samples}: {error}")
    entry = list(settings.entry) or ([str(target)] if _has_main_block(session.original) else [])
    if entry and not chosen:
        try:
            reply = old.request("capture", entry=entry, path=str(target), function=function, limit=settings.max_inputs)
            take(reply["inputs"], "captured")
            if not reply["inputs"]:
                tried.append(f"running {' '.join(entry)} never called {function}")
        except RunnerFailed as error:
            tried.append(f"running {' '.join(entry)}: {error}")
    if len(chosen) < settings.max_inputs:
        try:
            take(old.request("generate", key="v", function=function, draws=settings.max_inputs)["inputs"], "generated")
        except RunnerFailed as error:
            tried.append(f"generating: {error}")
    if not chosen:
        raise _Unverifiable(f"could not build inputs for {function}: " + "; ".join(tried or ["no source gave any"]))
    return chosen, "+".join(sources)


def _verify_functions(session: _Session, functions: list[str]) -> Verdict:
    copy = session.copy("project", session.original)
    target = copy / session.relative
    limits = session.settings.limits
    with RunnerProcess(copy, limits) as old, RunnerProcess(copy, limits) as new:
        old.request("load", key="v", path=str(target), source=session.original)
        _rewritten(new.request, "load", key="v", path=str(target), source=session.rewritten)
        timings: list[tuple[float, float]] = []
        for function in functions:
            inputs, source = _inputs(session, old, target, function)
            session.sources.append(source)
            for blob in inputs:
                call: dict[str, Any] = {"key": "v", "function": function, "inputs": blob}
                session.input_count += 1
                try:
                    first = old.request("call", **call)["outcome"]
                    session.check(first, old.request("call", **call)["outcome"], function, self_check=True)
                    session.check(first, _rewritten(new.request, "call", **call)["outcome"], function)
                except (_Different, _Unverifiable):
                    snapshot = old.request("describe", inputs=blob)["snapshot"]
                    session.evidence.insert(0, f"inputs ({source}) of {function}: {_short(snapshot, 2000)}")
                    raise
            request: dict[str, Any] = {"key": "v", "function": function, "inputs": inputs[0]}
            timings.append(session.timed(old, new, "call", request, request))
    return Verdict(
        EQUIVALENT,
        time_original_s=sum(t[0] for t in timings),
        time_rewritten_s=sum(t[1] for t in timings),
    )


def _verify_program(session: _Session) -> Verdict:
    entry = list(session.settings.entry) or [str(session.relative)]
    first_copy = session.copy("original", session.original)
    second_copy = session.copy("original-again", session.original)
    new_copy = session.copy("rewritten", session.rewritten)
    limits = session.settings.limits

    def program(root: Path) -> dict[str, Any]:
        return {"path": str(root / entry[0]), "argv": entry[1:]}

    session.sources.append(f"program run: {' '.join(entry)}")

    with RunnerProcess(first_copy, limits) as old, RunnerProcess(new_copy, limits) as new:
        first = old.request("program", **program(first_copy))["outcome"]
        old.request("setup", root=str(second_copy), seed=0)
        session.check(first, old.request("program", **program(second_copy))["outcome"], "program", self_check=True)
        session.check(first, _rewritten(new.request, "program", **program(new_copy))["outcome"], "program")
        timing = session.timed(old, new, "program", program(second_copy), program(new_copy))
    return Verdict(EQUIVALENT, time_original_s=timing[0], time_rewritten_s=timing[1])


def _write_log(path: str, verdict: Verdict, session: _Session) -> str:
    """The evidence for a rejected patch, where the user can read it."""
    digest = hashlib.sha256(session.rewritten.encode()).hexdigest()[:10]
    log = session.settings.log_dir / f"{Path(path).stem}-{digest}.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(
            "\n".join(
                [
                    f"file: {path}",
                    f"verdict: {verdict.status}: {verdict.reason}",
                    f"tolerance: rtol={verdict.rtol} atol={verdict.atol}",
                    "evidence:",
                    *(f"  {line}" for line in session.evidence),
                    "--- rewritten source ---",
                    session.rewritten,
                ]
            ),
            encoding="utf-8",
        )
    except OSError:
        return ""
    return str(log)

"""Harness test cases: an original program and its rewrite, verified in a pool shared by a test module.

A case writes its program into a folder of its own (with a small pyproject.toml, so the
harness copies only that folder) and verifies a rewrite of it; the children import the
real NumPy, PyTorch and TensorFlow.  A verification starts interpreters that import the
frameworks (about 3 s each with TensorFlow), so a module-scoped pool runs the cases that
the selected tests of a module need, two at a time (in two processes) and the slowest first, and the tests
assert on the cached verdicts.  Each test module keeps its cases in a module-level
`CASES` dict.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from harp_refactor.equivalence.harness import HarnessSettings, verify
from harp_refactor.equivalence.verdict import Verdict

PYPROJECT = '[project]\nname = "case"\nversion = "0"\n'
EXIT_EQUIVALENT, EXIT_COULD_NOT_VERIFY, EXIT_NOT_EQUIVALENT = 0, 2, 3
JSON_FIELDS = (
    "status",
    "reason",
    "inputs",
    "max_abs_err",
    "max_rel_err",
    "rtol",
    "atol",
    "time_original_s",
    "time_rewritten_s",
    "speedup",
    "log",
)


@dataclass(frozen=True)
class Case:
    """An original program, its rewrite, and what differs from the default settings."""

    original: str
    rewritten: str
    settings: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    cli: tuple[str, ...] | None = None  # verify through the command line with these extra arguments

    @property
    def cost(self) -> int:
        """A rough rank of how long the case takes, to start the slowest first."""
        text = self.original + self.rewritten
        return 3 * ("tensorflow" in text) + 2 * ("torch" in text) + 2 * ("Limits(" in repr(self.settings))


def case(original: str, rewritten: str, **extra: Any) -> Case:
    return Case(textwrap.dedent(original).lstrip(), textwrap.dedent(rewritten).lstrip(), **extra)


@dataclass(frozen=True)
class Outcome:
    """What one case produced: the verdict (or the command line's result) and how long it took."""

    verdict: Verdict
    seconds: float
    folder: Path
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""


def run_case(spec: Case, folder: Path) -> Outcome:
    """Write the case's project into `folder` and verify its rewrite (in-process or via the CLI)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    for relative, text in spec.files.items():
        (folder / relative).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    original = folder / "prog.py"
    original.write_text(spec.original, encoding="utf-8")
    start = time.monotonic()
    if spec.cli is None:
        # min_speedup 0: no verdict may rest on a timing (the speed check has tests of its own)
        defaults = {"repeats": 1, "max_inputs": 2, "min_speedup": 0.0, "log_dir": folder / "logs"}
        settings = HarnessSettings(**{**defaults, **spec.settings})
        verdict = verify(str(original), spec.original, spec.rewritten, settings)
        return Outcome(verdict, time.monotonic() - start, folder)
    rewritten = folder / "prog_rewritten.py"
    rewritten.write_text(spec.rewritten, encoding="utf-8")
    command = [sys.executable, "-m", "harp_refactor", "verify", str(original), str(rewritten), "--format", "json"]
    speed = () if "--min-speedup" in spec.cli else ("--min-speedup", "0")
    completed = subprocess.run(
        [*command, *spec.cli, *speed], cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )
    try:
        document = json.loads(completed.stdout)
    except json.JSONDecodeError:
        document = {"status": "no json", "reason": completed.stdout[-2000:] + completed.stderr[-2000:]}
    known = {key: document[key] for key in Verdict.__dataclass_fields__ if key in document}
    if "differences" in known:
        known["differences"] = tuple(known["differences"])
    verdict = Verdict(**{"status": "", **known})
    seconds = time.monotonic() - start
    return Outcome(verdict, seconds, folder, completed.returncode, completed.stdout, completed.stderr)


class CasePool:
    """Runs the cases the selected tests need in two processes, slowest first, and keeps the outcomes."""

    def __init__(self, root: Path, cases: dict[str, Case], wanted: set[str]) -> None:
        self.root = root
        self.cases = cases
        # Processes, not threads: CPython 3.11's parser is not safe to call from two threads at once.
        self.executor = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"))
        self.futures: dict[str, Future[Outcome]] = {}
        for name in sorted(wanted, key=lambda n: (-cases[n].cost, n)):
            self.submit(name)

    def submit(self, name: str) -> Future[Outcome]:
        if name not in self.futures:
            self.futures[name] = self.executor.submit(run_case, self.cases[name], self.root / name)
        return self.futures[name]

    def __getitem__(self, name: str) -> Outcome:
        return self.submit(name).result(timeout=600)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


Test = TypeVar("Test", bound=Callable[..., Any])


def uses(*names: str) -> Callable[[Test], Test]:
    """Tell the pool which cases a test that is not parametrized over case names reads."""

    def mark(test: Test) -> Test:
        test.harness_cases = names  # type: ignore[attr-defined]
        return test

    return mark


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CasePool]:
    """The outcomes of every case that a selected test of this module reads, run up front."""
    cases: dict[str, Case] = request.module.CASES
    wanted: set[str] = set()
    for item in request.session.items:
        if not isinstance(item, pytest.Function) or item.module is not request.module:
            continue
        wanted.update(getattr(item.function, "harness_cases", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            wanted.update(value for value in callspec.params.values() if isinstance(value, str) and value in cases)
    pool = CasePool(tmp_path_factory.mktemp("harness"), cases, wanted)
    yield pool
    pool.close()


def log_body(log: str) -> str:
    """A rejection log without its file and verdict lines and the rewritten source, which would match anything."""
    text = Path(log).read_text(encoding="utf-8")
    assert "--- rewritten source ---" in text, text
    head = text.split("--- rewritten source ---", 1)[0]
    return "\n".join(line for line in head.splitlines() if not line.startswith(("file:", "verdict:")))

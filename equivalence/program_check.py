"""The whole-program check: the file (or the entry command) run as a program in both versions.

Besides module globals, written files and the exit status, a run observes every call of
the functions and methods the file defines (returns or exceptions, arguments and
receivers after the call, in order) and the numbers the program prints, so results kept
in `main()`'s locals or only printed are compared too.  The original runs twice first:
printed numbers and functions whose calls differ between those two runs (a timer, a
timestamp) are left out of the comparison; any other disagreement is nondeterminism.
"""

from __future__ import annotations

import ast
import difflib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .changes import ORIGINAL, REWRITTEN
from .compare import compare, describe
from .evidence import Different, Evidence
from .process import RunnerFailed, RunnerProcess
from .sandbox import Sandbox
from .stability import PRINTED, Unstable, self_check, unstable_parts

if TYPE_CHECKING:
    from .harness import HarnessSettings


def _loop_variables(tree: ast.Module) -> set[str]:
    """Names bound as targets of module-level `for` loops."""
    return {
        node.id
        for statement in tree.body
        if isinstance(statement, ast.For)
        for node in ast.walk(statement.target)
        if isinstance(node, ast.Name)
    }


def _names(tree: ast.Module) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _definitions(tree: ast.Module) -> dict[str, str]:
    """qualname -> a dump of the decorators, for every function and method of a module."""
    found: dict[str, str] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + node.name
                found[name] = "".join(ast.dump(d) for d in node.decorator_list)
                visit(node.body, name + ".<locals>.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        visit([child], prefix)

    visit(tree.body, "")
    return found


def _changed_statements(source: str, tree: ast.Module, other: str) -> list[ast.stmt]:
    """The simple and compound statements of `source` that hold a line `other` lacks."""
    lines = source.splitlines()
    matcher = difflib.SequenceMatcher(None, other.splitlines(), lines, autojunk=False)
    changed = {j + 1 for tag, _, _, j1, j2 in matcher.get_opcodes() if tag != "equal" for j in range(j1, j2)}
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and any(node.lineno <= n <= (node.end_lineno or node.lineno) for n in changed)
    ]


def _callees(statements: list[ast.stmt]) -> set[str]:
    """The last name of everything called in these statements (`helper`, `self.step` -> `step`)."""
    names = set()
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    names.add(node.func.id)
                elif isinstance(node.func, ast.Attribute):
                    names.add(node.func.attr)
    return names


@functools.lru_cache(maxsize=8)  # the comparison and every wrong variant of a version ask again
def observed_functions(original: str, rewritten: str) -> tuple[str, ...]:
    """Functions and methods whose calls are compared: defined alike in both versions, and not
    called from changed code (a hoist or a reuse may call them fewer times)."""
    try:
        before, after = ast.parse(original), ast.parse(rewritten)
    except SyntaxError:
        return ()
    old, new = _definitions(before), _definitions(after)
    changed = _changed_statements(rewritten, after, original) + _changed_statements(original, before, rewritten)
    # the innermost changed statements only: a changed loop's body calls count, its whole function's do not
    simple = [s for s in changed if not any(isinstance(c, ast.stmt) for c in ast.iter_child_nodes(s))]
    headers = [s for s in changed if s not in simple and not isinstance(s, (ast.FunctionDef, ast.ClassDef))]
    called = _callees(simple) | _callees([_header(s) for s in headers])
    alike = [name for name, decorators in new.items() if old.get(name) == decorators]
    return tuple(sorted(name for name in alike if name.split(".")[-1] not in called))


def _header(statement: ast.stmt) -> ast.stmt:
    """A compound statement without its body (`for x in f(y):` keeps `f(y)`)."""
    parts = [getattr(statement, name) for name in ("test", "iter", "items") if hasattr(statement, name)]
    return ast.Expr(value=ast.Tuple(elts=[p for p in parts if isinstance(p, ast.expr)], ctx=ast.Load()))


@dataclass
class ProgramCheck:
    """The original program's two reference runs, and runs of rewritten versions in fresh copies."""

    sandbox: Sandbox
    original: str
    settings: HarnessSettings
    old: RunnerProcess | None = None
    new: RunnerProcess | None = None
    again: Path = Path()
    expected: Any = None
    unstable: Unstable = field(default_factory=Unstable)
    coverage: dict[str, Any] = field(default_factory=dict)
    failure: Exception | None = None

    def entry(self) -> list[str]:
        return list(self.settings.entry) or [str(self.sandbox.relative)]

    def request(self, root: Path, functions: tuple[str, ...], observe: bool = True) -> dict[str, Any]:
        entry = self.entry()
        return {
            "path": str(root / entry[0]),
            "argv": entry[1:],
            "printed": self.settings.compare_printed_numbers,
            "functions": functions,
            "observe": observe,
        }

    def reference(self, functions: tuple[str, ...]) -> None:
        """Run the original twice (in two copies) and keep what is stable between the runs."""
        if self.failure is not None:  # every later version meets the same original
            raise self.failure
        if self.old is not None:
            return
        first_copy, self.again = self.sandbox.copy(self.original), self.sandbox.copy(self.original)
        self.old = old = self.sandbox.runner(first_copy)
        try:
            first = old.request("program", **self.request(first_copy, functions))
            old.request("setup", root=str(self.again), seed=0)
            second = old.request("program", **self.request(self.again, functions))["outcome"]
            self.unstable = unstable_parts(first["outcome"], second)
            self_check(self.unstable.drop(first["outcome"]), self.unstable.drop(second))
        except Exception as error:
            self.failure = error
            raise
        self.expected, self.coverage = self.unstable.drop(first["outcome"]), first["coverage"]

    def run(self, source: str, functions: tuple[str, ...], scale: float = 1.0) -> tuple[Path, dict[str, Any]]:
        """One observed run of a version in a fresh copy (a runner failure is raised as it is)."""
        root = self.sandbox.copy(source)
        if self.new is None or self.new.process.poll() is not None:
            self.new = self.sandbox.runner(root)
        self.new.request("setup", root=str(root), seed=0, perturbation=scale)
        return root, self.new.request("program", **self.request(root, functions))

    def compare(self, rewritten: str, evidence: Evidence) -> Path:
        """Run the rewrite and compare it with the original; returns the copy it ran in (for timing)."""
        functions = observed_functions(self.original, rewritten)
        self.reference(functions)
        evidence.sources.append(f"program run: {' '.join(self.entry())}")
        evidence.cover(ORIGINAL, self.coverage)
        try:
            root, reply = self.run(rewritten, functions)
        except RunnerFailed as error:
            raise Different(f"the rewrite failed where the original did not: {error}") from None
        evidence.cover(REWRITTEN, reply["coverage"])
        expected, actual = self.comparable(rewritten, self.expected, self.unstable.drop(reply["outcome"]))
        evidence.calls_observed += _calls(expected)
        evidence.program_observations += _observations(expected)
        evidence.check(expected, actual, "program", self.settings.tolerance)
        return root

    def comparable(self, rewritten: str, expected: Any, actual: Any) -> tuple[Any, Any]:
        """Leave out of the globals the variable of a loop the rewrite removed and the temporaries it added."""
        counters, temporaries = _not_results(self.original, rewritten)
        if isinstance(expected, dict) and isinstance(actual, dict):
            expected = {**expected, "globals": _without(expected.get("globals"), counters)}
            actual = {**actual, "globals": _without(actual.get("globals"), counters | temporaries)}
        return expected, actual

    def told_apart(self, variant: str, rewritten: str, scale: float = 1.0) -> str:
        """How a deliberately wrong variant's run differed from the original's ("" when it did not)."""
        functions = observed_functions(self.original, rewritten)
        try:
            _, reply = self.run(variant, functions, scale)
        except RunnerFailed as error:
            return f"the program failed: {error}"
        expected, actual = self.comparable(rewritten, self.expected, self.unstable.drop(reply["outcome"]))
        comparison = compare(expected, actual, self.settings.tolerance)
        return "" if comparison.equal else f"program: {describe(comparison, limit=1)[0]}"

    def timing_pair(self, rewritten_root: Path) -> Callable[[bool], tuple[float, float]]:
        """One unobserved run of each version, in the copies the comparison used."""
        assert self.old is not None and self.new is not None
        old, new = self.old, self.new

        def run_pair(original_first: bool) -> tuple[float, float]:
            def original() -> float:
                return float(old.request("program", **self.request(self.again, (), observe=False))["seconds"][0])

            def rewrite() -> float:
                new.request("setup", root=str(rewritten_root), seed=0)
                request = self.request(rewritten_root, (), observe=False)
                try:
                    return float(new.request("program", **request)["seconds"][0])
                except RunnerFailed as error:
                    raise Different(f"the rewrite failed where the original did not: {error}") from None

            if original_first:
                before = original()
                return before, rewrite()
            after = rewrite()
            return original(), after

        return run_pair


def _calls(outcome: Any) -> int:
    """How many calls of the file's functions a run made."""
    if not isinstance(outcome, dict):
        return 0
    return sum(int(entry.get("count", 0)) for entry in (outcome.get("calls") or {}).values())


def _observations(outcome: Any) -> int:
    """How many things a run showed besides its exit status: globals, files, printed numbers, calls."""
    if not isinstance(outcome, dict):
        return 0
    sized = [outcome.get(key) for key in ("globals", "files", PRINTED)]
    return _calls(outcome) + sum(len(part) for part in sized if isinstance(part, (dict, list)))


@functools.lru_cache(maxsize=8)
def _not_results(original: str, rewritten: str) -> tuple[frozenset[str], frozenset[str]]:
    """Globals that are no results: loop variables the rewrite removed, and the names it added."""
    try:
        before, after = ast.parse(original), ast.parse(rewritten)
    except SyntaxError:
        return frozenset(), frozenset()
    return frozenset(_loop_variables(before) - _loop_variables(after)), frozenset(_names(after) - _names(before))


def _without(globals_: Any, names: frozenset[str]) -> Any:
    return {k: v for k, v in globals_.items() if k not in names} if isinstance(globals_, dict) else globals_

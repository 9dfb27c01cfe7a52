"""The base class of a pattern: a rule file, its glue, its documentation and examples."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from harp_refactor.finding import Finding, Skip

from .facts import Facts
from .solver import Answer


@dataclass(frozen=True)
class Options:
    """What the user allows the analysis to assume."""

    speculative: bool = False
    aggressive: bool = False

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(name for name in ("speculative", "aggressive") if getattr(self, name))


@dataclass(frozen=True)
class Example:
    """An INVALID example: code with a finding, and the fixed code when a fix is offered."""

    before: str
    after: str | None = None
    options: Options = Options()


class Pattern:
    """A pattern's docstring is its user-facing explanation (`--explain CODE`)."""

    code: ClassVar[str]
    title: ClassVar[str]
    rules: ClassVar[str]
    shown: ClassVar[tuple[str, ...]] = ()
    # Facts the rules cannot do without: a module that has none of them is skipped unsolved.
    requires: ClassVar[tuple[str, ...]] = ("loop",)
    # A fix that must also be this much faster to be kept (wrapping in tf.function can slow code down).
    min_speedup: ClassVar[float | None] = None
    # Verify and time the fix over the whole program where there is one (tracing is paid once).
    timed_as_program: ClassVar[bool] = False
    gain_needs_gpu: ClassVar[bool] = False  # the speedup appears on GPUs only: CPU timings are not judged
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[Example, ...]] = ()

    @classmethod
    def rule_path(cls) -> Path:
        return Path(inspect.getfile(cls)).with_name(cls.rules)

    @classmethod
    def explanation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        raise NotImplementedError

    def skipped(self, facts: Facts, answer: Answer, path: str) -> list[Skip]:
        """Candidates left alone, each with the reasons (only patterns that explain them override this)."""
        return []


def function_names(answer: Answer) -> dict[int, str]:
    """Function node id → qualified name, from `function_def` atoms (a pattern must show them)."""
    return {int(function): str(name) for function, name in answer("function_def")}

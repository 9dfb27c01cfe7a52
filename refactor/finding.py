"""`Finding` and `Span`: what a detector reports, and where."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .assumption import Assumption


@dataclass(frozen=True, order=True)
class Span:
    """A source range: 1-based lines, 0-based columns, end exclusive (libCST's convention)."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Finding:
    """One occurrence of a pattern, with the assumptions it rests on and its fix data.

    `fix` holds what the pattern's transform needs (plain, picklable values); it is
    empty when the finding is only a suggestion, and `no_fix_reason` then says why.
    """

    code: str
    title: str
    path: str
    span: Span
    message: str
    assumptions: tuple[Assumption, ...] = ()
    fix: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    no_fix_reason: str = ""
    speculative: bool = False

    @property
    def fixable(self) -> bool:
        return bool(self.fix)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.span.line, self.span.col, self.code)


@dataclass(frozen=True)
class Skip:
    """A candidate a pattern examined and left alone, and why: shown with `--explain`."""

    code: str
    path: str
    span: Span
    subject: str
    reasons: tuple[str, ...]

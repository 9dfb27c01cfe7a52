"""Carry a finding's spans across an edit of the file, where the lines they cover survive it.

Fixes are located by spans into the text that was analysed. Once one transform has
rewritten the file, another's spans still hold wherever the lines they cover came
through unchanged (only moved up or down); a span on an edited line does not.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from .finding import Finding, Span


class SpanLost(Exception):
    """A span covers a line the edit changed: the finding must be found again."""


def line_map(old: str, new: str) -> dict[int, int]:
    """Old line number → new line number, for every line the edit left as it was."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    mapping: dict[int, int] = {}
    for tag, old_start, old_end, new_start, _ in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(old_end - old_start):
                mapping[old_start + offset + 1] = new_start + offset + 1
    return mapping


def shifted(finding: Finding, lines: dict[int, int]) -> Finding:
    """The finding with every span in it moved to the edited text; SpanLost if one cannot be."""
    return replace(finding, span=_moved(finding.span, lines), fix=_moved(dict(finding.fix), lines))


def _moved(value: Any, lines: dict[int, int]) -> Any:
    if isinstance(value, Span):
        start = lines.get(value.line)
        covered = range(value.line, value.end_line + 1)
        if start is None or any(lines.get(line) != start + line - value.line for line in covered):
            raise SpanLost(value)
        return replace(value, line=start, end_line=start + value.end_line - value.line)
    if isinstance(value, tuple):
        return tuple(_moved(item, lines) for item in value)
    if isinstance(value, list):
        return [_moved(item, lines) for item in value]
    if isinstance(value, dict):
        return {key: _moved(item, lines) for key, item in value.items()}
    return value

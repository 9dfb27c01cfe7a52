"""`Patch`: the rewritten text of one file and its unified diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .finding import Finding


def unified_diff(path: str, before: str, after: str) -> str:
    """The diff `git apply` and `patch -p1` accept, with a/ and b/ prefixes."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path.lstrip('/')}",
        tofile=f"b/{path.lstrip('/')}",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass(frozen=True)
class Patch:
    """The findings a rewrite fixes, the file before and after, and the diff between."""

    path: str
    findings: tuple[Finding, ...]
    original: str
    new: str

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.original, self.new)

    @property
    def changed(self) -> bool:
        return self.original != self.new

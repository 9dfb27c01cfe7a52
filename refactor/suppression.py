"""What silences a finding: `# harp: ignore[...]` comments and `per-file-ignores` entries."""

from __future__ import annotations

import fnmatch
import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# `# harp: ignore`, `#harp:ignore[HARP101, HARP2]`, `# harp: ignore-file[HARP105]`; the
# marker may follow other text in the same comment (`# type: ignore  # harp: ignore`).
_COMMENT = re.compile(
    r"#\s*harp\s*:\s*ignore(?P<file>-file)?(?![\w-])\s*(?P<bracket>\[(?P<codes>[^\]]*)\]|\[)?",
    re.IGNORECASE,
)
# Cheap test before tokenizing: most files have no suppression comment at all.
_MARKER = re.compile(r"harp\s*:\s*ignore", re.IGNORECASE)
ALL: tuple[str, ...] = ("ALL",)


def matches(code: str, entries: Iterable[str]) -> bool:
    """Whether an entry (a code, a prefix of one, or ALL) covers `code`; unknown entries cover nothing."""
    return any(entry == "ALL" or code.startswith(entry) for entry in entries)


def _codes(text: str | None) -> tuple[str, ...]:
    """The bracket's comma-separated entries, upper-cased; no bracket means every code."""
    if text is None:
        return ALL
    return tuple(code.strip().upper() for code in text.split(",") if code.strip())


@dataclass(frozen=True)
class Suppressions:
    """The suppression comments of one source text."""

    by_line: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    whole_file: tuple[str, ...] = ()

    def silences(self, code: str, line: int) -> bool:
        """Whether a finding of `code` starting on `line` is suppressed."""
        return matches(code, self.whole_file) or matches(code, self.by_line.get(line, ()))

    def __bool__(self) -> bool:
        return bool(self.by_line or self.whole_file)


def _comments(text: str) -> Iterator[tokenize.TokenInfo]:
    """The comment tokens of `text`, up to the first point the tokenizer cannot read past.

    Tokenizing (rather than searching lines) keeps a `# harp: ignore` inside a string
    literal from counting.
    """
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token
    except (tokenize.TokenError, SyntaxError):
        return


def parse(text: str) -> Suppressions:
    """Read every `# harp: ignore[...]` and `# harp: ignore-file[...]` comment of a module.

    A line comment covers findings that start on its line; a file comment must be a
    comment line of its own and covers the whole file. A bracket left open makes the
    comment count for nothing rather than for every code.
    """
    if not _MARKER.search(text):
        return Suppressions()
    by_line: dict[int, tuple[str, ...]] = {}
    whole_file: list[str] = []
    for token in _comments(text):
        match = _COMMENT.search(token.string)
        if match is None or match["bracket"] == "[":
            continue
        codes = _codes(match["codes"])
        line, column = token.start
        if match["file"]:
            if not token.line[:column].strip():
                whole_file.extend(codes)
        else:
            by_line[line] = by_line.get(line, ()) + codes
    return Suppressions(by_line, tuple(whole_file))


@dataclass(frozen=True)
class PerFileIgnores:
    """`per-file-ignores`: glob patterns, relative to the pyproject.toml's folder, and the codes
    they remove. Plain tuples and strings: it travels to worker processes and into cache keys."""

    root: str = ""
    table: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def listed(self) -> tuple[str, ...]:
        """Every code the table names, for checking them like --ignore's."""
        return tuple(code for _, codes in self.table for code in codes)

    def codes(self, path: str) -> tuple[str, ...]:
        """The codes removed for `path`: those of every pattern matching its path relative to
        the project folder, or its name alone (`*` also matches `/`, as in `exclude`)."""
        if not self.table:
            return ()
        names = _match_names(path, self.root)
        found: list[str] = []
        for pattern, codes in self.table:
            if any(fnmatch.fnmatch(name, pattern) for name in names):
                found.extend(code for code in codes if code not in found)
        return tuple(found)


def _match_names(path: str, root: str) -> tuple[str, ...]:
    """The names a pattern is tried against: the path relative to `root` (the path as given
    when it lies outside), and the file name."""
    given = Path(path)
    try:
        relative = given.resolve().relative_to(Path(root).resolve()).as_posix() if root else given.as_posix()
    except ValueError:
        relative = given.as_posix()
    return (relative, given.name)

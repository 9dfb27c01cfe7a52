"""`harp-refactor --explain CODE`: a pattern's documentation, generated from the pattern itself.

The text comes from what the tests hold to account: the pattern's docstring, the header of
its clingo rule file, and its INVALID examples (each shown as the diff its fix makes, as
test_patterns checks) and VALID examples (code the pattern must leave alone).
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterable, Iterator

from harp_refactor.detectors.pattern import Example, Pattern
from harp_refactor.detectors.patterns import all_patterns

from .errors import ConfigError

SHOWN_EXAMPLES = 2


def explain(codes: Iterable[str]) -> str:
    """The documentation of every pattern a code or prefix names (`ALL`: every pattern)."""
    patterns = all_patterns()
    chosen: dict[str, type[Pattern]] = {}
    for code in codes:
        wanted = code.upper()
        matches = {known: pattern for known, pattern in patterns.items() if wanted == "ALL" or known.startswith(wanted)}
        if not matches:
            raise ConfigError(f"unknown code {code!r}; known codes: {', '.join(patterns)}")
        chosen.update(matches)
    return "\n\n".join(_document(pattern) for pattern in chosen.values()) + "\n"


def _document(pattern: type[Pattern]) -> str:
    lines = [f"{pattern.code}: {pattern.title}", "=" * len(f"{pattern.code}: {pattern.title}"), ""]
    lines.append(pattern.explanation())
    rule = _rule_header(pattern)
    if rule:
        lines += ["", f"The rule ({pattern.rules}):", "", textwrap.indent(rule, "    ")]
    lines += _examples("Reported, and fixed like this", (_fix(example) for example in pattern.INVALID), pattern)
    lines += _examples("Left alone", (example.strip("\n") for example in pattern.VALID), pattern)
    return "\n".join(lines).rstrip()


def _rule_header(pattern: type[Pattern]) -> str:
    """The rule file's opening comment, up to the atoms only the Python glue reads."""
    header = []
    for line in pattern.rule_path().read_text(encoding="utf-8").splitlines():
        if not line.startswith("%") or "read by the" in line:
            break
        header.append(line[1:].removeprefix(" "))
    return "\n".join(header).strip()


def _fix(example: Example) -> str:
    before, after = example.before.strip("\n") + "\n", example.after
    if after is None:
        return before.rstrip("\n") + "\n    (reported as a suggestion: no fix)"
    diff = difflib.unified_diff(before.splitlines(True), (after.strip("\n") + "\n").splitlines(True), n=2)
    return "".join(line for line in diff if not line.startswith(("---", "+++"))).rstrip("\n")


def _examples(title: str, examples: Iterator[str], pattern: type[Pattern]) -> list[str]:
    listed = list(examples)
    if not listed:
        return []
    lines = ["", f"{title} ({len(listed)} examples, all run as tests):"]
    for example in listed[:SHOWN_EXAMPLES]:
        lines += ["", textwrap.indent(example, "    ")]
    if len(listed) > SHOWN_EXAMPLES:
        lines += ["", f"    ... {len(listed) - SHOWN_EXAMPLES} more in {pattern.__module__}_examples"]
    return lines

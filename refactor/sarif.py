"""Render findings as one SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import difflib
import hashlib
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.equivalence.verdict import EQUIVALENT, UNVERIFIED, Verdict
from harp_refactor.transforms.base import TransformError

from . import __version__
from .finding import Finding, Span
from .pipeline import apply_fixes

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT = "harpFinding/v1"
USER_RULE_HELP = (
    "A finding of one of your own clingo rule files (`rules` in [tool.harp-refactor]): "
    "a suggestion only, never rewritten."
)
# "path: message" or "path:line:col: message", as the pipeline words a file's error.
_ERROR_POSITION = re.compile(r"^:(?P<line>\d+):(?P<col>\d+): ")

VerdictOf = Callable[[Finding], Verdict | None]


def repository_root(path: str) -> Path:
    """The git work tree holding `path` (`git rev-parse --show-toplevel`), else the current directory."""
    place = Path(path)
    folder = place if place.is_dir() else place.parent
    try:
        completed = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return Path.cwd().resolve()
    top = completed.stdout.strip()
    return Path(top).resolve() if completed.returncode == 0 and top else Path.cwd().resolve()


def relative_path(path: str, root: Path) -> str | None:
    """`path` relative to `root` with forward slashes, or None when it lies outside `root`."""
    place = Path(path).absolute()
    try:
        return (place.parent.resolve() / place.name).relative_to(root).as_posix()
    except ValueError:
        return None


def split_error(error: str, paths: Sequence[str]) -> tuple[str, int, str]:
    """A file error line → (path, line or 0, message); path '' when it names no analysed file."""
    for path in sorted(paths, key=len, reverse=True):
        if path and error.startswith(path + ":"):
            rest = error[len(path) :]
            match = _ERROR_POSITION.match(rest)
            if match:
                return path, int(match["line"]), rest[match.end() :]
            return path, 0, rest[1:].lstrip()
    return "", 0, error


def level(finding: Finding) -> str:
    """SARIF level: "warning" for a finding with a fix, "note" for a suggestion only."""
    return "warning" if finding.fixable else "note"


def fingerprints(findings: Sequence[Finding], texts: Mapping[str, str], root: Path) -> list[str]:
    """A stable identity per finding, for code scanning and the pull-request bot: a hash of its
    code, its path relative to the repository root and the text of its first line (so it
    survives moved lines), and a counter for equal ones."""
    seen: dict[str, int] = {}
    result = []
    for finding in findings:
        line_text = source_line(texts.get(finding.path, ""), finding.span.line).strip()
        key = "\0".join((finding.code, relative_path(finding.path, root) or finding.path, line_text))
        seen[key] = seen.get(key, 0) + 1
        result.append(f"{hashlib.sha256(key.encode()).hexdigest()[:32]}:{seen[key]}")
    return result


def source_line(text: str, line: int) -> str:
    """Line `line` (1-based) of `text`, without its line break ('' past the end)."""
    lines = text.split("\n")
    return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""


def _lines(text: str) -> list[str]:
    """The lines of `text`, each with its "\\n" (the break SARIF line numbers and our spans count)."""
    return re.findall(r"[^\n]*\n|[^\n]+", text)


def _position(text: str, offset: int) -> tuple[int, int]:
    """Offset in `text` → SARIF (line, column), both 1-based."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def replacement(before: str, after: str) -> dict[str, Any] | None:
    """One SARIF replacement turning `before` into `after`: the lines from the first changed one to
    the last, replaced by their new text (difflib); None when nothing changed."""
    old, new = _lines(before), _lines(after)
    changes = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not changes:
        return None
    first, last = changes[0], changes[-1]
    start = sum(map(len, old[: first[1]]))
    end = start + sum(map(len, old[first[1] : last[2]]))
    inserted = "".join(new[first[3] : last[4]])
    # A region must end on a line that exists: at the end of a file whose last line is
    # terminated, leave that final line break out of the deleted and the inserted text.
    if end == len(before) and before.endswith("\n"):
        if end > start and inserted.endswith("\n"):
            end, inserted = end - 1, inserted[:-1]
        elif start == end and inserted.endswith("\n"):
            start = end = end - 1
            inserted = "\n" + inserted[:-1]
        elif start > 0 and not inserted:
            start, end = start - 1, end - 1
    start_line, start_column = _position(before, start)
    end_line, end_column = _position(before, end)
    region = {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}
    return {"deletedRegion": region, "insertedContent": {"text": inserted}}


def region(span: Span) -> dict[str, int]:
    """A finding's span as a SARIF region (columns 1-based, end exclusive)."""
    return {
        "startLine": span.line,
        "startColumn": span.col + 1,
        "endLine": span.end_line,
        "endColumn": span.end_col + 1,
    }


def rules(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """One reporting descriptor per pattern, then one per user-rule code among the findings."""
    descriptors = []
    for code, pattern in all_patterns().items():
        explanation = pattern.explanation() or pattern.title
        descriptors.append(
            {
                "id": code,
                "name": pattern.__name__,
                "shortDescription": {"text": pattern.title},
                "fullDescription": {"text": explanation},
                "help": {"text": explanation},
                "defaultConfiguration": {"level": "warning"},
                "properties": {"tags": ["performance"]},
            }
        )
    for code in sorted({f.code for f in findings} - set(all_patterns())):
        title = next(f.title for f in findings if f.code == code)
        descriptors.append(
            {
                "id": code,
                "name": code,
                "shortDescription": {"text": title},
                "fullDescription": {"text": USER_RULE_HELP},
                "help": {"text": USER_RULE_HELP},
                "defaultConfiguration": {"level": "note"},
                "properties": {"tags": ["user-rule"]},
            }
        )
    return descriptors


class _Locator:
    """Artifact locations relative to the repository root (%SRCROOT%), absolute outside it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def artifact(self, path: str) -> dict[str, str]:
        relative = relative_path(path, self.root)
        if relative is None:
            return {"uri": Path(path).absolute().as_uri()}
        return {"uri": quote(relative), "uriBaseId": SRCROOT}

    def physical(self, path: str, where: dict[str, int] | None = None) -> dict[str, Any]:
        location: dict[str, Any] = {"artifactLocation": self.artifact(path)}
        if where:
            location["region"] = where
        return {"physicalLocation": location}


def _fix(finding: Finding, text: str, verdict: Verdict | None, locate: _Locator) -> dict[str, Any] | None:
    """The finding's own fix as a SARIF fix, unless the harness rejected it."""
    if not finding.fixable or (verdict is not None and verdict.status not in (EQUIVALENT, UNVERIFIED)):
        return None
    try:
        change = replacement(text, apply_fixes(finding.path, text, [finding]))
    except TransformError:
        return None
    if change is None:
        return None
    described = verdict.line() if verdict else "unverified"
    return {
        "description": {"text": f"{finding.title}: {described}"},
        "artifactChanges": [{"artifactLocation": locate.artifact(finding.path), "replacements": [change]}],
    }


def sarif_document(
    findings: Sequence[Finding],
    verdict_of: VerdictOf,
    errors: Sequence[str],
    texts: Mapping[str, str],
    root: Path | None = None,
) -> dict[str, Any]:
    """The SARIF log of one run: rules, one result per finding (with its fix, verdict and
    assumptions), and file errors as tool execution notifications.

    `texts` maps each analysed path to its text; `root` (default: the git work tree of the
    first analysed file) is what artifact URIs are relative to.
    """
    if root is None:
        root = repository_root(next(iter(texts), "."))
    locate = _Locator(root)
    descriptors = rules(findings)
    index = {descriptor["id"]: position for position, descriptor in enumerate(descriptors)}
    results = []
    for finding, fingerprint in zip(findings, fingerprints(findings, texts, root), strict=True):
        text = texts.get(finding.path, "")
        verdict = verdict_of(finding)
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": level(finding),
            "message": {"text": finding.message},
            "locations": [locate.physical(finding.path, region(finding.span))],
            "partialFingerprints": {FINGERPRINT: fingerprint},
            "properties": {
                "title": finding.title,
                "fixable": finding.fixable,
                "speculative": finding.speculative,
                "noFixReason": finding.no_fix_reason,
                "verdict": verdict.as_json() if verdict else None,
                "assumptions": [assumption.as_json() for assumption in finding.assumptions],
            },
        }
        fix = _fix(finding, text, verdict, locate)
        if fix is not None:
            result["fixes"] = [fix]
        results.append(result)
    notifications = []
    for error in errors:
        path, line, _ = split_error(error, list(texts))
        notification: dict[str, Any] = {"level": "error", "message": {"text": error}}
        if path:
            notification["locations"] = [locate.physical(path, {"startLine": line} if line else None)]
        notifications.append(notification)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "harp-refactor",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }

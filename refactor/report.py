"""Render findings for people (text) and for programs (JSON)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .finding import Finding


def text_finding(finding: Finding, verdict: str = "") -> str:
    """`path:line:col CODE message`, then its assumptions, the fix it offers and its verdict."""
    span = finding.span
    lines = [f"{finding.path}:{span.line}:{span.col + 1}: {finding.code} {finding.message}"]
    for assumption in finding.assumptions:
        lines.append(f"    assumes: {assumption.what} ({assumption.why}; to check: {assumption.check})")
    if finding.fixable:
        lines.append("    fix: available (--diff shows it, --apply writes it)")
    else:
        lines.append(f"    fix: none, a suggestion only: {finding.no_fix_reason}")
    if verdict:
        lines.append(f"    verdict: {verdict}")
    return "\n".join(lines)


def json_finding(finding: Finding, diff: str) -> dict[str, Any]:
    span = finding.span
    return {
        "code": finding.code,
        "title": finding.title,
        "path": finding.path,
        "line": span.line,
        "col": span.col + 1,
        "end_line": span.end_line,
        "end_col": span.end_col + 1,
        "message": finding.message,
        "assumptions": [assumption.as_json() for assumption in finding.assumptions],
        "fixable": finding.fixable,
        "speculative": finding.speculative,
        "no_fix_reason": finding.no_fix_reason,
        "diff": diff,
    }


def json_document(
    findings: Sequence[Finding], diff_of: Callable[[Finding], str], errors: Sequence[str]
) -> dict[str, Any]:
    """One JSON document: findings (each with the diff of its own fix) and file errors."""
    return {"findings": [json_finding(f, diff_of(f)) for f in findings], "errors": list(errors)}

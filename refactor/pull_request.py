"""The body of a pull request the bot opens: what changed, how it was verified, what it assumes.

The body ends with a hidden marker holding the findings' fingerprints (the ones SARIF
carries), so that a later run can tell a pull request it already opened, or one a maintainer
closed without merging, from new work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from harp_refactor.equivalence.verdict import Verdict

from .finding import Finding

MARKER = re.compile(r"<!-- harp-refactor (\{.*?\}) -->", re.DOTALL)
TIMING = (
    "Each version ran in its own process on the same inputs; after the comparison runs warmed "
    "both up, single runs of the original and the rewrite alternated and the speedup is the "
    "ratio of their median times (framework imports excluded)."
)


@dataclass(frozen=True)
class Change:
    """One verified fix in the pull request, with its path relative to the repository root."""

    finding: Finding
    verdict: Verdict
    path: str
    fingerprint: str


def body(code: str, title: str, changes: Sequence[Change]) -> str:
    """Markdown for the pull request of one pattern code."""
    lines = [
        f"harp-refactor found {len(changes)} place(s) where {code} ({title}) applies and rewrote them. "
        "Every change below was run against the original by the equivalence harness and kept only "
        "because the results matched.",
        "",
        "| file | code | change | verdict | speedup |",
        "| --- | --- | --- | --- | --- |",
    ]
    for change in changes:
        speedup = f"{change.verdict.speedup:.2f}x" if change.verdict.speedup is not None else "—"
        lines.append(
            f"| `{change.path}:{change.finding.span.line}` | {change.finding.code} | {_cell(change.finding.message)} "
            f"| {change.verdict.status.replace('_', ' ')} | {speedup} |"
        )
    lines += ["", "## How this was verified", ""]
    for change in changes:
        verdict = change.verdict
        inputs = f"{verdict.input_count} {verdict.inputs} input(s)" if verdict.input_count else verdict.inputs
        lines.append(f"- `{change.path}:{change.finding.span.line}`: {verdict.line()}")
        lines.append(f"  - inputs: {inputs or 'the program run as a whole'}")
        if verdict.atol is not None:
            largest = "n/a" if verdict.max_abs_err is None else f"{verdict.max_abs_err:.1e}"
            tolerance = f"rtol {verdict.rtol or 0:.0e}, atol {verdict.atol:.0e}"
            lines.append(f"  - tolerance: {tolerance}; largest error {largest}")
    lines += ["", TIMING]
    assumptions = sorted({(a.what, a.why, a.check) for change in changes for a in change.finding.assumptions})
    if assumptions:
        lines += ["", "## Assumptions to check", ""]
        lines += [f"- {what} ({why}); to check: {check}" for what, why, check in assumptions]
    marker = {
        "code": code,
        "fingerprints": sorted(change.fingerprint for change in changes),
        "paths": sorted({change.path for change in changes}),
    }
    lines += ["", f"<!-- harp-refactor {json.dumps(marker)} -->"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Marker:
    """What a pull request body says the bot put in it: findings' fingerprints and the files."""

    fingerprints: frozenset[str] = frozenset()
    paths: frozenset[str] = frozenset()


def read_marker(text: str) -> Marker:
    """The marker of a body the bot wrote (empty for any other body)."""
    found = MARKER.search(text or "")
    if found is None:
        return Marker()
    try:
        document = json.loads(found.group(1))
        return Marker(
            frozenset(str(item) for item in document.get("fingerprints", [])),
            frozenset(str(item) for item in document.get("paths", [])),
        )
    except (ValueError, AttributeError, TypeError):
        return Marker()


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")

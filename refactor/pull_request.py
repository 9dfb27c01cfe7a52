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
    marker = json.dumps({"code": code, "fingerprints": sorted(change.fingerprint for change in changes)})
    lines += ["", f"<!-- harp-refactor {marker} -->"]
    return "\n".join(lines) + "\n"


def fingerprints_in(text: str) -> frozenset[str]:
    """The fingerprints a pull request body carries (none when it has no marker)."""
    found = MARKER.search(text or "")
    if found is None:
        return frozenset()
    try:
        return frozenset(str(item) for item in json.loads(found.group(1)).get("fingerprints", []))
    except (ValueError, AttributeError):
        return frozenset()


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")

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
COMPARISON = (
    "The equivalence harness ran the original and the rewrite, each in its own process with the same "
    "seeds, on the same inputs, and compared everything they produced (return values, mutated "
    "arguments, module state; tensors as arrays of the same shape and dtype, within the tolerances below)."
)
INPUT_KINDS = {
    "declared": "declared samples (`samples` in [tool.harp-refactor])",
    "captured": "arguments captured while running the program (its entry command or `__main__` block)",
    "generated": "generated from the function's signature and body, in many dtypes, shapes and edge cases",
}
PROGRAM = "every call of the file's functions, the printed numbers, globals, written files and exit status compared"
TIMING = (
    "Each version ran in its own process on the same inputs; after the comparison runs warmed "
    "both up, single runs of the original and the rewrite alternated until the speedup's 90% "
    "interval cleared 1x (at least 5 pairs), and the speedup is the ratio of their median times "
    "(framework imports excluded)."
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
    lines += ["", "## How this was verified", "", COMPARISON, ""]
    by_verdict: dict[tuple[str, Verdict], list[int]] = {}
    for change in changes:
        by_verdict.setdefault((change.path, change.verdict), []).append(change.finding.span.line)
    for (path, verdict), numbers in by_verdict.items():
        where = f"line{'s' * (len(numbers) > 1)} {', '.join(map(str, sorted(numbers)))}"
        lines.append(f"- `{path}` ({where}): {verdict.line()}")
        lines.append(f"  - inputs: {provenance(verdict)}")
        if verdict.atol is not None:
            largest = "none measured" if verdict.max_abs_err is None else f"{verdict.max_abs_err:.1e}"
            if verdict.max_rel_err is not None:
                largest += f" (relative {verdict.max_rel_err:.1e})"
            lines.append(
                f"  - tolerance: rtol {verdict.rtol or 0:.0e}, atol {verdict.atol:.0e}; largest error {largest}"
            )
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


def provenance(verdict: Verdict) -> str:
    """How many inputs, where each kind came from, and the rest of the evidence, in words."""
    kinds = [
        f"the whole program ({kind}): {PROGRAM}" if kind.startswith("program run") else INPUT_KINDS.get(kind, kind)
        for kind in verdict.inputs.split("+")
        if kind
    ]
    count = f"{verdict.input_count} argument set{'s' * (verdict.input_count != 1)}" if verdict.input_count else ""
    return "; ".join(filter(None, [count, *kinds, verdict.coverage, verdict.variant_check])) or "not recorded"


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

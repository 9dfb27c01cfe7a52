"""Put each file's patch through the harness; keep the fixes that are proven equivalent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harp_refactor.detectors.pattern import Pattern
from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.equivalence.harness import HarnessSettings, open_harness
from harp_refactor.equivalence.verdict import COULD_NOT_VERIFY, Verdict
from harp_refactor.transforms.base import TransformError

from .finding import Finding
from .patch import Patch
from .pipeline import apply_fixes


def _pattern(finding: Finding) -> type[Pattern]:
    return all_patterns().get(finding.code, Pattern)


def _as_program(findings: Sequence[Finding]) -> bool:
    """Does any of these fixes have to be timed over the whole program?"""
    return any(_pattern(f).timed_as_program for f in findings)


def _floor(findings: Sequence[Finding], settings: HarnessSettings) -> float | None:
    """The speed these fixes must reach: the user's floor, raised by patterns whose rewrite can
    make code slower (tf.function); None: faster with confidence; 0 when the gain cannot show here."""
    if settings.min_speedup is None and all(_pattern(f).gain_needs_gpu for f in findings):
        return 0.0
    floors = [m for m in (settings.min_speedup, *(_pattern(f).min_speedup for f in findings)) if m is not None]
    return max(floors) if floors else None


def _speed_note(findings: Sequence[Finding], settings: HarnessSettings) -> str:
    if _floor(findings, settings) == 0.0 and settings.min_speedup is None:
        return "speed not judged: the gain appears on GPUs only"
    return ""


def _gated(findings: Sequence[Finding]) -> bool:
    """Must a fix among several prove its own speed? The whole patch being faster says nothing
    about a tf.function wrapped alongside a fix that saves enough to hide a slowdown."""
    return len(findings) > 1 and any(_pattern(f).min_speedup is not None for f in findings)


@dataclass(frozen=True)
class VerifiedPatch:
    """The part of a patch that may be written (None: nothing), its verdict, and each finding's verdict."""

    patch: Patch | None
    verdict: Verdict
    by_finding: dict[Finding, Verdict]


def verify_patch(patch: Patch, settings: HarnessSettings) -> VerifiedPatch:
    """Verify the whole patch; when it fails, or one of its fixes must prove its own speed, each
    fix alone, then the ones that passed together.

    All versions go through one harness, so the original is run, and the frameworks are
    imported, once per file.
    """
    findings = patch.findings
    with open_harness(patch.path, patch.original, settings) as harness:

        def check(text: str, fixes: Sequence[Finding]) -> Verdict:
            return harness.check(
                text,
                whole_program=_as_program(fixes),
                min_speedup=_floor(fixes, settings),
                speed_note=_speed_note(fixes, settings),
            )

        whole = None if _gated(findings) else check(patch.new, findings)
        if whole is not None and (whole.accepted or len(findings) < 2):
            return VerifiedPatch(patch if whole.accepted else None, whole, {f: whole for f in findings})
        alone: dict[Finding, Verdict] = {}
        for finding in findings:
            try:
                alone[finding] = check(apply_fixes(patch.path, patch.original, [finding]), [finding])
            except TransformError as error:
                alone[finding] = Verdict(COULD_NOT_VERIFY, reason=f"this fix cannot be applied alone: {error}")
        passed = [finding for finding, verdict in alone.items() if verdict.accepted]
        together = None
        if passed:
            text = patch.new if len(passed) == len(findings) else apply_fixes(patch.path, patch.original, passed)
            together = alone[passed[0]] if len(passed) == 1 else check(text, passed)
            if together.accepted:
                partial = Patch(patch.path, tuple(passed), patch.original, text)
                return VerifiedPatch(partial, together, {**alone, **{f: together for f in passed}})
        return VerifiedPatch(None, whole or together or alone[findings[0]], alone)


def verified_as_is(entry: VerifiedPatch, fixes: Sequence[Finding]) -> bool:
    """Were exactly these fixes verified together already?"""
    return entry.patch is not None and set(fixes) == set(entry.patch.findings)


def verify_subset(
    path: str, original: str, fixes: Sequence[Finding], entry: VerifiedPatch, settings: HarnessSettings
) -> VerifiedPatch:
    """Some of a file's fixes on their own: the verified patch when they are exactly its fixes,
    else the text with just these fixes, verified again."""
    if verified_as_is(entry, fixes):
        return entry
    try:
        new = apply_fixes(path, original, fixes)
    except TransformError as error:
        failed = Verdict(COULD_NOT_VERIFY, reason=f"these fixes cannot be applied on their own: {error}")
        return VerifiedPatch(None, failed, {fix: failed for fix in fixes})
    return verify_patch(Patch(path, tuple(fixes), original, new), settings)

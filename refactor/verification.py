"""Put each file's patch through the harness; keep the fixes that are proven equivalent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

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


def _settings_for(findings: Sequence[Finding], settings: HarnessSettings) -> HarnessSettings:
    """A pattern whose rewrite can make code slower (tf.function) must also be faster to be kept."""
    floors = [m for m in (settings.min_speedup, *(_pattern(f).min_speedup for f in findings)) if m is not None]
    return replace(settings, min_speedup=max(floors)) if floors else settings


@dataclass(frozen=True)
class VerifiedPatch:
    """The part of a patch that may be written (None: nothing), its verdict, and each finding's verdict."""

    patch: Patch | None
    verdict: Verdict
    by_finding: dict[Finding, Verdict]


def verify_patch(patch: Patch, settings: HarnessSettings) -> VerifiedPatch:
    """Verify the whole patch; when it fails, each fix alone, then the ones that passed together.

    All versions go through one harness, so the original is run, and the frameworks are
    imported, once per file.
    """
    settings = _settings_for(patch.findings, settings)
    with open_harness(patch.path, patch.original, settings) as harness:
        whole = harness.check(patch.new, whole_program=_as_program(patch.findings))
        if whole.accepted or len(patch.findings) < 2:
            return VerifiedPatch(patch if whole.accepted else None, whole, {f: whole for f in patch.findings})
        alone: dict[Finding, Verdict] = {}
        for finding in patch.findings:
            try:
                text = apply_fixes(patch.path, patch.original, [finding])
                alone[finding] = harness.check(text, whole_program=_as_program([finding]))
            except TransformError as error:
                alone[finding] = Verdict(COULD_NOT_VERIFY, reason=f"this fix cannot be applied alone: {error}")
        passed = [finding for finding, verdict in alone.items() if verdict.accepted]
        if passed:
            text = apply_fixes(patch.path, patch.original, passed)
            together = harness.check(text, whole_program=_as_program(passed))
            if together.accepted:
                partial = Patch(patch.path, tuple(passed), patch.original, text)
                return VerifiedPatch(partial, together, {**alone, **{f: together for f in passed}})
        return VerifiedPatch(None, whole, alone)

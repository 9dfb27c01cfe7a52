"""The pipeline: parse → facts → rules → findings → patches, as plain functions."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from harp_refactor.detectors import source as sources
from harp_refactor.detectors.facts import Facts, extract
from harp_refactor.detectors.pattern import Options, Pattern
from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.detectors.solver import Answer, solve
from harp_refactor.transforms.base import Transform, TransformError, transforms

from .cache import ResultCache
from .errors import ConfigError, HarpError
from .finding import Finding, Skip
from .patch import Patch, unified_diff
from .progress import Progress
from .shift import SpanLost, line_map, shifted
from .suppression import PerFileIgnores, Suppressions, matches, parse

# Applying fixes can expose new ones (a moved statement makes its readers invariant).
MAX_FIX_ROUNDS = 4


@dataclass(frozen=True)
class Settings:
    """Everything that decides what a run reports and fixes."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    options: Options = Options()
    rules: tuple[Path, ...] = ()
    prefilter: bool = True
    per_file_ignores: PerFileIgnores = PerFileIgnores()
    # Codes removed whatever `select` says: the per-file-ignores of the file being analysed.
    silenced: tuple[str, ...] = ()

    def wants(self, code: str) -> bool:
        """`--select`/`--ignore` by code, prefix or ALL: the more specific entry wins, ignore on a tie;
        a silenced code is never wanted (per-file-ignores win over any select, as in ruff)."""
        if matches(code, self.silenced):
            return False
        selected = _specificity(code, self.select)
        return selected >= 0 and selected > _specificity(code, self.ignore)

    def for_file(self, path: str) -> Settings:
        """These settings with `path`'s per-file-ignores silenced, so that the patterns they
        remove are not even run on it (and fix rounds cannot bring their findings back)."""
        codes = [code for code in self.per_file_ignores.codes(path) if code not in self.silenced]
        return replace(self, silenced=(*self.silenced, *codes)) if codes else self

    def silences_everything(self) -> bool:
        """Whether no finding can be reported (per-file-ignores of ALL): the file need not be read."""
        return "ALL" in self.silenced

    def patterns(self) -> list[Pattern]:
        return [pattern() for code, pattern in all_patterns().items() if self.wants(code)]


def _specificity(code: str, entries: Iterable[str]) -> int:
    """-1 when no entry matches `code`, 0 for ALL, else the length of the longest matching prefix."""
    return max(
        (0 if entry == "ALL" else len(entry) for entry in entries if entry == "ALL" or code.startswith(entry)),
        default=-1,
    )


def check_codes(codes: Iterable[str], user_rules: bool, where: str = "") -> None:
    """Reject a --select/--ignore entry that matches no known code (user rules bring their own);
    `where` prefixes the message, e.g. with the file and key the codes came from."""
    for code in codes:
        if code != "ALL" and not user_rules and not any(known.startswith(code) for known in all_patterns()):
            raise ConfigError(f"{where}unknown code {code!r}; known codes: {', '.join(all_patterns())}")


@dataclass(frozen=True)
class FileResult:
    """What one file gave: findings, or an error line; never an exception."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str = ""
    text: str | None = None
    encoding: str = "utf-8"
    patch: Patch | None = None
    fix_errors: tuple[str, ...] = field(default=())
    skipped: tuple[Skip, ...] = field(default=())


def find(path: str, text: str, module_facts: Facts, settings: Settings) -> list[Finding]:
    """Run every selected pattern and user rule file over one module's facts."""
    return find_with_skips(path, text, module_facts, settings)[0]


def find_with_skips(path: str, text: str, module_facts: Facts, settings: Settings) -> tuple[list[Finding], list[Skip]]:
    """The findings, and the candidates the patterns left alone with their reasons; what the
    file's per-file-ignores and `# harp: ignore` comments silence is dropped here, where every
    output format and every fix round gets its findings from."""
    settings = settings.for_file(path)
    found: list[Finding] = []
    skipped: list[Skip] = []
    present = {name for name, _ in module_facts.atoms}
    patterns = [pattern for pattern in settings.patterns() if not present.isdisjoint(pattern.requires)]
    # The built-in rule files define disjoint predicates (tests/detectors/test_rule_files.py), so
    # one grounding of all of them answers every pattern: the common rules run once per module.
    rule_files = list(dict.fromkeys(pattern.rule_path() for pattern in patterns))
    shown = {name for pattern in patterns for name in pattern.shown}
    answer = solve(module_facts, rule_files, settings.options.flags, shown) if patterns else Answer({})
    for pattern in patterns:
        found.extend(pattern.findings(module_facts, answer, path, settings.options))
        skipped.extend(pattern.skipped(module_facts, answer, path))
    if settings.rules:
        answer = solve(module_facts, settings.rules, settings.options.flags, ("finding",))
        found.extend(f for f in _user_findings(module_facts, answer("finding"), path) if settings.wants(f.code))
    found, skipped = _unsuppressed(parse(text), found, skipped) if found or skipped else (found, skipped)
    return sorted(found, key=lambda f: f.sort_key), sorted(skipped, key=lambda s: (s.span.line, s.code))


def _unsuppressed(
    comments: Suppressions, found: list[Finding], skipped: list[Skip]
) -> tuple[list[Finding], list[Skip]]:
    """Drop the findings (and --explain's left-alone candidates) a comment silences on the line
    where they start: a suppressed finding is neither reported nor fixed."""
    if not comments:
        return found, skipped
    return (
        [f for f in found if not comments.silences(f.code, f.span.line)],
        [s for s in skipped if not comments.silences(s.code, s.span.line)],
    )


def _user_findings(module_facts: Facts, atoms: Sequence[tuple[object, ...]], path: str) -> list[Finding]:
    """`finding(Node, Code, Message)` atoms of a user's rule file become suggestions."""
    result = []
    for node, code, message in atoms:
        if isinstance(node, int) and node in module_facts.nodes:
            result.append(
                Finding(
                    str(code), "user rule", path, module_facts.nodes[node].span, str(message), no_fix_reason="user rule"
                )
            )
    return result


def analyse_text(path: str, text: str, settings: Settings) -> list[Finding]:
    """Findings for source text (raises SourceError on a syntax error)."""
    parsed = sources.parse(path, text)
    return find(path, text, extract(parsed.module, tree=parsed.tree, text=parsed.text), settings)


def apply_fixes(path: str, text: str, findings: Sequence[Finding]) -> str:
    """The text with every fixable finding applied, grouped by the transform that handles it."""
    available = transforms()
    by_transform: dict[Transform, list[Finding]] = {}
    for finding in findings:
        transform = available.get(str(finding.fix.get("kind"))) if finding.fixable else None
        if transform is not None:
            by_transform.setdefault(transform, []).append(finding)
    # Spans point into the analysed text: after a transform has edited it, the next one's
    # spans are carried over where their lines survived; a group with a span on an edited
    # line waits for the fixpoint's next analysis (fix_text). Transforms that locate their
    # target by name run last, on the edited text.
    analysed = text
    for transform, group in sorted(by_transform.items(), key=lambda item: (item[0].by_name, item[1][0].sort_key)):
        if text != analysed and not transform.by_name:
            lines = line_map(analysed, text)
            try:
                group = [shifted(finding, lines) for finding in group]
            except SpanLost:
                continue
        new = transform.apply(text, group)
        _check_compiles(path, new)
        text = new
    return text


def _check_compiles(path: str, text: str) -> None:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as error:
        raise TransformError(f"{path}: the rewrite does not compile ({error.msg}); nothing written") from None


def fix_text(path: str, text: str, findings: Sequence[Finding], settings: Settings) -> tuple[str, list[str]]:
    """Apply fixes, re-analyse and repeat until nothing new is fixable; also return errors."""
    errors: list[str] = []
    current = text
    pending = [f for f in findings if f.fixable]
    for _ in range(MAX_FIX_ROUNDS):
        if not pending:
            break
        try:
            current = apply_fixes(path, current, pending)
        except TransformError as error:
            errors.append(str(error))
            break
        pending = [f for f in analyse_text(path, current, settings) if f.fixable]
    return current, errors


def finding_diff(path: str, text: str, finding: Finding) -> str:
    """The diff of fixing this one finding alone, or '' when it is only a suggestion."""
    if not finding.fixable:
        return ""
    try:
        return unified_diff(path, text, apply_fixes(path, text, [finding]))
    except TransformError:
        return ""


def analyse_file(path: str, settings: Settings, *, fix: bool = False) -> FileResult:
    """Analyse (and with `fix`, rewrite in memory) one file; errors become a one-line result."""
    try:
        if settings.for_file(path).silences_everything():
            return FileResult(path)  # per-file-ignores of ALL: like a file that imports no framework
        loaded = sources.load(path, prefilter=settings.prefilter)
        if loaded is None:
            return FileResult(path)
        findings, skipped = find_with_skips(
            path, loaded.text, extract(loaded.module, tree=loaded.tree, text=loaded.text), settings
        )
        patch = None
        fix_errors: list[str] = []
        if fix and any(f.fixable for f in findings):
            new, fix_errors = fix_text(path, loaded.text, findings, settings)
            patch = Patch(path, tuple(f for f in findings if f.fixable), loaded.text, new)
        return FileResult(
            path, tuple(findings), "", loaded.text, loaded.encoding, patch, tuple(fix_errors), tuple(skipped)
        )
    except HarpError as error:
        return FileResult(path, error=str(error))
    except RecursionError:
        return FileResult(path, error=f"{path}: too deeply nested to analyse")


def analyse_files(
    paths: Sequence[str], settings: Settings, *, fix: bool = False, jobs: int = 1, cache: ResultCache | None = None
) -> list[FileResult]:
    """Analyse files in order, in `jobs` worker processes when there are enough files to pay;
    files whose result `cache` holds are not analysed again."""
    known = {path: hit for path in paths if cache is not None and (hit := cache.get(path)) is not None}
    todo = [path for path in paths if path not in known]
    work = partial(analyse_file, settings=settings, fix=fix)
    jobs = min(jobs, len(todo))
    with Progress(len(todo), "files analysed") as progress, ExitStack() as stack:
        if jobs <= 1:
            fresh: Iterable[FileResult] = map(work, todo)
        else:
            # largest files first, one at a time: no worker is left with a big file at the end
            todo.sort(key=_size, reverse=True)
            fresh = stack.enter_context(ProcessPoolExecutor(max_workers=jobs)).map(work, todo)
        for result in fresh:
            progress.advance()
            known[result.path] = result
            if cache is not None:
                cache.put(result)
    return [known[path] for path in paths]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def default_jobs() -> int:
    """One worker per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

"""`--pr`: one branch and one pull request per pattern code, kept in step with the code.

For each code with verified fixes the bot builds `harp/CODE` on the checked-out commit, one
commit per file, and opens its pull request, or updates the open one in place. A pull request
whose findings are gone is closed and its branch deleted. State lives in the repository
only: the branch names, and a hidden marker in each body with the findings' fingerprints
and files. So a re-run with nothing new posts nothing, the fingerprints of a pull request
closed without merging are never proposed again, and at most `limit` pull requests of the
bot are open at once.

Every remote write is one push guarded by a lease, then one API call; when the call fails
the push is undone, so a failure leaves no branch without its pull request.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.equivalence.harness import HarnessSettings
from harp_refactor.equivalence.verdict import Verdict

from .credentials import github_token
from .errors import HarpError
from .finding import Finding
from .forge import DEFAULT_API_URL, ForgeError, GitHub, PullRequest
from .git import FileCommit, GitError, Repository
from .pipeline import FileResult
from .pull_request import Change, body, read_marker
from .sarif import fingerprints, relative_path
from .verification import VerifiedPatch, verified_as_is, verify_subset

PREFIX = "harp/"
TRAILER = "Generated-by: harp-refactor"  # on every commit the bot makes: others' commits are left alone
DEFAULT_LIMIT = 5
# git@github.com:owner/name.git, https://github.com/owner/name, ssh://git@host/owner/name.git
_REMOTE_REPOSITORY = re.compile(r"^(?:[a-z+]+://[^/]+/|[^@/]+@[^:/]+:)(?P<name>[^/]+/[^/]+?)(?:\.git)?/?$", re.I)


class BotError(HarpError, RuntimeError):
    """The bot cannot start or go on; the message says what to set or fix."""


@dataclass(frozen=True)
class BotSettings:
    """Where the pull requests go, and how many may be open. The repository (`owner/name`) and
    the API come from $GITHUB_REPOSITORY and $GITHUB_API_URL, as GitHub Actions sets them, else
    from the remote's URL and api.github.com."""

    remote: str = "origin"
    base: str | None = None  # default: the checked-out branch
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True)
class FileChange:
    """One file's verified fixes of one code: one commit of the branch."""

    path: str  # relative to the repository root
    content: bytes
    verdict: Verdict
    changes: tuple[Change, ...]

    def commit(self, code: str, title: str) -> FileCommit:
        lines = [f"{code} {title}: {self.path}", "", f"Verified by harp-refactor: {self.verdict.line()}", ""]
        lines += [f"- line {change.finding.span.line}: {change.finding.message}" for change in self.changes]
        return FileCommit(self.path, self.content, "\n".join([*lines, "", TRAILER]) + "\n")


SettingsFor = Callable[[Sequence[Finding]], HarnessSettings]
Say = Callable[[str], None]


@dataclass(frozen=True)
class Analysis:
    """What one run found and verified, as the bot needs it."""

    results: dict[str, FileResult]
    verified: dict[str, VerifiedPatch]
    settings_for: SettingsFor
    selected: Callable[[str], bool]  # does this run look for this code?
    fingerprint: dict[Finding, str]
    analysed: frozenset[str]  # the files analysed without error, relative to the repository root

    def findings(self, code: str) -> list[Finding]:
        """The fixable findings of `code`."""
        return [f for result in self.results.values() for f in result.findings if f.code == code and f.fixable]


class Bot:
    """Keeps the `harp/CODE` pull requests of one repository in step with one run's fixes."""

    def __init__(self, start: Path, settings: BotSettings, say: Say) -> None:
        """Check all that can be checked before the analysis: the repository, the base branch,
        the token, the forge client."""
        self.settings = settings
        self.say = say
        self.repo = Repository.containing(start.absolute(), settings.remote)
        self.base = settings.base or self.repo.current_branch() or ""
        if not self.base:
            raise BotError("HEAD is detached: name the branch the pull requests go into with --base")
        token = github_token()
        if not token:
            raise BotError("--pr needs a GitHub token in GITHUB_TOKEN (or GH_TOKEN)")
        self.head = self.repo.head()
        self.base_tip = ""
        api_url = os.environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
        self.forge = GitHub(self._repository_name(), token, api_url)
        self.open_count = 0

    def run(
        self,
        results: Sequence[FileResult],
        verified: dict[str, VerifiedPatch],
        settings_for: SettingsFor,
        selected: Callable[[str], bool],
    ) -> None:
        """Open, update or close each `harp/CODE` pull request to match these verified fixes."""
        findings = [finding for result in results for finding in result.findings]
        texts = {result.path: result.text or "" for result in results}
        analysis = Analysis(
            {result.path: result for result in results},
            verified,
            settings_for,
            selected,
            dict(zip(findings, fingerprints(findings, texts, self.repo.root), strict=True)),
            frozenset(self._relative(result.path) for result in results if not result.error),
        )
        self.repo.fetch(self.base, PREFIX)
        self.base_tip = self.repo.remote_tip(self.base) or ""
        if not self.base_tip or not self.repo.is_ancestor(self.head, self.base_tip):
            raise BotError(
                f"HEAD has commits that {self.repo.remote}/{self.base} lacks: push them, or check out "
                f"{self.repo.remote}/{self.base}, before running --pr"
            )
        open_pulls = {pull.branch: pull for pull in self.forge.pulls("open") if pull.branch.startswith(PREFIX)}
        self.open_count = len(open_pulls)
        codes = {finding.code for finding in findings if finding.fixable} | {b.removeprefix(PREFIX) for b in open_pulls}
        # pull requests already open first: closing one makes room for a new one
        for code in sorted(codes, key=lambda code: (PREFIX + code not in open_pulls, code)):
            self._bring_in_step(code, open_pulls.get(PREFIX + code), analysis)

    def _bring_in_step(self, code: str, pull: PullRequest | None, analysis: Analysis) -> None:
        branch = PREFIX + code
        if pull is not None:
            outside = sorted(read_marker(pull.body).paths - analysis.analysed)
            if outside or not analysis.selected(code):
                why = f"also changes {', '.join(outside)}" if outside else f"is about {code}"
                self.say(f"{branch}: left alone: pull request #{pull.number} {why}, which this run did not analyse")
                return
        old = self.repo.remote_tip(branch)
        if pull is not None and old is not None:
            if any(TRAILER not in message for message in self.repo.messages(self.base_tip, old)):
                self.say(f"{branch}: left alone: pull request #{pull.number} has commits harp-refactor did not make")
                return
        present = {analysis.fingerprint[f] for f in analysis.findings(code)}
        declined: set[str] = set()
        if present:
            for closed in self.forge.pulls("closed", branch):
                if not closed.merged:
                    declined |= read_marker(closed.body).fingerprints
        files = self._file_changes(code, declined, analysis)
        if not files:
            self._nothing_to_propose(branch, pull, present, declined, old)
            return
        pattern_title = self._title(code)
        title = f"harp-refactor: {code} {pattern_title}"
        changes = [change for file in files for change in file.changes]
        text = body(code, pattern_title, changes)
        tip = self.repo.commit_files(self.head, [file.commit(code, pattern_title) for file in files])
        if pull is not None and old is not None and self._same(pull, old, tip, changes):
            self.say(f"{branch}: pull request #{pull.number} is up to date")
            return
        if pull is None and self.open_count >= self.settings.limit:
            self.say(f"{branch}: not opened: harp-refactor has {self.open_count} pull requests open, the limit")
            return
        self.repo.push(branch, tip, old)
        try:
            if pull is None:
                pull = self.forge.create(branch, self.base, title, text)
                self.open_count += 1
                verb = "opened"
            else:
                self.forge.update(pull.number, title, text)
                verb = "updated"
        except ForgeError as error:
            self._undo_push(branch, old, tip, error)
            raise
        count = f"{len(changes)} fix{'es' * (len(changes) != 1)} in {len(files)} file{'s' * (len(files) != 1)}"
        self.say(f"{branch}: {verb} pull request #{pull.number} ({count}) {pull.url}".rstrip())

    def _nothing_to_propose(
        self, branch: str, pull: PullRequest | None, present: set[str], declined: set[str], old: str | None
    ) -> None:
        """No fix to propose: say why, and close an open pull request whose findings are gone."""
        if pull is None:
            if present and present <= declined:
                self.say(f"{branch}: nothing new: these fixes were proposed before and closed without merging")
            elif present:
                self.say(f"{branch}: nothing to propose: no fix was verified equivalent")
            return
        if read_marker(pull.body).fingerprints & present:
            self.say(f"{branch}: pull request #{pull.number} left as it is: its findings remain, no fix verified now")
            return
        self.forge.comment(
            pull.number,
            f"harp-refactor no longer finds {branch.removeprefix(PREFIX)} in the files this pull request "
            f"changes ({', '.join(sorted(read_marker(pull.body).paths)) or 'none recorded'}): they were fixed "
            "or changed. Closing it, and deleting its branch.",
        )
        self.forge.close(pull.number)
        self.open_count -= 1
        if old is not None:
            self.repo.push(branch, None, old)
        self.say(f"{branch}: closed pull request #{pull.number}: its findings are gone")

    def _same(self, pull: PullRequest, old: str, tip: str, changes: Sequence[Change]) -> bool:
        """Does the open pull request already propose exactly these changes? (Lines the base
        branch moved do not count: GitHub merges those; changed neighbours do.)"""
        if read_marker(pull.body).fingerprints != {change.fingerprint for change in changes}:
            return False
        return self.repo.patch_id(f"{self.head}...{old}") == self.repo.patch_id(self.head, tip)

    def _undo_push(self, branch: str, old: str | None, tip: str, error: ForgeError) -> None:
        try:
            self.repo.push(branch, old, tip)
        except GitError as undo_error:
            raise BotError(f"{error}; putting {branch} back as it was failed too: {undo_error}") from None
        self.say(f"{branch}: put back as it was after the failed API call")

    def _file_changes(self, code: str, declined: set[str], analysis: Analysis) -> list[FileChange]:
        """Each file's verified fixes of `code` not declined before, verified on their own when the
        file also has fixes of other codes."""
        changes = []
        for path, entry in sorted(analysis.verified.items()):
            if entry.patch is None:
                continue
            fixes = [f for f in entry.patch.findings if f.code == code and analysis.fingerprint[f] not in declined]
            if not fixes:
                continue
            result = analysis.results[path]
            original = result.text or ""
            relative = self._relative(path)
            if self.repo.blob(self.head, relative) != original.encode(result.encoding):
                self.say(f"{relative}: left out: it differs from the committed file; commit it first")
                continue
            if not verified_as_is(entry, fixes):
                print(f"verifying the {code} fixes of {relative} on their own ...", file=sys.stderr)
            checked = verify_subset(path, original, fixes, entry, analysis.settings_for(fixes))
            if checked.patch is None:
                self.say(f"{relative}: {code} left out: on its own, {checked.verdict.line()}")
                continue
            kept = checked.patch.findings
            rows = tuple(
                Change(f, checked.by_finding.get(f, checked.verdict), relative, analysis.fingerprint[f]) for f in kept
            )
            changes.append(FileChange(relative, checked.patch.new.encode(result.encoding), checked.verdict, rows))
        return changes

    def _title(self, code: str) -> str:
        pattern = all_patterns().get(code)
        return pattern.title if pattern else code

    def _relative(self, path: str) -> str:
        return relative_path(path, self.repo.root) or path

    def _repository_name(self) -> str:
        name = os.environ.get("GITHUB_REPOSITORY", "").strip()
        if name:
            return name
        url = self.repo.git("remote", "get-url", self.repo.remote).strip()
        match = _REMOTE_REPOSITORY.match(url)
        if match is None:
            raise BotError(
                f"cannot tell the GitHub repository from remote {self.repo.remote!r}: set GITHUB_REPOSITORY=owner/name"
            )
        return match["name"]

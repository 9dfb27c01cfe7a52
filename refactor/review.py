"""`--interactive`: one card per fix, accepted or rejected with git's keys.

Cards show the fix's own diff, the assumptions it rests on and the harness's verdict. The
default answer is yes only for a fix verified equivalent. Accepted fixes are written at the
end (or at `q`), atomically per file; a file whose accepted fixes differ from the set the
harness verified is verified again first. Rejections are remembered in the project
(`.harp-refactor/review.json`, by content hash) so the next run does not ask again until the
code changes. Ctrl-C writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from harp_refactor.equivalence.harness import HarnessSettings, verify
from harp_refactor.equivalence.verdict import EQUIVALENT, Verdict

from .files import write_atomic
from .finding import Finding
from .pipeline import FileResult, apply_fixes, finding_diff
from .verification import VerifiedPatch, verified_as_is, verify_subset

HELP = """y - accept this fix
n - reject this fix (not asked again until the code changes)
a - accept this fix and the rest in the file
d - reject this fix and the rest in the file
q - quit; write the fixes accepted so far
e - edit the fixed file in $EDITOR; the edit is verified before it is accepted
? - print help"""
STATE = Path(".harp-refactor") / "review.json"


@dataclass(frozen=True)
class Card:
    finding: Finding
    diff: str
    verdict: Verdict | None

    @property
    def verified(self) -> bool:
        return self.verdict is not None and self.verdict.status == EQUIVALENT

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.finding.code}\0{self.finding.path}\0{self.diff}".encode()).hexdigest()


@dataclass
class Decisions:
    accepted: dict[str, list[Finding]] = field(default_factory=dict)
    edited: dict[str, str] = field(default_factory=dict)
    rejected: set[str] = field(default_factory=set)


class Review:
    """The conversation on a terminal: `run()` asks, `write()` writes what was accepted."""

    def __init__(
        self,
        results: Sequence[FileResult],
        verified: dict[str, VerifiedPatch],
        settings_for: Callable[[Sequence[Finding]], HarnessSettings],
        terminal_in: TextIO,
        terminal_out: TextIO,
        root: Path,
    ) -> None:
        self.results = {result.path: result for result in results}
        self.verified = verified
        self.settings_for = settings_for
        self.read, self.out = terminal_in, terminal_out
        self.state = root / STATE
        self.colour = not os.environ.get("NO_COLOR")
        self.decisions = Decisions(rejected=self._remembered())

    def cards(self) -> list[Card]:
        cards = []
        for path, entry in self.verified.items():
            text = self.results[path].text or ""
            for finding in sorted(entry.by_finding, key=lambda f: f.sort_key):
                diff = finding_diff(path, text, finding)
                if diff:
                    cards.append(Card(finding, diff, entry.by_finding[finding]))
        return cards

    def run(self) -> None:
        cards = self.cards()
        fresh = [card for card in cards if card.fingerprint not in self.decisions.rejected]
        if len(fresh) < len(cards):
            self.say(f"({len(cards) - len(fresh)} fixes rejected before are not asked again)")
        whole_file: dict[str, bool] = {}
        for number, card in enumerate(fresh, 1):
            path = card.finding.path
            if path in self.decisions.edited:
                continue
            if path in whole_file:
                self._decide(card, whole_file[path])
                continue
            self.show(card, number, len(fresh))
            answer = self.ask(card)
            if answer == "q":
                return
            if answer in ("a", "d"):
                whole_file[path] = answer == "a"
            if answer != "e":
                self._decide(card, answer in ("y", "a"))

    def ask(self, card: Card) -> str:
        default = "y" if card.verified else "n"
        keys = "/".join(key.upper() if key == default else key for key in "ynadqe?")
        while True:
            self.out.write(f"Accept this fix [{keys}]? ")
            self.out.flush()
            line = self.read.readline()
            if not line:  # end of input: the safe answer
                return "q"
            answer = line.strip().lower() or default
            if answer == "e" and self.edit(card):
                return "e"
            if answer in ("y", "n", "a", "d", "q"):
                return answer
            if answer != "e":
                self.say(HELP)

    def edit(self, card: Card) -> bool:
        """The fixed file in $EDITOR; the edited text is accepted only when verified equivalent."""
        path = card.finding.path
        original = self.results[path].text or ""
        # the fixes already accepted in this file stay in: the edited text replaces them all
        fixes = [*self.decisions.accepted.get(path, []), card.finding]
        fixed = apply_fixes(path, original, fixes)
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as handle:
            handle.write(fixed)
        try:
            editor = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
            subprocess.run([*editor, handle.name], check=False)
            edited = Path(handle.name).read_text(encoding="utf-8")
        finally:
            Path(handle.name).unlink(missing_ok=True)
        self.say("verifying the edited file ...")
        verdict = verify(path, original, edited, self.settings_for(fixes))
        self.say(f"    {verdict.line()}")
        if verdict.status != EQUIVALENT:
            self.say("    the edit is not accepted")
            return False
        self.decisions.edited[path] = edited
        self.decisions.accepted[path] = fixes
        return True

    def show(self, card: Card, number: int, total: int) -> None:
        finding = card.finding
        self.say(f"\n({number}/{total}) {finding.path}:{finding.span.line} {finding.code} {finding.title}")
        self.say(finding.message)
        for line in card.diff.splitlines():
            self.say(self._coloured(line))
        for assumption in finding.assumptions:
            self.say(f"assumes: {assumption.what} ({assumption.why}; to check: {assumption.check})")
        self.say(f"verdict: {card.verdict.line() if card.verdict else 'not verified'}")

    def write(self) -> list[str]:
        """Write each file's accepted fixes (verified again when they are not the verified set)."""
        written = []
        for path, text in self.decisions.edited.items():
            write_atomic(path, text, self.results[path].encoding)
            written.append(path)
        for path, findings in self.decisions.accepted.items():
            if path in self.decisions.edited or not findings:
                continue
            result, entry = self.results[path], self.verified[path]
            if not verified_as_is(entry, findings):
                self.say(f"verifying the fixes accepted in {path} together ...")
            checked = verify_subset(path, result.text or "", findings, entry, self.settings_for(findings))
            if checked is not entry:
                self.say(f"    {checked.verdict.line()}")
            if checked.patch is None or set(checked.patch.findings) != set(findings):
                self.say(f"    not written: {path}")
                continue
            write_atomic(path, checked.patch.new, result.encoding)
            written.append(path)
        self._remember()
        return written

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def _decide(self, card: Card, accept: bool) -> None:
        if accept:
            self.decisions.accepted.setdefault(card.finding.path, []).append(card.finding)
        else:
            self.decisions.rejected.add(card.fingerprint)

    def _coloured(self, line: str) -> str:
        if not self.colour:
            return line
        for prefix, code in (("+++", "1"), ("---", "1"), ("+", "32"), ("-", "31"), ("@@", "36")):
            if line.startswith(prefix):
                return f"\x1b[{code}m{line}\x1b[0m"
        return line

    def _remembered(self) -> set[str]:
        try:
            return set(json.loads(self.state.read_text(encoding="utf-8")).get("rejected", []))
        except (OSError, ValueError, AttributeError):
            return set()

    def _remember(self) -> None:
        self.state.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(str(self.state), json.dumps({"rejected": sorted(self.decisions.rejected)}, indent=1))

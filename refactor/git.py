"""The git plumbing the pull-request bot needs, run as `git` subprocesses.

Commits are built in a temporary index file from blobs written straight into the object
store, so the user's working tree, index and branches are never touched: only the remote's
`harp/*` branches change, each push guarded by a lease on the tip the bot last saw.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .credentials import redact
from .errors import HarpError

BOT_NAME = "harp-refactor"
BOT_EMAIL = "harp-refactor@users.noreply.github.com"
TIMEOUT_S = 300


class GitError(HarpError, RuntimeError):
    """A git command failed; the message quotes git's own explanation, credentials removed."""


@dataclass(frozen=True)
class FileCommit:
    """One commit to make: a file's new bytes (path relative to the work tree) and the message."""

    path: str
    content: bytes
    message: str


class Repository:
    """A git work tree and the remote the bot pushes to."""

    def __init__(self, root: Path, remote: str) -> None:
        self.root = root
        self.remote = remote

    @classmethod
    def containing(cls, path: Path, remote: str) -> Repository:
        folder = path if path.is_dir() else path.parent
        try:
            top = _git(folder, "rev-parse", "--show-toplevel").strip()
        except GitError:
            raise GitError(f"{path}: not inside a git work tree; --pr needs a git repository") from None
        return cls(Path(top).resolve(), remote)

    def git(self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
        return _git(self.root, *args, stdin=stdin, env=env)

    def current_branch(self) -> str | None:
        try:
            return self.git("symbolic-ref", "--quiet", "--short", "HEAD").strip() or None
        except GitError:
            return None  # detached HEAD

    def head(self) -> str:
        return self.git("rev-parse", "--verify", "HEAD^{commit}").strip()

    def fetch(self, base: str, prefix: str) -> None:
        """Bring the remote's base branch and the bot's branches into remote-tracking refs
        (pruning bot branches the remote no longer has)."""
        self.git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--prune",
            self.remote,
            f"+refs/heads/{base}:{self.tracking(base)}",
            f"+refs/heads/{prefix}*:{self.tracking(prefix)}*",
        )

    def tracking(self, branch: str) -> str:
        return f"refs/remotes/{self.remote}/{branch}"

    def remote_tip(self, branch: str) -> str | None:
        """The commit the remote's `branch` pointed to at the last fetch, None when it has none."""
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{self.tracking(branch)}^{{commit}}").strip()
        except GitError:
            return None

    def is_ancestor(self, commit: str, of: str) -> bool:
        completed = _run(self.root, ("merge-base", "--is-ancestor", commit, of))
        return completed.returncode == 0

    def blob(self, commit: str, path: str) -> bytes | None:
        """The bytes of `path` in `commit`, None when it has no such file."""
        completed = _run(self.root, ("cat-file", "blob", f"{commit}:{path}"))
        return completed.stdout if completed.returncode == 0 else None

    def messages(self, since: str, tip: str) -> list[str]:
        """The messages of the commits on `tip` that `since` lacks, newest first."""
        log = self.git("log", "--format=%B%x00", f"{since}..{tip}")
        return [message.strip() for message in log.split("\0") if message.strip()]

    def patch_id(self, *revisions: str) -> str:
        """`git patch-id` of the diff between `revisions`: equal for equal changes, wherever
        their lines have moved to (`base...tip`: what `tip` changed since it left `base`)."""
        diff = self.git("diff", "--binary", *revisions).encode()
        return self.git("patch-id", "--stable", stdin=diff).split(" ", 1)[0]

    def commit_files(self, parent: str, commits: Sequence[FileCommit]) -> str:
        """One commit per file change, in order, on top of `parent`; returns the last commit."""
        with tempfile.TemporaryDirectory(prefix="harp-index-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index"), **self._identity()}
            self.git("read-tree", parent, env=env)
            tip = parent
            for commit in commits:
                mode = self._mode(parent, commit.path)
                blob = self.git("hash-object", "-w", "--stdin", stdin=commit.content).strip()
                self.git("update-index", "--add", "--cacheinfo", f"{mode},{blob},{commit.path}", env=env)
                tree = self.git("write-tree", env=env).strip()
                tip = self.git(
                    "commit-tree", tree, "-p", tip, "-F", "-", stdin=commit.message.encode(), env=env
                ).strip()
        return tip

    def push(self, branch: str, new: str | None, expected: str | None) -> None:
        """Set (or with `new` None, delete) the remote's `branch`, only if it still points to
        `expected` (None: only if it does not exist)."""
        ref = f"refs/heads/{branch}"
        self.git(
            "push",
            "--quiet",
            "--porcelain",
            f"--force-with-lease={ref}:{expected or ''}",
            self.remote,
            f"{new or ''}:{ref}",
        )

    def _mode(self, commit: str, path: str) -> str:
        listing = self.git("ls-tree", commit, "--", path).split()
        return listing[0] if listing else "100644"

    def _identity(self) -> dict[str, str]:
        """The bot's name on its commits unless the repository names a committer."""
        configured = _run(self.root, ("config", "user.email")).returncode == 0
        if configured:
            return {}
        return {
            "GIT_AUTHOR_NAME": BOT_NAME,
            "GIT_AUTHOR_EMAIL": BOT_EMAIL,
            "GIT_COMMITTER_NAME": BOT_NAME,
            "GIT_COMMITTER_EMAIL": BOT_EMAIL,
        }


def _run(
    folder: Path, args: Sequence[str], stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
            # never stop to ask for a password on a terminal: fail, and say so
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(redact(f"git {args[0]}: {error}")) from None


def _git(folder: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> str:
    completed = _run(folder, args, stdin, env)
    if completed.returncode != 0:
        said = completed.stderr.decode(errors="replace").strip() or completed.stdout.decode(errors="replace").strip()
        lines = [line.strip().removeprefix("error: ").removeprefix("fatal: ") for line in said.splitlines()]
        lines = [line for line in lines if line]
        raise GitError(redact(f"git {args[0]} failed: {'; '.join(lines[:4]) or f'exit {completed.returncode}'}"))
    return completed.stdout.decode(errors="replace")

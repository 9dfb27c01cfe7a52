"""Private copies of the user's project for the harness's runs, and the runner children in them.

The user's files are never written: every run happens in a copy.  A copy holds what the
program can need and no more: in a git repository the tracked files and the untracked
ones git does not ignore (so a large ignored `data/` folder is never copied), elsewhere
the project folder without caches, virtual environments and build output.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from .process import Limits, RunnerProcess

_COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".hg", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache", ".pytest_cache", ".harp-refactor",
    "*.egg-info", "build", "dist",
)  # fmt: skip


def project_root(path: Path) -> Path:
    """The nearest folder above `path` with a pyproject.toml or .git, else the file's folder."""
    start = path.resolve().parent
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() or (folder / ".git").exists():
            return folder
    return start


def git_files(root: Path) -> list[str] | None:
    """The files of `root` that git tracks or would track (not ignored), or None outside git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=root,
            capture_output=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [name for name in listed.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


class Sandbox:
    """The copies of one file's project and the runners started in them; all removed on exit."""

    def __init__(self, path: Path, limits: Limits, stack: ExitStack) -> None:
        self.root = project_root(path)
        self.relative = path.resolve().relative_to(self.root)
        self.limits = limits
        self.stack = stack
        self.scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harp-verify-")))
        self.copies = 0
        self.files = git_files(self.root)

    def copy(self, source: str) -> Path:
        """A private copy of the project with `source` as the text of the file under test."""
        self.copies += 1
        destination = self.scratch / f"copy{self.copies}"
        if self.files is None:
            shutil.copytree(self.root, destination, ignore=_COPY_IGNORE, symlinks=True)
        else:
            for name in self.files:
                origin = self.root / name
                if origin.is_file() or origin.is_symlink():
                    (destination / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, destination / name, follow_symlinks=False)
        target = destination / self.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
        return destination

    def runner(self, root: Path) -> RunnerProcess:
        return self.stack.enter_context(RunnerProcess(root, self.limits))

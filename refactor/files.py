"""Find the files to analyse, and write rewritten files atomically."""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

_SKIPPED_DIRECTORIES = frozenset({"__pycache__", "node_modules", ".git", ".hg", ".tox", ".nox", ".venv", "venv"})


def _excluded(path: Path, exclude: Iterable[str]) -> bool:
    text = path.as_posix()
    return any(fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(path.name, pattern) for pattern in exclude)


def python_files(paths: Iterable[str], exclude: Iterable[str] = ()) -> Iterator[str]:
    """Each .py file named or found under a named directory, sorted, without duplicates.

    A named file is always analysed; files found in directories skip hidden and
    virtual-environment folders and anything matching `exclude`.
    """
    exclude = tuple(exclude)
    seen: set[str] = set()
    for given in paths:
        root = Path(given)
        if not root.is_dir():
            found: Iterable[Path] = [root]
        else:
            found = sorted(
                path
                for path in root.rglob("*.py")
                if not any(
                    part.startswith(".") or part in _SKIPPED_DIRECTORIES for part in path.relative_to(root).parts[:-1]
                )
                and not _excluded(path, exclude)
            )
        for path in found:
            text = str(path)
            if text not in seen:
                seen.add(text)
                yield text


def write_atomic(path: str, text: str, encoding: str = "utf-8") -> None:
    """Replace a file's contents all at once: a reader sees the old file or the new one."""
    target = Path(path)
    mode = target.stat().st_mode if target.exists() else None
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".harp-tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

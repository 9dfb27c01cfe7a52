"""Find the files to analyse, and write rewritten files atomically."""

from __future__ import annotations

import fnmatch
import os
import re
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .errors import ConfigError

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


_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """`--shard 2/4` → (2, 4); anything but `I/N` with 1 ≤ I ≤ N is a usage error."""
    match = _SHARD.fullmatch(text)
    index, count = (int(match[1]), int(match[2])) if match else (0, 0)
    if not 1 <= index <= count:
        raise ConfigError(f"--shard must be I/N with 1 <= I <= N (e.g. 2/4), not {text!r}")
    return index, count


def shard_of(path: str, count: int) -> int:
    """The 1-based shard a file belongs to: a stable hash of its path relative to the current
    folder, so a file's shard is the same on every machine and whatever other files exist."""
    try:
        relative = Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive than the current folder's (Windows)
        relative = Path(path).as_posix()
    return zlib.crc32(relative.encode("utf-8", "surrogateescape")) % count + 1


def in_shard(paths: Sequence[str], index: int, count: int) -> list[str]:
    """The files of shard `index` of `count`, in the given order: shards are disjoint and together
    hold every file, for splitting one run over a CI matrix."""
    return [path for path in paths if shard_of(path, count) == index]


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

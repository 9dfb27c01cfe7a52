"""Remember each file's analysis by content, so that a second run over unchanged files is instant.

An entry's key hashes everything the result depends on: the file's path and bytes, the
settings (with the text of the user's rule files), and the tool itself (the bytes of every
module, rule file and knowledge table of the installed package, so an upgrade or an edit of
the tool invalidates the cache).  Entries are pickles written atomically; a corrupt or
unreadable entry is a miss, never an error.  The cache lives in the user's own cache folder:
pickles are only ever read from there or from a folder the user names.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__

if TYPE_CHECKING:
    from .pipeline import FileResult, Settings

_TOOL_FILES = ("*.py", "*.lp", "*.json", "*.toml")


def default_directory() -> Path:
    """`$XDG_CACHE_HOME/harp-refactor`, else `~/.cache/harp-refactor`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "harp-refactor"


@cache
def _tool_fingerprint() -> str:
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{__version__} {sys.version}".encode())
    for pattern in _TOOL_FILES:
        for path in sorted(package.rglob(pattern)):
            digest.update(path.as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class ResultCache:
    """File results by content hash, in one folder."""

    def __init__(self, directory: Path, settings: Settings, *, fix: bool) -> None:
        self.directory = directory
        digest = hashlib.sha256(_tool_fingerprint().encode())
        digest.update(repr((settings, fix)).encode())
        for rule_file in settings.rules:
            digest.update(Path(rule_file).read_bytes())
        self._run_key = digest.hexdigest()
        # each file's entry, hashed once: `get` before the analysis, `put` after it
        self._entries: dict[str, Path | None] = {}

    def _entry(self, path: str) -> Path | None:
        if path not in self._entries:
            try:
                data = Path(path).read_bytes()
            except OSError:
                self._entries[path] = None  # the analysis reports it
                return None
            key = hashlib.sha256(f"{self._run_key}\0{os.path.abspath(path)}\0".encode() + data).hexdigest()
            self._entries[path] = self.directory / key[:2] / f"{key}.pickle"
        return self._entries[path]

    def get(self, path: str) -> FileResult | None:
        entry = self._entry(path)
        if entry is None:
            return None
        try:
            result: FileResult = pickle.loads(entry.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None
        return result if result.path == path else None

    def put(self, result: FileResult) -> None:
        """Store a result (not one that reports an error: the next run should try again)."""
        entry = self._entry(result.path)
        if entry is None or result.error:
            return
        temporary = None
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".entry.", dir=entry.parent)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(result, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)  # readers see a whole entry or none (no fsync: it is only a cache)
        except OSError:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)  # a read-only or full cache costs speed, not results

"""`[tool.harp-refactor]` in the nearest pyproject.toml, checked key by key."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from .errors import ConfigError
from .suppression import PerFileIgnores

_KEYS = {
    "select": "a list of codes, prefixes or ALL",
    "ignore": "a list of codes or prefixes",
    "exclude": "a list of glob patterns",
    "rules": "a list of rule files (paths relative to pyproject.toml)",
    "speculative": "true or false",
    "aggressive": "true or false",
    "samples": "a 'module:function' factory returning argument sets",
    "entry": "a command that runs the code, e.g. 'train.py --steps 2' or 'pytest tests/test_model.py'",
    "timeout": "seconds one run may take (a number)",
    "memory-limit": "megabytes a run may map (an integer)",
    "tolerance": "a table {rtol = ..., atol = ...}",
    "per-code-tolerance": "a table of tables, e.g. {HARP101 = {rtol = 1e-4}}",
    "min-speedup": "the speedup a verified patch must reach (a number)",
    "compare-printed-numbers": "true or false: also compare the numbers a program prints",
    "cache-dir": "the folder for cached results (relative to pyproject.toml), or false for no cache",
    "per-file-ignores": 'a table of glob pattern = list of codes or prefixes, e.g. {"tests/*" = ["HARP105"]}',
    "pull-requests": 'a table {limit = 5, remote = "origin", base = "main"} for --pr',
}
_PULL_REQUEST_KEYS = {"limit", "remote", "base"}


@dataclass(frozen=True)
class PullRequestOptions:
    """`pull-requests` in the table: how many the bot keeps open, which remote, which base branch."""

    limit: int | None = None
    remote: str | None = None
    base: str | None = None


@dataclass(frozen=True)
class Config:
    """The project's settings; command-line flags override them."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rules: tuple[Path, ...] = ()
    speculative: bool = False
    aggressive: bool = False
    samples: str | None = None
    entry: tuple[str, ...] = ()
    timeout: float | None = None
    memory_limit: int | None = None
    tolerance: tuple[float | None, float | None] = (None, None)
    per_code_tolerance: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    min_speedup: float | None = None
    compare_printed_numbers: bool = True
    cache_dir: Path | bool = True  # True: the user's cache folder; False: no cache
    per_file_ignores: PerFileIgnores = PerFileIgnores()
    pull_requests: PullRequestOptions = PullRequestOptions()
    source: Path | None = field(default=None, compare=False)


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.harp-refactor] table."""
    directory = start.resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and "harp-refactor" in _read(path).get("tool", {}):
            return path
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            document: dict[str, Any] = tomllib.load(stream)
            return document
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {error}") from None


def _strings(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [tool.harp-refactor] {key} must be {_KEYS[key]}")
    return tuple(value)


def _flag(path: Path, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: [tool.harp-refactor] {key} must be {_KEYS[key]}")
    return value


def _number(path: Path, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{path}: [tool.harp-refactor] {key} must be {_KEYS[key]}")
    return float(value)


def _tolerance(path: Path, key: str, value: Any) -> tuple[float | None, float | None]:
    if not isinstance(value, dict) or set(value) - {"rtol", "atol"}:
        raise ConfigError(f"{path}: [tool.harp-refactor] {key} must be {_KEYS['tolerance']}")
    rtol, atol = value.get("rtol"), value.get("atol")
    return (
        None if rtol is None else _number(path, "tolerance", rtol),
        None if atol is None else _number(path, "tolerance", atol),
    )


def load_config(path: Path | None) -> Config:
    """Read and check the table; unknown keys are errors that name the key and the file."""
    if path is None:
        return Config()
    table = _read(path).get("tool", {}).get("harp-refactor", {})
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} in [tool.harp-refactor]; known keys: {', '.join(_KEYS)}")
    rules = tuple(path.parent / rule for rule in _strings(path, "rules", table.get("rules", [])))
    for rule in rules:
        if not rule.is_file():
            raise ConfigError(f"{path}: rule file {rule} does not exist")
    return Config(
        select=_strings(path, "select", table.get("select", ["ALL"])),
        ignore=_strings(path, "ignore", table.get("ignore", [])),
        exclude=_strings(path, "exclude", table.get("exclude", [])),
        rules=rules,
        speculative=_flag(path, "speculative", table.get("speculative", False)),
        aggressive=_flag(path, "aggressive", table.get("aggressive", False)),
        samples=_strings(path, "samples", table["samples"])[0] if "samples" in table else None,
        entry=tuple(shlex.split(_strings(path, "entry", table["entry"])[0])) if "entry" in table else (),
        timeout=_number(path, "timeout", table["timeout"]) if "timeout" in table else None,
        memory_limit=int(_number(path, "memory-limit", table["memory-limit"])) if "memory-limit" in table else None,
        tolerance=_tolerance(path, "tolerance", table.get("tolerance", {})),
        per_code_tolerance={
            str(code).upper(): _tolerance(path, "per-code-tolerance", value)
            for code, value in _table(path, "per-code-tolerance", table.get("per-code-tolerance", {})).items()
        },
        min_speedup=_number(path, "min-speedup", table["min-speedup"]) if "min-speedup" in table else None,
        compare_printed_numbers=_flag(path, "compare-printed-numbers", table.get("compare-printed-numbers", True)),
        cache_dir=_cache_dir(path, table.get("cache-dir", True)),
        per_file_ignores=_per_file_ignores(path, table.get("per-file-ignores", {})),
        pull_requests=_pull_requests(path, table.get("pull-requests", {})),
        source=path,
    )


def _cache_dir(path: Path, value: Any) -> Path | bool:
    if value is False or value is True:
        return bool(value)
    return path.parent / _strings(path, "cache-dir", value)[0]


def _per_file_ignores(path: Path, value: Any) -> PerFileIgnores:
    """Patterns are relative to the pyproject.toml's folder, kept absolute so that the result
    does not depend on the current directory."""
    key = "per-file-ignores"
    table = tuple(
        (pattern, tuple(code.strip().upper() for code in _strings(path, key, codes) if code.strip()))
        for pattern, codes in _table(path, key, value).items()
    )
    return PerFileIgnores(str(path.resolve().parent), table) if table else PerFileIgnores()


def _table(path: Path, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [tool.harp-refactor] {key} must be {_KEYS[key]}")
    return value


def _pull_requests(path: Path, value: Any) -> PullRequestOptions:
    table = _table(path, "pull-requests", value)
    unknown = sorted(set(table) - _PULL_REQUEST_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} in [tool.harp-refactor] pull-requests; known keys: limit, remote, base"
        )
    limit = table.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ConfigError(f"{path}: [tool.harp-refactor] pull-requests limit must be a whole number, 0 or more")
    remote, base = (
        _strings(path, "pull-requests", table[key])[0] if key in table else None for key in ("remote", "base")
    )
    return PullRequestOptions(limit, remote, base)

"""The result cache: a second run over unchanged files reads the first run's results, and
anything that could change a result (the file, the settings, the tool) misses it."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from harp_refactor.cache import ResultCache
from harp_refactor.pipeline import FileResult, Settings
from tests.refactor.test_cli import NUMPY_STEP, harp

Write = Callable[[str, str | bytes], Path]


def report(cwd: Path, *args: str) -> list[dict[str, Any]]:
    completed = harp(cwd, *args, "--format", "json")
    assert completed.returncode in (0, 1), completed.stderr
    findings: list[dict[str, Any]] = json.loads(completed.stdout)["findings"]
    return findings


def entries(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.pickle"))


def test_a_second_run_reads_the_first_runs_results(write: Write, tmp_path: Path) -> None:
    path = write("step.py", NUMPY_STEP)
    cache = tmp_path / "cache"
    first = report(tmp_path, "step.py", "--cache-dir", str(cache))
    assert [f["code"] for f in first] == ["HARP101"]
    [entry] = entries(cache)
    # Doctor the stored result: if the second run analysed the file again, it would not say this.
    stored: FileResult = pickle.loads(entry.read_bytes())
    doctored = replace(stored.findings[0], message="read from the cache")
    entry.write_bytes(pickle.dumps(replace(stored, findings=(doctored,))))
    assert [f["message"] for f in report(tmp_path, "step.py", "--cache-dir", str(cache))] == ["read from the cache"]
    # an edited file is analysed again
    path.write_text(NUMPY_STEP.replace("np.linalg.norm(D)", "np.linalg.norm(D * _)"), encoding="utf-8")
    assert report(tmp_path, "step.py", "--cache-dir", str(cache)) == []
    assert len(entries(cache)) == 2


def test_other_settings_do_not_reuse_a_result(write: Write, tmp_path: Path) -> None:
    write("step.py", NUMPY_STEP)
    cache = tmp_path / "cache"
    assert len(report(tmp_path, "step.py", "--cache-dir", str(cache))) == 1
    assert report(tmp_path, "step.py", "--cache-dir", str(cache), "--ignore", "HARP101") == []
    assert len(entries(cache)) == 2


def test_a_corrupt_entry_is_a_miss(write: Write, tmp_path: Path) -> None:
    write("step.py", NUMPY_STEP)
    cache = tmp_path / "cache"
    report(tmp_path, "step.py", "--cache-dir", str(cache))
    [entry] = entries(cache)
    entry.write_bytes(b"not a pickle")
    assert [f["code"] for f in report(tmp_path, "step.py", "--cache-dir", str(cache))] == ["HARP101"]
    assert pickle.loads(entry.read_bytes()).findings  # rewritten whole


def test_no_cache_and_a_disabled_cache_write_nothing(write: Write, tmp_path: Path) -> None:
    write("step.py", NUMPY_STEP)
    cache = tmp_path / "cache"
    report(tmp_path, "step.py", "--cache-dir", str(cache), "--no-cache")
    assert not cache.exists()
    write("pyproject.toml", "[tool.harp-refactor]\ncache-dir = false\n")
    report(tmp_path, "step.py")
    write("pyproject.toml", '[tool.harp-refactor]\ncache-dir = "cached"\n')
    report(tmp_path, "step.py")
    assert len(entries(tmp_path / "cached")) == 1


def test_the_key_covers_user_rule_files(write: Write, tmp_path: Path) -> None:
    rules = write("mine.lp", 'finding(N, "USR1", "a loop") :- loop(N).\n')
    settings = Settings(rules=(rules,))
    before = ResultCache(tmp_path, settings, fix=False)._entry(str(write("step.py", NUMPY_STEP)))
    rules.write_text('finding(N, "USR1", "any loop") :- loop(N).\n', encoding="utf-8")
    after = ResultCache(tmp_path, settings, fix=False)._entry(str(tmp_path / "step.py"))
    assert before is not None and after is not None and before != after

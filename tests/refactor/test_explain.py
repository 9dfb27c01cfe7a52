"""`harp-refactor --explain CODE`: documentation generated from the pattern, its rule and its examples."""

from __future__ import annotations

import difflib
import subprocess
import sys
from pathlib import Path

import pytest

from harp_refactor.detectors.patterns import all_patterns


def explain(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harp_refactor", "--explain", *args], capture_output=True, text=True, cwd=cwd
    )


@pytest.mark.parametrize("code", list(all_patterns()))
def test_each_pattern_is_explained_from_its_own_parts(code: str) -> None:
    pattern = all_patterns()[code]
    completed = explain(code.lower())
    assert completed.returncode == 0, completed.stderr
    text = completed.stdout
    assert text.startswith(f"{code}: {pattern.title}\n")
    assert pattern.explanation().splitlines()[0] in text
    # the first INVALID example is shown as the diff of its fix, the first VALID one as code
    first = pattern.INVALID[0]
    assert f"Reported, and fixed like this ({len(pattern.INVALID)} examples" in text
    if first.after is not None:
        before, after = first.before.strip("\n").splitlines(), first.after.strip("\n").splitlines()
        changed = [line[0] + line[2:] for line in difflib.ndiff(before, after) if line.startswith(("+ ", "- "))]
        assert changed and all(line in text for line in changed)
    if pattern.VALID:
        assert pattern.VALID[0].strip().splitlines()[-1].strip() in text


def test_a_prefix_explains_every_pattern_it_names() -> None:
    text = explain("HARP2").stdout
    assert [line.split(":")[0] for line in text.splitlines() if line.startswith("HARP2")] == [
        code for code in all_patterns() if code.startswith("HARP2")
    ]


def test_an_unknown_code_is_a_usage_error() -> None:
    completed = explain("HARP999")
    assert completed.returncode == 2
    assert "unknown code 'HARP999'" in completed.stderr and "HARP101" in completed.stderr


def test_alone_it_lists_the_codes() -> None:
    lines = explain().stdout.splitlines()
    assert [line.split()[0] for line in lines[: len(all_patterns())]] == list(all_patterns())


def test_a_path_after_explain_still_lists_what_was_left_alone(tmp_path: Path) -> None:
    """`--explain PATH` keeps its meaning, even for a folder named like a code."""
    folder = tmp_path / "HARP101"
    folder.mkdir()
    (folder / "a.py").write_text("import numpy as np\nx = np.ones(3)\n", encoding="utf-8")
    completed = explain("HARP101", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert "loop-invariant" not in completed.stdout

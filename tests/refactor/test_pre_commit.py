"""The pre-commit hooks: each hook's command, as pre-commit would run it on staged files."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import ROOT
from tests.refactor.test_cli import NUMPY_STEP

HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
BY_ID = {hook["id"]: hook for hook in HOOKS}


def run_hook(hook: dict[str, Any], cwd: Path, *files: str) -> subprocess.CompletedProcess[str]:
    """pre-commit runs `entry` split like a shell word list, then `args`, then the file names."""
    command = [*shlex.split(hook["entry"]), *hook.get("args", []), *files]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_manifest_has_what_pre_commit_requires() -> None:
    assert set(BY_ID) == {"harp-refactor", "harp-refactor-apply"}
    for hook in HOOKS:
        assert {"id", "name", "entry", "language"} <= set(hook)
        assert hook["types"] == ["python"]


def test_the_report_hook_fails_on_a_finding_and_changes_nothing(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    path = write("step.py", NUMPY_STEP)
    clean = write("clean.py", "import numpy as np\n\ndef f(x):\n    return np.sum(x)\n")
    completed = run_hook(BY_ID["harp-refactor"], tmp_path, "step.py", "clean.py")
    assert completed.returncode == 1
    assert "step.py:5:9: HARP101" in completed.stdout
    assert path.read_text(encoding="utf-8").lstrip("\n") == NUMPY_STEP.lstrip("\n")
    assert run_hook(BY_ID["harp-refactor"], tmp_path, clean.name).returncode == 0


def test_the_apply_hook_writes_the_verified_fix(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    path = write("step.py", NUMPY_STEP + '\nif __name__ == "__main__":\n    f(np.eye(3), 4)\n')
    write("pyproject.toml", "[tool.harp-refactor]\nmin-speedup = 0  # no test rests on a measured time\n")
    completed = run_hook(BY_ID["harp-refactor-apply"], tmp_path, "step.py")
    assert completed.returncode == 0, completed.stderr
    assert "fixed step.py (equivalent" in completed.stderr
    assert "    if n > 0:\n        s = np.linalg.norm(D)\n    for _ in range(n):" in path.read_text(encoding="utf-8")

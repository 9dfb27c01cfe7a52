"""The benchmark suite (benchmarks/run) end to end on one cheap program, and its 1.0x rule."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.helpers import EXAMPLES, ROOT

# One xdist worker runs this whole file: one module-scoped run of the suite serves every test.
pytestmark = pytest.mark.xdist_group("test_benchmark_suite")

SUITE = ROOT / "benchmarks" / "suite.py"
Run = tuple[subprocess.CompletedProcess[str], dict[str, Any]]  # what the suite printed, and its JSON

# The cheap program; the same with a --select that finds nothing; an entry whose folder is missing.
MANIFEST = f"""
examples = {json.dumps(str(EXAMPLES))}

[paper_hardware]
PieProf = "CPU"

[[program]]
folder = "numpy_metaheuristic"
program = "benchmarks.py"
paper = "PieProf"
paper_program = "metaheuristic benchmark functions"
paper_speedup = 1.4

[[program]]
name = "nothing_selected"
folder = "numpy_metaheuristic"
program = "benchmarks.py"
paper = "PieProf"
paper_speedup = 1.4
flags = ["--select", "HARP105"]

[[program]]
folder = "no_such_example"
program = "missing.py"
paper = "HARP"
paper_speedup = 2.0
"""


def load_suite() -> ModuleType:
    """benchmarks/suite.py as a module (benchmarks/ is not a package)."""
    if "benchmark_suite" not in sys.modules:
        spec = importlib.util.spec_from_file_location("benchmark_suite", SUITE)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["benchmark_suite"] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return sys.modules["benchmark_suite"]


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One run of the suite on the three entries above, without the tree part, one timed run each."""
    tmp = tmp_path_factory.mktemp("suite")
    manifest = tmp / "programs.toml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    output = tmp / "suite.json"
    only = "numpy_metaheuristic,nothing_selected,no_such_example"
    command = [sys.executable, str(SUITE), "--manifest", str(manifest), "--only", only, "--skip-tree"]
    command += ["--repeats", "1", "--json", str(output), "--png", str(tmp / "suite.png")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    completed = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env, cwd=tmp)
    assert completed.returncode == 0, completed.stderr
    return completed, json.loads(output.read_text(encoding="utf-8"))


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in document["programs"]}


class TestSuiteRun:
    def test_verified_program(self, suite_run: Run) -> None:
        """The tool's fix is written, verified equivalent, and both versions are timed."""
        row = rows(suite_run[1])["numpy_metaheuristic"]
        assert "HARP104" in row["codes"]
        assert row["written"] and "+++ b/benchmarks.py" in row["patch"]
        assert row["verdict"] == "equivalent"
        assert all(isinstance(entry["verdict"]["status"], str) for entry in row["verdicts"])
        assert row["speedup"] > 0 and row["original_ms"] > 0 and row["rewritten_ms"] > 0
        assert row["analysis_ms"] > 0 and row["error"] == "" and row["reason"] == ""

    def test_nothing_written_counts_one(self, suite_run: Run) -> None:
        """A program the tool wrote nothing for counts 1.0x, with the reason, and is not timed."""
        row = rows(suite_run[1])["nothing_selected"]
        assert row["codes"] == [] and not row["written"]
        assert row["speedup"] == 1.0 and row["reason"] == "no finding"
        assert row["original_ms"] is None

    def test_missing_program(self, suite_run: Run) -> None:
        """A missing example is one error line; the run goes on and leaves it out of the means."""
        completed, document = suite_run
        row = rows(document)["no_such_example"]
        assert "missing" in row["error"] and row["speedup"] is None
        assert "error: no_such_example: example folder" in completed.stdout
        assert document["geomean"]["missing"] == ["no_such_example"]
        assert document["geomean"]["programs"] == ["numpy_metaheuristic", "nothing_selected"]
        assert document["geomean"]["paper"] == pytest.approx(1.4)

    def test_table_and_totals(self, suite_run: Run) -> None:
        """The table names each program, and the document has the machine, repeats and total time."""
        completed, document = suite_run
        assert all(name in completed.stdout for name in ("numpy_metaheuristic", "nothing_selected", "total wall"))
        assert document["repeats"] == 1 and document["tree"] is None
        assert document["machine"]["cpus"] >= 1 and document["total_s"] > 0


class TestNoGainReason:
    @pytest.mark.parametrize(
        ("statuses", "reason"),
        [
            ([], "no finding"),
            (["suggestion"], "suggestion only"),
            (["equivalent", "not_equivalent"], "not equivalent"),
            (["too_slow"], "slower"),
            (["could_not_verify", "suggestion"], "could not verify"),
        ],
    )
    def test_reason(self, statuses: list[str], reason: str) -> None:
        """Why nothing was written follows from the harness's verdicts."""
        assert load_suite().no_gain_reason(statuses) == reason

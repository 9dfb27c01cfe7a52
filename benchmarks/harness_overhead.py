"""What verifying one patch costs: the harness's wall time on each dict_learn example, and
the share of it spent starting Python and importing the framework (measured separately in
fresh interpreters, once per runner: the harness starts two).

Usage: python benchmarks/harness_overhead.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from harp_refactor.detectors.pattern import Options
from harp_refactor.equivalence.harness import HarnessSettings, verify
from harp_refactor.pipeline import Settings, analyse_text, fix_text

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "dict_learn").glob("*_dict_learn.py"))
FRAMEWORK = {"numpy": "numpy", "torch": "torch", "tf": "tensorflow"}


def startup_seconds(module: str) -> float:
    """Median wall time of a fresh interpreter that imports `module` and exits."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[1]


def main() -> None:
    print(f"{'example':20} {'verify':>8} {'2 x start+import':>17} {'share':>6}  verdict")
    for path in EXAMPLES:
        source = path.read_text(encoding="utf-8")
        settings = Settings(options=Options(aggressive=True))
        fixed, _ = fix_text(str(path), source, analyse_text(str(path), source, settings), settings)
        start = time.perf_counter()
        verdict = verify(str(path), source, fixed, HarnessSettings())
        total = time.perf_counter() - start
        imports = 2 * startup_seconds(FRAMEWORK[path.stem.split("_")[0]])
        print(f"{path.stem:20} {total:7.1f}s {imports:16.1f}s {imports / total:6.0%}  {verdict.line()}")


if __name__ == "__main__":
    main()

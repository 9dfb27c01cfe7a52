"""Time the loop-pattern examples (HARP101-104) before and after the tool's rewrite, side by side.

Each example is a whole program that does its work when run. Both versions run in this one
process (NumPy and PyTorch already imported), alternating, after a warm-up; the figure is
the ratio of the median wall times. The rewrite is the tool's own (every pattern, no
harness: the tests check that the rewritten programs compute the same).
Usage: python benchmarks/loop_examples_speedup.py [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy  # noqa: F401  (imported once, outside the timings)
import torch

from harp_refactor.pipeline import Settings, analyse_text, fix_text

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = [
    ("numpy_cnn_filters", "cnn_filters.py"),
    ("numpy_backprop", "backprop.py"),
    ("numpy_metaheuristic", "benchmarks.py"),
    ("numpy_image_rotation", "rotate.py"),
    ("torch_cholesky", "cholesky.py"),
]


def rewrite(path: Path) -> tuple[str, list[str]]:
    """The rewritten source and the codes of the findings fixed."""
    source = path.read_text(encoding="utf-8")
    settings = Settings()
    findings = analyse_text(str(path), source, settings)
    fixed, errors = fix_text(str(path), source, findings, settings)
    if errors:
        raise SystemExit(f"{path}: {errors}")
    return fixed, sorted({f.code for f in findings if f.fixable})


def run_seconds(code: object) -> float:
    start = time.perf_counter()
    exec(code, {"__name__": "benchmarked"})  # noqa: S102 (our own example programs)
    return time.perf_counter() - start


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    torch.set_num_threads(1)
    print(f"{'example':22} {'patterns':26} {'original':>10} {'rewritten':>10} {'speedup':>8}")
    for folder, program in EXAMPLES:
        path = EXAMPLES_DIR / folder / program
        fixed, codes = rewrite(path)
        versions = [compile(path.read_text(encoding="utf-8"), str(path), "exec"), compile(fixed, str(path), "exec")]
        times: list[list[float]] = [[], []]
        for version in versions:
            run_seconds(version)
        for _ in range(repeats):
            for index, version in enumerate(versions):
                times[index].append(run_seconds(version))
        before, after = (statistics.median(t) for t in times)
        print(f"{folder:22} {','.join(codes):26} {before * 1e3:8.1f}ms {after * 1e3:8.1f}ms {before / after:7.2f}x")


if __name__ == "__main__":
    main()

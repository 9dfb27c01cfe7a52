"""Time harp-refactor's analysis on a large source tree (default: the installed torch package).

Prints files, KLOC, findings, wall seconds and peak memory, cold (a fresh process that
imports nothing before it starts), so the figure includes start-up. Usage:

    python benchmarks/analysis_speed.py [TREE]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

_CHILD = """
import json, sys, time
start = time.perf_counter()
from harp_refactor.files import python_files
from harp_refactor.pipeline import Settings, analyse_files
settings = Settings(prefilter=False)
files = list(python_files([sys.argv[1]]))
results = analyse_files(files, settings, jobs=int(sys.argv[2]))
elapsed = time.perf_counter() - start
lines = sum(len(r.text.splitlines()) for r in results if r.text)
print(json.dumps({"files": len(files), "lines": lines, "findings": sum(len(r.findings) for r in results),
                  "errors": sum(bool(r.error) for r in results), "seconds": elapsed}))
"""


def default_tree() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        raise SystemExit("torch is not installed: pass a source tree")
    return Path(spec.origin).parent


def main() -> None:
    tree = Path(sys.argv[1]) if len(sys.argv) > 1 else default_tree()
    wall = time.perf_counter()
    jobs = os.cpu_count() or 1
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(jobs)], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - wall
    figures = json.loads(completed.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"tree: {tree} ({jobs} processes)")
    print(
        f"{figures['files']} files, {figures['lines'] / 1000:.1f} KLOC, {figures['findings']} findings, "
        f"{figures['errors']} unreadable; analysis {figures['seconds']:.1f} s, process {wall:.1f} s cold, "
        f"peak memory {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()

"""Time each dict_learn example before and after harp-refactor's rewrite, side by side.

The rewritten code is what the tool produces (plain, and with --aggressive); each
version runs in this one process, alternating, after a warm-up, and the figure is the
ratio of the medians.  Usage: python benchmarks/examples_speedup.py [REPEATS]
"""

from __future__ import annotations

import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

from harp_refactor.detectors.pattern import Options
from harp_refactor.pipeline import Settings, analyse_text, fix_text

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "dict_learn").glob("*_dict_learn.py"))


def load(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)
    return module


def rewrite(path: Path, options: Options) -> str:
    source = path.read_text(encoding="utf-8")
    settings = Settings(options=options)
    fixed, errors = fix_text(str(path), source, analyse_text(str(path), source, settings), settings)
    if errors:
        raise SystemExit(f"{path}: {errors}")
    return fixed


def median_seconds(modules: list[types.ModuleType], inputs: tuple[Any, ...], repeats: int) -> list[float]:
    times: list[list[float]] = [[] for _ in modules]
    for module in modules:
        module.dict_learn(*inputs, n_iter=50)
    for _ in range(repeats):
        for index, module in enumerate(modules):
            start = time.perf_counter()
            module.dict_learn(*inputs, n_iter=50)
            times[index].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    print(f"{'example':24} {'original':>10} {'hoisted':>10} {'aggressive':>11}   speedups")
    for path in EXAMPLES:
        original = load("original", path.read_text(encoding="utf-8"))
        plain = load("plain", rewrite(path, Options()))
        aggressive = load("aggressive", rewrite(path, Options(aggressive=True)))
        inputs = original.sample_inputs()
        base, hoisted, distributed = median_seconds([original, plain, aggressive], inputs, repeats)
        print(
            f"{path.stem:24} {base * 1e3:8.2f}ms {hoisted * 1e3:8.2f}ms {distributed * 1e3:9.2f}ms"
            f"   {base / hoisted:.2f}x, {base / distributed:.2f}x"
        )


if __name__ == "__main__":
    main()

"""The benchmark suite: what harp-refactor achieves on the example programs, beside the papers' figures.

For each program in benchmarks/programs.toml: copy its example folder to a temporary
directory and let `harp-refactor PROGRAM --apply --format json` find, rewrite, verify and
write there; time the original and the written program side by side in one child process;
time the analysis alone. Then time the analysis of a large real tree (torch/nn), cold and
warm, beside Fixit and TorchFix. Prints a table, writes it as JSON and as a PNG chart.
Benchmarks print figures, they are not tests: a program that fails is one error line.

    benchmarks/run [--only NAME[,NAME]] [--skip-tree] [--repeats N] [--json PATH] [--png PATH]
    benchmarks/run --install-tools     # Fixit, TorchFix and matplotlib in benchmarks/.tools
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import gc
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata, util
from pathlib import Path
from types import CodeType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harp_refactor.pipeline import Settings

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

BENCHMARKS = Path(__file__).resolve().parent
MANIFEST = BENCHMARKS / "programs.toml"
RESULTS = BENCHMARKS / "results"
TOOLS = BENCHMARKS / ".tools"
HARP = (sys.executable, "-m", "harp_refactor")  # the `harp-refactor` command, in this interpreter
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

ANALYSIS_TARGET_MS = 100.0
COLD_TARGET_S, WARM_TARGET_S, RSS_TARGET_MB = 5.0, 0.5, 300.0
TIMED_BUDGET_S, MIN_REPEATS = 60.0, 3  # the timed runs of one program: fewer where N would take longer
STEP_TIMEOUT_S = 300  # one harp-refactor run, timing child or tree command; the suite must stay under 15 min
TIME_CHILD, MEASURE_CHILD = "--time-child", "--measure-child"  # internal modes: this file runs itself


class StepError(Exception):
    """One step of one program failed; the message is the program's one error line."""


@dataclass(frozen=True)
class Program:
    """One manifest entry: an example program and the paper figure it stands beside."""

    name: str
    folder: Path
    program: str
    paper: str = ""
    paper_program: str = ""
    paper_speedup: float | None = None
    paper_scope: str = ""
    gpu_only: bool = False
    flags: tuple[str, ...] = ()
    setup: str = ""

    @property
    def path(self) -> Path:
        return self.folder / self.program


@dataclass
class Row:
    """What the suite found for one program. `speedup` is 1.0, with a `reason`, when nothing was written."""

    name: str
    program: str
    paper: str
    paper_program: str
    paper_speedup: float | None
    paper_scope: str
    paper_hardware: str
    gpu_only: bool
    flags: list[str]
    codes: list[str] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    verdict: str = ""
    tool_errors: list[str] = field(default_factory=list)
    written: bool = False
    patch: str = ""
    speedup: float | None = None
    reason: str = ""
    original_ms: float | None = None
    rewritten_ms: float | None = None
    runs: int | None = None
    analysis_ms: float | None = None
    refactor_s: float | None = None
    error: str = ""


@dataclass
class TreeRun:
    """One command on the large tree: wall seconds and the peak RSS of its largest process."""

    label: str
    command: list[str]
    target_s: float | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    returncode: int | None = None
    note: str = ""


# ---------------------------------------------------------------------------------------------
# The manifest


def load_manifest(path: Path) -> tuple[dict[str, str], list[Program]]:
    """The papers' hardware and the programs; folders are relative to the manifest's `examples`."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    examples = (path.parent / data.get("examples", "../examples")).resolve()
    programs = []
    for entry in data.get("program", []):
        entry = dict(entry)
        folder = entry.pop("folder")
        entry.setdefault("name", folder)
        entry["flags"] = tuple(entry.get("flags", ()))
        try:
            programs.append(Program(folder=examples / folder, **entry))
        except TypeError as error:
            raise SystemExit(f"{path}: program {folder!r}: {error}") from None
    return dict(data.get("paper_hardware", {})), programs


def chosen(programs: list[Program], only: str | None) -> list[Program]:
    """The programs `--only` names (all without it), in manifest order."""
    if not only:
        return programs
    names = {name.strip() for name in only.split(",") if name.strip()}
    unknown = names - {program.name for program in programs}
    if unknown:
        known = ", ".join(program.name for program in programs)
        raise SystemExit(f"--only: unknown program {', '.join(sorted(unknown))}; known: {known}")
    return [program for program in programs if program.name in names]


# ---------------------------------------------------------------------------------------------
# One program: refactor, time, analyse


def bench_program(program: Program, hardware: dict[str, str], repeats: int) -> Row:
    """Refactor a copy of the program's folder with the tool, then time what it wrote and the analysis."""
    row = Row(
        program.name,
        str(program.path),
        program.paper,
        program.paper_program,
        program.paper_speedup,
        program.paper_scope,
        hardware.get(program.paper, ""),
        program.gpu_only,
        list(program.flags),
    )
    if not program.path.is_file():
        row.error, row.reason = missing(program), "missing"
        print(f"error: {program.name}: {row.error}", file=sys.stderr)
        return row
    print(f"{program.name}: harp-refactor --apply ...", file=sys.stderr)
    try:
        with tempfile.TemporaryDirectory(prefix="harp-suite-") as temporary:
            work = Path(temporary) / program.folder.name
            shutil.copytree(program.folder, work, ignore=shutil.ignore_patterns("__pycache__", ".harp-refactor"))
            refactor(program, work / program.program, row)
            if row.written:
                print(f"{program.name}: timing original and rewritten, up to {repeats} runs each ...", file=sys.stderr)
                time_versions(program, work / program.program, repeats, row)
    except StepError as error:
        row.error, row.reason, row.speedup = str(error), "error", 1.0
        print(f"error: {program.name}: {error}", file=sys.stderr)
    row.analysis_ms = analysis_ms(program)
    return row


def missing(program: Program) -> str:
    """Which of folder and program is missing, and what the folder holds instead."""
    if not program.folder.is_dir():
        return f"example folder {program.folder} is missing"
    present = ", ".join(sorted(path.name for path in program.folder.glob("*.py"))) or "no .py files"
    return f"program {program.path} is missing (the folder has: {present})"


def refactor(program: Program, path: Path, row: Row) -> None:
    """`harp-refactor PROGRAM --apply --format json [flags]` in the copy: it writes only verified fixes."""
    before = path.read_text(encoding="utf-8")
    # Temporary copies would only fill the user's cache with entries that never hit again.
    command = [*HARP, program.program, "--apply", "--format", "json", "--no-cache", *program.flags]
    start = time.perf_counter()
    completed = run_step(command, path.parent, "harp-refactor")
    row.refactor_s = time.perf_counter() - start
    try:
        document = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise StepError(f"harp-refactor exited {completed.returncode}: {last_line(completed.stderr)}") from None
    findings = document["findings"]
    row.codes = sorted({finding["code"] for finding in findings})
    row.verdicts = [
        {"code": finding["code"], "line": finding["line"], "verdict": finding["verdict"]} for finding in findings
    ]
    statuses = [status(finding) for finding in findings]
    row.verdict = ", ".join(f"{count} {name}" for name, count in Counter(statuses).items())
    if len(set(statuses)) == 1:
        row.verdict = statuses[0]
    after = path.read_text(encoding="utf-8")
    row.written = after != before
    names = f"a/{program.program}", f"b/{program.program}"
    row.patch = "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), *names))
    row.tool_errors = list(document.get("errors", ()))
    if not row.written:
        if row.tool_errors:
            raise StepError(f"harp-refactor: {row.tool_errors[0]}")
        row.speedup, row.reason = 1.0, no_gain_reason(statuses)
    for error in row.tool_errors:  # a fix that failed beside others that were written
        print(f"note: {program.name}: harp-refactor: {error}", file=sys.stderr)


def status(finding: dict[str, Any]) -> str:
    """The harness's verdict on a finding's fix; "suggestion" when the finding has no fix."""
    return finding["verdict"]["status"] if finding.get("verdict") else "suggestion"


def no_gain_reason(statuses: Sequence[str]) -> str:
    """Why the tool wrote nothing, from its verdicts: the reason the program counts 1.0x."""
    for verdict, reason in (
        ("not_equivalent", "not equivalent"),
        ("too_slow", "slower"),
        ("could_not_verify", "could not verify"),
    ):
        if verdict in statuses:
            return reason
    if not statuses:
        return "no finding"
    return "suggestion only" if set(statuses) == {"suggestion"} else "not written"


def time_versions(program: Program, rewritten: Path, repeats: int, row: Row) -> None:
    """Original and rewritten program, alternating in one child process (see `time_child`)."""
    command = [sys.executable, __file__, TIME_CHILD, str(program.path), str(rewritten), str(repeats), program.setup]
    completed = run_step(command, rewritten.parent, "timing")
    try:
        result = json.loads(completed.stdout.splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise StepError(f"timing child exited {completed.returncode}: {last_line(completed.stderr)}") from None
    if "error" in result:
        raise StepError(result["error"])
    before, after = statistics.median(result["original_s"]), statistics.median(result["rewritten_s"])
    row.original_ms, row.rewritten_ms, row.speedup = before * 1e3, after * 1e3, before / after
    row.runs = len(result["original_s"])


def analysis_ms(program: Program, runs: int = 5) -> float | None:
    """Median of in-process `analyse_file` calls after a warm-up: the analysis alone, no start-up."""
    from harp_refactor.pipeline import analyse_file

    settings = analysis_settings(program.flags)
    try:
        analyse_file(str(program.path), settings)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            analyse_file(str(program.path), settings)
            times.append(time.perf_counter() - start)
    except Exception as error:  # noqa: BLE001 (a benchmark reports, never stops)
        print(f"error: {program.name}: analysis raised {type(error).__name__}: {error}", file=sys.stderr)
        return None
    return statistics.median(times) * 1e3


def analysis_settings(flags: Sequence[str]) -> Settings:
    """The pipeline's Settings for the harp-refactor flags that change what is analysed."""
    from harp_refactor.detectors.pattern import Options
    from harp_refactor.pipeline import Settings

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--select", default="ALL")
    parser.add_argument("--ignore", default="")
    parser.add_argument("--aggressive", action="store_true")
    parser.add_argument("--speculative", action="store_true")
    known, _ = parser.parse_known_args(list(flags))

    def codes(text: str) -> tuple[str, ...]:
        return tuple(code.strip().upper() for code in text.split(",") if code.strip())

    options = Options(speculative=known.speculative, aggressive=known.aggressive)
    return Settings(select=codes(known.select), ignore=codes(known.ignore), options=options)


def run_step(command: Sequence[str], cwd: Path, what: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise StepError(f"{what} took over {STEP_TIMEOUT_S} s and was stopped") from None


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


# ---------------------------------------------------------------------------------------------
# The timing child: one process per program, frameworks imported once, outside the timings


class Frameworks:
    """The frameworks a program imports, imported here once, and the state reset before each run."""

    def __init__(self, text: str) -> None:
        self.torch = _import_if("torch", text)
        self.tf = _import_if("tensorflow", text)
        _import_if("numpy", text)
        # TF1 programs build into the default graph: each run gets a fresh one, so graphs do not pile up.
        self.tf1 = self.tf is not None and re.search(r"compat\.v1|disable_eager_execution", text) is not None
        self.keras = self.tf is not None and not self.tf1 and re.search(r"\bkeras\b", text) is not None

    @contextlib.contextmanager
    def fresh(self) -> Iterator[None]:
        """Collect garbage, reset threads and Keras/graph state (not timed); silence the program's prints."""
        gc.collect()
        if self.torch is not None:
            self.torch.set_num_threads(CPUS)  # the same for both versions, whatever a program set before
        if self.keras:
            self.tf.keras.backend.clear_session()
        graph = self.tf.Graph().as_default() if self.tf1 else contextlib.nullcontext()
        with graph, open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            yield

    def run(self, code: CodeType) -> float:
        """Exec the program once with fresh globals as `__main__`; its wall seconds."""
        with self.fresh():
            start = time.perf_counter()
            try:
                exec(code, {"__name__": "__main__", "__file__": code.co_filename})  # noqa: S102 (our examples)
            except SystemExit as exit_:
                if exit_.code not in (None, 0):
                    raise RuntimeError(f"exited with status {exit_.code}") from None
            return time.perf_counter() - start


def _import_if(name: str, text: str) -> ModuleType | Any:
    """The module when the program imports it, else None."""
    if re.search(rf"^\s*(?:import|from)\s+{name}\b", text, re.MULTILINE) is None:
        return None
    return __import__(name)


def time_child(original: Path, rewritten: Path, repeats: int, setup: str) -> int:
    """Compile both versions, warm each up once, then alternate single runs; print the times as JSON."""
    sys.path.insert(0, str(rewritten.parent))
    sys.argv = [str(rewritten)]
    texts = {"original": original.read_text(encoding="utf-8"), "rewritten": rewritten.read_text(encoding="utf-8")}
    frameworks = Frameworks("\n".join(texts.values()))
    if setup:
        exec(setup, {"__name__": "setup"})  # noqa: S102 (from our manifest)
    # Both compiled under the copy's path, so `__file__` and relative paths mean the same for each.
    codes = {label: compile(text, str(rewritten), "exec") for label, text in texts.items()}
    times: dict[str, list[float]] = {label: [] for label in codes}
    label = "original"
    try:
        warm_up = {}
        for label, code in codes.items():
            warm_up[label] = frameworks.run(code)
        # A slow program gets fewer runs (at least MIN_REPEATS), so that the suite stays within 15 minutes.
        repeats = min(repeats, max(MIN_REPEATS, int(TIMED_BUDGET_S // sum(warm_up.values()))))
        for _ in range(repeats):
            for label, code in codes.items():
                times[label].append(frameworks.run(code))
    except Exception as error:  # noqa: BLE001 (reported as the program's one error line)
        print(json.dumps({"error": f"the {label} program raised {type(error).__name__}: {error}"}))
        return 1
    print(json.dumps({f"{name}_s": values for name, values in times.items()}))
    return 0


# ---------------------------------------------------------------------------------------------
# The large tree: torch/nn, harp-refactor cold and warm, Fixit and TorchFix


def torch_nn() -> Path | None:
    """The installed torch/nn package sources (about 50 KLOC), found without importing torch."""
    spec = util.find_spec("torch")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "nn"


def bench_tree() -> dict[str, Any] | None:
    """Each command in its own fresh wrapper process, one after another: seconds and peak RSS.

    All run on a copy of the tree in a temporary directory: a tree inside a git checkout (pyenv's
    site-packages is) can be hidden by that checkout's .gitignore, and Fixit honours it.
    """
    tree = torch_nn()
    if tree is None:
        print("torch is not installed: no tree to time", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="harp-suite-tree-") as temporary:
        copy = Path(temporary) / "torch_nn" / "nn"
        shutil.copytree(tree, copy, ignore=shutil.ignore_patterns("__pycache__"))
        files = sorted(copy.rglob("*.py"))
        lines = sum(len(path.read_bytes().splitlines()) for path in files)
        runs = tree_runs(copy, Path(temporary) / "cache")
        for run in runs:
            if not run.note.startswith("not installed"):
                print(f"tree: {run.label} ...", file=sys.stderr)
                measure(run, Path(temporary))
    return {"tree": str(tree), "files": len(files), "kloc": lines / 1000, "runs": [asdict(run) for run in runs]}


def tree_runs(tree: Path, cache: Path) -> list[TreeRun]:
    """harp-refactor cold (an empty cache directory) and warm (the same again), then Fixit and TorchFix."""
    cache.mkdir()
    command = [*HARP, str(tree), "--cache-dir", str(cache)]
    runs = [
        TreeRun("harp-refactor cold", command, COLD_TARGET_S),
        TreeRun("harp-refactor warm", command, WARM_TARGET_S),
    ]
    for label, name, arguments in (("fixit lint", "fixit", ["lint"]), ("torchfix", "torchfix", [])):
        executable = find_tool(name)
        runs.append(TreeRun(f"{label} (cold)", [executable or name, *arguments, str(tree)]))
        if executable is None:
            runs[-1].note = "not installed (benchmarks/run --install-tools)"
    return runs


def find_tool(name: str) -> str | None:
    """A tool from the tools venv (benchmarks/.tools), else from PATH."""
    local = TOOLS / "bin" / name
    return str(local) if local.exists() else shutil.which(name)


def measure(run: TreeRun, cwd: Path) -> None:
    """Run the command in a fresh wrapper process (`measure_child`) and record what it reports."""
    wrapper = [sys.executable, __file__, MEASURE_CHILD, *run.command]
    try:
        completed = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S)
        result = json.loads(completed.stdout)
    except subprocess.TimeoutExpired:
        run.note = f"stopped after {STEP_TIMEOUT_S} s"
        return
    except json.JSONDecodeError:
        run.note = f"error: {last_line(completed.stderr)}"
        return
    run.seconds, run.peak_mb, run.returncode = result["seconds"], result["peak_mb"], result["returncode"]
    # Exit 1 means findings (harp-refactor, Fixit and TorchFix alike), unless Python crashed with a traceback.
    if result["returncode"] not in (0, 1) or result["crashed"]:
        run.note = f"error: exit {result['returncode']}: {result['stderr']}"


def measure_child(command: Sequence[str]) -> int:
    """Time one command from outside; RUSAGE_CHILDREN's ru_maxrss is its largest single process."""
    start = time.perf_counter()
    try:
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as error:
        print(f"cannot run {command[0]}: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    report = {"seconds": seconds, "peak_mb": peak, "returncode": completed.returncode}
    crashed = "Traceback (most recent call last)" in completed.stderr
    print(json.dumps({**report, "crashed": crashed, "stderr": last_line(completed.stderr)}))
    return 0


# ---------------------------------------------------------------------------------------------
# Reporting


def geomean(values: Sequence[float]) -> float | None:
    return math.exp(statistics.fmean(math.log(value) for value in values)) if values else None


def summary(rows: Sequence[Row]) -> dict[str, Any]:
    """Geometric means over the paper programs that ran: ours, the papers', and both without GPU-only gains."""
    ran = [row for row in rows if row.paper_speedup and row.speedup is not None]
    cpu = [row for row in ran if not row.gpu_only]
    return {
        "programs": [row.name for row in ran],
        "missing": [row.name for row in rows if row.paper_speedup and row.speedup is None],
        "ours": geomean([row.speedup for row in ran if row.speedup]),
        "paper": geomean([row.paper_speedup for row in ran if row.paper_speedup]),
        "ours_without_gpu_only": geomean([row.speedup for row in cpu if row.speedup]),
        "paper_without_gpu_only": geomean([row.paper_speedup for row in cpu if row.paper_speedup]),
    }


def evidence(rows: Sequence[Row]) -> dict[str, Any]:
    """What the harness's verdicts rested on: counts by status, how often a wrong variant was run, the
    median time of `harp-refactor --apply` per file (almost all of it verification)."""
    verdicts = [v["verdict"] for row in rows for v in row.verdicts if v["verdict"]]
    refactor_times = [row.refactor_s for row in rows if row.refactor_s is not None]
    return {
        "verdicts": dict(Counter(verdict["status"] for verdict in verdicts)),
        "fixes": len(verdicts),
        "variant_check_ran": sum("told apart" in verdict.get("variant_check", "") for verdict in verdicts),
        "no_variant": sum("no wrong variant" in verdict.get("variant_check", "") for verdict in verdicts),
        "median_harness_s": statistics.median(refactor_times) if refactor_times else None,
    }


def evidence_line(facts: dict[str, Any]) -> str:
    counts = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in sorted(facts["verdicts"].items()))
    median = facts["median_harness_s"]
    return (
        f"verdicts on {facts['fixes']} fixes: {counts or 'none'}; "
        f"wrong-variant check ran on {facts['variant_check_ran']} (no variant applies: {facts['no_variant']}); "
        "median verification time per file " + ("—" if median is None else f"{median:.1f} s")
    )


def times(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}x"


def where(row: Row) -> str:
    """CPU here, and where the paper measured its figure."""
    text = f"CPU here, paper {row.paper_hardware}" if row.paper_hardware else "CPU here"
    if row.paper_scope:
        text += f" ({row.paper_scope})"
    return text + ("; gain GPU-only" if row.gpu_only else "")


def table(rows: Sequence[Row], repeats: int) -> str:
    """One line per program, then the notes: why a program counts 1.0x, errors."""
    header = tuple("program|paper: program|patterns|verdict|ours|paper|ms before→after|analysis|where".split("|"))
    lines = [header]
    for row in rows:
        paper = f"{row.paper}: {row.paper_program}" if row.paper else "—"
        ours = times(row.speedup) + (f" ({row.reason})" if row.reason else "")
        program_ms = f"{row.original_ms:.0f}→{row.rewritten_ms:.0f}" if row.rewritten_ms is not None else "—"
        if row.runs is not None and row.runs < repeats:
            program_ms += f" ({row.runs} runs)"
        analysis = "—" if row.analysis_ms is None else f"{row.analysis_ms:.0f} ms"
        if row.analysis_ms is not None and row.analysis_ms > ANALYSIS_TARGET_MS:
            analysis += "*"
        patterns = ",".join(row.codes) or "—"
        lines.append(
            (row.name, paper, patterns, row.verdict, ours, times(row.paper_speedup), program_ms, analysis, where(row))
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines]
    if any(row.analysis_ms is not None and row.analysis_ms > ANALYSIS_TARGET_MS for row in rows):
        text.append(f"* analysis over the {ANALYSIS_TARGET_MS:.0f} ms target")
    text += [f"error: {row.name}: {row.error}" for row in rows if row.error]
    return "\n".join(text)


def summary_lines(means: dict[str, Any]) -> str:
    count = len(means["programs"])
    line = f"geometric mean over {count} paper program{'s' * (count != 1)}: ours {times(means['ours'])}"
    line += f", papers {times(means['paper'])}"
    line += f"; without the GPU-only gain: ours {times(means['ours_without_gpu_only'])}"
    line += f", papers {times(means['paper_without_gpu_only'])}"
    if means["missing"]:
        line += f"\nnot in the means (missing): {', '.join(means['missing'])}"
    return line


def tree_table(tree: dict[str, Any]) -> str:
    lines = [f"analysis of {tree['tree']}: {tree['files']} files, {tree['kloc']:.1f} KLOC"]
    for run in tree["runs"]:
        seconds = "—" if run["seconds"] is None else f"{run['seconds']:.2f} s"
        target = f" (target ≤ {run['target_s']:g} s)" if run["target_s"] is not None else ""
        memory = "—" if run["peak_mb"] is None else f"{run['peak_mb']:.0f} MB"
        line = f"  {run['label']:22} {seconds:>9}{target:20} peak {memory:>7} (target ≤ {RSS_TARGET_MB:.0f} MB)"
        lines.append(line + (f"  {run['note']}" if run["note"] else ""))
    return "\n".join(lines)


def load_line(load: dict[str, float]) -> str:
    """The 1-minute load average: other work on the machine makes every timing here noisy."""
    line = f"load average {load['start']:.1f} at the start, {load['end']:.1f} at the end, on {CPUS} CPUs"
    if max(load.values()) > CPUS:
        line += ": other processes competed for the CPUs, so the timings are noisy"
    return line


def machine() -> dict[str, Any]:
    """The machine and the versions the figures were measured with."""
    versions = {}
    for package in ("harp-refactor", "numpy", "torch", "tensorflow-cpu", "libcst"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    return {"cpus": CPUS, "python": platform.python_version(), "platform": platform.platform(), "versions": versions}


def chart(document: dict[str, Any], png: Path) -> None:
    """Our speedup beside the paper's, per program; in-process when matplotlib is here, else in the tools venv."""
    if util.find_spec("matplotlib") is not None:
        draw_chart(document, png)
        print(f"chart: {png}", file=sys.stderr)
        return
    python = TOOLS / "bin" / "python"
    if not python.exists():
        print("matplotlib is not installed: no chart (pip install -e '.[bench]' or benchmarks/run --install-tools)")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as stream:
        json.dump(document, stream)
    try:
        completed = subprocess.run([str(python), __file__, "--chart-from", stream.name, "--png", str(png)], check=False)
    finally:
        os.unlink(stream.name)
    if completed.returncode != 0:
        print(f"chart: the tools venv could not draw it (exit {completed.returncode})")


def draw_chart(document: dict[str, Any], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    rows = [row for row in document["programs"] if row["speedup"] is not None]
    positions = range(len(rows))
    nan = float("nan")
    figure, axes = plt.subplots(figsize=(max(8.0, 0.6 * len(rows) + 2), 5.5))
    axes.bar([x - 0.2 for x in positions], [row["speedup"] for row in rows], 0.4, label="harp-refactor (this CPU)")
    papers = [row["paper_speedup"] or nan for row in rows]
    axes.bar([x + 0.2 for x in positions], papers, 0.4, label="paper, refactored by hand", color="tab:gray")
    for bars in axes.containers:
        axes.bar_label(bars, fmt="%.3g", fontsize=7)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
    axes.yaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value:g}x" if value in (2, 3, 5) else ""))
    axes.set_xlim(-0.6, len(rows) - 0.4)
    axes.set_ylabel("speedup (log scale)")
    labels = [row["name"] + (" (GPU-only gain)" if row["gpu_only"] else "") for row in rows]
    axes.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=8)
    axes.set_title("harp-refactor's verified rewrites vs the papers' hand refactoring", pad=28)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    figure.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png, dpi=120)


# ---------------------------------------------------------------------------------------------
# Main


def install_tools() -> int:
    """A venv of its own for Fixit and TorchFix (TorchFix pins libcst and would downgrade ours), and matplotlib."""
    subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
    packages = ["fixit", "torchfix", "matplotlib"]
    subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "--upgrade", *packages], check=True)
    print(f"installed {', '.join(packages)} in {TOOLS}; now run benchmarks/run")
    return 0


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", metavar="NAME[,NAME]", help="run only these programs (manifest names)")
    parser.add_argument("--skip-tree", action="store_true", help="skip the torch/nn analysis timings")
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        metavar="N",
        help="timed runs of each version (default 5; at least 3 where N would take over a minute)",
    )
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="default: benchmarks/programs.toml")
    parser.add_argument("--json", type=Path, default=RESULTS / "suite.json", help="where to write the results")
    parser.add_argument("--png", type=Path, default=RESULTS / "suite.png", help="where to draw the chart")
    parser.add_argument("--chart-from", type=Path, metavar="JSON", help="only draw the chart from a results file")
    parser.add_argument("--install-tools", action="store_true", help="create benchmarks/.tools with the other tools")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [TIME_CHILD]:
        original, rewritten, repeats, setup = argv[1:]
        return time_child(Path(original), Path(rewritten), int(repeats), setup)
    if argv[:1] == [MEASURE_CHILD]:
        return measure_child(argv[1:])
    args = parse(argv)
    if args.install_tools:
        return install_tools()
    if args.chart_from:
        chart(json.loads(args.chart_from.read_text(encoding="utf-8")), args.png)
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start, load_before = time.perf_counter(), os.getloadavg()[0]
    hardware, programs = load_manifest(args.manifest)
    rows = [bench_program(program, hardware, args.repeats) for program in chosen(programs, args.only)]
    tree = None if args.skip_tree else bench_tree()
    means = summary(rows)
    total = time.perf_counter() - start
    print(table(rows, args.repeats))
    print(summary_lines(means))
    facts = evidence(rows)
    print(evidence_line(facts))
    if tree:
        print(tree_table(tree))
    load = {"start": load_before, "end": os.getloadavg()[0]}
    print(load_line(load))
    document = {
        "machine": machine(),
        "repeats": args.repeats,
        "programs": [asdict(row) for row in rows],
        "geomean": means,
        "evidence": facts,
        "tree": tree,
        "analysis_target_ms": ANALYSIS_TARGET_MS,
        "targets": {"cold_s": COLD_TARGET_S, "warm_s": WARM_TARGET_S, "rss_mb": RSS_TARGET_MB},
        "load_average": load,
        "total_s": total,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.json}")
    chart(document, args.png)
    print(f"total wall time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

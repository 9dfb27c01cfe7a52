"""The command line: `harp-refactor PATH...` and `harp-refactor facts FILE`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harp_refactor.detectors import source as sources
from harp_refactor.detectors.facts import extract
from harp_refactor.detectors.pattern import Options

from . import __version__
from .config import Config, find_pyproject, load_config
from .errors import ConfigError, HarpError
from .files import python_files, write_atomic
from .pipeline import FileResult, Settings, analyse_files, check_codes, default_jobs, finding_diff
from .report import json_report, text_finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harp-refactor",
        description="Find loop-invariant and other host-code inefficiencies around PyTorch, TensorFlow "
        "and NumPy, and rewrite them. `harp-refactor facts FILE` prints a file's facts.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to analyse")
    parser.add_argument("--diff", action="store_true", help="print the fixes as unified diffs on stdout")
    parser.add_argument("--apply", action="store_true", help="write the fixes to the files")
    parser.add_argument(
        "--no-verify", action="store_true", help="apply fixes without the equivalence harness (required for now)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--select", type=_codes, help="codes, prefixes or ALL to report (comma-separated)")
    parser.add_argument("--ignore", type=_codes, help="codes or prefixes not to report (comma-separated)")
    parser.add_argument(
        "--speculative", action="store_true", default=None, help="also hoist calls of functions we cannot see into"
    )
    parser.add_argument(
        "--aggressive", action="store_true", default=None, help="expose invariants by algebraic rewriting"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="analyse files in N processes (default: one per CPU)"
    )
    parser.add_argument("--config", type=Path, help="pyproject.toml to read instead of the nearest one")
    parser.add_argument("--version", action="version", version=f"harp-refactor {__version__}")
    return parser


def _codes(text: str | tuple[str, ...]) -> tuple[str, ...]:
    entries = text.split(",") if isinstance(text, str) else text
    return tuple(code.strip().upper() for code in entries if code.strip())


def _settings(args: argparse.Namespace, config: Config) -> Settings:
    select = args.select or _codes(config.select)
    ignore = args.ignore or _codes(config.ignore)
    check_codes((*select, *ignore), bool(config.rules))
    options = Options(
        speculative=config.speculative if args.speculative is None else args.speculative,
        aggressive=config.aggressive if args.aggressive is None else args.aggressive,
    )
    return Settings(select=select, ignore=ignore, options=options, rules=config.rules)


def _facts_command(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: harp-refactor facts FILE", file=sys.stderr)
        return EXIT_USAGE
    try:
        loaded = sources.load(argv[0], prefilter=False)
    except HarpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    assert loaded is not None
    sys.stdout.write(extract(loaded.module).render())
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["facts"]:
        return _facts_command(argv[1:])
    args = _parser().parse_args(argv)
    try:
        if args.apply and not args.no_verify:
            raise ConfigError(
                "--apply needs --no-verify for now: the equivalence harness that proves each fix is not built yet"
            )
        config_path = args.config or find_pyproject(Path(args.paths[0]))
        config = load_config(config_path)
        settings = _settings(args, config)
        missing = [path for path in args.paths if not Path(path).exists()]
        if missing:
            raise ConfigError(f"{missing[0]}: no such file or directory")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    fixing = args.diff or args.apply
    paths = list(python_files(args.paths, config.exclude))
    results = analyse_files(paths, settings, fix=fixing, jobs=args.jobs or default_jobs())
    return _report(results, args)


def _report(results: list[FileResult], args: argparse.Namespace) -> int:
    errors = [result.error for result in results if result.error]
    errors += [error for result in results for error in result.fix_errors]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    findings = [finding for result in results for finding in result.findings]
    texts = {result.path: result.text or "" for result in results}
    if args.format == "json":
        print(json_report(findings, lambda f: finding_diff(f.path, texts[f.path], f), errors))
    else:
        out = sys.stderr if args.diff else sys.stdout
        for finding in findings:
            print(text_finding(finding), file=out)
    patches = [result for result in results if result.patch is not None and result.patch.changed]
    if args.diff and args.format == "text":
        for result in patches:
            assert result.patch is not None
            sys.stdout.write(result.patch.diff)
    written: set[str] = set()
    if args.apply:
        for result in patches:
            assert result.patch is not None
            try:
                write_atomic(result.path, result.patch.new, result.encoding)
            except OSError as error:
                errors.append(f"{result.path}: cannot write: {error.strerror or error}; left unchanged")
                print(f"error: {errors[-1]}", file=sys.stderr)
                continue
            written.add(result.path)
            print(f"fixed {result.path}", file=sys.stderr)
    remaining = [f for f in findings if not (f.fixable and f.path in written)]
    summary = f"{len(findings)} finding{'s' * (len(findings) != 1)}"
    if args.apply:
        summary += f", {len(findings) - len(remaining)} fixed"
    if args.format == "text":
        print(summary, file=sys.stderr)
    return EXIT_FINDINGS if remaining or errors else EXIT_CLEAN

"""The command line: `harp-refactor PATH...`, `harp-refactor facts FILE`, `harp-refactor verify A B`."""

from __future__ import annotations

import argparse
import gc
import json
import re
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from harp_refactor.detectors import source as sources
from harp_refactor.detectors.facts import extract
from harp_refactor.detectors.pattern import Options
from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.equivalence.compare import Tolerance
from harp_refactor.equivalence.harness import HarnessSettings, verify
from harp_refactor.equivalence.process import Limits
from harp_refactor.equivalence.verdict import EQUIVALENT, NOT_EQUIVALENT, TOO_SLOW, UNVERIFIED, Verdict

from . import __version__
from .bot import DEFAULT_LIMIT, Bot, BotSettings
from .cache import ResultCache, default_directory
from .config import Config, find_pyproject, load_config
from .errors import ConfigError, HarpError
from .explain import explain
from .files import in_shard, parse_shard, python_files, write_atomic
from .finding import Finding
from .github import github_annotations
from .pipeline import FileResult, Settings, analyse_files, check_codes, default_jobs, finding_diff
from .report import json_document, text_finding
from .review import Review
from .sarif import sarif_document
from .verification import VerifiedPatch, verify_patch

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_UNVERIFIED = 0, 1, 2, 3
# `--explain HARP101` (documentation) rather than `--explain PATH` (the candidates left alone)
_EXPLAINED_CODE = re.compile(r"(?i)ALL|HARP|[A-Z]+[0-9]+")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harp-refactor",
        description="Find loop-invariant and other host-code inefficiencies around PyTorch, TensorFlow "
        "and NumPy, rewrite them, and prove each rewrite equivalent by running both versions. "
        "`harp-refactor facts FILE` prints a file's facts; `harp-refactor verify ORIGINAL REWRITTEN` "
        "checks any two versions of a file.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to analyse")
    parser.add_argument("--diff", action="store_true", help="print verified fixes as unified diffs on stdout")
    parser.add_argument("--apply", action="store_true", help="write verified fixes to the files")
    parser.add_argument(
        "--interactive", action="store_true", help="review each fix on the terminal and write the accepted ones"
    )
    parser.add_argument(
        "--pr",
        action="store_true",
        help="open or update one pull request per pattern code with the verified fixes (GitHub; token in GITHUB_TOKEN)",
    )
    parser.add_argument(
        "--remote", help="with --pr: the git remote to push the harp/CODE branches to (default: origin)"
    )
    parser.add_argument("--base", help="with --pr: the branch the pull requests go into (default: the checked-out one)")
    parser.add_argument(
        "--pr-limit",
        type=int,
        metavar="N",
        help=f"with --pr: open pull requests the bot may have (default: {DEFAULT_LIMIT})",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip the equivalence harness: fixes are unverified")
    parser.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="output format: text, json, sarif (SARIF 2.1.0) or github (Actions annotations); default: text",
    )
    parser.add_argument("--select", type=_codes, help="codes, prefixes or ALL to report (comma-separated)")
    parser.add_argument("--ignore", type=_codes, help="codes or prefixes not to report (comma-separated)")
    parser.add_argument(
        "--speculative", action="store_true", default=None, help="also hoist calls of functions we cannot see into"
    )
    parser.add_argument(
        "--aggressive", action="store_true", default=None, help="expose invariants by algebraic rewriting"
    )
    _add_harness_options(parser)
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="analyse files in N processes (default: one per CPU)"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also list the candidates each pattern left alone, and why (--explain CODE: a pattern's documentation)",
    )
    parser.add_argument("--config", type=Path, help="pyproject.toml to read instead of the nearest one")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="keep results of unchanged files here (default: ~/.cache/harp-refactor)",
    )
    parser.add_argument("--no-cache", action="store_true", help="analyse every file again; read and write no cache")
    parser.add_argument(
        "--shard", metavar="I/N", help="analyse only the I-th of N disjoint parts of the files (1-based), for CI"
    )
    parser.add_argument("--version", action="version", version=f"harp-refactor {__version__}")
    return parser


def _add_harness_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds one verification run may take")
    parser.add_argument("--min-speedup", type=float, metavar="X", help="reject verified fixes slower than X times")
    parser.add_argument("--entry", help="command that runs the code, for captured inputs or program runs")


def _verify_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harp-refactor verify",
        description="Run the equivalence harness on two versions of a file. Exit 0: equivalent, "
        "3: not equivalent, 2: could not verify.",
    )
    parser.add_argument("original", type=Path)
    parser.add_argument("rewritten", type=Path)
    parser.add_argument("--function", action="append", help="verify calls of this top-level function (repeatable)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--config", type=Path, help="pyproject.toml to read instead of the nearest one")
    _add_harness_options(parser)
    return parser


def _codes(text: str | tuple[str, ...]) -> tuple[str, ...]:
    entries = text.split(",") if isinstance(text, str) else text
    return tuple(code.strip().upper() for code in entries if code.strip())


def entry_command(text: str | Sequence[str]) -> tuple[str, ...]:
    """`python train.py --x 1` → ('train.py', '--x', '1'); `python -m pytest t/` → ('pytest', 't/')."""
    words = shlex.split(text) if isinstance(text, str) else list(text)
    if words and Path(words[0]).name.startswith("python"):
        words = words[1:]
    if words[:2] == ["-m", "pytest"]:
        words = words[1:]
    return tuple(words)


def _settings(args: argparse.Namespace, config: Config) -> Settings:
    select = args.select or _codes(config.select)
    ignore = args.ignore or _codes(config.ignore)
    check_codes((*select, *ignore), bool(config.rules))
    per_file = config.per_file_ignores
    check_codes(per_file.listed(), bool(config.rules), f"{config.source}: [tool.harp-refactor] per-file-ignores: ")
    options = Options(
        speculative=config.speculative if args.speculative is None else args.speculative,
        aggressive=config.aggressive if args.aggressive is None else args.aggressive,
    )
    return Settings(select=select, ignore=ignore, options=options, rules=config.rules, per_file_ignores=per_file)


def harness_settings(args: argparse.Namespace, config: Config, codes: Sequence[str] = ()) -> HarnessSettings:
    """The harness's settings: command line over configuration over defaults."""
    rtol, atol = config.tolerance
    overrides = [config.per_code_tolerance[code] for code in codes if code in config.per_code_tolerance]
    if overrides:  # a per-code tolerance replaces the project's; the loosest wins across codes
        rtol = max((r for r, _ in overrides if r is not None), default=rtol)
        atol = max((a for _, a in overrides if a is not None), default=atol)
    defaults = Limits()
    limits = Limits(
        timeout_s=args.timeout or config.timeout or defaults.timeout_s,
        memory_mb=config.memory_limit or defaults.memory_mb,
    )
    entry = args.entry or config.entry
    return HarnessSettings(
        limits=limits,
        tolerance=Tolerance(rtol, atol),
        samples=config.samples,
        entry=entry_command(entry) if entry else (),
        min_speedup=args.min_speedup if args.min_speedup is not None else config.min_speedup,
        compare_printed_numbers=config.compare_printed_numbers,
    )


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
    sys.stdout.write(extract(loaded.module, tree=loaded.tree, text=loaded.text).render())
    return EXIT_CLEAN


def _explain_command(codes: Sequence[str]) -> int:
    """`--explain CODE...`: each pattern's documentation; `--explain` alone: the list of codes."""
    if not codes:
        for code, pattern in all_patterns().items():
            print(f"{code}  {pattern.title}")
        print("\nharp-refactor --explain CODE prints a pattern's documentation and examples.")
        return EXIT_CLEAN
    try:
        sys.stdout.write(explain(codes))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_CLEAN


def _verify_command(argv: Sequence[str]) -> int:
    args = _verify_parser().parse_args(argv)
    try:
        texts = [sources.decode(str(p), sources.read_bytes(str(p)))[0] for p in (args.original, args.rewritten)]
        config = load_config(args.config or find_pyproject(args.original))
    except HarpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    settings = harness_settings(args, config)
    verdict = verify(str(args.original), texts[0], texts[1], settings, functions=args.function)
    if args.format == "json":
        print(json.dumps(verdict.as_json(), indent=2))
    else:
        print(f"{args.original} → {args.rewritten}: {verdict.line()}")
        for line in verdict.differences:
            print(f"    {line}")
    if verdict.status == EQUIVALENT:
        return EXIT_CLEAN
    return EXIT_UNVERIFIED if verdict.status in (NOT_EQUIVALENT, TOO_SLOW) else EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["facts"]:
        return _facts_command(argv[1:])
    if argv[:1] == ["verify"]:
        return _verify_command(argv[1:])
    if argv[:1] == ["--explain"] and all(_EXPLAINED_CODE.fullmatch(a) and not Path(a).exists() for a in argv[1:]):
        return _explain_command(argv[1:])
    args = _parser().parse_args(argv)
    try:
        shard = parse_shard(args.shard) if args.shard is not None else None
        config_path = args.config or find_pyproject(Path(args.paths[0]))
        config = load_config(config_path)
        settings = _settings(args, config)
        missing = [path for path in args.paths if not Path(path).exists()]
        if missing:
            raise ConfigError(f"{missing[0]}: no such file or directory")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    beside_pr = [flag for flag in ("diff", "apply", "interactive", "no_verify") if args.pr and getattr(args, flag)]
    if beside_pr:
        print(f"error: --pr and --{beside_pr[0].replace('_', '-')} cannot be used together", file=sys.stderr)
        return EXIT_USAGE
    if args.interactive and not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("error: --interactive needs a terminal; use --diff to see the verified fixes", file=sys.stderr)
        return EXIT_USAGE
    try:
        bot = _bot(args, config) if args.pr else None
    except HarpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    fixing = args.diff or args.apply or args.interactive or args.pr
    paths = list(python_files(args.paths, config.exclude))
    if shard is not None:
        paths = in_shard(paths, *shard)
    # The analysis allocates millions of short-lived syntax nodes and few reference cycles:
    # collecting garbage less often saves about a tenth of its time (workers inherit this).
    gc.freeze()
    gc.set_threshold(100_000, 50, 50)
    results = analyse_files(
        paths, settings, fix=fixing, jobs=args.jobs or default_jobs(), cache=_cache(args, config, settings, fixing)
    )
    verified = _verify_patches(results, args, config) if fixing else {}
    if args.interactive:
        return _review(results, verified, args, config)
    if bot is not None:
        return _pull_requests(bot, results, verified, args, config, settings.wants)
    return _report(results, verified, args)


def _bot(args: argparse.Namespace, config: Config) -> Bot:
    """The pull-request bot, its repository, base branch and token checked before any analysis."""
    options = config.pull_requests
    settings = BotSettings(
        remote=args.remote or options.remote or "origin",
        base=args.base or options.base,
        limit=next(limit for limit in (args.pr_limit, options.limit, DEFAULT_LIMIT) if limit is not None),
    )
    return Bot(Path(args.paths[0]), settings, print)


def _pull_requests(
    bot: Bot,
    results: list[FileResult],
    verified: dict[str, VerifiedPatch],
    args: argparse.Namespace,
    config: Config,
    wants: Callable[[str], bool],
) -> int:
    """The bot: exit 0 when every pull request is in step with the verified fixes, 2 when it could not finish."""
    for error in (error for result in results for error in (result.error, *result.fix_errors) if error):
        print(f"error: {error}", file=sys.stderr)
    try:
        bot.run(results, verified, lambda fixes: harness_settings(args, config, sorted({f.code for f in fixes})), wants)
    except HarpError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_CLEAN


def _review(
    results: list[FileResult], verified: dict[str, VerifiedPatch], args: argparse.Namespace, config: Config
) -> int:
    """Card by card on the terminal; exit 0 when every finding was fixed, 1 when some remain."""
    for error in (result.error for result in results if result.error):
        print(f"error: {error}", file=sys.stderr)
    root = config.source.parent if config.source else Path.cwd()
    review = Review(
        results,
        verified,
        lambda findings: harness_settings(args, config, sorted({f.code for f in findings})),
        sys.stdin,
        sys.stdout,
        root,
    )
    try:
        review.run()
    except KeyboardInterrupt:
        print("\ninterrupted: nothing written", file=sys.stderr)
        return EXIT_FINDINGS
    written = review.write()
    fixed = sum(len(review.decisions.accepted.get(path, ())) for path in written)
    remaining = sum(len(result.findings) for result in results) - fixed
    print(f"{len(written)} file(s) written; {max(remaining, 0)} finding(s) remain", file=sys.stderr)
    return EXIT_FINDINGS if remaining > 0 else EXIT_CLEAN


def _cache(args: argparse.Namespace, config: Config, settings: Settings, fixing: bool) -> ResultCache | None:
    """The cache the flags and the configuration ask for (on by default)."""
    if args.no_cache or (config.cache_dir is False and args.cache_dir is None):
        return None
    directory = args.cache_dir or (config.cache_dir if isinstance(config.cache_dir, Path) else default_directory())
    return ResultCache(directory, settings, fix=fixing)


def _verify_patches(results: list[FileResult], args: argparse.Namespace, config: Config) -> dict[str, VerifiedPatch]:
    """Each file's patch through the harness, or labelled 'unverified' with --no-verify."""
    verified: dict[str, VerifiedPatch] = {}
    patched = [result for result in results if result.patch is not None and result.patch.changed]
    for number, result in enumerate(patched, 1):
        patch = result.patch
        assert patch is not None
        if args.no_verify:
            unverified = Verdict(UNVERIFIED, reason="--no-verify")
            verified[result.path] = VerifiedPatch(patch, unverified, {f: unverified for f in patch.findings})
            continue
        counter = f"[{number}/{len(patched)}] " if len(patched) > 1 else ""
        print(f"{counter}verifying {result.path} ...", file=sys.stderr)
        settings = harness_settings(args, config, sorted({f.code for f in patch.findings}))
        verified[result.path] = verify_patch(patch, settings)
        print(f"    {verified[result.path].verdict.line()}", file=sys.stderr)
    return verified


def _report(results: list[FileResult], verified: dict[str, VerifiedPatch], args: argparse.Namespace) -> int:
    errors = [result.error for result in results if result.error]
    errors += [error for result in results for error in result.fix_errors]
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    findings = [finding for result in results for finding in result.findings]
    if args.explain:
        # on stderr when stdout carries a machine-readable document
        where = sys.stdout if args.format == "text" else sys.stderr
        for skip in (skip for result in results for skip in result.skipped):
            line = f"left alone: {skip.path}:{skip.span.line} {skip.code} {skip.subject}: {'; '.join(skip.reasons)}"
            print(line, file=where)
    texts = {result.path: result.text or "" for result in results}
    not_run = Verdict(UNVERIFIED, reason="fixes are verified with --diff or --apply")

    def verdict_of(finding: Finding) -> Verdict | None:
        if not finding.fixable:
            return None
        entry = verified.get(finding.path)
        return entry.by_finding.get(finding, entry.verdict) if entry else not_run

    if args.format == "json":
        document = json_document(findings, lambda f: finding_diff(f.path, texts[f.path], f), errors)
        for finding, entry in zip(findings, document["findings"], strict=True):
            verdict = verdict_of(finding)
            entry["verdict"] = verdict.as_json() if verdict else None
        print(json.dumps(document, indent=2))
    elif args.format == "sarif":
        print(json.dumps(sarif_document(findings, verdict_of, errors, texts), indent=2))
    elif args.format == "github":
        for line in github_annotations(findings, verdict_of, errors, texts):
            print(line)
    else:
        out = sys.stderr if args.diff else sys.stdout
        for finding in findings:
            verdict = verdict_of(finding) if finding.path in verified else None
            print(text_finding(finding, verdict.line() if verdict else ""), file=out)
    accepted = [entry for entry in verified.values() if entry.patch is not None]
    kept = {finding for entry in accepted if entry.patch for finding in entry.patch.findings}
    rejected = [
        (finding, verdict)
        for entry in verified.values()
        for finding, verdict in entry.by_finding.items()
        if finding not in kept
    ]
    if args.diff and args.format == "text":
        for entry in accepted:
            assert entry.patch is not None
            sys.stdout.write(entry.patch.diff)
    fixed: set[Finding] = set()
    if args.apply:
        encodings = {result.path: result.encoding for result in results}
        for entry in accepted:
            assert entry.patch is not None
            try:
                write_atomic(entry.patch.path, entry.patch.new, encodings[entry.patch.path])
            except OSError as error:
                errors.append(f"{entry.patch.path}: cannot write: {error.strerror or error}; left unchanged")
                print(f"error: {errors[-1]}", file=sys.stderr)
                continue
            fixed.update(entry.patch.findings)
            print(f"fixed {entry.patch.path} ({entry.verdict.line()})", file=sys.stderr)
    for finding, verdict in rejected:
        where = f"{finding.path}:{finding.span.line}"
        print(f"not {'written' if args.apply else 'shown'}: {where} {finding.code}: {verdict.line()}", file=sys.stderr)
    remaining = [f for f in findings if f not in fixed]
    summary = f"{len(findings)} finding{'s' * (len(findings) != 1)}"
    if args.apply:
        summary += f", {len(fixed)} fixed"
    if args.format == "text":
        print(summary, file=sys.stderr)
    if rejected:
        return EXIT_UNVERIFIED
    return EXIT_FINDINGS if remaining or errors else EXIT_CLEAN

"""`--format sarif` and `--format github`: the real command line, in a subprocess, on real git repositories."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.github import command
from harp_refactor.patch import unified_diff
from harp_refactor.sarif import replacement
from tests.helpers import EXAMPLES, ROOT, dedent
from tests.refactor.test_cli import MATMUL_RULE, NUMPY_CLEAN, NUMPY_STEP, findings_in, harp

# One xdist worker runs this whole file: the runs of the tool are module-scoped.
pytestmark = pytest.mark.xdist_group("test_formats")

# The schema the project's CI provides beside the clone (../shared/schemas), else the same file
# kept with the tests, so a clone on its own checks SARIF output too.
SCHEMA_PATH = next(
    path
    for path in (
        ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json",
        ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json",
    )
    if path.is_file()
)
METAHEURISTIC = "examples/numpy_metaheuristic/benchmarks.py"
# A user rule whose message holds a percent sign and a line break.
ODD_RULE = MATMUL_RULE.replace("matmul in a loop", "matmul: 100% in a loop\\nhoist it")


def test_the_schema_kept_with_the_tests_is_the_shared_one() -> None:
    shared = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
    if not shared.is_file():
        pytest.skip("no ../shared beside this clone: the kept copy is the only one")
    assert (ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json").read_bytes() == shared.read_bytes()


def git_init(folder: Path) -> Path:
    """Make `folder` a real git work tree and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True, timeout=60)
    return folder


def sarif(cwd: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The SARIF log a run prints, checked to be the only thing on stdout."""
    result = harp(cwd, "--format", "sarif", *args, env=env)
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def validate(document: dict[str, Any]) -> None:
    """Validate against the SARIF 2.1.0 schema with the JSON Schema draft the schema declares."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    assert validator is jsonschema.Draft4Validator
    validator(schema).validate(document)


def location(result: dict[str, Any]) -> dict[str, Any]:
    physical: dict[str, Any] = result["locations"][0]["physicalLocation"]
    return physical


def apply(text: str, replacement: dict[str, Any]) -> str:
    """Apply one SARIF replacement (line/column region, 1-based, end exclusive) to `text`."""
    lines = text.split("\n")

    def offset(line: int, column: int) -> int:
        return sum(len(previous) + 1 for previous in lines[: line - 1]) + column - 1

    region = replacement["deletedRegion"]
    start = offset(region["startLine"], region["startColumn"])
    end = offset(region["endLine"], region["endColumn"])
    assert 0 <= start <= end <= len(text)
    return text[:start] + replacement["insertedContent"]["text"] + text[end:]


@dataclass(frozen=True)
class Runs:
    """A git repository holding a copy of the examples, and what the tool printed on it."""

    repo: Path
    report: dict[str, Any]
    text: str
    verified: dict[str, Any]
    diffs: dict[tuple[str, int, int], str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Report mode over all the examples (SARIF and text), and one verified `--diff` run."""
    repo = git_init(tmp_path_factory.mktemp("formats") / "repo")
    shutil.copytree(EXAMPLES, repo / "examples")
    report = sarif(repo, "examples")
    text = harp(repo, "examples").stdout
    verified = sarif(repo, "--diff", METAHEURISTIC)
    document = json.loads(harp(repo, "--format", "json", METAHEURISTIC).stdout)
    diffs = {(f["code"], f["line"], f["col"]): f["diff"] for f in document["findings"]}
    return Runs(repo, report, text, verified, diffs)


class TestSarif:
    @pytest.mark.parametrize("which", ["report", "verified"])
    def test_log_validates_against_the_schema(self, runs: Runs, which: str) -> None:
        """The log of a report run and of a --diff run are valid SARIF 2.1.0, one run from harp-refactor."""
        document = getattr(runs, which)
        validate(document)
        assert document["version"] == "2.1.0" and len(document["runs"]) == 1
        assert document["runs"][0]["tool"]["driver"]["name"] == "harp-refactor"
        assert document["runs"][0]["results"]

    def test_uris_are_relative_to_the_repository_and_name_files(self, runs: Runs) -> None:
        """Every result's URI is relative to %SRCROOT%, which is the repository root, and names an existing file."""
        run = runs.report["runs"][0]
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == runs.repo.resolve().as_uri() + "/"
        for result in run["results"]:
            artifact = location(result)["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            assert not artifact["uri"].startswith(("/", "file:")), artifact
            assert (runs.repo / unquote(artifact["uri"])).is_file(), artifact

    def test_regions_match_the_text_report(self, runs: Runs) -> None:
        """Each result's start line and 1-based column are the text output's `path:line:col` of the same finding."""
        expected = [(f["path"], int(f["line"]), int(f["col"]), f["code"]) for f in findings_in(runs.text)]
        got = []
        for result in runs.report["runs"][0]["results"]:
            physical = location(result)
            region = physical["region"]
            uri = physical["artifactLocation"]["uri"]
            got.append((uri, region["startLine"], region["startColumn"], result["ruleId"]))
            assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
        assert got == expected and len(expected) > 10

    def test_rules_describe_every_pattern(self, runs: Runs) -> None:
        """`rules` holds one descriptor per pattern code with its title and docstring; ruleIndex points at it."""
        run = runs.report["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        assert [rule["id"] for rule in rules] == list(all_patterns())
        for rule, pattern in zip(rules, all_patterns().values(), strict=True):
            assert rule["shortDescription"]["text"] == pattern.title
            assert rule["fullDescription"]["text"] == pattern.explanation() != ""
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert {result["ruleId"] for result in run["results"]} >= {"HARP101", "HARP102", "HARP203", "HARP301"}

    def test_report_mode_offers_unverified_fixes_and_notes(self, runs: Runs) -> None:
        """In report mode a fixable finding is a warning with a fix and an "unverified" verdict; a suggestion is a
        note without either."""
        results = runs.report["runs"][0]["results"]
        for result in results:
            properties = result["properties"]
            if properties["fixable"]:
                assert result["level"] == "warning" and len(result["fixes"]) == 1, result
                assert properties["verdict"]["status"] == "unverified"
            else:
                assert result["level"] == "note" and "fixes" not in result, result
                assert properties["verdict"] is None and properties["noFixReason"]
        assert "warning" in {result["level"] for result in results}  # notes: test_user_rule_findings_have_a_rule

    def test_verified_results_carry_verdict_assumptions_and_fix(self, runs: Runs) -> None:
        """After --diff each result holds the harness's verdict (inputs, tolerance, error, speedup), its
        assumptions and its fix."""
        results = runs.verified["runs"][0]["results"]
        assert {r["ruleId"] for r in results} == {"HARP101", "HARP104"}
        for result in results:
            verdict = result["properties"]["verdict"]
            assert verdict["status"] == "equivalent" and verdict["input_count"] > 0 and verdict["inputs"]
            assert verdict["rtol"] is not None and verdict["atol"] is not None and verdict["max_abs_err"] is not None
            assert verdict["speedup"] > 0
            assert result["fixes"][0]["description"]["text"].startswith(result["properties"]["title"] + ": equivalent")
        assumptions = [a for r in results for a in r["properties"]["assumptions"]]
        assert assumptions and all(a["what"] and a["why"] and "check" in a for a in assumptions)

    def test_fix_turns_the_original_into_the_rewritten_text(self, runs: Runs) -> None:
        """Each fix's replacement applied to the original file gives the rewrite whose diff JSON output shows."""
        original = (runs.repo / METAHEURISTIC).read_text(encoding="utf-8")
        for result in runs.verified["runs"][0]["results"]:
            (change,) = result["fixes"][0]["artifactChanges"]
            assert change["artifactLocation"] == {"uri": METAHEURISTIC, "uriBaseId": "%SRCROOT%"}
            (replacement,) = change["replacements"]
            region = location(result)["region"]
            rewritten = apply(original, replacement)
            key = (result["ruleId"], region["startLine"], region["startColumn"])
            assert unified_diff(METAHEURISTIC, original, rewritten) == runs.diffs[key] != ""

    def test_fingerprints_are_unique_and_survive_moved_lines(self, tmp_path: Path) -> None:
        """Partial fingerprints differ between results and stay the same when lines above a finding move it."""
        repo = git_init(tmp_path / "repo")
        (repo / "a.py").write_text(dedent(NUMPY_STEP) + dedent(NUMPY_STEP).replace("def f", "def g"))
        before = sarif(repo, "--no-cache", "a.py")["runs"][0]["results"]
        (repo / "a.py").write_text("# moved\n\n" + (repo / "a.py").read_text())
        after = sarif(repo, "--no-cache", "a.py")["runs"][0]["results"]
        assert [location(r)["region"]["startLine"] for r in after] == [
            location(r)["region"]["startLine"] + 2 for r in before
        ]
        prints = [r["partialFingerprints"] for r in before]
        assert len({json.dumps(p) for p in prints}) == len(prints) == 2
        assert [r["partialFingerprints"] for r in after] == prints

    def test_run_from_a_subfolder_still_gives_repository_relative_uris(self, runs: Runs) -> None:
        """Analysing `numpy_metaheuristic` from inside `examples/` gives `examples/...` URIs (git's toplevel)."""
        document = sarif(runs.repo / "examples", "numpy_metaheuristic")
        uris = {location(r)["artifactLocation"]["uri"] for r in document["runs"][0]["results"]}
        assert uris == {METAHEURISTIC}

    def test_outside_git_uris_are_relative_to_the_current_folder(self, tmp_path: Path) -> None:
        """Without a git repository, URIs are relative to the folder the tool runs in."""
        (tmp_path / "src").mkdir()
        (tmp_path / "src" / "good.py").write_text(dedent(NUMPY_STEP))
        document = sarif(tmp_path, "src", env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
        run = document["runs"][0]
        assert [location(r)["artifactLocation"]["uri"] for r in run["results"]] == ["src/good.py"]
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"

    def test_file_errors_are_notifications_and_the_run_goes_on(
        self, tmp_path: Path, write: Callable[[str, str], Path]
    ) -> None:
        """A syntax error and an unreadable file become error notifications; the good file's result remains."""
        git_init(tmp_path)
        write("src/good.py", NUMPY_STEP)
        write("src/broken.py", "import numpy as np\nx = (\n")
        (tmp_path / "src" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
        result = harp(tmp_path, "--format", "sarif", "src")
        assert result.returncode == 1
        document = json.loads(result.stdout)
        validate(document)
        run = document["runs"][0]
        assert [location(r)["artifactLocation"]["uri"] for r in run["results"]] == ["src/good.py"]
        (invocation,) = run["invocations"]
        assert invocation["executionSuccessful"] is True
        notes = {
            location(n)["artifactLocation"]["uri"]: (n["level"], location(n).get("region"), n["message"]["text"])
            for n in invocation["toolExecutionNotifications"]
        }
        assert set(notes) == {"src/broken.py", "src/dangling.py"}
        assert notes["src/broken.py"][:2] == ("error", {"startLine": 2})
        assert "syntax error" in notes["src/broken.py"][2]
        assert notes["src/dangling.py"][:2] == ("error", None) and "cannot read" in notes["src/dangling.py"][2]

    def test_user_rule_findings_have_a_rule(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A code from the user's rule file gets its own descriptor after the patterns' and results point at it."""
        git_init(tmp_path)
        write("pyproject.toml", '[tool.harp-refactor]\nrules = ["my.lp"]\nignore = ["HARP"]\n')
        write("my.lp", MATMUL_RULE)
        write("clean.py", NUMPY_CLEAN)
        document = sarif(tmp_path, "clean.py")
        validate(document)
        run = document["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        assert rules[-1]["id"] == "USR001" and len(rules) == len(all_patterns()) + 1
        (result,) = run["results"]
        assert (result["ruleId"], result["ruleIndex"], result["level"]) == ("USR001", len(rules) - 1, "note")
        assert result["message"]["text"] == "matmul in a loop"


class TestGithub:
    def test_annotation_lines(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """One `::warning` per finding with the verdict appended, `::error` per file error, repository-relative."""
        git_init(tmp_path)
        write("pkg/good.py", NUMPY_STEP)
        write("pkg/broken.py", "import numpy as np\nx = (\n")
        result = harp(tmp_path / "pkg", "--format", "github", "good.py", "broken.py")
        assert result.returncode == 1, result.stderr
        assert result.stdout.splitlines() == [
            "::error file=pkg/broken.py,line=2::syntax error: '(' was never closed",
            "::warning file=pkg/good.py,line=5,col=9,endLine=5,endColumn=30,"
            "title=HARP101 loop-invariant computation::"
            "`s = np.linalg.norm(D)` assigns the same value in every iteration of the loop at line 4; "
            "move it before the loop (guarded, because the loop may run zero times)"
            "%0Averdict: unverified: fixes are verified with --diff or --apply",
        ]

    def test_message_and_properties_are_escaped(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A `%` and a line break in the message, a `,` in the path: escaped; a suggestion is a `::notice`."""
        git_init(tmp_path)
        write("pyproject.toml", '[tool.harp-refactor]\nrules = ["my.lp"]\nignore = ["HARP"]\n')
        write("my.lp", ODD_RULE)
        write("odd,name.py", NUMPY_CLEAN)
        result = harp(tmp_path, "--format", "github", "odd,name.py")
        assert result.stdout.splitlines() == [
            "::notice file=odd%2Cname.py,line=5,col=13,endLine=5,endColumn=18,title=USR001 user rule::"
            "matmul: 100%25 in a loop%0Ahoist it"
        ]

    def test_command_escapes_as_the_actions_toolkit_does(self) -> None:
        """Data escapes `%`, CR and LF; property values also escape `:` and `,`."""
        assert command("warning", "50%\r\ndone", file="a:b,c.py", title="x%\n") == (
            "::warning file=a%3Ab%2Cc.py,title=x%25%0A::50%25%0D%0Adone"
        )
        assert command("error", "plain") == "::error::plain"


class TestReplacement:
    @pytest.mark.parametrize(
        ("before", "after"),
        [
            ("a\nb\nc\n", "a\nB\nc\n"),
            ("a\nb\n", "x = 1\na\nb\n"),
            ("a\nb\nc\n", "a\nb\nc\nd\n"),
            ("a\nb\nc\n", "a\n"),
            ("a\nb\nc", "a\nb\nC"),
            ("a\r\nb\r\n", "a\r\nB\r\n"),
        ],
    )
    def test_replacement_rewrites_and_stays_inside_the_file(self, before: str, after: str) -> None:
        """The replacement applied to the old text gives the new one, and its region ends on a line the file has."""
        change = replacement(before, after)
        assert change is not None and apply(before, change) == after
        assert change["deletedRegion"]["endLine"] <= len(before.splitlines())

    def test_no_change_no_replacement(self) -> None:
        """Identical texts need no replacement."""
        assert replacement("a\n", "a\n") is None

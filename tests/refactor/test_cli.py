"""End-to-end tests of the command line: the real console entry, in a subprocess, on real files."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import EXAMPLES, assert_close, dedent, harp_command, run_program

# One xdist worker runs this whole file: the example runs are module-scoped.
pytestmark = pytest.mark.xdist_group("test_cli")

DICT_LEARN = EXAMPLES / "dict_learn"
EXAMPLE_FILES = {
    "numpy": "numpy_dict_learn.py",
    "torch": "torch_dict_learn.py",
    "tf": "tf_dict_learn.py",
}
FINDING_LINE = re.compile(r"^(?P<path>\S+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) (?P<message>.+)$")
DIFF_LINE = re.compile(r"^(--- a/|\+\+\+ b/|@@ |[ +\-]|\\ No newline at end of file$)")
FINDING_KEYS = {"code", "path", "line", "end_line", "message", "assumptions", "diff"}

# A NumPy loop whose only invariant is a norm of a parameter: one HARP101 finding at 5:9.
NUMPY_STEP = """
import numpy as np

def f(D, n):
    for _ in range(n):
        s = np.linalg.norm(D)
    return s
"""
# A NumPy loop with nothing invariant in it.
NUMPY_CLEAN = """
import numpy as np

def f(D, A, n):
    for _ in range(n):
        A = A @ D
    return A
"""
MATMUL_RULE = 'finding(E, "USR001", "matmul in a loop") :- binop(E, "@"), expr_in_loop(E, _).\n'


def harp(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m harp_refactor ARGS` in `cwd` (with `env` added to the environment) and
    capture what it printed."""
    return subprocess.run(
        harp_command(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a real git command in `cwd`."""
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def findings_in(text: str) -> list[dict[str, str]]:
    """The `path:line:col: CODE message` lines of a text report."""
    return [match.groupdict() for line in text.splitlines() if (match := FINDING_LINE.match(line))]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def copy_examples(destination: Path) -> Path:
    """Copy examples/dict_learn to `destination`/dict_learn and return that folder."""
    target = destination / "dict_learn"
    shutil.copytree(DICT_LEARN, target)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (relative path → bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def split_diff(diff: str) -> dict[str, str]:
    """A multi-file unified diff, split by file (keyed by the `a/` path)."""
    parts: dict[str, str] = {}
    current = ""
    lines = diff.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith("--- a/") and index + 1 < len(lines) and lines[index + 1].startswith("+++ b/"):
            current = line[len("--- a/") :].strip()
        parts[current] = parts.get(current, "") + line
    return parts


def quoted_code(message: str) -> str:
    """The code a message quotes between its first pair of backticks."""
    match = re.search(r"`([^`]+)`", message)
    assert match, message
    return match.group(1)


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """tmp_path holding a copy of examples/dict_learn (the folder is tmp_path/dict_learn)."""
    copy_examples(tmp_path)
    return tmp_path


class TestReport:
    def test_dict_learn_reports_harp101_in_every_framework(self, examples: Path) -> None:
        """The plain run finds the invariant step size in the torch, NumPy and TF examples and exits 1."""
        result = harp(examples, "dict_learn")
        assert result.returncode == 1, result.stderr
        found = findings_in(result.stdout)
        assert {f["path"] for f in found} == {f"dict_learn/{name}" for name in EXAMPLE_FILES.values()}
        for name in EXAMPLE_FILES.values():
            steps = [f for f in found if f["path"] == f"dict_learn/{name}" and (f["line"], f["col"]) == ("13", "9")]
            assert [f["code"] for f in steps] == ["HARP101"], result.stdout
            assert quoted_code(steps[0]["message"]).startswith("step = 1.0 / ")
            assert "loop at line 12" in steps[0]["message"]
        assert re.search(r"^\d+ findings$", result.stderr, re.MULTILINE), result.stderr

    def test_finding_positions_point_at_the_quoted_code(self, examples: Path) -> None:
        """Each `path:line:col` is 1-based and points where the code the message quotes begins."""
        result = harp(examples, "dict_learn")
        found = findings_in(result.stdout)
        assert found
        for finding in found:
            lines = (examples / finding["path"]).read_text(encoding="utf-8").splitlines()
            text = lines[int(finding["line"]) - 1][int(finding["col"]) - 1 :]
            assert text.startswith(quoted_code(finding["message"])), (finding, text)

    def test_every_report_line_is_a_finding_or_its_detail(self, examples: Path) -> None:
        """Text output holds only finding lines and their indented `assumes:`/`fix:` details."""
        result = harp(examples, "--aggressive", "dict_learn")
        for line in result.stdout.splitlines():
            assert FINDING_LINE.match(line) or re.match(r"^    (assumes|fix): ", line), line

    def test_clean_file_exits_zero(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A file with nothing invariant in its loop gives no finding and exit code 0."""
        write("clean.py", NUMPY_CLEAN)
        result = harp(tmp_path, "clean.py")
        assert (result.returncode, result.stdout) == (0, ""), result.stderr
        assert "0 findings" in result.stderr

    def test_file_without_framework_import_is_skipped(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """The pre-filter skips a file importing no framework, even one a user rule would match."""
        write("pyproject.toml", '[tool.harp-refactor]\nrules = ["my.lp"]\nignore = ["HARP"]\n')
        write("my.lp", MATMUL_RULE)
        loop = "def f(a, b, n):\n    for _ in range(n):\n        c = a @ b\n    return c\n"
        write("plain.py", "# uses torch, see 'import torch' below\nx = 'import numpy'\n" + loop)
        write("framework.py", "import numpy\n" + loop)
        skipped = harp(tmp_path, "plain.py")
        assert (skipped.returncode, skipped.stdout) == (0, ""), skipped.stderr
        analysed = harp(tmp_path, "framework.py")
        assert analysed.returncode == 1
        assert [f["code"] for f in findings_in(analysed.stdout)] == ["USR001"]

    @pytest.mark.parametrize(
        ("name", "header"), [("bom.py", b"\xef\xbb\xbf"), ("multi.py", b"import os, numpy as np  # ")]
    )
    def test_prefilter_does_not_skip_real_framework_imports(self, tmp_path: Path, name: str, header: bytes) -> None:
        """A file whose first line imports NumPy (after a BOM, or in an import list) is analysed."""
        (tmp_path / name).write_bytes(header + dedent(NUMPY_STEP).encode())
        result = harp(tmp_path, name)
        assert [(f["line"], f["code"]) for f in findings_in(result.stdout)] == [("5", "HARP101")], result.stderr


class TestDiff:
    def test_diff_applies_with_git_and_rewritten_files_compile(self, examples: Path) -> None:
        """`--diff` prints only a unified diff on stdout; git accepts it and the patched files compile."""
        result = harp(examples, "--diff", "dict_learn")
        assert result.returncode == 1, result.stderr
        assert result.stdout and all(DIFF_LINE.match(line) for line in result.stdout.splitlines()), result.stdout
        assert set(split_diff(result.stdout)) == {f"dict_learn/{name}" for name in EXAMPLE_FILES.values()}
        assert git(examples, "init", "-q").returncode == 0
        (examples / "fix.patch").write_text(result.stdout, encoding="utf-8")
        check = git(examples, "apply", "--check", "fix.patch")
        assert check.returncode == 0, check.stderr
        applied = git(examples, "apply", "fix.patch")
        assert applied.returncode == 0, applied.stderr
        for name in EXAMPLE_FILES.values():
            patched = (examples / "dict_learn" / name).read_text(encoding="utf-8")
            assert patched != (DICT_LEARN / name).read_text(encoding="utf-8")
            compile(patched, name, "exec", dont_inherit=True)

    def test_findings_go_to_stderr_in_diff_mode(self, examples: Path) -> None:
        """With `--diff` the finding lines are on stderr, not mixed into the diff."""
        result = harp(examples, "--diff", "dict_learn")
        assert findings_in(result.stdout) == []
        assert {f["path"] for f in findings_in(result.stderr)} == {f"dict_learn/{n}" for n in EXAMPLE_FILES.values()}

    def test_diff_is_what_apply_writes(self, tmp_path: Path) -> None:
        """Applying the `--diff` output gives the same files as `--apply --no-verify`."""
        patched_root, applied_root = tmp_path / "patched", tmp_path / "applied"
        for root in (patched_root, applied_root):
            root.mkdir()
            copy_examples(root)
        diff = harp(patched_root, "--diff", "dict_learn").stdout
        assert git(patched_root, "init", "-q").returncode == 0
        (patched_root / "fix.patch").write_text(diff, encoding="utf-8")
        assert git(patched_root, "apply", "fix.patch").returncode == 0
        assert harp(applied_root, "--apply", "--no-verify", "dict_learn").returncode == 0
        assert snapshot(patched_root / "dict_learn") == snapshot(applied_root / "dict_learn")

    def test_aggressive_diff_hoists_the_distributed_products(self, examples: Path) -> None:
        """`--aggressive --diff` hoists `D @ X` and `D @ D.T` (tf.matmul forms for TF) out of the loop."""
        result = harp(examples, "--aggressive", "--diff", "dict_learn")
        assert result.returncode == 1, result.stderr
        parts = split_diff(result.stdout)
        for name in (EXAMPLE_FILES["numpy"], EXAMPLE_FILES["torch"]):
            added = [line[1:].strip() for line in parts[f"dict_learn/{name}"].splitlines() if line.startswith("+ ")]
            assert "D_X = D @ X" in added and "D_D_T = D @ D.T" in added, parts[f"dict_learn/{name}"]
            assert "A = step * (D_X - D_D_T @ A)" in added
        tf_added = [
            line[1:].strip()
            for line in parts[f"dict_learn/{EXAMPLE_FILES['tf']}"].splitlines()
            if line.startswith("+ ")
        ]
        x_names = [m.group(1) for line in tf_added if (m := re.fullmatch(r"(\w+) = tf\.matmul\(D, X\)", line))]
        gram_names = [
            m.group(1) for line in tf_added if (m := re.fullmatch(r"(\w+) = tf\.matmul\(D, tf\.transpose\(D\)\)", line))
        ]
        assert len(x_names) == 1 and len(gram_names) == 1, tf_added
        assert f"A = step * ({x_names[0]} - tf.matmul({gram_names[0]}, A))" in tf_added
        assert git(examples, "init", "-q").returncode == 0
        (examples / "fix.patch").write_text(result.stdout, encoding="utf-8")
        assert git(examples, "apply", "--check", "fix.patch").returncode == 0

    def test_json_with_diff_keeps_stdout_one_json_document(self, examples: Path) -> None:
        """`--format json --diff` still prints one parseable JSON document on stdout."""
        result = harp(examples, "--format", "json", "--diff", "dict_learn")
        json.loads(result.stdout)


# One interpreter per program: twenty iterations, then n_iter=0 (which must return A untouched,
# also when D and X are values the hoisted code could not use), then the input A itself.
RESULTS_CALL = (
    "(dict_learn(*sample_inputs(), n_iter=20), dict_learn(*sample_inputs(), n_iter=0), "
    "dict_learn(None, None, sample_inputs()[2], n_iter=0), sample_inputs()[2])"
)
ExampleRuns = dict[tuple[str, str], "Future[Any]"]


@pytest.fixture(scope="module")
def example_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleRuns]:
    """Results of the original, hoisted and aggressively rewritten examples, run in parallel."""
    roots: dict[str, Path] = {}
    for variant, flags in (("original", None), ("plain", ()), ("aggressive", ("--aggressive",))):
        root = tmp_path_factory.mktemp(variant)
        copy_examples(root)
        if flags is not None:
            result = harp(root, *flags, "--apply", "--no-verify", "dict_learn")
            assert result.returncode == 0, result.stderr
            for name in EXAMPLE_FILES.values():
                assert (root / "dict_learn" / name).read_bytes() != (DICT_LEARN / name).read_bytes(), (variant, name)
        roots[variant] = root / "dict_learn"
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        yield {
            (variant, framework): pool.submit(run_program, roots[variant] / name, RESULTS_CALL)
            for framework, name in EXAMPLE_FILES.items()
            for variant in roots
        }


class TestResultsUnchanged:
    @pytest.mark.parametrize("framework", list(EXAMPLE_FILES))
    def test_original_loop_does_work(self, example_runs: ExampleRuns, framework: str) -> None:
        """The reference result is finite and differs from the input, so comparing with it means something."""
        result, _, _, initial = example_runs[("original", framework)].result()
        assert np.isfinite(result).all()
        assert not np.allclose(result, initial)

    @pytest.mark.parametrize(
        ("framework", "variant", "rtol", "atol"),
        [(fw, "plain", 1e-7, 1e-9) for fw in EXAMPLE_FILES] + [(fw, "aggressive", 1e-6, 1e-8) for fw in EXAMPLE_FILES],
    )
    def test_rewritten_program_computes_the_same(
        self, example_runs: ExampleRuns, framework: str, variant: str, rtol: float, atol: float
    ) -> None:
        """Twenty iterations of the rewritten kernel give the original's result within tolerance."""
        expected = example_runs[("original", framework)].result()[0]
        actual = example_runs[(variant, framework)].result()[0]
        assert np.isfinite(actual).all()
        assert_close(expected, actual, rtol=rtol, atol=atol)

    @pytest.mark.parametrize(
        ("framework", "variant"), [(fw, v) for fw in EXAMPLE_FILES for v in ("original", "plain", "aggressive")]
    )
    def test_zero_iterations_return_the_input(self, example_runs: ExampleRuns, framework: str, variant: str) -> None:
        """With n_iter=0 the guarded hoist runs nothing: the result is A, even when D and X are None."""
        _, result, result_without_d, initial = example_runs[(variant, framework)].result()
        assert_close(initial, result)
        assert_close(initial, result_without_d)


class TestApply:
    def test_apply_verifies_each_file_before_writing_it(self, examples: Path) -> None:
        """`--apply` writes each file only after an equivalent verdict, and reports the measured speedup."""
        result = harp(examples, "--apply", "dict_learn")
        assert result.returncode == 0, result.stderr
        for name in EXAMPLE_FILES.values():
            line = next(line for line in result.stderr.splitlines() if line.startswith(f"fixed dict_learn/{name}"))
            assert "equivalent (" in line and "changed code ran" in line, line
            assert "x faster (" in line or "x slower (" in line, line  # the speed is reported, not judged here
        assert harp(examples, "dict_learn").returncode == 0

    def test_apply_rewrites_keeps_mode_and_leaves_no_temporaries(self, examples: Path) -> None:
        """`--apply --no-verify` fixes everything (exit 0), keeps mode bits and leaves no *.harp-tmp file."""
        folder = examples / "dict_learn"
        modes = {}
        for index, name in enumerate(sorted(EXAMPLE_FILES.values())):
            mode = (0o750, 0o604, 0o755)[index]
            (folder / name).chmod(mode)
            modes[name] = mode
        result = harp(examples, "--apply", "--no-verify", "dict_learn")
        assert result.returncode == 0, result.stderr
        for name, mode in modes.items():
            assert stat.S_IMODE((folder / name).stat().st_mode) == mode, name
            assert (folder / name).read_bytes() != (DICT_LEARN / name).read_bytes()
            assert f"fixed dict_learn/{name}" in result.stderr
        leftovers = [p.name for p in examples.rglob("*") if p.name.endswith(".harp-tmp")]
        assert leftovers == []
        assert re.search(r"^(\d+) findings, \1 fixed$", result.stderr, re.MULTILINE), result.stderr

    @pytest.mark.parametrize("flags", [(), ("--aggressive",)])
    def test_applied_fixes_leave_nothing_to_report(self, examples: Path, flags: tuple[str, ...]) -> None:
        """After `--apply --no-verify` a second run with the same flags finds nothing and exits 0."""
        assert harp(examples, *flags, "--apply", "--no-verify", "dict_learn").returncode == 0
        again = harp(examples, *flags, "dict_learn")
        assert (again.returncode, findings_in(again.stdout)) == (0, []), again.stdout

    def test_apply_keeps_a_declared_latin1_encoding(self, tmp_path: Path) -> None:
        """A latin-1 file with a PEP 263 line is analysed and rewritten in latin-1."""
        source = "# -*- coding: latin-1 -*-\n" + dedent(NUMPY_STEP).replace(
            "    return s", '        label = "café"\n    return s'
        )
        path = tmp_path / "latin.py"
        path.write_bytes(source.encode("latin-1"))
        report = harp(tmp_path, "latin.py")
        assert (report.returncode, error_lines(report.stderr)) == (1, [])
        assert [(f["line"], f["code"]) for f in findings_in(report.stdout)] == [("6", "HARP101")]
        applied = harp(tmp_path, "--apply", "--no-verify", "latin.py")
        assert applied.returncode == 0, applied.stderr
        data = path.read_bytes()
        assert data.startswith(b"# -*- coding: latin-1 -*-\n")
        assert b'"caf\xe9"' in data and "é".encode() not in data
        text = data.decode("latin-1")
        assert text != source and "if n > 0:" in text
        compile(data, "latin.py", "exec", dont_inherit=True)


class TestJson:
    def test_json_document_has_findings_with_applicable_diffs(self, examples: Path) -> None:
        """`--format json` prints one document; each fixable finding's diff applies with git."""
        result = harp(examples, "--format", "json", "--aggressive", "dict_learn")
        assert result.returncode == 1, result.stderr
        document = json.loads(result.stdout)
        assert set(document) >= {"findings", "errors"} and document["errors"] == []
        findings = document["findings"]
        assert {f["path"] for f in findings} == {f"dict_learn/{n}" for n in EXAMPLE_FILES.values()}
        assert git(examples, "init", "-q").returncode == 0
        for index, finding in enumerate(findings):
            assert FINDING_KEYS <= set(finding), finding
            assert finding["code"] in ("HARP101", "HARP203")
            assert isinstance(finding["line"], int) and finding["end_line"] >= finding["line"]
            assert isinstance(finding["message"], str) and finding["message"]
            for assumption in finding["assumptions"]:
                assert isinstance(assumption["what"], str) and assumption["what"]
                assert isinstance(assumption["why"], str) and assumption["why"]
            assert finding["fixable"] is True and finding["diff"], finding
            patch = examples / f"finding{index}.patch"
            patch.write_text(finding["diff"], encoding="utf-8")
            check = git(examples, "apply", "--check", patch.name)
            assert check.returncode == 0, (finding["diff"], check.stderr)
        assert any(f["assumptions"] for f in findings), "the aggressive rewrite states its assumption"

    def test_json_reports_file_errors(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A file that cannot be parsed appears under "errors" while the good file's findings remain."""
        write("good.py", NUMPY_STEP)
        write("broken.py", "import numpy as np\nx = (\n")
        result = harp(tmp_path, "--format", "json", "good.py", "broken.py")
        document = json.loads(result.stdout)
        assert [(f["path"], f["line"]) for f in document["findings"]] == [("good.py", 5)]
        assert len(document["errors"]) == 1 and "broken.py" in document["errors"][0]

    def test_suggestion_only_findings_have_no_diff(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A user-rule finding is a suggestion: it has an empty diff in JSON."""
        write("pyproject.toml", '[tool.harp-refactor]\nrules = ["my.lp"]\nignore = ["HARP"]\n')
        write("my.lp", MATMUL_RULE)
        write("clean.py", NUMPY_CLEAN)
        document = json.loads(harp(tmp_path, "--format", "json", "clean.py").stdout)
        assert [(f["code"], f["line"], f["diff"], f["fixable"]) for f in document["findings"]] == [
            ("USR001", 5, "", False)
        ]


class TestSelect:
    @pytest.mark.parametrize(
        ("flags", "codes", "exit_code"),
        [
            ((), ["HARP101"], 1),
            (("--ignore", "HARP101"), [], 0),
            (("--select", "HARP1"), ["HARP101"], 1),
            (("--select", "harp101"), ["HARP101"], 1),
            (("--select", "ALL", "--ignore", "HARP"), [], 0),
            (("--select", "HARP101", "--ignore", "HARP"), ["HARP101"], 1),
        ],
    )
    def test_select_and_ignore(
        self,
        tmp_path: Path,
        write: Callable[[str, str], Path],
        flags: tuple[str, ...],
        codes: list[str],
        exit_code: int,
    ) -> None:
        """Codes, prefixes and ALL select findings; the more specific entry wins."""
        write("step.py", NUMPY_STEP)
        result = harp(tmp_path, *flags, "step.py")
        assert result.returncode == exit_code, result.stderr
        assert [f["code"] for f in findings_in(result.stdout)] == codes

    @pytest.mark.parametrize("option", ["--select", "--ignore"])
    def test_unknown_code_is_a_usage_error(
        self, tmp_path: Path, write: Callable[[str, str], Path], option: str
    ) -> None:
        """An entry that matches no known code exits 2 and names the entry."""
        write("step.py", NUMPY_STEP)
        result = harp(tmp_path, option, "XYZ9", "step.py")
        assert (result.returncode, result.stdout) == (2, "")
        assert len(error_lines(result.stderr)) == 1 and "XYZ9" in result.stderr


class TestBadInput:
    def _check_one_error_and_good_findings(self, tmp_path: Path, bad: str) -> str:
        result = harp(tmp_path, "good.py", bad)
        assert result.returncode == 1
        errors = error_lines(result.stderr)
        assert len(errors) == 1 and bad in errors[0], result.stderr
        assert "Traceback" not in result.stderr
        assert [(f["path"], f["line"], f["code"]) for f in findings_in(result.stdout)] == [("good.py", "5", "HARP101")]
        return errors[0]

    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("syntax.py", b"import numpy as np\nx = (\n"),
            ("indent.py", b"import numpy as np\n  x = 1\n"),
            ("nul.py", b"import numpy as np\nx = 1\x00\n"),
            ("not_utf8.py", b"import numpy as np\nx = '\xff\xfe'\n"),
            ("bad_coding.py", b"# -*- coding: no-such-codec -*-\nimport numpy as np\n"),
        ],
    )
    def test_bad_file_gives_one_error_and_the_run_goes_on(
        self, tmp_path: Path, write: Callable[[str, str], Path], name: str, data: bytes
    ) -> None:
        """A file that cannot be decoded or parsed gives one error line naming it; the good file still reports."""
        write("good.py", NUMPY_STEP)
        (tmp_path / name).write_bytes(data)
        self._check_one_error_and_good_findings(tmp_path, name)

    def test_unreadable_file_gives_one_error(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A file that cannot be read gives one error line naming it; the good file still reports."""
        write("good.py", NUMPY_STEP)
        locked = write("locked.py", NUMPY_STEP)
        locked.chmod(0)
        try:
            if os.access(locked, os.R_OK):
                pytest.skip("running with privileges that read a mode-000 file")
            message = self._check_one_error_and_good_findings(tmp_path, "locked.py")
            assert "cannot read" in message
        finally:
            locked.chmod(0o644)

    def test_dangling_symlink_in_a_folder_gives_one_error(
        self, tmp_path: Path, write: Callable[[str, str], Path]
    ) -> None:
        """A `.py` link to nothing, found in a folder, gives one error line naming it; the rest is analysed."""
        write("src/good.py", NUMPY_STEP)
        (tmp_path / "src" / "dangling.py").symlink_to(tmp_path / "nowhere.py")
        result = harp(tmp_path, "src")
        assert result.returncode == 1
        errors = error_lines(result.stderr)
        assert len(errors) == 1 and "src/dangling.py" in errors[0] and "cannot read" in errors[0], result.stderr
        assert [(f["path"], f["code"]) for f in findings_in(result.stdout)] == [("src/good.py", "HARP101")]

    @pytest.mark.parametrize(
        ("data", "line"),
        [(b"import numpy as np\nx = 'abc\n", 2), (b"import numpy as np\ndef f(:\n    pass\n", 2)],
    )
    def test_syntax_error_names_the_line_python_reports(
        self, tmp_path: Path, write: Callable[[str, str], Path], data: bytes, line: int
    ) -> None:
        """The error line gives the line where the syntax error is, as Python's compiler does."""
        write("good.py", NUMPY_STEP)
        (tmp_path / "bad.py").write_bytes(data)
        with pytest.raises(SyntaxError) as compiled:
            compile(data, "bad.py", "exec")
        assert compiled.value.lineno == line
        message = self._check_one_error_and_good_findings(tmp_path, "bad.py")
        assert message.startswith(f"error: bad.py:{line}:"), message

    def test_deeply_nested_file_gives_one_error(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A file nested deeper than Python allows gives one error line; it does not crash the run."""
        write("good.py", NUMPY_STEP)
        (tmp_path / "deep.py").write_text("import numpy as np\nx = " + "(" * 20000 + "1" + ")" * 20000 + "\n")
        self._check_one_error_and_good_findings(tmp_path, "deep.py")

    def test_nonexistent_path_is_a_usage_error(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A path that does not exist exits 2 with an error naming it."""
        write("good.py", NUMPY_STEP)
        result = harp(tmp_path, "good.py", "missing.py")
        assert result.returncode == 2
        errors = error_lines(result.stderr)
        assert len(errors) == 1 and "missing.py" in errors[0]


LOOP_CALL = "\ndef f(a, b, n):\n    for i in range(n):\n        c = {call}\n    return c\n"


class TestFactsCommand:
    @pytest.mark.parametrize(
        ("source", "api"),
        [
            ("import numpy as xp\n" + LOOP_CALL.format(call="xp.dot(a, b)"), "numpy.dot"),
            ("import torch as T\n" + LOOP_CALL.format(call="T.matmul(a, b)"), "torch.matmul"),
        ],
    )
    def test_facts_resolve_aliased_imports(
        self, tmp_path: Path, write: Callable[[str, str], Path], source: str, api: str
    ) -> None:
        """`facts FILE` prints loop, control and api facts, resolving the API through its import alias."""
        write("kernel.py", source)
        result = harp(tmp_path, "facts", "kernel.py")
        assert result.returncode == 0, result.stderr
        assert re.search(r"^loop\(\d+\)\.$", result.stdout, re.MULTILINE)
        assert re.search(r"^control\(\d+,\d+\)\.$", result.stdout, re.MULTILINE)
        assert re.search(rf'^api\(\d+,"{re.escape(api)}"\)\.$', result.stdout, re.MULTILINE), result.stdout

    def test_facts_of_a_missing_file_is_an_error(self, tmp_path: Path) -> None:
        """`facts` on a file that does not exist exits 2 naming it."""
        result = harp(tmp_path, "facts", "missing.py")
        assert result.returncode == 2
        assert len(error_lines(result.stderr)) == 1 and "missing.py" in result.stderr

    def test_facts_takes_exactly_one_file(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """`facts` with two files is a usage error."""
        write("a.py", NUMPY_STEP)
        write("b.py", NUMPY_STEP)
        result = harp(tmp_path, "facts", "a.py", "b.py")
        assert (result.returncode, result.stdout) == (2, "")
        assert "usage" in result.stderr


class TestConfiguration:
    def test_pyproject_ignore_silences_findings(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """`ignore = ["HARP101"]` in [tool.harp-refactor] silences HARP101."""
        write("step.py", NUMPY_STEP)
        assert harp(tmp_path, "step.py").returncode == 1
        write("pyproject.toml", '[tool.harp-refactor]\nignore = ["HARP101"]\n')
        result = harp(tmp_path, "step.py")
        assert (result.returncode, findings_in(result.stdout)) == (0, []), result.stderr

    def test_pyproject_in_a_parent_folder_applies(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """The nearest pyproject.toml with the table, above the analysed path, is used."""
        write("pyproject.toml", '[tool.harp-refactor]\nignore = ["HARP101"]\n')
        write("pkg/sub/step.py", NUMPY_STEP)
        result = harp(tmp_path / "pkg", "sub")
        assert (result.returncode, findings_in(result.stdout)) == (0, []), result.stderr

    def test_unknown_key_is_an_error_naming_key_and_file(
        self, tmp_path: Path, write: Callable[[str, str], Path]
    ) -> None:
        """An unknown key exits 2 with one error naming the key and the pyproject.toml."""
        write("step.py", NUMPY_STEP)
        config = write("pyproject.toml", '[tool.harp-refactor]\nignor = ["HARP101"]\n')
        result = harp(tmp_path, "step.py")
        assert (result.returncode, result.stdout) == (2, "")
        errors = error_lines(result.stderr)
        assert len(errors) == 1 and "'ignor'" in errors[0] and str(config) in errors[0], result.stderr

    @pytest.mark.parametrize(
        ("table", "said"),
        [
            ("limit = 2\nlimt = 3", "unknown key 'limt' in [tool.harp-refactor] pull-requests"),
            ("limit = -1", "pull-requests limit must be a whole number"),
            ("limit = true", "pull-requests limit must be a whole number"),
            ("remote = 3", "pull-requests must be a table"),
        ],
    )
    def test_a_bad_pull_requests_table_is_an_error_naming_the_file(
        self, tmp_path: Path, write: Callable[[str, str], Path], table: str, said: str
    ) -> None:
        """`pull-requests` takes limit, remote and base only, each of its type; anything else exits 2."""
        write("step.py", NUMPY_STEP)
        config = write("pyproject.toml", f"[tool.harp-refactor.pull-requests]\n{table}\n")
        result = harp(tmp_path, "step.py")
        assert result.returncode == 2
        [error] = error_lines(result.stderr)
        assert said in error and str(config) in error

    def test_user_rule_file_produces_findings(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A rule file listed in `rules` adds its own findings, selectable by code."""
        write("pyproject.toml", '[tool.harp-refactor]\nrules = ["my.lp"]\n')
        write("my.lp", MATMUL_RULE)
        write("clean.py", NUMPY_CLEAN)
        result = harp(tmp_path, "clean.py")
        assert result.returncode == 1, result.stderr
        assert [(f["line"], f["col"], f["code"], f["message"]) for f in findings_in(result.stdout)] == [
            ("5", "13", "USR001", "matmul in a loop")
        ]
        assert harp(tmp_path, "--ignore", "USR", "clean.py").returncode == 0

    def test_missing_rule_file_is_an_error(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """A `rules` entry naming no file exits 2 naming it."""
        write("pyproject.toml", '[tool.harp-refactor]\nrules = ["nothere.lp"]\n')
        write("clean.py", NUMPY_CLEAN)
        result = harp(tmp_path, "clean.py")
        assert result.returncode == 2 and "nothere.lp" in result.stderr

    def test_explicit_config_option(self, tmp_path: Path, write: Callable[[str, str], Path]) -> None:
        """`--config FILE` reads that file instead of the nearest pyproject.toml."""
        write("step.py", NUMPY_STEP)
        write("other.toml", '[tool.harp-refactor]\nignore = ["HARP101"]\n')
        result = harp(tmp_path, "--config", "other.toml", "step.py")
        assert (result.returncode, findings_in(result.stdout)) == (0, []), result.stderr

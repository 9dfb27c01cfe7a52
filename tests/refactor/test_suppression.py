"""Suppression comments, `per-file-ignores` and `--shard`: in process where the pipeline shows it,
else through the real command line on real files."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from harp_refactor.files import in_shard, python_files, shard_of
from harp_refactor.pipeline import Settings, analyse_file
from harp_refactor.suppression import PerFileIgnores, parse

from .test_cli import NUMPY_STEP, error_lines, findings_in, harp

Write = Callable[[str, str], Path]

# Two loops, each with a loop-invariant norm (HARP101 at 5:13 and 9:13); `{a}` and `{b}`
# are the ends of the two invariant lines, where a comment goes.
TWO_LOOPS = """\
import numpy as np

def f(D, n):
    for _ in range(n):
        s = np.linalg.norm(D) + 1{a}
    return s

def g(D, n):
    for _ in range(n):
        t = np.linalg.norm(D) + 2{b}
    return t
"""
# An element-by-element loop: HARP103, whose span starts on the `for` header (line 5).
ELEMENTWISE = """\
import numpy as np

def f(g, n, lr):
    w = np.zeros(n)
    for i in range(n):{header}
        w[i] = lr * g[i]
    return w
"""


def two_loops(a: str = "", b: str = "") -> str:
    """TWO_LOOPS with comments `a` and `b` at the ends of the invariant lines."""
    return TWO_LOOPS.format(a=a, b=b)


def reported(path: Path, settings: Settings | None = None) -> list[tuple[int, str]]:
    """(line, code) of each finding the pipeline reports for a real file."""
    result = analyse_file(str(path), settings or Settings())
    assert not result.error, result.error
    return [(f.span.line, f.code) for f in result.findings]


class TestParse:
    @pytest.mark.parametrize(
        ("comment", "codes"),
        [
            ("# harp: ignore[HARP101]", ("HARP101",)),
            ("#harp:ignore[HARP101, harp2]", ("HARP101", "HARP2")),
            ("#  HARP :  ignore  [ HARP1 ,]", ("HARP1",)),
            ("# harp: ignore", ("ALL",)),
            ("# type: ignore  # harp: ignore[HARP105]", ("HARP105",)),
            ("# harp: ignore[]", ()),
        ],
    )
    def test_line_comment_forms(self, comment: str, codes: tuple[str, ...]) -> None:
        """Spacing and case are free; no bracket means every code; the marker may follow other text."""
        assert parse(f"x = 1  {comment}\n").by_line == {1: codes}

    @pytest.mark.parametrize(
        "comment", ["# harp: ignored", "# harp: ignore-files", "# harp: ignore[HARP101", "# harpoon: ignore"]
    )
    def test_near_misses_count_for_nothing(self, comment: str) -> None:
        """A longer word or a bracket left open is not a suppression (never one of everything)."""
        assert not parse(f"x = 1  {comment}\n")

    def test_marker_in_a_string_does_not_count(self) -> None:
        """Comments are read by the tokenizer: text inside string literals is not a comment."""
        assert not parse('x = "# harp: ignore"\ny = """\n# harp: ignore-file\n"""\n')

    def test_file_comment_must_stand_on_its_own_line(self) -> None:
        """`ignore-file` counts as a comment line of its own, anywhere in the file, not after code."""
        text = "x = 1  # harp: ignore-file[HARP101]\n\ndef f():\n    # harp: ignore-file[HARP2]\n    pass\n"
        assert (parse(text).whole_file, parse(text).by_line) == (("HARP2",), {})


class TestLineSuppression:
    @pytest.mark.parametrize(
        ("comment", "expected"),
        [
            ("", [(5, "HARP101"), (10, "HARP101")]),
            ("  # harp: ignore[HARP101]", [(10, "HARP101")]),
            ("  # harp: ignore[HARP1]", [(10, "HARP101")]),
            ("  # harp: ignore", [(10, "HARP101")]),
            ("  # harp: ignore[HARP102, HARP2]", [(5, "HARP101"), (10, "HARP101")]),
            ("  # harp: ignore[NOPE999]", [(5, "HARP101"), (10, "HARP101")]),
        ],
    )
    def test_comment_suppresses_findings_starting_on_its_line(
        self, write: Write, comment: str, expected: list[tuple[int, str]]
    ) -> None:
        """A code, a prefix or no bracket suppresses that line's finding; other and unknown codes do not."""
        assert reported(write("m.py", two_loops(a=comment))) == expected

    def test_comment_on_a_compound_statements_header(self, write: Write) -> None:
        """A finding whose span starts on a `for` header is suppressed by a comment on the header."""
        assert reported(write("plain.py", ELEMENTWISE.format(header=""))) == [(5, "HARP103")]
        assert reported(write("quiet.py", ELEMENTWISE.format(header="  # harp: ignore[HARP103]"))) == []

    def test_marker_in_a_string_on_the_line_does_not_suppress(self, write: Write) -> None:
        """`# harp: ignore` inside a string literal on the finding's line is not a comment."""
        path = write("m.py", two_loops(a=' + len("# harp: ignore")'))
        assert reported(path) == [(5, "HARP101"), (10, "HARP101")]


class TestFileSuppression:
    @pytest.mark.parametrize(
        ("comment", "expected"),
        [
            ("# harp: ignore-file[HARP101]", []),
            ("# harp: ignore-file", []),
            ("#harp:ignore-file[HARP2]", [(6, "HARP101"), (11, "HARP101")]),
        ],
    )
    def test_file_comment_suppresses_its_codes_everywhere(
        self, write: Write, comment: str, expected: list[tuple[int, str]]
    ) -> None:
        """A file-level comment line silences its codes (or all) in the whole file."""
        assert reported(write("m.py", f"{comment}\n{two_loops()}")) == expected

    def test_file_comment_after_code_is_only_a_line_comment_of_nothing(self, write: Write) -> None:
        """`ignore-file` trailing code is not a file-level comment."""
        path = write("m.py", two_loops(a="  # harp: ignore-file"))
        assert reported(path) == [(5, "HARP101"), (10, "HARP101")]


class TestFixing:
    def test_apply_does_not_fix_a_suppressed_finding(self, tmp_path: Path, write: Write) -> None:
        """--apply writes the unsuppressed fix and leaves the suppressed line, and JSON omits it."""
        path = write("m.py", two_loops(b="  # harp: ignore[HARP101]"))
        document = json.loads(harp(tmp_path, "m.py", "--format", "json").stdout)
        assert [(f["line"], f["code"]) for f in document["findings"]] == [(5, "HARP101")]
        result = harp(tmp_path, "m.py", "--apply", "--no-verify")
        assert result.returncode == 0, result.stderr
        fixed = path.read_text()
        assert "        t = np.linalg.norm(D) + 2  # harp: ignore[HARP101]\n" in fixed
        hoisted = "    if n > 0:\n        s = np.linalg.norm(D) + 1\n    for _ in range(n):\n        pass\n"
        assert hoisted in fixed, fixed
        assert harp(tmp_path, "m.py").returncode == 0


class TestPerFileIgnores:
    def project(self, write: Write, table: str) -> None:
        """A project with a per-file-ignores table and NUMPY_STEP in tests/, scripts/ and src/."""
        write("pyproject.toml", f"[tool.harp-refactor]\nper-file-ignores = {table}\n")
        for name in ("tests/test_a.py", "scripts/legacy_b.py", "src/c.py"):
            write(name, NUMPY_STEP)

    def reported_files(self, cwd: Path, *args: str) -> list[str]:
        result = harp(cwd, *args)
        assert result.returncode in (0, 1), result.stderr
        return sorted(Path(f["path"]).as_posix() for f in findings_in(result.stdout))

    def test_patterns_remove_codes_for_matching_files(self, tmp_path: Path, write: Write) -> None:
        """A path pattern, a name-only pattern and ALL each remove their codes; no match keeps them."""
        self.project(write, '{"tests/*" = ["HARP101"], "legacy_*.py" = ["ALL"], "src/*" = ["HARP2"]}')
        assert self.reported_files(tmp_path, ".") == ["src/c.py"]

    def test_patterns_are_relative_to_the_pyproject_folder(self, tmp_path: Path, write: Write) -> None:
        """Run from a subfolder, `tests/*` still matches tests/test_a.py (not the current folder)."""
        self.project(write, '{"tests/*" = ["HARP1"]}')
        assert self.reported_files(tmp_path / "tests", "test_a.py") == []
        assert self.reported_files(tmp_path / "src", "c.py") == ["c.py"]

    def test_a_select_does_not_bring_ignored_codes_back(self, tmp_path: Path, write: Write) -> None:
        """An exact --select of the code still loses to the file's per-file-ignores (as in ruff)."""
        self.project(write, '{"tests/*" = ["HARP1"]}')
        assert self.reported_files(tmp_path, "--select", "HARP101", "tests", "src") == ["src/c.py"]

    def test_apply_leaves_ignored_files_alone(self, tmp_path: Path, write: Write) -> None:
        """--apply fixes no finding that per-file-ignores removed."""
        self.project(write, '{"tests/*" = ["HARP101"]}')
        result = harp(tmp_path, "tests", "src", "--apply", "--no-verify")
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "tests/test_a.py").read_text() == (tmp_path / "scripts/legacy_b.py").read_text()
        assert (tmp_path / "src/c.py").read_text() != (tmp_path / "scripts/legacy_b.py").read_text()

    def test_a_changed_table_is_not_answered_from_the_cache(self, tmp_path: Path, write: Write) -> None:
        """The table is part of the cache key: adding it changes the next run's result."""
        write("pyproject.toml", '[tool.harp-refactor]\nselect = ["ALL"]\n')
        write("tests/test_a.py", NUMPY_STEP)
        assert self.reported_files(tmp_path, "tests") == ["tests/test_a.py"]
        write("pyproject.toml", '[tool.harp-refactor]\nper-file-ignores = {"tests/*" = ["HARP101"]}\n')
        assert self.reported_files(tmp_path, "tests") == []

    @pytest.mark.parametrize(
        ("table", "says"),
        [
            ('["HARP101"]', "per-file-ignores must be"),
            ('{"tests/*" = 5}', "per-file-ignores must be"),
            ('{"tests/*" = [1]}', "per-file-ignores must be"),
            ('{"tests/*" = ["NOPE1"]}', "per-file-ignores: unknown code 'NOPE1'"),
        ],
    )
    def test_bad_table_is_a_usage_error_naming_key_and_file(
        self, tmp_path: Path, write: Write, table: str, says: str
    ) -> None:
        """A wrong type or an unknown code exits 2 with one error naming the key and the file."""
        self.project(write, table)
        result = harp(tmp_path, ".")
        assert (result.returncode, result.stdout) == (2, ""), result.stderr
        (error,) = error_lines(result.stderr)
        assert says in error and str(tmp_path / "pyproject.toml") in error, error

    def test_codes_for_a_path(self, tmp_path: Path) -> None:
        """In process: codes of every matching pattern, matched on the relative path or the name."""
        ignores = PerFileIgnores(str(tmp_path), (("tests/*", ("HARP105",)), ("conftest.py", ("HARP1", "HARP105"))))
        assert ignores.codes(str(tmp_path / "tests" / "conftest.py")) == ("HARP105", "HARP1")
        assert ignores.codes(str(tmp_path / "src" / "tests.py")) == ()
        settings = Settings(per_file_ignores=ignores)
        assert pickle.loads(pickle.dumps(settings)) == settings and "tests/*" in repr(settings)


class TestShard:
    NAMES = [f"pkg{k % 3}/sub{k % 2}/mod_{k}.py" for k in range(10)]

    def test_shards_are_disjoint_and_cover_every_file(self, tmp_path: Path, write: Write) -> None:
        """Over --shard 1/3..3/3 every file is reported exactly once."""
        for name in self.NAMES:
            write(name, NUMPY_STEP)
        seen: list[str] = []
        for index in (1, 2, 3):
            result = harp(tmp_path, ".", "--shard", f"{index}/3", "--format", "json", "--no-cache")
            assert result.returncode in (0, 1), result.stderr
            seen += [Path(f["path"]).as_posix() for f in json.loads(result.stdout)["findings"]]
        assert sorted(seen) == sorted(self.NAMES)

    def test_a_files_shard_does_not_depend_on_the_others(self, tmp_path: Path, write: Write) -> None:
        """Removing files moves no other file to another shard; one shard keeps python_files' order."""
        for name in self.NAMES:
            write(name, "")
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(tmp_path)
            everything = list(python_files(["."]))
            shards = {path: shard_of(path, 4) for path in everything}
            assert in_shard(everything, 2, 4) == [p for p in everything if shards[p] == 2]
            for name in self.NAMES[::2]:
                (tmp_path / name).unlink()
            assert {path: shard_of(path, 4) for path in python_files(["."])}.items() <= shards.items()

    @pytest.mark.parametrize("value", ["0/4", "5/4", "x/y", "4", "1/0", "-1/4"])
    def test_bad_shard_is_a_usage_error(self, tmp_path: Path, write: Write, value: str) -> None:
        """A shard outside 1..N or not I/N exits 2 with one line on stderr and nothing on stdout."""
        write("step.py", NUMPY_STEP)
        result = harp(tmp_path, "step.py", f"--shard={value}")
        assert (result.returncode, result.stdout, len(result.stderr.splitlines())) == (2, "", 1), result.stderr
        assert "--shard" in result.stderr

"""Fixture pairs: each `*.in.py` program is rewritten into its `*.out.py`, and both compute the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from harp_refactor.detectors.pattern import Options
from harp_refactor.pipeline import Settings, analyse_text, fix_text
from tests.helpers import ROOT, assert_close, run_program

FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("*/*.in.py"))


def _options(source: str) -> Options:
    """A first line `# harp-options: aggressive speculative` turns those options on."""
    first = source.splitlines()[0]
    words = first.split(":", 1)[1].split() if first.startswith("# harp-options:") else []
    return Options(speculative="speculative" in words, aggressive="aggressive" in words)


def _expected(fixture: Path) -> Path:
    return fixture.with_name(fixture.name.replace(".in.py", ".out.py"))


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{f.parent.name}/{f.name}" for f in FIXTURES])
class TestFixture:
    def test_rewrite_matches_expected_output(self, fixture: Path) -> None:
        """The fix of every finding in the program gives exactly the `.out.py` text."""
        code = fixture.parent.name
        source = fixture.read_text(encoding="utf-8")
        settings = Settings(select=(code,), options=_options(source))
        findings = analyse_text(fixture.name, source, settings)
        assert findings and {f.code for f in findings} == {code}
        fixed, errors = fix_text(fixture.name, source, findings, settings)
        assert errors == []
        assert fixed == _expected(fixture).read_text(encoding="utf-8")

    def test_rewritten_program_computes_the_same(self, fixture: Path) -> None:
        """Running the original and the rewritten program gives the same RESULT (real frameworks)."""
        aggressive = _options(fixture.read_text(encoding="utf-8")).aggressive
        tolerance = {"rtol": 1e-6, "atol": 1e-9} if aggressive else {"rtol": 0.0, "atol": 0.0}
        assert_close(run_program(fixture), run_program(_expected(fixture)), **tolerance)

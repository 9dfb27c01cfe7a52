"""Every pattern's VALID and INVALID examples run as tests."""

from __future__ import annotations

import pytest

from harp_refactor.detectors.pattern import Example, Pattern
from harp_refactor.detectors.patterns import all_patterns
from harp_refactor.pipeline import Settings, analyse_text, fix_text
from tests.helpers import dedent

PATTERNS = all_patterns()
VALID = [(code, i, code_text) for code, p in PATTERNS.items() for i, code_text in enumerate(p.VALID)]
INVALID = [(code, i, example) for code, p in PATTERNS.items() for i, example in enumerate(p.INVALID)]


def _settings(code: str, example: Example | None = None) -> Settings:
    return Settings(select=(code,), options=example.options if example else Settings().options)


class TestPatternRegistry:
    def test_codes_are_unique_and_well_formed(self) -> None:
        """Discovery finds each pattern once, under a HARPnnn code that matches its class."""
        assert PATTERNS, "no pattern discovered"
        for code, pattern in PATTERNS.items():
            assert code == pattern.code
            assert code.startswith("HARP") and len(code) == 7 and code[4:].isdigit()

    @pytest.mark.parametrize("pattern", list(PATTERNS.values()), ids=list(PATTERNS))
    def test_pattern_is_documented_with_examples(self, pattern: type[Pattern]) -> None:
        """Each pattern explains itself and carries valid and invalid examples."""
        assert len(pattern.explanation()) > 100
        assert pattern.VALID and pattern.INVALID
        assert pattern.rule_path().is_file()


@pytest.mark.parametrize(("code", "index", "source"), VALID, ids=[f"{c}-valid-{i}" for c, i, _ in VALID])
def test_valid_example_has_no_finding(code: str, index: int, source: str) -> None:
    """Code that must be left alone gives no finding."""
    findings = analyse_text("example.py", dedent(source), _settings(code))
    assert findings == [], [f.message for f in findings]


@pytest.mark.parametrize(("code", "index", "example"), INVALID, ids=[f"{c}-invalid-{i}" for c, i, _ in INVALID])
def test_invalid_example_is_found_and_fixed(code: str, index: int, example: Example) -> None:
    """Each invalid example gives a finding, and the fix rewrites it exactly as shown."""
    settings = _settings(code, example)
    before = dedent(example.before)
    findings = analyse_text("example.py", before, settings)
    assert findings and all(f.code == code for f in findings)
    fixed, errors = fix_text("example.py", before, findings, settings)
    assert errors == []
    if example.after is None:
        assert not any(f.fixable for f in findings)
        assert all(f.no_fix_reason for f in findings)
        assert fixed == before
    else:
        assert fixed == dedent(example.after)
        compile(fixed, "example.py", "exec")
        assert analyse_text("example.py", fixed, Settings(select=(code,))) == [] or example.options.aggressive

"""The pull-request body: its table, its verification section, and the marker a later run reads."""

from __future__ import annotations

from pathlib import Path

from harp_refactor.assumption import Assumption
from harp_refactor.equivalence.verdict import EQUIVALENT, Verdict
from harp_refactor.finding import Finding, Span
from harp_refactor.pull_request import Change, Marker, body, provenance, read_marker
from harp_refactor.sarif import fingerprints

TEXT = (
    "import numpy as np\n\ndef f(D, n):\n    for _ in range(n):\n"
    "        s = np.linalg.norm(D)  # a | pipe\n    return s\n"
)


def finding(line: int = 5) -> Finding:
    return Finding(
        "HARP101",
        "loop-invariant computation",
        "src/step.py",
        Span(line, 8, line, 29),
        "`s = np.linalg.norm(D)` | is the same in every iteration",
        (Assumption("`np.linalg.norm` is pure", "the knowledge base says so", "knowledge", "nothing"),),
        {"kind": "hoist"},
    )


VERDICT = Verdict(
    EQUIVALENT,
    inputs="captured",
    input_count=3,
    max_abs_err=2e-7,
    rtol=1e-5,
    atol=1e-6,
    time_original_s=0.004,
    time_rewritten_s=0.002,
)


def test_the_body_says_what_changed_how_it_was_verified_and_what_it_assumes(tmp_path: Path) -> None:
    found = finding()
    [fingerprint] = fingerprints([found], {"src/step.py": TEXT}, tmp_path)
    text = body("HARP101", "loop-invariant computation", [Change(found, VERDICT, "src/step.py", fingerprint)])
    assert "| `src/step.py:5` | HARP101 | `s = np.linalg.norm(D)` \\| is the same in every iteration " in text
    assert "| equivalent | 2.00x |" in text
    assert "## How this was verified" in text and "- `src/step.py` (line 5): equivalent (3 captured inputs)" in text
    assert "inputs: 3 argument sets; arguments captured while running the program" in text
    assert "tolerance: rtol 1e-05, atol 1e-06; largest error 2.0e-07" in text
    assert "median times" in text
    assert "- `np.linalg.norm` is pure (the knowledge base says so); to check: nothing" in text
    assert read_marker(text) == Marker(frozenset({fingerprint}), frozenset({"src/step.py"}))


def test_fingerprints_survive_moved_lines_and_tell_equal_findings_apart(tmp_path: Path) -> None:
    moved = "\n\n" + TEXT
    first = fingerprints([finding(5)], {"src/step.py": TEXT}, tmp_path)
    again = fingerprints([finding(7)], {"src/step.py": moved}, tmp_path)
    assert first == again
    twice = fingerprints([finding(5), finding(5)], {"src/step.py": TEXT}, tmp_path)
    assert len(set(twice)) == 2


def test_a_body_without_a_marker_has_no_fingerprints() -> None:
    assert read_marker("a pull request someone else opened") == Marker()
    assert read_marker("<!-- harp-refactor {not json} -->") == Marker()
    assert read_marker('<!-- harp-refactor {"fingerprints": 3} -->') == Marker()


def test_fixes_verified_together_share_one_entry_and_program_runs_say_so(tmp_path: Path) -> None:
    """Two fixes of one file verified as one patch are one verification entry naming both lines."""
    first, second = finding(5), finding(9)
    program = Verdict(EQUIVALENT, inputs="program run: train.py --steps 2", max_abs_err=0.0, max_rel_err=0.0, atol=1e-6)
    changes = [Change(first, program, "src/step.py", "a:1"), Change(second, program, "src/step.py", "a:2")]
    text = body("HARP101", "loop-invariant computation", changes)
    assert text.count("- `src/step.py` (lines 5, 9): equivalent (program run: train.py --steps 2)") == 1
    assert "inputs: the whole program (program run: train.py --steps 2): every call of the file's functions" in text
    assert "largest error 0.0e+00 (relative 0.0e+00)" in text


def test_provenance_names_each_kind_of_input_once() -> None:
    """`declared+generated` reads as the count, then where each kind came from, then the evidence."""
    verdict = Verdict(
        EQUIVALENT,
        inputs="declared+generated",
        input_count=5,
        coverage="changed code ran (rewritten line 4)",
        variant_check="1 of 1 wrong variant told apart",
    )
    assert provenance(verdict) == (
        "5 argument sets; declared samples (`samples` in [tool.harp-refactor]); "
        "generated from the function's signature and body, in many dtypes, shapes and edge cases; "
        "changed code ran (rewritten line 4); 1 of 1 wrong variant told apart"
    )

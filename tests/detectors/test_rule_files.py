"""The built-in rule files are grounded together, once per module (pipeline.find_with_skips).

That is only the same as solving each file on its own when no file defines a predicate that
another defines or reads: these tests keep it so.
"""

from __future__ import annotations

from pathlib import Path

import clingo.ast as asp
import pytest

from harp_refactor.detectors.solver import COMMON_RULES

PATTERNS_DIR = COMMON_RULES[0].parent
RULE_FILES = sorted(PATTERNS_DIR.glob("*.lp"))
PATTERN_FILES = [path for path in RULE_FILES if path not in COMMON_RULES]

Signature = tuple[str, int]


def _atoms(node: asp.AST, into: set[Signature]) -> None:
    if node.ast_type == asp.ASTType.SymbolicAtom:
        term = node.symbol
        if term.ast_type == asp.ASTType.Function:
            into.add((term.name, len(term.arguments)))
        elif term.ast_type == asp.ASTType.SymbolicTerm:
            into.add((str(term.symbol), 0))
        return
    for key in node.child_keys:
        child = getattr(node, key)
        for item in child if isinstance(child, (list, tuple, asp.ASTSequence)) else [child]:
            if isinstance(item, asp.AST):
                _atoms(item, into)


def predicates(path: Path) -> tuple[set[Signature], set[Signature]]:
    """The predicates a rule file defines (rule heads) and those it reads (rule bodies)."""
    defined: set[Signature] = set()
    read: set[Signature] = set()

    def rule(statement: asp.AST) -> None:
        if statement.ast_type == asp.ASTType.Rule:
            _atoms(statement.head, defined)
            for literal in statement.body:
                _atoms(literal, read)

    asp.parse_files([str(path)], rule)
    return defined, read


def test_the_parser_sees_rules() -> None:
    defined, read = predicates(PATTERNS_DIR / "harp101.lp")
    assert ("hoistable", 2) in defined and ("expr_in_loop", 2) in read


@pytest.mark.parametrize("first", RULE_FILES, ids=lambda path: path.name)
def test_no_other_rule_file_defines_what_a_file_defines_or_reads(first: Path) -> None:
    defined, read = predicates(first)
    for other in RULE_FILES:
        if other == first:
            continue
        other_defined, _ = predicates(other)
        assert not defined & other_defined, f"{first.name} and {other.name} both define {defined & other_defined}"
        if other in PATTERN_FILES:
            borrowed = (read - defined) & other_defined
            assert not borrowed, f"{first.name} reads {borrowed}, which only {other.name} defines"

"""positions.py takes statement starts from CPython's tree instead of libCST's position pass:
they must be the very positions libCST reports, or findings point at the wrong lines."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from harp_refactor.detectors import source
from harp_refactor.detectors.facts import extract
from harp_refactor.detectors.positions import Positions
from harp_refactor.finding import Span
from tests.helpers import ROOT

TRICKY = {
    "compound statements": """
        import torch
        @decorator
        @other(1)
        def f(x):  # comment
            a = 1; b = 2
            if a:  c = 3
            elif b: pass
            else:
                # a comment before the body
                d = 4
            for i in range(3): e = 5
            else: g = 6
            while x:
                pass

            else:

                pass
            try:
                pass
            except (ValueError, TypeError) as error:
                pass
            except Exception:
                pass
            else:
                pass
            finally:
                pass
            with open("f") as h, open("g"):
                pass
            async def inner():
                async for k in y:
                    pass
                async with z:
                    pass
            match x:
                case 1:
                    pass
                case _:
                    pass
            class C:
                x = 1
        """,
    "non-ASCII text before a statement": "s = 'é€'; t = 1\nu = '😀' ; v = 2\n",
    "form feeds and CRLF": "a = 1\r\n\x0c\r\nb = 2\r\nif a:\r\n    c = 3\r\nelse :\r\n    d = 4\r\n",
    "a line continuation": "x = (1 +\n     2); y = 3\nz = \\\n    4\n",
    "try-star": "try:\n    pass\nexcept* ValueError:\n    pass\n",
}


def _statement_nodes(module: cst.Module) -> dict[cst.CSTNode, tuple[int, int]]:
    spans = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {node: (where.start.line, where.start.column) for node, where in spans.items()}


def _check(text: str) -> int:
    parsed = source.parse("example.py", text)
    positions = Positions(parsed.module, parsed.tree, parsed.text)
    expected = _statement_nodes(parsed.module)
    starts = positions._starts
    for node, start in starts.items():
        assert start == expected[node], f"{type(node).__name__}: {start} != {expected[node]}"
    return len(starts)


@pytest.mark.parametrize("name", TRICKY)
def test_statement_starts_are_libcsts(name: str) -> None:
    assert _check(dedent(TRICKY[name]).lstrip("\n") if "\r" not in TRICKY[name] else TRICKY[name]) > 1


def test_every_statement_kind_is_located() -> None:
    parsed = source.parse("example.py", dedent(TRICKY["compound statements"]).lstrip("\n"))
    starts = Positions(parsed.module, parsed.tree, parsed.text)._starts
    kinds = {type(node).__name__ for node in starts}
    expected = "FunctionDef If Else For While Try ExceptHandler With Match ClassDef Assign Pass SimpleStatementSuite"
    assert set(expected.split()) <= kinds


def test_the_projects_own_files() -> None:
    files = [*ROOT.glob("detectors/*.py"), *ROOT.glob("examples/*/*.py"), *ROOT.glob("tests/**/*.py")]
    assert sum(_check(Path(path).read_text(encoding="utf-8")) for path in files) > 5000


def test_without_cpythons_tree_every_position_comes_from_libcst() -> None:
    text = "import numpy as np\nfor i in range(3):\n    y = np.ones(3)\n"
    with_tree = extract(source.parse("a.py", text).module, tree=source.parse("a.py", text).tree, text=text)
    without = extract(cst.parse_module(text))
    assert with_tree.atoms == without.atoms
    assert [ref.span for ref in with_tree.nodes.values()] == [ref.span for ref in without.nodes.values()]
    assert Span(3, 4, 3, 18) in [ref.span for ref in without.nodes.values()]  # `y = np.ones(3)`


@pytest.mark.parametrize("name", TRICKY)
def test_spans_of_fact_nodes_are_libcsts(name: str) -> None:
    """Spans computed one module-level statement at a time equal the whole module's."""
    text = TRICKY[name] if "\r" in TRICKY[name] else dedent(TRICKY[name]).lstrip("\n")
    _check_spans("# a header comment\n\n" + text)


def test_spans_of_fact_nodes_in_the_projects_files() -> None:
    for path in [*ROOT.glob("examples/*/*.py"), *ROOT.glob("detectors/patterns/harp10*_examples.py")]:
        _check_spans(Path(path).read_text(encoding="utf-8"))


def _check_spans(text: str) -> None:
    parsed = source.parse("example.py", text)
    facts = extract(parsed.module, tree=parsed.tree, text=parsed.text)
    spans = MetadataWrapper(parsed.module, unsafe_skip_copy=True).resolve(PositionProvider)
    # nodes inside module-level statements first: later, the module's own span computes all
    refs = sorted(facts.nodes.values(), key=lambda ref: ref.within is None)
    assert refs[0].within is not None
    for ref in refs:
        assert ref.within is None or ref.positions._spans is None
        where = spans[ref.node]
        assert ref.span == Span(where.start.line, where.start.column, where.end.line, where.end.column), ref.kind

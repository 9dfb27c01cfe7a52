"""Where the nodes of a module are, cheaply.

libCST's PositionProvider generates the code of the whole module to find every node's span:
that was most of the fact extraction's time.  The facts need only where statements start
(`line` facts, reads before a definition); CPython's syntax tree, which parsing builds anyway
to check the syntax, gives that for free.  Full spans are computed on the first request (for
a finding, a skipped candidate, the `facts` listing), once per module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from harp_refactor.finding import Span

_ELSE = re.compile(r"\s*else\s*:")
# the line breaks of Python's tokenizer (str.splitlines also splits at form feeds and more)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_TRY = (ast.Try, getattr(ast, "TryStar", ast.Try))


class _Mismatch(Exception):
    """The two syntax trees disagree on a block's statements: fall back to libCST's spans."""


class Positions:
    """Statement starts from CPython's tree; every span from libCST, when first needed."""

    def __init__(self, module: cst.Module, tree: ast.Module | None = None, text: str = "") -> None:
        self.module = module
        self._spans: Mapping[cst.CSTNode, CodeRange] | None = None
        self._locals: dict[cst.CSTNode, tuple[Mapping[cst.CSTNode, CodeRange], int]] = {}
        self._starts: dict[cst.CSTNode, tuple[int, int]] = {}
        if tree is not None:
            try:
                _Starts(self._starts, _LINE_BREAK.split(text)).block(module.body, tree.body)
            except _Mismatch:
                self._starts = {}

    def start(self, node: cst.CSTNode) -> tuple[int, int]:
        """(line, column) where a statement (or any node) starts; columns count characters from 0."""
        known = self._starts.get(node)
        if known is not None:
            return known
        span = self.span(node)
        return span.line, span.col

    def span(self, node: cst.CSTNode, within: cst.CSTNode | None = None) -> Span:
        """The node's span.  `within`, the module-level statement that holds the node, lets
        libCST generate only that statement's code rather than the whole module's."""
        local = self._local(within) if within is not None and self._spans is None else None
        if local is not None:
            spans, offset = local
        else:
            spans, offset = self._all(), 0
        where = spans[node]
        return Span(where.start.line + offset, where.start.column, where.end.line + offset, where.end.column)

    def _all(self) -> Mapping[cst.CSTNode, CodeRange]:
        if self._spans is None:
            self._spans = _positions(self.module)
        return self._spans

    def _local(self, statement: cst.CSTNode) -> tuple[Mapping[cst.CSTNode, CodeRange], int] | None:
        """Spans within one module-level statement, and the lines to add to them: the
        statement's code is the same alone as in the module, only its first line moves."""
        cached = self._locals.get(statement)
        if cached is None:
            anchor = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) else statement
            if anchor not in self._starts:
                return None
            alone = self.module.with_changes(body=[statement], header=(), footer=())
            spans = _positions(alone)
            cached = self._locals[statement] = (spans, self._starts[anchor][0] - spans[anchor].start.line)
        return cached


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    # `MetadataWrapper.resolve` would also run an empty batch of providers: one more walk of
    # libCST's rebuilding visitor, as long as the codegen itself.
    return cast(
        Mapping[cst.CSTNode, CodeRange], PositionProvider()._gen(MetadataWrapper(module, unsafe_skip_copy=True))
    )


class _Starts:
    """Pair each libCST statement with CPython's and record where it starts."""

    def __init__(self, starts: dict[cst.CSTNode, tuple[int, int]], lines: Sequence[str]) -> None:
        self.starts = starts
        self.lines = lines

    def at(self, node: cst.CSTNode, statement: ast.stmt | ast.excepthandler) -> None:
        # CPython counts columns in UTF-8 bytes, libCST in characters
        line = self.lines[statement.lineno - 1] if statement.lineno <= len(self.lines) else ""
        column = statement.col_offset
        if not line.isascii():
            column = len(line.encode("utf-8")[:column].decode("utf-8", "replace"))
        self.starts[node] = (statement.lineno, column)

    def block(self, body: Sequence[cst.CSTNode], statements: Sequence[ast.stmt]) -> None:
        flat: list[cst.CSTNode] = []
        for node in body:
            flat.extend(node.body if isinstance(node, cst.SimpleStatementLine) else [node])
        if len(flat) != len(statements):
            raise _Mismatch
        for node, statement in zip(flat, statements, strict=True):
            self.at(node, statement)
            self.compound(node, statement)

    def suite(self, suite: cst.BaseSuite, statements: Sequence[ast.stmt]) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body, statements)
        elif isinstance(suite, cst.SimpleStatementSuite):
            if len(suite.body) != len(statements):
                raise _Mismatch
            self.at(suite, statements[0])
            for node, statement in zip(suite.body, statements, strict=True):
                self.at(node, statement)

    def orelse(self, node: cst.Else | None, statements: Sequence[ast.stmt]) -> None:
        if node is None:
            if statements:
                raise _Mismatch
            return
        if not statements:
            raise _Mismatch
        self.suite(node.body, statements)
        # `else:` has no node in CPython's tree: it is the last line before its body that starts so
        first = statements[0].lineno
        for number in range(first, 0, -1):
            text = self.lines[number - 1]
            if _ELSE.match(text):
                self.starts[node] = (number, len(text) - len(text.lstrip()))
                return
        raise _Mismatch

    def compound(self, node: cst.CSTNode, statement: ast.stmt) -> None:
        if isinstance(node, cst.If) and isinstance(statement, ast.If):
            self.suite(node.body, statement.body)
            if isinstance(node.orelse, cst.If):
                if len(statement.orelse) != 1:
                    raise _Mismatch
                self.at(node.orelse, statement.orelse[0])
                self.compound(node.orelse, statement.orelse[0])
            else:
                self.orelse(node.orelse, statement.orelse)
        elif isinstance(node, cst.For) and isinstance(statement, (ast.For, ast.AsyncFor)):
            self.suite(node.body, statement.body)
            self.orelse(node.orelse, statement.orelse)
        elif isinstance(node, cst.While) and isinstance(statement, ast.While):
            self.suite(node.body, statement.body)
            self.orelse(node.orelse, statement.orelse)
        elif isinstance(node, (cst.Try, cst.TryStar)) and isinstance(statement, _TRY):
            self.suite(node.body, statement.body)
            if len(node.handlers) != len(statement.handlers):
                raise _Mismatch
            handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = node.handlers
            for handler, caught in zip(handlers, statement.handlers, strict=True):
                self.at(handler, caught)
                self.suite(handler.body, caught.body)
            self.orelse(node.orelse, statement.orelse)
            if node.finalbody is not None:
                self.suite(node.finalbody.body, statement.finalbody)
        elif isinstance(node, cst.With) and isinstance(statement, (ast.With, ast.AsyncWith)):
            self.suite(node.body, statement.body)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)) and isinstance(
            statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            self.suite(node.body, statement.body)
        elif isinstance(node, cst.Match) and isinstance(statement, ast.Match):
            if len(node.cases) != len(statement.cases):
                raise _Mismatch
            for case, matched in zip(node.cases, statement.cases, strict=True):
                self.suite(case.body, matched.body)
        elif isinstance(node, cst.BaseCompoundStatement) or isinstance(
            statement, (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.FunctionDef, ast.ClassDef)
        ):
            raise _Mismatch

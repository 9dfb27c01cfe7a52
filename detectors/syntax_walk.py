"""Walk libCST trees without rebuilding them.

libCST's `node.visit(visitor)` and `node.children` rebuild every node they pass (the same
machinery serves transformers); the fact extractor walks each function more than once, and
that rebuilding was most of its time on large trees.  These walks read the nodes' fields and
skip the tokens between them (whitespace, commas, brackets), which no analysis looks at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from functools import cache

import libcst as cst

_TOKENS = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Comma,
    cst.Colon,
    cst.Semicolon,
    cst.Dot,
    cst.AssignEqual,
)


@cache
def _fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(kind))


_IS_CHILD: dict[type, bool] = {}


def _is_child(kind: type) -> bool:
    """A node worth walking into?  (Cached per type: `isinstance` on libCST's abstract
    classes is slow, and this runs for every field of every node.)"""
    known = _IS_CHILD.get(kind)
    if known is None:
        known = _IS_CHILD[kind] = issubclass(kind, cst.CSTNode) and not issubclass(kind, _TOKENS)
    return known


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The node's child nodes in field order (source order but for `b if a else c`), tokens left out."""
    for name in _fields(type(node)):
        value = getattr(node, name)
        if type(value) in (tuple, list):
            for item in value:
                if _is_child(type(item)):
                    yield item
        elif _is_child(type(value)):
            yield value


def walk(node: cst.CSTNode, kind: type[cst.CSTNode] | tuple[type[cst.CSTNode], ...]) -> Iterator[cst.CSTNode]:
    """Every node of `kind` in the tree under `node` (itself included), parents first."""
    if isinstance(node, kind):
        yield node
    for child in children(node):
        yield from walk(child, kind)


def visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """Call the visitor's `visit_<Type>` methods over the tree, parents first, like
    `node.visit(visitor)`; a method that returns False keeps the walk out of that node's
    children.  `leave_` methods are not called."""
    method = getattr(visitor, f"visit_{type(node).__name__}", None)
    if method is not None and method(node) is False:
        return
    for child in children(node):
        visit(child, visitor)

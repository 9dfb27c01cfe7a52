"""The base class of a transform, and its discovery by pattern code."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Sequence
from functools import cache
from typing import ClassVar, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from harp_refactor.errors import HarpError
from harp_refactor.finding import Finding, Span

NodeT = TypeVar("NodeT", bound=cst.CSTNode)


class TransformError(HarpError, RuntimeError):
    """A transform could not rewrite a finding safely; the finding stays a suggestion."""


class Transform:
    """Rewrites the source text of one file for the findings whose fix kinds it handles.

    Fixes are keyed by kind, not by pattern code, so patterns share rewrites: HARP101 and
    HARP201 both hoist, and HARP101's session fix lives beside the hoisting it extends.
    """

    kinds: ClassVar[tuple[str, ...]]
    # Finds its target by name, not by span, so it still works after other fixes moved lines.
    by_name: ClassVar[bool] = False

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        raise NotImplementedError


def first_at_span(module: cst.Module, kind: type[NodeT] | tuple[type[NodeT], ...]) -> dict[Span, NodeT]:
    """The outermost node of `kind` at each span (a positional `Arg` and its value share one)."""
    found: dict[Span, NodeT] = {}
    for span, node in located(module):
        if isinstance(node, kind):
            found.setdefault(span, node)
    return found


def located(module: cst.Module) -> Iterator[tuple[Span, cst.CSTNode]]:
    """Every node of `module` itself (not a copy) with its span, as the facts report spans."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    for node, where in wrapper.resolve(PositionProvider).items():
        yield Span(where.start.line, where.start.column, where.end.line, where.end.column), node


@cache
def transforms() -> dict[str, Transform]:
    """Every Transform subclass in this package (one instance each), keyed by each fix kind it handles."""
    from .. import transforms as package

    found: dict[str, Transform] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Transform) and value is not Transform:
                instance = value()
                for kind in value.kinds:
                    if kind in found:
                        raise RuntimeError(f"fix kind {kind!r} has two transforms")
                    found[kind] = instance
    return found

"""The base class of a transform, and its discovery by pattern code."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache
from typing import ClassVar

from harp_refactor.errors import HarpError
from harp_refactor.finding import Finding


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

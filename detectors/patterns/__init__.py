"""Pattern discovery: every `Pattern` subclass in this package, keyed by code."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..pattern import Pattern


@cache
def all_patterns() -> dict[str, type[Pattern]]:
    """Import each module of this package once and collect its patterns by code."""
    found: dict[str, type[Pattern]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Pattern) and value.__module__ == module.__name__:
                if value.code in found and found[value.code] is not value:
                    raise RuntimeError(f"pattern code {value.code} is defined twice")
                found[value.code] = value
    return dict(sorted(found.items()))

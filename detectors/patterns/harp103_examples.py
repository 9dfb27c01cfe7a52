"""Examples for HARP103."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = ()
INVALID: tuple[Example, ...] = ()

"""Examples for HARP104."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = ()
INVALID: tuple[Example, ...] = ()

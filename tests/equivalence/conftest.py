"""The `outcomes` fixture: each test module's harness cases, run up front in a shared pool."""

from __future__ import annotations

from .cases import outcomes

__all__ = ["outcomes"]

"""`Assumption`: one speculation a finding rests on, shown with it in every output."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Assumption:
    """What was assumed, why it was assumed, and how a person can check it."""

    what: str
    why: str
    pattern: str
    check: str = ""

    def as_json(self) -> dict[str, str]:
        return {"what": self.what, "why": self.why, "pattern": self.pattern, "check": self.check}

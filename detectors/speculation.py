"""The speculations a finding may rest on (HARP's, and this tool's flags), in the words a
person reads them: one wording for every pattern that relies on them."""

from __future__ import annotations

from harp_refactor.assumption import Assumption

from .solver import Answer

SPECULATION = {
    "tensor_type": "HARP speculation 2: a value used with tensor-only members is a tensor",
    "attribute_read": "HARP speculation 1: reading an attribute has no side effect",
    "pure_function": "--speculative: a function we cannot see into is taken to be pure",
    "untouched_by_call": "HARP speculation 1: a call of unknown effect changes only what it is given",
    "reassociation": "--aggressive rewrites the product by distributivity and associativity",
    "io_only": "HARP speculation 5: I/O is logging or data loading with no other effect",
    "sized_iterable": "the guard `len(xs) > 0` holds exactly when `for x in xs` runs",
}


def tensor_reasons(answer: Answer) -> dict[str, str]:
    """Variable name (without its function) → why it is taken to be a tensor: the first
    `spec_tensor` reason (a pattern must show `spec_tensor`)."""
    reasons: dict[str, str] = {}
    for var, why in answer("spec_tensor"):
        reasons.setdefault(str(var).rsplit(".", 1)[-1], str(why))
    return reasons


def tensor_type(var: str, reasons: dict[str, str]) -> Assumption:
    """The assumption that `var` holds a tensor or array, with the evidence for it."""
    why = f"{SPECULATION['tensor_type']} ({reasons.get(var, '')})"
    return Assumption(f"`{var}` is a tensor or array", why, "tensor_type", f"check the type of `{var}`")

"""Readable, collision-free names for the temporaries a transform introduces."""

from __future__ import annotations

import keyword
import re

import libcst as cst

_MAX_LENGTH = 24


def names_in(node: cst.CSTNode) -> set[str]:
    """Every identifier under `node`; for a module, what a new name must avoid."""
    found: set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Collector())
    return found


def hint_for(node: cst.BaseExpression) -> str:
    """A name that says what the expression computes: `D @ X` → `D_X`, `np.exp(W)` → `exp_W`."""
    words: list[str] = []

    def walk(expr: cst.CSTNode) -> None:
        if isinstance(expr, cst.Name):
            words.append(expr.value)
        elif isinstance(expr, cst.Attribute):
            walk(expr.value)
            words.append(expr.attr.value)
        elif isinstance(expr, cst.Call):
            func = expr.func
            words.append(func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "call"))
            for arg in expr.args[:2]:
                if arg.keyword is None:
                    walk(arg.value)
        elif isinstance(expr, cst.BinaryOperation):
            walk(expr.left)
            walk(expr.right)
        elif isinstance(expr, cst.UnaryOperation):
            walk(expr.expression)
        elif isinstance(expr, cst.Subscript):
            walk(expr.value)

    walk(node)
    text = re.sub(r"\W+", "_", "_".join(w for w in words if isinstance(w, str)))[:_MAX_LENGTH].strip("_")
    if not text or text[0].isdigit() or keyword.iskeyword(text):
        text = f"hoisted_{text}".strip("_")
    return text


def fresh(hint: str, taken: set[str]) -> str:
    """`hint`, or `hint_1`, `hint_2` ...: the first that collides with nothing; reserves it."""
    name, counter = hint, 0
    while name in taken or keyword.iskeyword(name):
        counter += 1
        name = f"{hint}_{counter}"
    taken.add(name)
    return name

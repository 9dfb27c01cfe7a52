"""Names in libCST trees: the ones a block reads or binds, what a module imports a framework
as, and readable, collision-free names for the temporaries a transform introduces."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator

import libcst as cst
from libcst.helpers import get_full_name_for_node

_MAX_LENGTH = 24


def names_in(node: cst.CSTNode) -> set[str]:
    """Every identifier under `node`; for a module, what a new name must avoid."""
    found: set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(Collector())
    return found


def bound_in(node: cst.CSTNode) -> set[str]:
    """Names `node` binds anywhere (conservatively: every name in a store position)."""
    found: set[str] = set()

    class Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            found.update(names_in(target))

        def visit_AugAssign(self, target: cst.AugAssign) -> None:
            found.update(names_in(target.target))

        def visit_AnnAssign(self, target: cst.AnnAssign) -> None:
            found.update(names_in(target.target))

        def visit_NamedExpr(self, target: cst.NamedExpr) -> None:
            found.update(names_in(target.target))

        def visit_For(self, target: cst.For) -> None:
            found.update(names_in(target.target))

        def visit_AsName(self, target: cst.AsName) -> None:
            found.update(names_in(target.name))

    node.visit(Targets())
    return found


def module_imports(module: cst.Module) -> Iterator[tuple[str, str | None]]:
    """Each module-level `import A.B as c`, as ("A.B", "c") (None without `as`)."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    asname = alias.asname.name if alias.asname else None
                    name = get_full_name_for_node(alias.name) or ""
                    yield name, asname.value if isinstance(asname, cst.Name) else None


def torch_alias(module: cst.Module) -> str | None:
    """The name a module-level `import torch` binds (`import torch as th` → `th`;
    `import torch.nn` binds `torch` too), or None when there is no such import."""
    for name, asname in module_imports(module):
        if asname is None and (name == "torch" or name.startswith("torch.")):
            return "torch"
        if name == "torch" and asname is not None:
            return asname
    return None


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

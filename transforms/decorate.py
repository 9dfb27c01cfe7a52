"""HARP203's codemod: decorate a function with `@tf.function`, through the module's own TF import."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError
from .names import module_imports

_TENSORFLOW_MODULES = frozenset({"tensorflow", "tensorflow.compat.v1", "tensorflow.compat.v2"})


def tensorflow_alias(module: cst.Module) -> str:
    """The name the module imports TensorFlow as (`import tensorflow as tf` → `tf`, and
    `import tensorflow.compat.v1 as tf` → `tf`: TF1 code wants its own API's functions)."""
    for name, asname in module_imports(module):
        if name in _TENSORFLOW_MODULES:
            return asname or name
    raise TransformError("the module does not `import tensorflow`; add the decorator by hand")


class DecorateWithTfFunction(Transform):
    """Add `@tf.function` to the functions the findings name."""

    kinds = ("decorate",)
    by_name = True

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        names = {f.fix["function"] for f in findings}
        decorator = cst.Decorator(cst.parse_expression(f"{tensorflow_alias(module)}.function"))
        found: set[str] = set()

        class Decorate(cst.CSTTransformer):
            """Walks the module and class bodies, naming functions by their qualified names."""

            def __init__(self) -> None:
                self.path: list[str] = []

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.path.append(node.name.value)

            def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
                self.path.pop()
                return updated

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.path.append(node.name.value)

            def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
                name = ".".join(self.path)
                self.path.pop()
                if name in names:
                    found.add(name)
                    return updated.with_changes(decorators=[*updated.decorators, decorator])
                return updated

        rewritten = module.visit(Decorate()).code
        if found != names:
            raise TransformError(
                f"no function {', '.join(sorted(names - found))}: the file changed since it was analysed"
            )
        return rewritten

"""HARP203's codemod: decorate a function with `@tf.function`, through the module's own TF import."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import MetadataWrapper, PositionProvider

from harp_refactor.finding import Finding, Span

from .base import Transform, TransformError


def tensorflow_alias(module: cst.Module) -> str:
    """The name the module imports TensorFlow as (`import tensorflow as tf` → `tf`)."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if get_full_name_for_node(alias.name) == "tensorflow":
                        asname = alias.asname.name if alias.asname else None
                        return asname.value if isinstance(asname, cst.Name) else "tensorflow"
    raise TransformError("the module does not `import tensorflow`; add the decorator by hand")


class DecorateWithTfFunction(Transform):
    """Add `@tf.function` to the functions the findings name."""

    kinds = ("decorate",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        spans = {f.fix["function"] for f in findings}
        targets = set()
        for node, where in wrapper.resolve(PositionProvider).items():
            span = Span(where.start.line, where.start.column, where.end.line, where.end.column)
            if isinstance(node, cst.FunctionDef) and span in spans:
                targets.add(node)
        if len(targets) != len(spans):
            raise TransformError("a function to decorate is not where it was: the file changed since it was analysed")
        decorator = cst.Decorator(cst.parse_expression(f"{tensorflow_alias(module)}.function"))

        class Decorate(cst.CSTTransformer):
            def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
                if original in targets:
                    return updated.with_changes(decorators=[*updated.decorators, decorator])
                return updated

        return wrapper.module.visit(Decorate()).code

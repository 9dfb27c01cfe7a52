"""Swap a call's callee for its TensorFlow counterpart: `print` → `tf.print`."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, located
from .decorate import tensorflow_alias

_REPLACEMENT = {"tf_print": "print"}


class UseTensorFlowCallee(Transform):
    """HARP204's `tf.print`: it runs on every call of the graph, `print` only while tracing."""

    kinds = tuple(_REPLACEMENT)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        wanted = {f.fix["call"]: _REPLACEMENT[f.fix["kind"]] for f in findings}
        targets: dict[cst.CSTNode, str] = {}
        for span, node in located(module):
            if isinstance(node, cst.Call) and span in wanted and isinstance(node.func, cst.Name):
                targets[node] = wanted[span]
        if len(targets) != len(wanted):
            raise TransformError("a call to rewrite is not where it was: the file changed since it was analysed")
        alias = tensorflow_alias(module)

        class Swap(cst.CSTTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
                if original in targets:
                    return updated.with_changes(func=cst.Attribute(cst.Name(alias), cst.Name(targets[original])))
                return updated

        return module.visit(Swap()).code

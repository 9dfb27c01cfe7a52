"""Swap a call's callee for its TensorFlow counterpart: `print` → `tf.print`."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span
from .decorate import tensorflow_alias

_REPLACEMENT = {"tf_print": "print"}


class UseTensorFlowCallee(Transform):
    """HARP204's `tf.print`: it runs on every call of the graph, `print` only while tracing."""

    kinds = tuple(_REPLACEMENT)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        wanted = {f.fix["call"]: _REPLACEMENT[f.fix["kind"]] for f in findings}
        calls = first_at_span(module, cst.Call)
        targets = {calls[s]: name for s, name in wanted.items() if s in calls and isinstance(calls[s].func, cst.Name)}
        if len(targets) != len(wanted):
            raise TransformError("a call to rewrite is not where it was: the file changed since it was analysed")
        alias = tensorflow_alias(module)

        class Swap(cst.CSTTransformer):
            def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
                if original in targets:
                    return updated.with_changes(func=cst.Attribute(cst.Name(alias), cst.Name(targets[original])))
                return updated

        return module.visit(Swap()).code

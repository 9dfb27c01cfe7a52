"""HARP204's retracing fix: pass a Python number to a `@tf.function` as a tensor."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span
from .decorate import tensorflow_alias


class PassAsTensor(Transform):
    """`step(x, epoch)` → `step(x, tf.constant(epoch))`: a tf.function traces once per distinct
    Python value but once per dtype and shape of a tensor, so a changing loop counter passed
    as a tensor stops retracing. `dtype=tf.float32` where the function does arithmetic."""

    kinds = ("tensor_argument",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        wanted = {f.fix["argument"]: f.fix["dtype"] for f in findings}
        at = first_at_span(module, cst.BaseExpression)
        targets = {at[span]: dtype for span, dtype in wanted.items() if span in at}
        if len(targets) != len(wanted):
            raise TransformError("an argument to rewrite is not where it was: the file changed since it was analysed")
        alias = tensorflow_alias(module)

        class Wrap(cst.CSTTransformer):
            def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
                if original.value not in targets:
                    return updated
                dtype = targets[original.value]
                keyword = f", dtype={alias}.{dtype}" if dtype else ""
                constant = cst.parse_expression(f"{alias}.constant(__value__{keyword})")
                value = cst.ensure_type(constant, cst.Call)
                args = [value.args[0].with_changes(value=updated.value), *value.args[1:]]
                return updated.with_changes(value=value.with_changes(args=args))

        return module.visit(Wrap()).code

"""HARP202's codemod: a Python `for t in range(...)` loop that unrolls graph construction
becomes `tf.while_loop`, so the graph holds one copy of the body instead of one per step."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span
from .decorate import tensorflow_alias
from .names import fresh, names_in


class GraphWhileLoop(Transform):
    """Rewrite

        for t in range(START, STOP):
            h = cell(x[:, t], h)

    as a body function returning the next counter and the carried tensors, and one
    `h = tf.while_loop(lambda t, h: t < STOP, body, (START, h))[1]`. The findings say
    which variables are carried; the body is moved unchanged.
    """

    kinds = ("while_loop",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        wanted = {f.fix["loop"]: tuple(f.fix["carried"]) for f in findings}
        at = first_at_span(module, cst.For)
        loops = {at[span]: carried for span, carried in wanted.items() if span in at}
        if len(loops) != len(wanted):
            raise TransformError("a loop to rewrite is not where it was: the file changed since it was analysed")
        alias = tensorflow_alias(module)
        taken = names_in(module)
        replacements = {loop: _while_loop(loop, carried, alias, taken) for loop, carried in loops.items()}

        class Replace(cst.CSTTransformer):
            def __init__(self) -> None:
                super().__init__()
                self.depth = 0  # of enclosing functions and classes: PEP 8's blank lines differ

            def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                self.depth += 1

            def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
                self.depth -= 1
                return updated

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.depth += 1

            def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
                self.depth -= 1
                return updated

            def leave_For(
                self, original: cst.For, updated: cst.For
            ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
                if original not in replacements:
                    return updated
                function, call = replacements[original]
                if self.depth == 0:
                    blank = [cst.EmptyLine(), cst.EmptyLine()]
                    comments = [line for line in function.leading_lines if line.comment is not None]
                    function = function.with_changes(leading_lines=[*blank, *comments])
                    call = call.with_changes(leading_lines=blank)
                return cst.FlattenSentinel([function, call])

        return module.visit(Replace()).code


def _while_loop(
    loop: cst.For, carried: tuple[str, ...], alias: str, taken: set[str]
) -> tuple[cst.FunctionDef, cst.BaseStatement]:
    """The body function and the `tf.while_loop` statement that replace `loop`."""
    if not isinstance(loop.target, cst.Name) or loop.orelse is not None or not carried:
        raise TransformError("only `for NAME in range(...)` loops without `else` become tf.while_loop")
    counter = loop.target.value
    start, stop = _range_bounds(loop.iter)
    if counter in carried or counter in names_in(stop) or set(carried) & names_in(stop):
        raise TransformError("the range's bound reads a variable the loop changes")
    code = cst.Module([]).code_for_node
    variables = ", ".join(carried)
    body_name = fresh(f"{'_'.join(carried)}_loop_body", taken)
    body = cst.ensure_type(loop.body, cst.IndentedBlock)
    returned = cst.parse_statement(f"return {counter} + 1, {variables}")
    function = cst.FunctionDef(
        name=cst.Name(body_name),
        params=cst.ensure_type(cst.parse_expression(f"lambda {counter}, {variables}: 0"), cst.Lambda).params,
        body=body.with_changes(body=[*body.body, returned]),
        leading_lines=loop.leading_lines,
    )
    result = "[1]" if len(carried) == 1 else "[1:]"
    call = (
        f"{variables} = {alias}.while_loop(lambda {counter}, {variables}: {counter} < {code(stop)}, {body_name}, "
        f"({code(start)}, {variables})){result}"
    )
    return function, cst.parse_statement(call)


def _range_bounds(iterable: cst.BaseExpression) -> tuple[cst.BaseExpression, cst.BaseExpression]:
    """(start, stop) of `range(stop)` or `range(start, stop)`."""
    if not (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name) and iterable.func.value == "range"):
        raise TransformError("only `for ... in range(...)` loops become tf.while_loop")
    args = [arg.value for arg in iterable.args]
    if len(args) == 1:
        return cst.Integer("0"), args[0]
    if len(args) == 2:
        return args[0], args[1]
    raise TransformError("only range(stop) and range(start, stop) loops become tf.while_loop")

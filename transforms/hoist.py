"""Hoisting: compute loop invariants (and TF1 graph operations) once, before the outermost loop they leave."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from harp_refactor.finding import Finding, Span

from .base import Transform, TransformError, located
from .names import bound_in, fresh, hint_for, names_in


@dataclass
class _LoopPlan:
    """What goes before one loop: plain statements, then those under each guard."""

    plain: list[cst.BaseStatement] = field(default_factory=list)
    guarded: dict[tuple[Span, ...], list[cst.BaseStatement]] = field(default_factory=dict)

    def add(self, guards: tuple[Span, ...], statement: cst.BaseStatement) -> None:
        if guards:
            self.guarded.setdefault(guards, []).append(statement)
        else:
            self.plain.append(statement)


class HoistLoopInvariants(Transform):
    """Hoist what HARP101 found invariant and HARP201 found rebuilt in a loop; feed TF1 session runs."""

    kinds = ("expression", "statement", "distribute", "feed")

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        by_span: dict[tuple[Span, str], cst.CSTNode] = {}
        for span, node in located(module):
            category = _category(node)
            if category:
                by_span.setdefault((span, category), node)
        planner = _Planner(module, by_span)
        # A distributed product is rewritten whole; invariants inside it go with its products.
        distributed = [f.span for f in findings if f.fix.get("kind") == "distribute"]
        for finding in sorted(findings, key=lambda f: (f.fix.get("kind") != "distribute", f.span.line, f.span.col)):
            if finding.fix.get("kind") == "expression" and any(
                _inside(finding.span, outer) and finding.span != outer for outer in distributed
            ):
                continue
            planner.plan(finding)
        return module.visit(_Rewriter(planner)).code


class _Planner:
    """Decide the new statements and the replacements before touching the tree."""

    def __init__(self, module: cst.Module, by_span: dict[tuple[Span, str], cst.CSTNode]) -> None:
        self.module = module
        self.by_span = by_span
        self.taken = names_in(module)
        self.loops: dict[cst.CSTNode, _LoopPlan] = {}
        self.replacements: dict[cst.CSTNode, cst.BaseExpression] = {}
        self.removed: set[cst.CSTNode] = set()
        self.temporaries: dict[tuple[Span, str], str] = {}
        self.feed_entries: dict[cst.CSTNode, list[cst.DictElement]] = {}

    def node(self, span: Span, category: str) -> cst.CSTNode:
        try:
            return self.by_span[(span, category)]
        except KeyError:
            raise TransformError(f"no node at {span.line}:{span.col}: the file changed since it was analysed") from None

    def expression(self, span: Span) -> cst.BaseExpression:
        node = self.node(span, "expression")
        assert isinstance(node, cst.BaseExpression)
        return node

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def plan(self, finding: Finding) -> None:
        fix = finding.fix
        loop = self.node(fix["loop"], "loop")
        plan = self.loops.setdefault(loop, _LoopPlan())
        guards = tuple(fix.get("guards", ()))
        kind = fix["kind"]
        if kind == "expression":
            expression = self.expression(fix["expression"])
            self.replacements[expression] = cst.Name(self.temporary(plan, guards, fix["loop"], expression))
        elif kind == "statement":
            statement = self.node(fix["statement"], "statement")
            assert isinstance(statement, cst.BaseSmallStatement)
            self.removed.add(statement)
            plan.add(guards, cst.SimpleStatementLine([statement.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]))
        elif kind == "distribute":
            self.distribute(plan, guards, fix)
        elif kind == "feed":
            self.feed(plan, guards, fix)
        else:
            raise TransformError(f"unknown fix kind {kind!r}")

    def temporary(self, plan: _LoopPlan, guards: tuple[Span, ...], loop: Span, expression: cst.BaseExpression) -> str:
        """One temporary per distinct expression text per loop, assigned before the loop."""
        text = " ".join(self.code(expression).split())
        key = (loop, text)
        if key not in self.temporaries:
            name = fresh(hint_for(expression), self.taken)
            self.temporaries[key] = name
            value = expression.with_changes(lpar=[], rpar=[]) if len(expression.lpar) == 1 else expression
            plan.add(guards, cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], value)]))
        return self.temporaries[key]

    def distribute(self, plan: _LoopPlan, guards: tuple[Span, ...], fix: Mapping[str, Any]) -> None:
        """`P @ (Q - U @ V)` → `PQ - PU @ V` with `PQ = P @ Q`, `PU = P @ U` hoisted."""
        expression = self.expression(fix["expression"])
        p, q, u, v = (self.expression(span) for span in fix["parts"])
        inner = _difference_of(expression)
        loop = fix["loop"]
        products = [_product(expression, p, q), _product(expression, p, u)]
        names = [self.temporary(plan, guards, loop, product) for product in products]
        rest = _product(expression, cst.Name(names[1]), v)
        combined = cst.BinaryOperation(cst.Name(names[0]), inner.operator, rest)
        if expression.lpar:
            combined = combined.with_changes(lpar=expression.lpar, rpar=expression.rpar)
        elif not fix.get("bare"):
            combined = combined.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        self.replacements[expression] = combined

    def feed(self, plan: _LoopPlan, guards: tuple[Span, ...], fix: Mapping[str, Any]) -> None:
        """Run the graph tensor once before the loop; feed its value to the run in the loop."""
        run = self.expression(fix["run"])
        feed_dict = self.expression(fix["feed_dict"])
        if not (isinstance(run, cst.Call) and isinstance(run.func, cst.Attribute) and isinstance(feed_dict, cst.Dict)):
            raise TransformError("expected `session.run(..., feed_dict={...})`")
        tensor = fix["tensor"]
        value = fresh(f"{tensor}_value", self.taken)
        feeds = ", ".join(f"{self.code(self.expression(k))}: {self.code(self.expression(v))}" for k, v in fix["feeds"])
        session = self.code(run.func.value)
        plan.add(guards, cst.parse_statement(f"{value} = {session}.run({tensor}, feed_dict={{{feeds}}})\n"))
        self.feed_entries.setdefault(feed_dict, []).append(cst.DictElement(cst.Name(tensor), cst.Name(value)))


def _inside(inner: Span, outer: Span) -> bool:
    return (outer.line, outer.col) <= (inner.line, inner.col) and (inner.end_line, inner.end_col) <= (
        outer.end_line,
        outer.end_col,
    )


def _category(node: cst.CSTNode) -> str:
    if isinstance(node, cst.BaseExpression):
        return "expression"
    if isinstance(node, cst.BaseSmallStatement):
        return "statement"
    if isinstance(node, (cst.For, cst.While)):
        return "loop"
    return ""


def _difference_of(product: cst.BaseExpression) -> cst.BinaryOperation:
    if isinstance(product, cst.BinaryOperation):
        right = product.right
    elif isinstance(product, cst.Call):
        right = product.args[1].value
    else:
        raise TransformError("expected a product")
    if not isinstance(right, cst.BinaryOperation):
        raise TransformError("expected a sum or difference inside the product")
    return right


def _product(like: cst.BaseExpression, left: cst.BaseExpression, right: cst.BaseExpression) -> cst.BaseExpression:
    """`left @ right` written the way `like` writes its product (operator or call)."""
    left = _parenthesised(left) if isinstance(left, cst.BinaryOperation) and not left.lpar else left
    right = _parenthesised(right) if isinstance(right, cst.BinaryOperation) and not right.lpar else right
    if isinstance(like, cst.BinaryOperation):
        return cst.BinaryOperation(left, cst.MatrixMultiply(), right)
    if isinstance(like, cst.Call):
        return like.with_changes(args=[cst.Arg(left), cst.Arg(right)], lpar=[], rpar=[])
    raise TransformError("expected a product")


def _parenthesised(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Rewriter(cst.CSTTransformer):
    """Apply a plan: replace expressions, drop moved statements, insert before loops."""

    def __init__(self, planner: _Planner) -> None:
        self.planner = planner
        self.guards: set[cst.If] = set()

    def merge_guards(self, body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
        """Fold a new guard into an identical `if` just before it (left by an earlier round)."""
        merged: list[cst.BaseStatement] = []
        for statement in body:
            previous = merged[-1] if merged else None
            if (
                statement in self.guards
                and isinstance(statement, cst.If)
                and isinstance(previous, cst.If)
                and previous.orelse is None
                and isinstance(previous.body, cst.IndentedBlock)
                and isinstance(statement.body, cst.IndentedBlock)
                and _same_code(previous.test, statement.test)
                and not bound_in(previous.body) & names_in(previous.test)
            ):
                merged[-1] = previous.with_changes(
                    body=previous.body.with_changes(body=[*previous.body.body, *statement.body.body])
                )
            else:
                merged.append(statement)
        return merged

    def on_leave(  # type: ignore[override]  # libCST types this with a type variable per node
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        replacement = self.planner.replacements.get(original_node)
        if replacement is not None:
            return replacement
        if original_node in self.planner.removed:
            return cst.RemoveFromParent()
        if isinstance(updated_node, cst.Dict) and original_node in self.planner.feed_entries:
            elements = [*updated_node.elements, *self.planner.feed_entries[original_node]]
            return updated_node.with_changes(elements=elements)
        if isinstance(updated_node, cst.SimpleStatementLine) and not updated_node.body:
            return cst.RemoveFromParent()
        if isinstance(updated_node, (cst.IndentedBlock, cst.Module)):
            return updated_node.with_changes(body=self.merge_guards(updated_node.body))
        if isinstance(updated_node, (cst.For, cst.While)):
            updated_node = _keep_body(updated_node)
            plan = self.planner.loops.get(original_node)
            if plan is not None:
                return cst.FlattenSentinel(self.prelude(plan, updated_node))
        return updated_node

    def prelude(self, plan: _LoopPlan, loop: cst.For | cst.While) -> list[cst.CSTNode]:
        """The hoisted statements, guarded where needed, then the loop (comments stay with it)."""
        statements: list[cst.BaseStatement] = list(plan.plain)
        for guards, body in plan.guarded.items():
            test = " and ".join(self.guard_condition(span) for span in guards)
            statements.append(cst.If(test=cst.parse_expression(test), body=cst.IndentedBlock(body)))
        blank = 0
        while blank < len(loop.leading_lines) and loop.leading_lines[blank].comment is None:
            blank += 1
        statements[0] = statements[0].with_changes(leading_lines=loop.leading_lines[:blank])
        self.guards.update(statement for statement in statements if isinstance(statement, cst.If))
        return [*statements, loop.with_changes(leading_lines=loop.leading_lines[blank:])]

    def guard_condition(self, span: Span) -> str:
        """`n > 0` for `range(n)`, `a < b` for `range(a, b)`, `len(xs) > 0` for `xs`: true exactly
        when the loop runs."""
        loop = self.planner.node(span, "loop")
        if isinstance(loop, cst.For) and isinstance(loop.iter, cst.Name):
            return f"len({loop.iter.value}) > 0"
        if not isinstance(loop, cst.For) or not isinstance(loop.iter, cst.Call):
            raise TransformError("only a `for ... in range(...)` or `for ... in NAME` loop can be guarded")
        args = [self.planner.code(arg.value).strip() for arg in loop.iter.args]
        wrapped = [
            code
            if isinstance(arg.value, (cst.Name, cst.Integer, cst.Attribute, cst.Call, cst.Subscript))
            else f"({code})"
            for code, arg in zip(args, loop.iter.args, strict=True)
        ]
        if len(args) == 1:
            return f"{wrapped[0]} > 0"
        if len(args) == 2:
            return f"{wrapped[0]} < {wrapped[1]}"
        raise TransformError("only range(stop) and range(start, stop) loops can be guarded")


def _same_code(left: cst.CSTNode, right: cst.CSTNode) -> bool:
    return cst.Module([]).code_for_node(left) == cst.Module([]).code_for_node(right)


def _keep_body(loop: cst.For | cst.While) -> cst.For | cst.While:
    """A loop whose only statement moved out keeps a `pass`, so the result still compiles."""
    body = loop.body
    if isinstance(body, cst.IndentedBlock) and not body.body:
        return loop.with_changes(body=body.with_changes(body=[cst.SimpleStatementLine([cst.Pass()])]))
    return loop

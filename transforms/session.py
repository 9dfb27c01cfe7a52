"""HARP102's codemod for TF1 sessions: fetch shared tensors in the first run, feed them to the second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span
from .names import fresh, names_in


@dataclass
class _Shared:
    """The tensors one run will also fetch, and the values another run will be fed."""

    fetched: dict[cst.CSTNode, list[tuple[str, str]]] = field(default_factory=dict)
    fed: dict[cst.CSTNode, list[tuple[str, str]]] = field(default_factory=dict)


class ShareSessionResults(Transform):
    """`a = sess.run(y1, fd)` … `sess.run(y2, fd)` → `a, h_value = sess.run((y1, h), fd)` … fed `{h: h_value}`."""

    kinds = ("share",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        calls = first_at_span(module, cst.Call)
        taken = names_in(module)
        shared = _Shared()
        for finding in sorted(findings, key=lambda f: (f.span.line, f.span.col, f.fix["tensor"])):
            first, second = calls.get(finding.fix["first"]), calls.get(finding.fix["second"])
            if first is None or second is None:
                raise TransformError(f"{finding.path}:{finding.span.line}: the file changed since it was analysed")
            tensor = finding.fix["tensor"]
            value = fresh(f"{tensor}_value", taken)
            shared.fetched.setdefault(first, []).append((tensor, value))
            shared.fed.setdefault(second, []).append((tensor, value))
        return module.visit(_Rewriter(shared)).code


def _with_fetches(call: cst.Call, tensors: list[tuple[str, str]]) -> cst.Call:
    """The run with its fetches wrapped: `(fetches, t1, t2)`."""
    args = list(call.args)
    index = next((i for i, a in enumerate(args) if a.keyword is None or a.keyword.value == "fetches"), None)
    if index is None:
        raise TransformError("the first run has no fetches")
    elements = [cst.Element(args[index].value), *(cst.Element(cst.Name(t)) for t, _ in tensors)]
    args[index] = args[index].with_changes(value=cst.Tuple(elements))
    return call.with_changes(args=args)


def _with_feeds(call: cst.Call, tensors: list[tuple[str, str]]) -> cst.Call:
    """The run with `tensor: value` added to its feed dict (or a new `feed_dict=`)."""
    entries = [cst.DictElement(cst.Name(t), cst.Name(v)) for t, v in tensors]
    args = list(call.args)
    for index, arg in enumerate(args):
        is_feed = (arg.keyword is not None and arg.keyword.value == "feed_dict") or (arg.keyword is None and index == 1)
        if is_feed:
            if not isinstance(arg.value, cst.Dict):
                raise TransformError("the second run's feed_dict is not a dict display")
            args[index] = arg.with_changes(value=arg.value.with_changes(elements=[*arg.value.elements, *entries]))
            return call.with_changes(args=args)
    keyword = cst.Arg(
        cst.Dict(entries),
        keyword=cst.Name("feed_dict"),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    if args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, keyword])


class _Rewriter(cst.CSTTransformer):
    def __init__(self, shared: _Shared) -> None:
        self.shared = shared

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if original in self.shared.fed:
            updated = _with_feeds(updated, self.shared.fed[original])
        return updated

    def leave_SimpleStatementLine(
        self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        value = getattr(original.body[0], "value", None) if len(original.body) == 1 else None
        if value is None or value not in self.shared.fetched:
            return updated
        tensors = self.shared.fetched[value]
        names = [cst.Element(cst.Name(v)) for _, v in tensors]
        statement = updated.body[0]
        if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and isinstance(statement.value, cst.Call):
            # `a = sess.run(y1)` → `a, h_value = sess.run((y1, h))`
            targets = cst.Tuple([cst.Element(statement.targets[0].target), *names], lpar=[], rpar=[])
            run = _with_fetches(statement.value, tensors)
            return updated.with_changes(body=[statement.with_changes(targets=[cst.AssignTarget(targets)], value=run)])
        if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call):
            # `sess.run(y1)` → `h_value = sess.run((y1, h))[1]` (or `[1:]` into several names)
            single = len(tensors) == 1
            index = cst.Index(cst.Integer("1")) if single else cst.Slice(cst.Integer("1"), None)
            value_expr = cst.Subscript(_with_fetches(statement.value, tensors), [cst.SubscriptElement(index)])
            target = cst.Name(tensors[0][1]) if single else cst.Tuple(names, lpar=[], rpar=[])
            return updated.with_changes(body=[cst.Assign([cst.AssignTarget(target)], value_expr)])
        raise TransformError("the first run is neither `target = sess.run(...)` nor a statement of its own")

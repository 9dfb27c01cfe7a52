"""HARP102's eager codemod: compute a repeated pure expression once and reuse its value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span
from .names import fresh, hint_for, names_in


class ReuseComputation(Transform):
    """`a = f(x) * 2; b = f(x) + 1` → `f_x = f(x); a = f_x * 2; b = f_x + 1`; and where the
    first occurrence is the whole value of `v = f(x)`, later ones simply read `v`."""

    kinds = ("reuse",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
        module = wrapper.module
        parents = wrapper.resolve(ParentNodeProvider)
        at = first_at_span(module, cst.BaseExpression)
        taken = names_in(module)
        replaced: dict[cst.CSTNode, str] = {}
        inserted: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        for finding in findings:
            spans = (finding.fix["first"], *finding.fix["again"])
            if any(span not in at for span in spans):
                raise TransformError("a computation to reuse is not where it was: the file changed since analysis")
            first = at[spans[0]]
            name = finding.fix["name"]
            if name is None:
                name = fresh(hint_for(first), taken)
                statement = _statement_of(first, parents)
                assignment = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(name))], first)])
                inserted.setdefault(statement, []).append(assignment)
                replaced[first] = name
            for span in spans[1:]:
                replaced[at[span]] = name

        class Rewrite(cst.CSTTransformer):
            def on_leave(  # type: ignore[override]  # libCST types this with a type variable per node
                self, original: cst.CSTNode, updated: cst.CSTNode
            ) -> cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]:
                if original in replaced:
                    return cst.Name(replaced[original])
                if original in inserted and isinstance(updated, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                    before = inserted[original]
                    before[0] = before[0].with_changes(leading_lines=updated.leading_lines)
                    return cst.FlattenSentinel([*before, updated.with_changes(leading_lines=[])])
                return updated

        return module.visit(Rewrite()).code


def _statement_of(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> cst.CSTNode:
    """The innermost statement holding `node`: the new assignment goes just before it."""
    current = node
    while not isinstance(current, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        current = parents[current]
    return current

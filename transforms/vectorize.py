"""HARP103/HARP104's codemod: replace a loop by the slice statements computed at analysis."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span


class VectorizeLoop(Transform):
    """Replace the `for` statement at the finding's span by `fix["code"]`.

    The comment lines above the loop stay above the first new statement; comment lines inside
    the loop body move up with them, since the statements they described are now one line.
    """

    kinds = ("vectorize",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        at = first_at_span(module, cst.For)
        replacements: dict[cst.CSTNode, list[cst.BaseStatement]] = {}
        for finding in findings:
            loop = at.get(finding.span)
            if loop is None:
                raise TransformError(f"no loop at line {finding.span.line}: the file changed since analysis")
            statements: list[cst.BaseStatement] = list(cst.parse_module(finding.fix["code"] + "\n").body)
            comments = [*loop.leading_lines, *_inner_comments(loop)]
            statements[0] = statements[0].with_changes(leading_lines=comments)
            replacements[loop] = statements
        return module.visit(_Replacer(replacements)).code


def _inner_comments(loop: cst.For) -> list[cst.EmptyLine]:
    """The comment lines inside the loop's body, in order (blank lines dropped)."""
    found: list[cst.EmptyLine] = []

    class Collect(cst.CSTVisitor):
        def visit_EmptyLine(self, node: cst.EmptyLine) -> None:
            if node.comment is not None:
                found.append(node.with_changes(indent=True))

    loop.body.visit(Collect())
    return found


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, list[cst.BaseStatement]]) -> None:
        super().__init__()
        self.replacements = replacements

    def leave_For(
        self, original_node: cst.For, updated_node: cst.For
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        statements = self.replacements.get(original_node)
        return updated_node if statements is None else cst.FlattenSentinel(statements)

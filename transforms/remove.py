"""HARP105's codemod: delete statements whose work nothing uses."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span


class RemoveStatement(Transform):
    """Delete the statements at the finding's spans (`fix["statements"]`, or its own span).

    A line that held only removed statements goes with the comment lines directly above it;
    blank lines and comments further up stay with the next statement. A block left with
    nothing in it gets `pass`. Other statements sharing a line with a removed one stay.
    """

    kinds = ("remove",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        at = first_at_span(module, cst.BaseSmallStatement)
        targets: set[cst.CSTNode] = set()
        for finding in findings:
            for span in finding.fix.get("statements", (finding.span,)):
                if span not in at:
                    raise TransformError(
                        f"no statement at line {span.line}, column {span.col}: the file changed since analysis"
                    )
                targets.add(at[span])
        return module.visit(_Remover(targets)).code


class _Remover(cst.CSTTransformer):
    def __init__(self, targets: set[cst.CSTNode]) -> None:
        super().__init__()
        self.targets = targets
        # lines all of whose statements are removed: their block drops them
        self.emptied: set[cst.CSTNode] = set()

    def _kept(
        self, original: Sequence[cst.BaseSmallStatement], updated: Sequence[cst.BaseSmallStatement]
    ) -> list[cst.BaseSmallStatement]:
        kept = [new for old, new in zip(original, updated, strict=True) if old not in self.targets]
        if kept and len(kept) < len(updated):
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return kept

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        kept = self._kept(original_node.body, updated_node.body)
        if not kept:
            self.emptied.add(original_node)
            return updated_node
        return updated_node.with_changes(body=kept) if len(kept) < len(updated_node.body) else updated_node

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        kept = self._kept(original_node.body, updated_node.body)
        if len(kept) == len(updated_node.body):
            return updated_node
        return updated_node.with_changes(body=kept or [cst.Pass()])

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not any(line in self.emptied for line in original_node.body):
            return updated_node
        body, left = self._rebuild(original_node.body, updated_node.body)
        comments = [line for line in left if line.comment is not None]
        if not body:
            return updated_node.with_changes(body=[cst.SimpleStatementLine([cst.Pass()], leading_lines=comments)])
        return updated_node.with_changes(body=body, footer=[*comments, *updated_node.footer])

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not any(line in self.emptied for line in original_node.body):
            return updated_node
        body, left = self._rebuild(original_node.body, updated_node.body)
        comments = [line for line in left if line.comment is not None]
        return updated_node.with_changes(body=body, footer=[*comments, *updated_node.footer])

    def _rebuild(
        self, original: Sequence[cst.BaseStatement], updated: Sequence[cst.BaseStatement]
    ) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
        """The block without its emptied lines, and the lines above them that found no new home."""
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []
        for old, new in zip(original, updated, strict=True):
            if not isinstance(new, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                raise TransformError(f"unexpected statement {type(new).__name__} in a block")
            if old in self.emptied:
                carried = _joined(carried, _above_comments(new.leading_lines))
                continue
            if carried:
                new = new.with_changes(leading_lines=_joined(carried, list(new.leading_lines)))
                carried = []
            body.append(new)
        return body, carried


def _above_comments(lines: Sequence[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """The lines above a removed statement, less the comment lines directly on top of it (its own)."""
    end = len(lines)
    while end > 0 and lines[end - 1].comment is not None:
        end -= 1
    return list(lines[:end])


def _joined(first: list[cst.EmptyLine], second: list[cst.EmptyLine]) -> list[cst.EmptyLine]:
    """Two runs of lines one after the other, with no doubled blank line where they meet."""
    if first and second and first[-1].comment is None and second[0].comment is None:
        return [*first, *second[1:]]
    return [*first, *second]

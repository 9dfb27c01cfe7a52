"""HARP301's codemod: set `torch.backends.cudnn.benchmark = True` once, before the loop."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from harp_refactor.finding import Finding

from .base import Transform, TransformError, first_at_span
from .names import torch_alias


class EnableCudnnBenchmark(Transform):
    """`for step in range(n): model(x)` → `torch.backends.cudnn.benchmark = True` then the loop.

    Blank lines before the loop go before the new statement; comments stay with the loop.
    """

    kinds = ("cudnn_benchmark",)

    def apply(self, source: str, findings: Sequence[Finding]) -> str:
        module = cst.parse_module(source)
        alias = torch_alias(module)
        if alias is None:
            raise TransformError("the module does not `import torch`; set `torch.backends.cudnn.benchmark` by hand")
        loops = first_at_span(module, (cst.For, cst.While))
        targets: set[cst.CSTNode] = set()
        for finding in findings:
            span = finding.fix["loop"]
            if span not in loops:
                raise TransformError(f"no loop at {span.line}:{span.col}: the file changed since it was analysed")
            targets.add(loops[span])
        flag = cst.parse_statement(f"{alias}.backends.cudnn.benchmark = True\n")
        return module.visit(_Insert(targets, flag)).code


class _Insert(cst.CSTTransformer):
    def __init__(self, targets: set[cst.CSTNode], flag: cst.BaseStatement) -> None:
        self.targets = targets
        self.flag = flag

    def on_leave(  # type: ignore[override]  # libCST types this with a type variable per node
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]:
        if original_node not in self.targets or not isinstance(updated_node, (cst.For, cst.While)):
            return updated_node
        blank = 0
        while blank < len(updated_node.leading_lines) and updated_node.leading_lines[blank].comment is None:
            blank += 1
        flag = self.flag.with_changes(leading_lines=updated_node.leading_lines[:blank])
        return cst.FlattenSentinel([flag, updated_node.with_changes(leading_lines=updated_node.leading_lines[blank:])])

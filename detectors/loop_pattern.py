"""The glue HARP103 and HARP104 share: run the loop analysis over each candidate loop."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from harp_refactor.assumption import Assumption
from harp_refactor.finding import Finding, Skip

from .facts import Facts
from .pattern import Options, Pattern, function_names
from .solver import Answer
from .syntax_walk import walk
from .vectorize import Context, Plan, Unvectorizable, allocated_ranks, analyse, indexes_by_counter, mentions

REASSOCIATION = Assumption(
    "adding the terms in another order gives the same total, within floating-point tolerance",
    "floating-point addition is not associative: NumPy and PyTorch add in blocks, the loop adds one by one",
    "reassociation",
    "an integer total is exact unless it overflows (NumPy sums int32 in int64, so the dtype can change)",
)


class LoopVectorization(Pattern):
    """Shared by HARP103 (maps) and HARP104 (reductions); each reports its own kind of loop."""

    rules = "vectorize.lp"
    shown = ("loop_candidate", "impure", "api", "array_var", "function_def")
    requires = ("for_range",)
    reduces: ClassVar[bool]

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        found = []
        for loop, outcome in survey(facts, answer):
            if isinstance(outcome, Plan) and outcome.reduces == self.reduces:
                found.append(self.finding(facts, loop, outcome, path))
        return found

    def skipped(self, facts: Facts, answer: Answer, path: str) -> list[Skip]:
        skips = []
        for loop, outcome in survey(facts, answer):
            node = facts.nodes[loop].node
            assert isinstance(node, cst.For)
            if isinstance(outcome, str) and indexes_by_counter(node) and _sums(node) == self.reduces:
                head = facts.code(loop).rstrip(":")
                skips.append(Skip(self.code, path, facts.nodes[loop].span, f"`{head}` stays a loop", (outcome,)))
        return skips

    def finding(self, facts: Facts, loop: int, plan: Plan, path: str) -> Finding:
        head = facts.code(loop).rstrip(":")
        fix = {"kind": "vectorize", "code": plan.code}
        span = facts.nodes[loop].span
        return Finding(self.code, self.title, path, span, self.message(head, plan), self.assumptions(plan), fix)

    def message(self, head: str, plan: Plan) -> str:
        """What the finding says of the loop headed `head` (`for i in range(n)`)."""
        raise NotImplementedError

    def assumptions(self, plan: Plan) -> tuple[Assumption, ...]:
        return plan.assumptions


# HARP103 and HARP104 solve the same rules over the same facts, and each asks for findings
# and for skips: the last module's survey is kept so it is computed once, not four times.
_last: tuple[Facts, list[tuple[int, Plan | str]]] | None = None


def survey(facts: Facts, answer: Answer) -> list[tuple[int, Plan | str]]:
    """Each candidate loop, outermost first, with its plan or the reason it stays a loop.
    Loops inside a nest that is vectorised as a whole are not listed."""
    global _last
    if _last is None or _last[0] is not facts:
        _last = (facts, _survey(facts, answer))
    return _last[1]


def _survey(facts: Facts, answer: Answer) -> list[tuple[int, Plan | str]]:
    impure = frozenset(id(facts.nodes[x].node) for (x,) in answer.ints("impure"))
    api = {id(facts.nodes[int(x)].node): str(q) for x, q in answer("api")}
    loops = sorted(answer.ints("loop_candidate"), key=lambda pair: facts.nodes[pair[0]].start)
    functions = function_names(answer)
    arrays: dict[str, set[str]] = {}
    for (var,) in answer("array_var"):
        scope, _, name = str(var).rpartition(".")
        arrays.setdefault(scope, set()).add(name)
    ranks: dict[int, dict[str, int]] = {}
    replaced: set[int] = set()  # id() of the loops inside a nest vectorised as a whole
    result: list[tuple[int, Plan | str]] = []
    for loop, function in loops:
        node = facts.nodes[loop].node
        owner = facts.nodes[function].node
        if not isinstance(node, cst.For) or not isinstance(owner, cst.FunctionDef) or id(node) in replaced:
            continue
        if function not in ranks:
            ranks[function] = allocated_ranks(owner, api)
        known = frozenset(arrays.get(functions.get(function, ""), ()))
        try:
            plan = analyse(node, Context(facts.module, owner, impure, api, known, ranks[function]))
        except Unvectorizable as reason:
            result.append((loop, str(reason)))
            continue
        replaced.update(id(inner) for inner in walk(node, cst.For))
        result.append((loop, plan))
    return result


def _sums(loop: cst.For) -> bool:
    """Does the loop add into a total (`s += ...`, `s = s + ...`, `g[f] += ...` in a loop over
    `i`): a reduction, not a map?"""
    counter = loop.target.value if isinstance(loop.target, cst.Name) else ""
    for statement in walk(loop.body, (cst.Assign, cst.AugAssign)):
        target: cst.BaseExpression | None = None
        if isinstance(statement, cst.AugAssign):
            target = statement.target
        elif isinstance(statement, cst.Assign) and isinstance(statement.value, cst.BinaryOperation):
            target = next((t.target for t in statement.targets if statement.value.left.deep_equals(t.target)), None)
        if target is not None and not (isinstance(target, cst.Subscript) and mentions(target, counter)):
            return True
    return False

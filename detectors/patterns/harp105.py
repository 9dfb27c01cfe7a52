"""HARP105: a pure tensor computation whose result is never used."""

from __future__ import annotations

import libcst as cst

from harp_refactor.assumption import Assumption
from harp_refactor.finding import Finding
from harp_refactor.transforms.names import names_in

from ..facts import Facts
from ..pattern import Options, Pattern, function_names
from ..solver import Answer
from ..speculation import SPECULATION, tensor_reasons, tensor_type
from ..syntax_walk import children
from .harp105_examples import INVALID, VALID

_KEPT = {
    "random": "draws from the random number generator: removing it would change every random value drawn after it",
    "sync": "copies a value to the host and waits for the device",
    "stateful": "reads or changes framework state",
    "unknown_api": "is a framework API the knowledge base does not know, so it may have effects",
    "opaque": "is a comprehension, lambda or other construct whose calls we do not follow",
    "effects": "is a call we cannot see into: it may have effects",
}
# Reasons in the order a person should hear them.
_ORDER = ("effects", "unknown_api", "opaque", "random", "stateful", "sync")


class UnusedComputation(Pattern):
    """A tensor or array computation inside a function whose result is never used: a
    variable assigned and never read again (not later in the function, not on the next
    iteration of a loop, not by a nested function, not returned), or a value computed as
    a statement of its own and dropped. Predictions or accuracies computed in a training
    loop and never logged are the usual case (HARP's useless-tensor rule): the work is
    paid on every step for nothing. When every call in the computation is pure, the
    statement is removed, together with any computation that only fed it.

    Never removed, and reported with the reason: a computation that calls something with
    effects (`model(x)`, a function or method we cannot see into), draws random numbers
    (removing it would change every later random value), or synchronises with the device
    (`.item()`, `.numpy()`, `float(t)`). Not reported at all: module-level variables
    (another module, or the harness, may read them), names starting with `_`, variables
    declared `global` or `nonlocal`, tuple targets, calls made for their effect (in-place
    methods such as `x.add_(1)`, `.backward()`, optimizer steps, `list.append`), code in a
    `try` body (an error it raises may be what the handler expects), and functions that
    read their variables by name (`locals()`, `eval`).
    """

    code = "HARP105"
    title = "unused tensor computation"
    rules = "harp105.lp"
    shown = ("dead", "dead_var", "unused", "unused_blocker", "dead_assume", "function_def", "spec_tensor")
    requires = ("function_def",)
    timed_as_program = True
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        functions = function_names(answer)
        dead = {statement: function for statement, function in answer.ints("dead")}
        variables: dict[int, str] = {int(s): str(v) for s, v in answer("dead_var")}
        dead = _confirmed(facts, dead, variables, functions)
        assumed: dict[int, set[tuple[str, int]]] = {}
        for statement, kind, node in answer("dead_assume"):
            assumed.setdefault(int(statement), set()).add((str(kind), int(node)))
        why_tensor = tensor_reasons(answer)
        found = [
            self.removal(facts, path, statement, dead, variables, assumed, why_tensor, options)
            for statement in sorted(dead)
        ]
        found.extend(self.kept(facts, answer, path, functions))
        return found

    def removal(
        self,
        facts: Facts,
        path: str,
        statement: int,
        dead: dict[int, int],
        variables: dict[int, str],
        assumed: dict[int, set[tuple[str, int]]],
        why_tensor: dict[str, str],
        options: Options,
    ) -> Finding:
        group = _readers(facts, statement, dead, variables)
        code = facts.code(statement).rstrip(";").rstrip()
        if statement in variables:
            name = _short(variables[statement])
            others = [s for s in group if s != statement]
            if others:
                lines = ", ".join(str(facts.nodes[s].span.line) for s in others)
                message = (
                    f"`{code}` is wasted work: `{name}` is read only by computations that are unused themselves "
                    f"(line{'s' if len(others) > 1 else ''} {lines}); remove them all"
                )
            else:
                message = f"`{code}` is wasted work: `{name}` is never read; remove it"
        else:
            message = f"`{code}` computes a value and drops it: remove it"
        assumptions = sorted(
            {_assumption(facts, kind, node, why_tensor) for s in group for kind, node in assumed.get(s, ())}
        )
        fix = {"kind": "remove", "statements": tuple(facts.nodes[s].span for s in sorted(group))}
        return Finding(
            self.code,
            self.title,
            path,
            facts.nodes[statement].span,
            message,
            tuple(assumptions),
            fix=fix,
            speculative=any(kind == "pure_function" for s in group for kind, _ in assumed.get(s, ())),
        )

    def kept(self, facts: Facts, answer: Answer, path: str, functions: dict[int, str]) -> list[Finding]:
        """Never read, but the computation must run: a suggestion that says what keeps it."""
        # per statement and reason, the innermost call to blame (`model(x)`, not `model(x).mean()`)
        blockers: dict[int, dict[str, int]] = {}
        for statement, call, kind in answer("unused_blocker"):
            reasons = blockers.setdefault(int(statement), {})
            current = reasons.get(str(kind))
            if current is None or len(facts.code(int(call))) < len(facts.code(current)):
                reasons[str(kind)] = int(call)
        found = []
        for statement, var, function in answer("unused"):
            statement, var, function = int(statement), str(var), int(function)
            name = _short(var)
            qualname = functions.get(function)
            if name.startswith("_") or qualname is None or var != f"{qualname}.{name}":
                continue
            reasons = blockers.get(statement, {})
            kind = next((k for k in _ORDER if k in reasons), "")
            if not kind:
                continue
            culprit = facts.code(reasons[kind])
            code = facts.code(statement).rstrip(";").rstrip()
            message = f"`{name}` is never read, but `{code}` is kept: `{culprit}` {_KEPT[kind]}"
            why = f"`{culprit}` {_KEPT[kind]}; remove the statement by hand if that does not matter"
            span = facts.nodes[statement].span
            found.append(Finding(self.code, self.title, path, span, message, no_fix_reason=why))
        return found


def _short(var: str) -> str:
    return var.rsplit(".", 1)[-1]


def _confirmed(
    facts: Facts, dead: dict[int, int], variables: dict[int, str], functions: dict[int, str]
) -> dict[int, int]:
    """Check each dead statement against the source itself, until nothing changes.

    The facts do not see names read inside f-strings, lambdas or parameter defaults, and do
    not tell `assert` or `raise` from an expression statement: any name of a removed variable
    left anywhere else in its function keeps the statement (and so the ones it reads)."""
    dead = {s: f for s, f in dead.items() if _removable_shape(facts.nodes[s].node) and f in functions}
    for statement, var in variables.items():
        function = dead.get(statement)
        if function is not None and var != f"{functions[function]}.{_short(var)}":
            del dead[statement]
    changed = True
    while changed:
        changed = False
        removed = {id(facts.nodes[s].node) for s in dead}
        for function in sorted(set(dead.values())):
            names, in_try = _names_outside(facts.nodes[function].node, removed)
            for statement in [s for s, f in dead.items() if f == function]:
                node = facts.nodes[statement].node
                assigned = variables.get(statement)
                if id(node) in in_try or (assigned is not None and _short(assigned) in names):
                    del dead[statement]
                    changed = True
    return dead


def _removable_shape(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Assign):
        return len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
    if isinstance(node, cst.AnnAssign):
        return node.value is not None and isinstance(node.target, cst.Name)
    return isinstance(node, cst.Expr)


def _names_outside(function: cst.CSTNode, removed: set[int]) -> tuple[set[str], set[int]]:
    """Every name written in `function` outside the removed statements, and the ids of the
    removed statements that lie in a `try` body."""
    names: set[str] = set()
    in_try: set[int] = set()

    def walk(node: cst.CSTNode, guarded: bool) -> None:
        if id(node) in removed:
            if guarded:
                in_try.add(id(node))
            return
        if isinstance(node, cst.Name):
            names.add(node.value)
        if isinstance(node, (cst.Try, cst.TryStar)):
            walk(node.body, True)
            for child in children(node):
                if child is not node.body:
                    walk(child, guarded)
            return
        for child in children(node):
            walk(child, guarded)

    walk(function, False)
    return names, in_try


def _readers(facts: Facts, statement: int, dead: dict[int, int], variables: dict[int, str]) -> list[int]:
    """The statement and every dead statement that reads what it assigns, transitively: removing
    it alone would leave them reading a name that is no longer bound."""
    group = [statement]
    pending = [statement]
    while pending:
        current = pending.pop()
        var = variables.get(current)
        if var is None:
            continue
        name = _short(var)
        for other, function in dead.items():
            if other not in group and function == dead[statement] and name in names_in(facts.nodes[other].node):
                group.append(other)
                pending.append(other)
    return group


def _assumption(facts: Facts, kind: str, node: int, why_tensor: dict[str, str]) -> Assumption:
    code = facts.code(node)
    why = SPECULATION[kind]
    if kind == "tensor_type":
        return tensor_type(code, why_tensor)
    if kind == "attribute_read":
        return Assumption(
            f"reading `{code}` has no side effect",
            why,
            kind,
            f"make sure `{code}` is a plain attribute, not a property that does work",
        )
    return Assumption(
        f"`{code}` has no side effect",
        why,
        kind,
        f"read the definition of `{code.split('(')[0]}`",
    )

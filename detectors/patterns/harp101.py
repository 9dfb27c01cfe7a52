"""HARP101: loop-invariant tensor computation inside a Python loop."""

from __future__ import annotations

from typing import Any

from harp_refactor.assumption import Assumption
from harp_refactor.finding import Finding, Span

from ..facts import Facts
from ..pattern import Example, Options, Pattern
from ..resolve import definition_site
from ..solver import Answer
from ..speculation import SPECULATION, tensor_reasons, tensor_type
from .harp101_examples import INVALID, VALID


class LoopInvariant(Pattern):
    """A tensor or array computation inside a Python loop gives the same value on every
    iteration: its operands are never reassigned or mutated in the loop, and it calls
    only pure, deterministic framework APIs. Computing it once, before the outermost loop
    it does not depend on, removes the repeated work (HARP's pattern 2, PieProf's
    loop-invariant computation; dictionary learning ran 3.0x faster).

    Not reported: expressions that run only under a condition in the loop, random,
    stateful or device-synchronising calls, in-place writes to an operand anywhere in
    the loop (`x.add_()`, `x[i] = ...`, `x += ...`, `v.assign(...)`), loops that call
    `.backward()` or an optimizer step that may update the operands, and trivially cheap
    expressions. A loop that may run zero times gets a guard, so the hoisted code runs
    only when the loop would have. Calls of functions we cannot see into are hoisted only
    with `--speculative`, and `--aggressive` also rewrites `D @ (X - D.T @ A)` as
    `D @ X - (D @ D.T) @ A` to expose `D @ X` and `D @ D.T`.
    """

    code = "HARP101"
    title = "loop-invariant computation"
    rules = "harp101.lp"
    shown = (
        "hoist", "hoist_statement", "guard", "suggest", "distribute", "assume", "value_of", "spec_tensor",
        "feed", "feed_with", "feed_guard", "run_feed_dict",
    )  # fmt: skip
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        guards: dict[int, list[int]] = {}
        for guarded, loop in answer.ints("guard"):
            guards.setdefault(guarded, []).append(loop)
        assumptions: dict[int, list[tuple[str, int]]] = {}
        for assumed, kind, node in answer("assume"):
            assumptions.setdefault(int(assumed), []).append((str(kind), int(node)))
        statement_value = {int(s): int(e) for s, _, e in answer("value_of")}
        context = _Context(facts, path, assumptions, guards, tensor_reasons(answer), set(statement_value.values()))

        found = [context.hoist(expr_id, loop_id) for expr_id, loop_id in answer.ints("hoist")]
        for statement_id, loop_id in answer.ints("hoist_statement"):
            found.append(context.hoist_statement(statement_id, statement_value[statement_id], loop_id))
        for suggestion in answer("suggest"):
            found.append(context.suggest(int(suggestion[0]), int(suggestion[1]), str(suggestion[2])))
        for args in answer.ints("distribute"):
            found.append(context.distribute(*args))
        found.extend(_session_feeds(facts, answer, path))
        return found


def _session_feeds(facts: Facts, answer: Answer, path: str) -> list[Finding]:
    """TF1: a run in a loop recomputes graph tensors whose feeds never change: feed their values."""
    feeds: dict[tuple[int, str], list[tuple[int, int]]] = {}
    for run, tensor, fed_key, fed_value in answer("feed_with"):
        feeds.setdefault((int(run), str(tensor)), []).append((int(fed_key), int(fed_value)))
    guards: dict[tuple[int, str], list[int]] = {}
    for run, tensor, loop in answer("feed_guard"):
        guards.setdefault((int(run), str(tensor)), []).append(int(loop))
    feed_dict = {int(run): int(d) for run, d in answer("run_feed_dict")}
    found = []
    for run, var, loop in answer("feed"):
        key = (int(run), str(var))
        tensor = str(var).rsplit(".", 1)[-1]
        needs = sorted(key_id for key_id, _ in feeds.get(key, []))
        fed = ", ".join(f"`{facts.code(n)}`" for n in needs) or "constants"
        span = facts.nodes[int(run)].span
        guard = " (guarded, because the loop may run zero times)" if guards.get(key) else ""
        message = (
            f"`{facts.code(int(run))}` recomputes `{tensor}` on every iteration of the loop at line "
            f"{facts.nodes[int(loop)].span.line}, although it depends only on {fed}, fed the same values each "
            f"time: run it once before the loop{guard} and feed its value"
        )
        fix = {
            "kind": "feed",
            "loop": facts.nodes[int(loop)].span,
            "run": span,
            "tensor": tensor,
            "feeds": tuple((facts.nodes[k].span, facts.nodes[v].span) for k, v in sorted(feeds.get(key, []))),
            "feed_dict": facts.nodes[feed_dict[int(run)]].span,
            "guards": tuple(facts.nodes[g].span for g in guards.get(key, [])),
        }
        found.append(Finding(LoopInvariant.code, LoopInvariant.title, path, span, message, fix=fix))
    return found


class _Context:
    """Turns answer atoms into findings for one file."""

    def __init__(
        self,
        facts: Facts,
        path: str,
        assumptions: dict[int, list[tuple[str, int]]],
        guards: dict[int, list[int]],
        why_tensor: dict[str, str],
        assigned_values: set[int],
    ) -> None:
        self.assigned_values = assigned_values
        self.facts = facts
        self.path = path
        self.assumptions = assumptions
        self.guards = guards
        self.why_tensor = why_tensor

    def span(self, node_id: int) -> Span:
        return self.facts.nodes[node_id].span

    def loop_text(self, loop_id: int) -> str:
        return f"the loop at line {self.span(loop_id).line}"

    def finding(
        self, expr_id: int, message: str, fix: dict[str, Any], no_fix_reason: str = "", at: int | None = None
    ) -> Finding:
        assumptions = tuple(sorted({self.assumption(kind, node) for kind, node in self.assumptions.get(expr_id, [])}))
        return Finding(
            code=LoopInvariant.code,
            title=LoopInvariant.title,
            path=self.path,
            span=self.span(expr_id if at is None else at),
            message=message,
            assumptions=assumptions,
            fix=fix,
            no_fix_reason=no_fix_reason,
            speculative=any(kind == "pure_function" for kind, _ in self.assumptions.get(expr_id, [])),
        )

    def guard_note(self, expr_id: int) -> str:
        if not self.guards.get(expr_id):
            return ""
        return " (guarded, because the loop may run zero times)"

    def hoist(self, expr_id: int, loop_id: int) -> Finding:
        code = self.facts.code(expr_id)
        message = (
            f"`{code}` gives the same value in every iteration of {self.loop_text(loop_id)}; "
            f"compute it once before the loop{self.guard_note(expr_id)}"
        )
        fix = {
            "kind": "expression",
            "loop": self.span(loop_id),
            "expression": self.span(expr_id),
            "guards": tuple(self.span(g) for g in self.guards.get(expr_id, [])),
        }
        return self.finding(expr_id, message, fix)

    def hoist_statement(self, statement_id: int, expr_id: int, loop_id: int) -> Finding:
        code = self.facts.code(statement_id)
        message = (
            f"`{code}` assigns the same value in every iteration of {self.loop_text(loop_id)}; "
            f"move it before the loop{self.guard_note(expr_id)}"
        )
        fix = {
            "kind": "statement",
            "loop": self.span(loop_id),
            "statement": self.span(statement_id),
            "guards": tuple(self.span(g) for g in self.guards.get(expr_id, [])),
        }
        return self.finding(expr_id, message, fix, at=statement_id)

    def suggest(self, expr_id: int, loop_id: int, why: str) -> Finding:
        code = self.facts.code(expr_id)
        message = f"`{code}` gives the same value in every iteration of {self.loop_text(loop_id)}"
        return self.finding(expr_id, message, {}, no_fix_reason=why)

    def distribute(self, expr_id: int, loop_id: int, p: int, q: int, u: int, v: int) -> Finding:
        code = self.facts.code
        message = (
            f"`{code(expr_id)}` hides loop invariants behind distributivity: as "
            f"`({code(p)} @ {code(q)}) - ({code(p)} @ {code(u)}) @ {code(v)}` the products "
            f"`{code(p)} @ {code(q)}` and `{code(p)} @ {code(u)}` can be computed once before {self.loop_text(loop_id)}"
        )
        fix = {
            "kind": "distribute",
            "loop": self.span(loop_id),
            "expression": self.span(expr_id),
            "parts": tuple(self.span(node) for node in (p, q, u, v)),
            "bare": expr_id in self.assigned_values,
            "guards": tuple(self.span(g) for g in self.guards.get(expr_id, [])),
        }
        return self.finding(expr_id, message, fix)

    def where_defined(self, call_id: int) -> str:
        """Where the called function lives (Jedi), so a person knows what to read."""
        span = self.span(call_id)
        site = definition_site(self.path, self.facts.module.code, span.line, span.col)
        name = self.facts.code(call_id).split("(")[0]
        return f"read `{name}` at {site}" if site else f"read the definition of `{name}` (not found)"

    def assumption(self, kind: str, node_id: int) -> Assumption:
        code = self.facts.code(node_id)
        why = SPECULATION[kind]
        if kind == "tensor_type":
            return tensor_type(code, self.why_tensor)
        if kind == "attribute_read":
            return Assumption(
                f"reading `{code}` has no side effect and gives the same object each time",
                why,
                kind,
                f"make sure `{code}` is a plain attribute, not a property that computes a new value",
            )
        if kind == "pure_function":
            return Assumption(
                f"`{code}` has no side effect and returns the same value for the same arguments",
                why,
                kind,
                self.where_defined(node_id),
            )
        if kind == "untouched_by_call":
            return Assumption(
                f"`{code}` does not modify the values the hoisted expression reads",
                why,
                kind,
                "read what the call does",
            )
        if kind == "io_only":
            return Assumption(f"`{code}` only prints or logs", why, kind, "read what the call does")
        if kind == "sized_iterable":
            return Assumption(
                f"`{code}` is a list, tuple, array or other sized collection, not a generator",
                why,
                kind,
                f"check that `len({code})` works (the harness runs it)",
            )
        return Assumption(
            "floating-point results will differ from the original within tolerance",
            why,
            kind,
            "compare results on real inputs (the equivalence harness does)",
        )


__all__ = ["LoopInvariant", "Example", "Options"]

"""HARP202: a Python loop that unrolls graph construction."""

from __future__ import annotations

from harp_refactor.finding import Finding

from ..facts import Facts
from ..pattern import Options, Pattern
from ..solver import Answer
from .harp202_examples import INVALID, VALID


class UnrolledLoop(Pattern):
    """A plain Python loop whose body only builds graph operations from the previous
    iteration's tensors (HARP's pattern 4; its char-rnn unrolled the RNN cell this way)
    adds a copy of the body to the graph per iteration: the graph, its construction and
    its optimisation grow with the trip count. In TF1 code this is reported with the advice
    to use `tf.while_loop` (HARP's user study found the rewrite too hard to do by hand; an
    automatic rewrite is future work). Inside a `@tf.function`, `for i in range(n)` is
    unrolled by AutoGraph while tracing; `for i in tf.range(n)` becomes one while-loop
    op; that is suggested, not applied, since AutoGraph needs every loop variable defined
    before the loop with a fixed shape and dtype.
    """

    code = "HARP202"
    title = "Python loop unrolls graph construction"
    rules = "harp202.lp"
    shown = ("unrolled", "unrolled_tf2", "loop_iter")
    requires = "tf_op"
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        iterables = {int(loop): int(x) for loop, x in answer("loop_iter")}
        found = []
        for (loop,) in answer.ints("unrolled"):
            span = facts.nodes[loop].span
            message = (
                f"`{facts.code(loop)}` adds a copy of its body's operations to the graph on every iteration: "
                "the graph grows with the trip count"
            )
            why = "rewrite the loop as tf.while_loop with the carried tensors as loop variables"
            found.append(Finding(self.code, self.title, path, span, message, no_fix_reason=why))
        for loop, _ in answer.ints("unrolled_tf2"):
            call = facts.nodes[iterables[loop]].span
            message = (
                f"`{facts.code(iterables[loop])}` in a @tf.function is unrolled while tracing: iterate over "
                "tf.range to build one while-loop"
            )
            # Not rewritten automatically: AutoGraph's while-loop needs every loop variable defined
            # before the loop and of one shape and dtype, which a guarded hoist (HARP101) breaks.
            why = "iterate over tf.range(...) with every loop variable defined before the loop"
            found.append(Finding(self.code, self.title, path, call, message, no_fix_reason=why))
        return found

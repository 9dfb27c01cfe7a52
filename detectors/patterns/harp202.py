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
    its optimisation grow with the trip count. In TF1 code a `for t in range(...)` loop is
    rewritten as `tf.while_loop`: the body becomes the body function, the counter and the
    carried tensors its loop variables, so the graph holds one copy of the body (HARP's user
    study found this rewrite too hard to do by hand). It is left as advice when the counter
    is used other than as an index or an op's argument (in the graph loop it is a tensor),
    or when the loop leaves behind a value that is not carried. Inside a `@tf.function`,
    `for i in range(n)` is unrolled by AutoGraph while tracing; `for i in tf.range(n)`
    becomes one while-loop op; that is suggested, not applied, since AutoGraph needs every
    loop variable defined before the loop with a fixed shape and dtype.
    """

    code = "HARP202"
    title = "Python loop unrolls graph construction"
    rules = "harp202.lp"
    shown = ("unrolled", "while_loop", "loop_var", "unrolled_tf2", "loop_iter")
    requires = ("tf_op",)
    # The rewrite pays off in building and optimising the graph, so time the whole program.
    timed_as_program = True
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        iterables = {int(loop): int(x) for loop, x in answer("loop_iter")}
        found = []
        rewritable = {loop for (loop,) in answer.ints("while_loop")}
        carried: dict[int, list[str]] = {}
        for loop, var in answer("loop_var"):
            carried.setdefault(int(loop), []).append(str(var).rpartition(".")[2])
        for (loop,) in answer.ints("unrolled"):
            span = facts.nodes[loop].span
            message = (
                f"`{facts.code(loop)}` adds a copy of its body's operations to the graph on every iteration: "
                "the graph grows with the trip count"
            )
            if loop in rewritable:
                fix = {"kind": "while_loop", "loop": span, "carried": tuple(sorted(carried[loop]))}
                found.append(Finding(self.code, self.title, path, span, message + "; use tf.while_loop", fix=fix))
                continue
            why = (
                "rewrite the loop as tf.while_loop with the carried tensors as loop variables (not automatic: the "
                "counter is used as a Python number, or the loop leaves behind a value it does not carry)"
            )
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

"""HARP201: TF1 graph construction inside a loop."""

from __future__ import annotations

from harp_refactor.finding import Finding

from ..facts import Facts
from ..pattern import Options, Pattern, function_names
from ..solver import Answer
from .harp201_examples import INVALID, VALID


class GraphConstructionInLoop(Pattern):
    """In TensorFlow 1 graph mode (`tf.compat.v1`, sessions), a call such as `tf.add`,
    `tf.assign`, `tf.matmul`, `v.assign(...)` or `x + 1` on a tensor does not compute: it
    adds operations to the graph. Inside a loop it adds them again on every iteration, so
    the graph grows without bound and every `sess.run` gets slower (HARP's pattern 1; its
    API-misuse example is `x = x + 1` in a loop of a million iterations). When the inputs
    of the operations do not change in the loop, build them once before the loop and run
    them inside it.

    Operations built from values that change in the loop, and functions that build
    operations and are called in a loop, are reported without a fix: feed the changing
    value through a `tf.placeholder`, build the operations once and pass the tensors in,
    or use `tf.while_loop` (HARP202). Random operations, placeholders and variables are
    never moved: moving them changes their seeds or their identity.
    """

    code = "HARP201"
    title = "graph construction inside a loop"
    rules = "harp201.lp"
    shown = ("build", "build_statement", "grows", "grows_call", "function_def")
    requires = ("tf_op",)
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        def finding(node: int, message: str, fix: dict[str, object], no_fix: str = "") -> Finding:
            return Finding(self.code, self.title, path, facts.nodes[node].span, message, fix=fix, no_fix_reason=no_fix)

        def loop_text(loop: int) -> str:
            return f"the loop at line {facts.nodes[loop].span.line}"

        found = []
        # an expression, or a whole `v = expr` statement, moves before the loop (HARP101's hoisting)
        for atom, kind in (("build", "expression"), ("build_statement", "statement")):
            for node, loop in answer.ints(atom):
                message = (
                    f"`{facts.code(node)}` adds the same operations to the graph on every iteration of "
                    f"{loop_text(loop)}: build them once before the loop"
                )
                fix = {"kind": kind, "loop": facts.nodes[loop].span, kind: facts.nodes[node].span}
                found.append(finding(node, message, fix))
        for expr, loop in answer.ints("grows"):
            message = (
                f"`{facts.code(expr)}` adds new operations to the graph on every iteration of {loop_text(loop)}, "
                "so the graph grows and every run gets slower"
            )
            why = "its inputs change in the loop: feed them through a tf.placeholder, or use tf.while_loop"
            found.append(finding(expr, message, {}, why))
        names = function_names(answer)
        for call, loop, function in answer.ints("grows_call"):
            message = (
                f"`{facts.code(call)}` runs `{names[function]}`, which builds graph operations, on every "
                f"iteration of {loop_text(loop)}: the graph grows with each call"
            )
            why = f"build the operations of `{names[function]}` once, before the loop, and run the tensors it returns"
            found.append(finding(call, message, {}, why))
        return found

"""HARP204: a @tf.function with Python side effects, or one that retraces on every call."""

from __future__ import annotations

from harp_refactor.finding import Finding

from ..facts import Facts
from ..pattern import Options, Pattern, function_names
from ..solver import Answer
from .harp204_examples import INVALID, VALID

_KINDS = {
    "print": "prints",
    "outer_container": "adds to a container from outside the function",
    "global": "assigns a global",
    "attribute": "writes an attribute or item of an object from outside",
}


class UnsafeTfFunction(Pattern):
    """A `@tf.function` runs its Python code once, while tracing; after that only the graph
    runs. A Python side effect inside it - `print`, appending to an outer list, writing a
    global or a non-TF attribute - therefore happens once instead of on every call
    (Hybridize's reasons to de-hybridize). `print(...)` is rewritten as `tf.print(...)`,
    which runs in the graph on every call; the other effects are reported: move them to TF
    state (`tf.Variable.assign`) or out of the function. A caller that passes a Python
    number changing on every call (a loop counter) makes every call trace the function
    again (`reduce_retracing=True` does not help: every Python value is its own trace): the
    argument is passed as a tensor instead, `tf.constant(step)`, or
    `tf.constant(step, dtype=tf.float32)` where the function does arithmetic with it (an int
    tensor does not mix with float ones). The harness checks the results are unchanged: a
    function that needs the Python value (a shape, a float64 tensor) keeps it.
    """

    code = "HARP204"
    title = "tf.function with side effects or retracing"
    rules = "harp204.lp"
    shown = ("unsafe", "tf_print", "retraces", "arithmetic", "function_def")
    requires = ("tf_decorated",)
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        names = function_names(answer)
        printing = {int(e) for (e,) in answer.ints("tf_print")}
        found = []
        for function, node, kind in answer("unsafe"):
            function, node = int(function), int(node)
            message = (
                f"`{facts.code(node)}` in @tf.function `{names[function]}` {_KINDS[str(kind)]}: a Python side "
                "effect runs once, while tracing, not on every call"
            )
            span = facts.nodes[node].span
            if node in printing:
                fix = {"kind": "tf_print", "call": span}
                found.append(Finding(self.code, self.title, path, span, message + "; use tf.print", fix=fix))
            else:
                why = "move the effect to TF state (a tf.Variable) or out of the function"
                found.append(Finding(self.code, self.title, path, span, message, no_fix_reason=why))
        in_arithmetic = {int(x) for _, x in answer("arithmetic")}
        for function, node in answer.ints("retraces"):
            dtype = "float32" if node in in_arithmetic else None
            message = (
                f"`{facts.code(node)}` is a Python number that changes on every call of @tf.function "
                f"`{names[function]}`: each call traces the function again; pass it as a {dtype or 'int32'} tensor"
            )
            fix = {"kind": "tensor_argument", "argument": facts.nodes[node].span, "dtype": dtype}
            found.append(Finding(self.code, self.title, path, facts.nodes[node].span, message, fix=fix))
        return found

"""HARP203: hybridize, an eager TF2 function that is safe and worthwhile to run as a graph."""

from __future__ import annotations

from harp_refactor.assumption import Assumption
from harp_refactor.finding import Finding, Skip

from ..facts import Facts
from ..pattern import Options, Pattern, function_names
from ..solver import Answer
from .harp203_examples import INVALID, VALID

REASONS = {
    "no_tensor_parameters": "it has no tensor parameters: a graph would gain nothing",
    "side_effect": "`{node}` is a Python side effect: in a graph it would run once, while tracing",
    "recursive": "it calls itself (`{node}`): tf.function cannot trace recursion",
    "eager_only": "`{node}` needs a concrete value: it fails inside a graph",
    "numpy_on_parameter": "`{node}` applies NumPy or SciPy to a parameter: in a graph it gets a symbolic tensor",
    "loop_over_tensor": "`{node}` iterates in Python over a tensor parameter",
    "keras_symbolic": "a caller passes a Keras symbolic tensor (`{node}`)",
    "python_scalar": "a caller passes `{node}`, a Python number that changes each call: every call would trace again",
    "no_tensor_computation": "it does no tensor computation: a graph would gain nothing",
    "graph_callers_only": "every caller is already a tf.function: it runs as a graph already",
    "generator": "it is a generator",
    "unrolled_loop": "`{node}` loops over a Python range of a parameter: tracing would unroll it",
}


class Hybridize(Pattern):
    """An eager TensorFlow 2 function runs one Python-dispatched operation at a time;
    decorated with `@tf.function` it is traced once into a graph that TensorFlow
    optimises and runs without the interpreter (Hybridize measured 2.16x on average).
    A function is decorated only when it is safe and worthwhile, with Hybridize's
    preconditions as the specification: it has tensor parameters (or is named like
    `train_step`, `test_step`, `call`, `__call__` - an assumption the finding states); it
    does tensor computation; it has no Python side effects (printing, appending to outer
    lists, writing globals or non-TF attributes), no eager-only calls (`.numpy()`,
    `.item()`, `float(tensor)`), no NumPy or SciPy on its parameters, no Python `for`
    over a tensor parameter; it is not recursive, not a generator; no caller passes a
    Keras symbolic tensor or a Python number that changes on every call (each would
    trace again); no `for` over `range` of a Python-number parameter (tracing would
    unroll it); and some caller runs eagerly.

    `--explain` lists the functions left alone with each failed precondition. Wrapping is
    not always faster: the rewrite is kept only when the harness finds it equivalent and
    faster, timed over the whole program when it has an entry point, so tracing counts.
    """

    code = "HARP203"
    title = "eager function could run as a graph"
    rules = "harp203.lp"
    shown = ("hybridize", "by_name", "reject", "function_def")
    requires = ("function_def",)
    min_speedup = 1.0
    timed_as_program = True
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        names = function_names(answer)
        by_name = {int(f) for (f,) in answer.ints("by_name")}
        found = []
        for (function,) in answer.ints("hybridize"):
            name = names[function]
            assumptions: tuple[Assumption, ...] = ()
            if function in by_name:
                assumptions = (
                    Assumption(
                        f"`{name}` is called with tensors",
                        "Hybridize's speculation: a function named like a training step takes tensors",
                        "tensor_parameters",
                        f"check what the callers of `{name}` pass",
                    ),
                )
            owner = f" (in class `{name.rsplit('.', 1)[0]}`)" if "." in name else ""
            message = (
                f"`def {name.rsplit('.', 1)[-1]}`{owner} runs eagerly, one operation at a time; it meets the "
                "preconditions for running as a graph: decorate it with @tf.function"
            )
            span = facts.nodes[function].span
            found.append(
                Finding(self.code, self.title, path, span, message, assumptions, {"kind": "decorate", "function": name})
            )
        return found

    def skipped(self, facts: Facts, answer: Answer, path: str) -> list[Skip]:
        names = function_names(answer)
        reasons: dict[int, list[str]] = {}
        for function, reason, node in answer("reject"):
            text = REASONS[str(reason)].format(node=facts.code(int(node)))
            reasons.setdefault(int(function), []).append(text)
        return [
            Skip(self.code, path, facts.nodes[f].span, f"`{names[f]}` stays eager", tuple(sorted(set(why))))
            for f, why in reasons.items()
        ]

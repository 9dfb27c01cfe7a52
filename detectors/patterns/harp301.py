"""HARP301: a PyTorch loop over a static-shape convolutional graph without cuDNN autotuning."""

from __future__ import annotations

import ast
import random
from collections.abc import Iterable

import libcst as cst
from libcst.helpers import get_full_name_for_node

from harp_refactor.assumption import Assumption
from harp_refactor.finding import Finding
from harp_refactor.transforms.names import bound_in, names_in, torch_alias

from ..facts import Facts
from ..pattern import Options, Pattern, function_names
from ..solver import Answer
from .harp301_examples import INVALID, VALID

# HARP's "more than ~5 iterations": fewer are not worth the one-off cost of autotuning.
MIN_ITERATIONS = 5


class CudnnAutotuning(Pattern):
    """A training or inference loop runs a convolutional PyTorch model whose graph is the
    same on every iteration - the input shapes do not change and the model has no branch on
    tensor values - while `torch.backends.cudnn.benchmark` is never set. With the flag set,
    cuDNN times the convolution algorithms for each new input shape once and then uses the
    fastest; without it, it uses a heuristic choice on every call (HARP's pattern 5: 1.4x to
    2.6x on style transfer, deep-q-net, seq2seq and cycleGAN). The fix sets the flag once,
    just before the outermost loop. The finding assumes a fixed input size (a new shape is
    tuned again, so varying shapes can make the program slower) and that the model runs on a
    CUDA GPU: the gain appears on GPUs only, on a CPU the flag changes nothing.

    Not reported: modules that set the flag themselves (True or False: the choice is
    respected), modules without a convolution (`torch.nn.Conv1d/2d/3d`,
    `torch.nn.functional.conv*`, `torch.conv*`), loops that run fewer than five times by a
    literal count, models that branch on tensor values (`if x.sum() > 0:`), model calls under
    such a branch in the loop, loops inside `forward`, and loops whose shapes change with the
    iteration: slices of a loop-dependent length (`data[: step + 1]`) or tensors created with
    a loop-dependent size (`torch.randn(step, 3)`).
    """

    code = "HARP301"
    title = "static-shape PyTorch loop without cuDNN autotuning"
    gain_needs_gpu = True
    rules = "harp301.lp"
    shown = ("autotune", "model_in", "function_of", "called_from", "function_def")
    requires = ("loop",)
    VALID = VALID
    INVALID = INVALID

    def findings(self, facts: Facts, answer: Answer, path: str, options: Options) -> list[Finding]:
        if not answer("autotune") or sets_benchmark(facts.module):
            return []
        names = function_names(answer)
        functions = {loop: function for loop, function in answer.ints("function_of")}
        chains: dict[int, dict[int, set[int]]] = {}
        for outer, call, inner in answer.ints("model_in"):
            chains.setdefault(outer, {}).setdefault(call, set()).add(inner)
        kept = []
        for (loop_id,) in answer.ints("autotune"):
            if loop_id in functions and names.get(functions[loop_id], "").rsplit(".", 1)[-1] == "forward":
                continue
            if not any(_iterations(facts, loops) >= MIN_ITERATIONS for loops in chains.get(loop_id, {}).values()):
                continue
            loop = facts.nodes[loop_id].node
            if not isinstance(loop, (cst.For, cst.While)) or _varying_slice(facts.module, loop):
                continue
            kept.append(loop_id)
        # A loop in a function that another reported loop calls is covered by that loop's flag.
        called = {function for outer, function in answer.ints("called_from") if outer in kept}
        alias = torch_alias(facts.module)
        return [
            self.finding(facts, loop_id, path, alias)
            for loop_id in kept
            if loop_id not in functions or functions[loop_id] not in called
        ]

    def finding(self, facts: Facts, loop_id: int, path: str, alias: str | None) -> Finding:
        span = facts.nodes[loop_id].span
        flag = f"{alias or 'torch'}.backends.cudnn.benchmark = True"
        message = (
            f"the loop at line {span.line} runs a convolutional model whose graph and input shapes do not change "
            f"from one iteration to the next, and `torch.backends.cudnn.benchmark` is never set: `{flag}` before "
            "the loop lets cuDNN pick the fastest convolution algorithm once (the gain appears on GPUs only; on a "
            "CPU the flag changes nothing)"
        )
        assumptions = (
            Assumption(
                f"the input size is fixed: every iteration of the loop at line {span.line} gives the model inputs "
                "of the same shape",
                "HARP pattern 5: cuDNN autotunes once per input shape, so a shape that changes every iteration "
                "is tuned again each time and can make the loop slower",
                "fixed_input_size",
                "print the shapes of a few batches; a DataLoader needs `drop_last=True` when the data does not "
                "divide into whole batches",
            ),
            Assumption(
                "the model runs on CUDA, with cuDNN",
                "`torch.backends.cudnn.benchmark` only changes how cuDNN convolutions run: on a CPU (or another "
                "device) the flag changes nothing and gives no speedup",
                "runs_on_cuda",
                "see that the model and its inputs are moved to a CUDA device (`.to('cuda')`)",
            ),
            Assumption(
                "the results need not be bitwise reproducible from run to run",
                "the algorithm cuDNN picks may differ between runs, and with it the rounding of the results",
                "nondeterministic_algorithms",
                "keep the flag off where bitwise reproducibility matters (`torch.backends.cudnn.deterministic`)",
            ),
        )
        if alias is None:
            return Finding(
                self.code,
                self.title,
                path,
                span,
                message,
                assumptions=assumptions,
                no_fix_reason="the module does not `import torch`: set the flag by hand",
            )
        fix = {"kind": "cudnn_benchmark", "loop": span}
        return Finding(self.code, self.title, path, span, message, assumptions=assumptions, fix=fix)


def sets_benchmark(module: cst.Module) -> bool:
    """Does the module set `torch.backends.cudnn.benchmark` in any way (an assignment,
    `setattr`, `with torch.backends.cudnn.flags(benchmark=...)`)?"""
    found = False

    def check(target: cst.BaseExpression) -> None:
        nonlocal found
        for node in (target, *(e.value for e in getattr(target, "elements", ()))):
            if isinstance(node, cst.Attribute) and node.attr.value == "benchmark" and _is_cudnn(node.value):
                found = True

    class Visitor(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            check(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            check(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            check(node.target)

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            name = get_full_name_for_node(node.func) or ""
            if name.endswith("cudnn.flags") and any(a.keyword and a.keyword.value == "benchmark" for a in node.args):
                found = True
            if name == "setattr" and len(node.args) >= 2 and _is_cudnn(node.args[0].value):
                found = True

    module.visit(Visitor())
    return found


def _is_cudnn(node: cst.BaseExpression) -> bool:
    name = get_full_name_for_node(node) or ""
    return name == "cudnn" or name.endswith(".cudnn")


def _iterations(facts: Facts, loops: Iterable[int]) -> float:
    """How many times the innermost body runs, when every loop has a literal count; else infinity."""
    total = 1.0
    for loop_id in loops:
        total *= _literal_count(facts.nodes[loop_id].node)
    return total


def _literal_count(loop: cst.CSTNode) -> float:
    if not isinstance(loop, cst.For):
        return float("inf")
    iterable = loop.iter
    if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
        if all(isinstance(element, cst.Element) for element in iterable.elements):
            return float(len(iterable.elements))
        return float("inf")
    if isinstance(iterable, cst.Call) and get_full_name_for_node(iterable.func) == "range":
        bounds = []
        for arg in iterable.args:
            if arg.keyword is not None or arg.star:
                return float("inf")
            try:
                value = ast.literal_eval(cst.Module([]).code_for_node(arg.value))
            except (ValueError, SyntaxError):
                return float("inf")
            if not isinstance(value, int):
                return float("inf")
            bounds.append(value)
        if 1 <= len(bounds) <= 3 and (len(bounds) < 3 or bounds[2] != 0):
            return float(len(range(*bounds)))
    return float("inf")


def _reads(node: cst.CSTNode | None) -> set[str]:
    return names_in(node) if node is not None else set()


def _varying_slice(module: cst.Module, loop: cst.For | cst.While) -> bool:
    """A slice in the loop whose length changes with the iteration (`data[: step + 1]`)."""
    changed = bound_in(loop)
    varying = False

    class Slices(cst.CSTVisitor):
        def visit_Slice(self, node: cst.Slice) -> None:
            nonlocal varying
            if changed & _reads(node.step):
                varying = True
            lower, upper = node.lower, node.upper
            if not changed & (_reads(lower) | _reads(upper)):
                return
            if lower is None or upper is None or not _constant_width(module, lower, upper, changed):
                varying = True

    loop.visit(Slices())
    return varying


def _constant_width(
    module: cst.Module, lower: cst.BaseExpression, upper: cst.BaseExpression, changed: set[str]
) -> bool:
    """Is `upper - lower` the same whatever the loop's names hold (`i * n : (i + 1) * n`)?

    Integer arithmetic only, checked on a few random values of the names the loop changes
    (the others keep one value)."""
    try:
        low = ast.parse(module.code_for_node(lower).strip(), mode="eval").body
        high = ast.parse(module.code_for_node(upper).strip(), mode="eval").body
    except SyntaxError:
        return False
    rng = random.Random(301)
    fixed: dict[str, int] = {}
    widths = set()
    for _ in range(3):
        values = {name: value for name, value in fixed.items() if name.split(".")[0] not in changed}
        try:
            widths.add(_evaluate(high, values, rng) - _evaluate(low, values, rng))
        except _Unsupported:
            return False
        fixed = values
    return len(widths) == 1


class _Unsupported(Exception):
    pass


def _evaluate(node: ast.expr, values: dict[str, int], rng: random.Random) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, (ast.Name, ast.Attribute)):
        key = ast.unparse(node)
        if key not in values:
            values[key] = rng.randint(1, 10**6)
        return values[key]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, values, rng)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        left, right = _evaluate(node.left, values, rng), _evaluate(node.right, values, rng)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        return left * right
    raise _Unsupported

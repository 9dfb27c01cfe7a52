"""Inputs synthesized from how a function uses its parameters, spread over families of edge cases (runs in the child).

A parameter's kind comes from its annotation, else its default, else its uses in the body
(`range(n)` makes an int, `x.T` a rank-2 tensor, `for b in batches` a list of tensors).
Each family (float32 square, float64 non-square, float16, empty, NaN/inf, aliased
arguments, loop counts past the data...) searches a few shape layouts and keeps the first
on which the original runs, so that a rewrite meets the inputs that tell wrong rewrites
apart; inputs on which the original raises are kept too, after the others, since the
rewrite must raise the same exception.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import inspect
import itertools
import pickle
import re
import signal
import sys
import textwrap
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

_TENSOR_TYPES = {  # the most specific first
    "torch.Tensor": "torch",
    "torch.tensor": "torch",
    "tensorflow.Tensor": "tensorflow",
    "tf.Tensor": "tensorflow",
    "ndarray": "numpy",
    "Tensor": None,
}
_SEQUENCE_WORDS = ("list", "List", "Sequence", "Iterable", "tuple", "Tuple")
_SIZE_CALLS = frozenset(
    {"reshape", "view", "zeros", "ones", "empty", "eye", "arange", "randn", "rand", "randint", "repeat", "tile"}
    | {"expand", "new_zeros", "new_ones", "new_empty", "identity"}
)
_TENSOR_ATTRIBUTES = frozenset({"shape", "dtype", "ndim", "size", "device", "T", "mT", "numel", "flat"})
_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "pop", "items", "keys", "values", "get", "copy"})
_WRITING_METHODS = frozenset({"assign", "assign_add", "assign_sub", "fill", "sort", "put", "itemset", "resize"})
_FRAMEWORK_NAMES = ("torch", "tensorflow", "numpy")

TRIAL_SECONDS = 2.0  # a family whose trial call takes longer is skipped
TOTAL_SECONDS = 10.0  # no trial starts after this much time
LAYOUTS_PER_FAMILY = 12  # shape layouts a family tries before giving up


# -- frameworks ------------------------------------------------------------------------------


def _framework_of(annotation: Any, module: types.ModuleType) -> str | None:
    """Which framework's tensor an annotation names (None: not a tensor annotation)."""
    text = _annotation_text(annotation)
    for suffix, framework in _TENSOR_TYPES.items():
        if suffix in text:
            return framework or _module_framework(module) or "numpy"
    if "tensorflow" in text and "Tensor" in text:
        return "tensorflow"
    return None


def _module_framework(module: types.ModuleType) -> str | None:
    """The framework a module imports (torch before tensorflow before numpy), or None."""
    names = {getattr(value, "__name__", "") for value in vars(module).values() if isinstance(value, types.ModuleType)}
    for framework in _FRAMEWORK_NAMES:
        if any(name == framework or name.startswith(framework + ".") for name in names):
            return framework
    return None


def _framework_aliases(module: types.ModuleType) -> frozenset[str]:
    """Global names bound to a framework module (np, torch, tf, F, nn...): calls through them take tensors."""
    return frozenset(
        name
        for name, value in vars(module).items()
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] in _FRAMEWORK_NAMES
    )


def _to_framework(array: Any, framework: str | None) -> Any:
    """A NumPy array as the framework's tensor (nested lists when the module uses none)."""
    if framework == "torch":
        return sys.modules["torch"].from_numpy(array.copy())
    if framework == "tensorflow":
        return sys.modules["tensorflow"].constant(array)
    if framework is None:
        return array.tolist()
    return array.copy()


def _annotation_text(annotation: Any) -> str:
    if annotation is inspect.Parameter.empty:
        return ""
    if isinstance(annotation, str):
        return annotation
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}"
    return str(annotation)


# -- how the body uses each parameter --------------------------------------------------------


@dataclasses.dataclass
class _Usage:
    """What the body does with one name: the evidence for its kind and rank."""

    int_like: bool = False
    float_like: bool = False
    tensor: bool = False  # attributes, `@`, framework calls: surely not a list
    container: bool = False  # iterated, indexed or len()'d: a tensor or a list
    iterated: bool = False
    loop_indexed: bool = False
    none_checked: bool = False
    written: bool = False
    rank: int = 0  # the least rank its uses need
    scalar_uses: int = 0  # loads as a direct operand of `*` or `/`
    loads: int = 0
    partners: set[str] = dataclasses.field(default_factory=set)  # names on the other side of `*`, `/`
    element: str | None = None  # the loop variable bound to its items

    def at_least(self, rank: int) -> None:
        self.rank = max(self.rank, rank)


class _UsageReader:
    """Reads a function's body once and records a `_Usage` per parameter and loop variable."""

    def __init__(self, function: ast.FunctionDef | ast.AsyncFunctionDef, frameworks: frozenset[str]) -> None:
        self.frameworks = frameworks
        self.parents = {child: node for node in ast.walk(function) for child in ast.iter_child_nodes(node)}
        self.usages: dict[str, _Usage] = {a.arg: _Usage() for a in _all_arguments(function.args)}
        self.counters: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self.bind_loop(node.target, node.iter)
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and node.id in self.usages:
                self.read(node)

    def bind_loop(self, target: ast.expr, iterable: ast.expr) -> None:
        """`for v in xs`, `for w, g in zip(ws, gs)`, `for i, v in enumerate(xs)`, `for i in range(n)`."""
        pairs: list[tuple[ast.expr, ast.expr]] = [(target, iterable)]
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name):
            called = iterable.func.id
            if called == "range" and isinstance(target, ast.Name):
                self.counters.add(target.id)
                return
            if called == "zip" and isinstance(target, ast.Tuple):
                pairs = list(zip(target.elts, iterable.args, strict=False))
            elif called == "enumerate" and isinstance(target, ast.Tuple) and len(target.elts) == 2 and iterable.args:
                pairs = [(target.elts[1], iterable.args[0])]
        for element, source in pairs:
            if isinstance(source, ast.Name) and source.id in self.usages:
                usage = self.usages[source.id]
                usage.iterated = usage.container = True
                usage.at_least(1)
                if isinstance(element, ast.Name):
                    usage.element = element.id
                    self.usages.setdefault(element.id, _Usage())

    def read(self, name: ast.Name) -> None:
        usage = self.usages[name.id]
        if isinstance(name.ctx, ast.Store):
            if isinstance(self.parents.get(name), ast.AugAssign):
                usage.written = True
            return
        usage.loads += 1
        self.read_context(name, usage)
        self.read_arithmetic(name, usage)

    def read_context(self, name: ast.Name, usage: _Usage) -> None:
        """Evidence from the node that directly holds the name."""
        parent = self.parents.get(name)
        if isinstance(parent, ast.Attribute):
            self.read_attribute(parent, usage)
        elif isinstance(parent, ast.Subscript) and parent.value is name:
            self.read_subscript(parent, usage)
        elif isinstance(parent, ast.Call) and name in parent.args:
            self.read_argument(parent, usage)
        elif isinstance(parent, ast.keyword) and parent.arg == "out":
            usage.tensor = usage.written = True
        elif isinstance(parent, ast.Compare):
            self.read_compare(parent, usage)
        elif _tests_truth(parent, name):
            usage.none_checked = True
        elif isinstance(parent, (ast.List, ast.Tuple)):
            call = self.parents.get(parent)
            if isinstance(call, ast.Call):
                self.read_argument(call, usage, packed=True)

    def read_attribute(self, attribute: ast.Attribute, usage: _Usage) -> None:
        """`x.T` is rank 2, `x.shape[1]` at least 2, `x.add_(...)` writes x; `xs.append` says nothing."""
        if attribute.attr in _CONTAINER_METHODS:
            return
        usage.tensor = True
        if attribute.attr in ("T", "mT"):
            usage.at_least(2)
        outer = self.parents.get(attribute)
        if attribute.attr == "shape" and isinstance(outer, ast.Subscript) and isinstance(outer.slice, ast.Constant):
            axis = outer.slice.value
            if isinstance(axis, int):
                usage.at_least(axis + 1 if axis >= 0 else -axis)
        is_call = isinstance(outer, ast.Call) and outer.func is attribute
        if is_call and (attribute.attr in _WRITING_METHODS or _in_place(attribute.attr)):
            usage.written = True

    def read_subscript(self, subscript: ast.Subscript, usage: _Usage) -> None:
        """`x[i, j]` needs rank 2, `x[i][j]` too; `w[i] = ...` writes w; `xs[i]` in a range loop may be a list."""
        usage.container = True
        rank, node = 0, subscript
        while True:
            rank += _index_rank(node.slice)
            usage.written = usage.written or isinstance(node.ctx, ast.Store)
            outer = self.parents.get(node)
            if not (isinstance(outer, ast.Subscript) and outer.value is node):
                break
            node = outer
        usage.at_least(rank)
        if isinstance(subscript.slice, ast.Name) and subscript.slice.id in self.counters:
            usage.loop_indexed = True

    def read_argument(self, call: ast.Call, usage: _Usage, packed: bool = False) -> None:
        """`len(x)`; a framework function's argument is a tensor (unless it is a size)."""
        callee = call.func
        if isinstance(callee, ast.Name) and callee.id == "len" and not packed:
            usage.container = True
            usage.at_least(1)
        elif _callee_name(callee) in _SIZE_CALLS:
            return
        elif _root_name(callee) in self.frameworks:
            usage.tensor = True

    def read_compare(self, compare: ast.Compare, usage: _Usage) -> None:
        """`p is None` marks an optional; a comparison with an int literal marks an int."""
        operands = [compare.left, *compare.comparators]
        if any(isinstance(o, ast.Constant) and o.value is None for o in operands):
            usage.none_checked = True
        elif any(_is_int_literal(o) for o in operands):
            usage.int_like = True
        elif any(isinstance(o, ast.Constant) and isinstance(o.value, float) for o in operands):
            usage.float_like = True

    def read_arithmetic(self, name: ast.Name, usage: _Usage) -> None:
        """Climb through arithmetic: `range(n - 1)`, `x[: k + 1]`, `np.zeros((n, d))`, `lr * g`, `a @ b`."""
        node: ast.AST = name
        parent = self.parents.get(node)
        if isinstance(parent, ast.BinOp):
            self.read_operator(parent, node, usage)
        while isinstance(parent, (ast.BinOp, ast.UnaryOp)) and not isinstance(parent.op, ast.MatMult):
            node, parent = parent, self.parents.get(parent)
        if isinstance(parent, ast.Tuple) and isinstance(self.parents.get(parent), ast.Call):
            node, parent = parent, self.parents.get(parent)
        if isinstance(parent, ast.Slice) or (isinstance(parent, ast.Compare) and _compares_int(parent)):
            usage.int_like = True
        elif isinstance(parent, ast.Call) and node in parent.args:
            if _callee_name(parent.func) in _SIZE_CALLS or _callee_name(parent.func) == "range":
                usage.int_like = True

    def read_operator(self, operation: ast.BinOp, operand: ast.AST, usage: _Usage) -> None:
        other = operation.right if operation.left is operand else operation.left
        if isinstance(operation.op, ast.MatMult):
            usage.tensor = True
        elif isinstance(operation.op, (ast.FloorDiv, ast.Mod)):
            usage.int_like = True
        elif isinstance(operation.op, (ast.Mult, ast.Div)):
            usage.scalar_uses += 1
            usage.partners.update(n.id for n in ast.walk(other) if isinstance(n, ast.Name))


def _tests_truth(parent: ast.AST | None, name: ast.Name) -> bool:
    """`if p:`, `p or default`, `not p`: the body branches on whether p is given."""
    if isinstance(parent, (ast.If, ast.IfExp, ast.While)):
        return parent.test is name
    return isinstance(parent, ast.BoolOp) or (isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not))


def _all_arguments(arguments: ast.arguments) -> list[ast.arg]:
    return [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]


def _in_place(method: str) -> bool:
    """PyTorch's in-place methods end with one underscore (`add_`, `copy_`)."""
    return method.endswith("_") and not method.startswith("_")


def _index_rank(index: ast.expr) -> int:
    """How many axes an index addresses: `[i, :, j]` three, `[..., 0]` one, `[None]` none."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return sum(1 for part in parts if not (isinstance(part, ast.Constant) and part.value in (None, Ellipsis)))


def _callee_name(callee: ast.expr) -> str:
    if isinstance(callee, ast.Attribute):
        return callee.attr
    return callee.id if isinstance(callee, ast.Name) else ""


def _root_name(callee: ast.expr) -> str:
    while isinstance(callee, ast.Attribute):
        callee = callee.value
    return callee.id if isinstance(callee, ast.Name) else ""


def _is_int_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


def _compares_int(compare: ast.Compare) -> bool:
    return any(_is_int_literal(o) for o in [compare.left, *compare.comparators])


def _function_node(target: Callable[..., Any]) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function's own syntax tree, or None where its source cannot be had."""
    try:
        source = textwrap.dedent(inspect.getsource(inspect.unwrap(target)))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


# -- parameter kinds -------------------------------------------------------------------------

_Form = tuple[str, int]  # (int|float|bool|str|fixed|tensor|tensors, rank of the tensor or of each item)


@dataclasses.dataclass
class _Param:
    """One parameter: the forms worth trying, in order of preference, and how it is passed."""

    name: str
    forms: list[_Form]
    framework: str | None
    default: Any
    keyword: bool  # passed by name: keyword-only, or has a default
    settable: bool  # a defaulted positional-only parameter is left alone
    optional: bool = False  # default None and the body branches on it: tried as None and as a value
    written: bool = False
    dtype: str | None = None  # pinned by an example call
    example: Any = None  # an example's value, passed as it is (kind "example")

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


def _parameters(target: Callable[..., Any], module: types.ModuleType) -> list[_Param] | None:
    """The parameters a call must or may set, with their kinds; None when there is no signature."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    node = _function_node(target)
    usages = _UsageReader(node, _framework_aliases(module)).usages if node is not None else {}
    framework = _module_framework(module)
    found = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        found.append(_parameter(parameter, usages, framework, module))
        if node is None and found[-1].forms[0][0] == "tensor":  # no source to read: a loop count, perhaps
            found[-1].forms.append(("int", 0))
    return found


def _parameter(
    parameter: inspect.Parameter, usages: dict[str, _Usage], framework: str | None, module: types.ModuleType
) -> _Param:
    usage = usages.get(parameter.name, _Usage())
    annotated = _framework_of(parameter.annotation, module)
    forms = _annotated_forms(parameter.annotation, annotated) or _default_forms(parameter.default)
    forms = forms or _used_forms(parameter.name, usage, usages)
    keyword = parameter.kind == parameter.KEYWORD_ONLY or parameter.default is not inspect.Parameter.empty
    settable = parameter.kind != parameter.POSITIONAL_ONLY or parameter.default is inspect.Parameter.empty
    optional = parameter.default is None and (usage.none_checked or "None" in _annotation_text(parameter.annotation))
    return _Param(
        parameter.name, forms, annotated or framework, parameter.default, keyword, settable, optional, usage.written
    )


def _annotated_forms(annotation: Any, framework: str | None) -> list[_Form]:
    """int, float, bool, str, a tensor type or a list of one."""
    text = _annotation_text(annotation).replace("builtins.", "")
    for scalar, form in (("int", "int"), ("float", "float"), ("bool", "bool"), ("str", "str")):
        if text in (scalar, f"{scalar} | None", f"Optional[{scalar}]", f"typing.Optional[{scalar}]"):
            return [(form, 0)]
    if framework is None:
        return []
    if any(word in text for word in _SEQUENCE_WORDS):
        return [("tensors", 1), ("tensors", 2)]
    return [("tensor", 2), ("tensor", 1)]


_KNOWN_ANNOTATION = re.compile(r"\b(int|float|bool|str|Tensor|ndarray|Array(?:Like)?|list|List|Sequence|tuple|Tuple)\b")


def _unbuildable(parameter: inspect.Parameter) -> bool:
    """A required parameter annotated with a type of the user's (a config class) that no family builds."""
    if parameter.annotation is inspect.Parameter.empty or parameter.default is not inspect.Parameter.empty:
        return False
    if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
        return False
    return not _KNOWN_ANNOTATION.search(_annotation_text(parameter.annotation))


def _default_forms(default: Any) -> list[_Form]:
    if default is inspect.Parameter.empty or default is None:
        return []
    if isinstance(default, bool):
        return [("bool", 0)]
    if not isinstance(default, (int, float)):
        return [("fixed", 0)]
    return [("int", 0)] if isinstance(default, int) else [("float", 0)]


def _used_forms(name: str, usage: _Usage, usages: dict[str, _Usage]) -> list[_Form]:
    """The forms the body's uses allow, the likeliest first."""
    if usage.int_like and not usage.tensor and not usage.container:
        return [("int", 0)]
    if usage.float_like and not usage.tensor and not usage.container:
        return [("float", 0)]
    if _scalar_only(usage, usages):
        return [("float", 0)]
    if usage.iterated or (usage.loop_indexed and usage.container and not usage.tensor):
        return _container_forms(name, usage, usages)
    ranks = [usage.rank] if usage.rank >= 2 else [1, 2] if usage.rank == 1 else [2, 1]
    return [("tensor", rank) for rank in ranks]


def _scalar_only(usage: _Usage, usages: dict[str, _Usage]) -> bool:
    """`lr` in `w - lr * g`: only ever multiplies (or divides) something that is a tensor."""
    if usage.tensor or usage.container or not usage.loads or usage.scalar_uses < usage.loads:
        return False
    elements = {u.element for u in usages.values() if u.element}
    return any(p in elements or usages[p].tensor or usages[p].container for p in usage.partners if p in usages)


def _container_forms(name: str, usage: _Usage, usages: dict[str, _Usage]) -> list[_Form]:
    """A list of tensors or one tensor whose rows are the items: plural names (`batches`) list first."""
    element = usages.get(usage.element or "", _Usage())
    item_rank = max(element.rank, usage.rank - 1)
    listed: _Form = ("tensors", max(item_rank, 1))
    stacked: list[_Form] = [("tensor", item_rank + 1)] if item_rank else [("tensor", 2), ("tensor", 1)]
    plural = (name.endswith("s") and len(name) > 2) or "list" in name
    return [listed, *stacked] if plural and not usage.tensor else [*stacked, listed]


def _pin(params: list[_Param], like: list[bytes]) -> None:
    """Each parameter's form (and dtype) as in the first example call that unpickles here."""
    for blob in like:
        try:
            args, kwargs, *_ = pickle.loads(blob)  # captured calls also carry the globals read
        except Exception:  # refers to a class this process cannot find
            continue
        given = dict(zip([p.name for p in params if not p.keyword], args, strict=False)) | dict(kwargs)
        for param in params:
            if param.name in given and given[param.name] is not None:
                _pin_to(param, given[param.name])
        return


def _pin_to(param: _Param, value: Any) -> None:
    items = value if isinstance(value, (list, tuple)) and value and _is_tensor(value[0]) else None
    sample = items[0] if items is not None else value
    if _is_tensor(sample):
        param.forms = [("tensors" if items is not None else "tensor", len(sample.shape))]
        param.framework, param.dtype = _tensor_framework(sample), _dtype_name(sample)
    elif isinstance(value, bool):
        param.forms = [("bool", 0)]
    elif isinstance(value, (int, float)):
        param.forms = [("int" if isinstance(value, int) else "float", 0)]
    else:
        param.forms, param.example = [("example", 0)], value


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def _tensor_framework(value: Any) -> str | None:
    root = type(value).__module__.split(".")[0]
    return root if root in ("torch", "tensorflow") else "numpy"


def _dtype_name(value: Any) -> str:
    """ "float32" from NumPy's, PyTorch's (`torch.float32`) or TensorFlow's dtype."""
    return str(getattr(value.dtype, "name", value.dtype)).removeprefix("torch.")


# -- families --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Family:
    """One kind of input: dtype, sizes, values and loop counts."""

    name: str
    dtype: str | None = None  # None: the example call's dtype, else float32
    sizes: tuple[int, ...] = (4, 4, 4)
    fill: str = "uniform"  # uniform | integers | special | large | ones
    ints: int | None = None  # every int parameter; None: its default, else min(3, sizes[0])
    least_rank: bool = False  # the lowest rank each tensor allows first, a tensor before a list
    mismatched: bool = False  # each tensor or list one longer than the one before
    optional: bool = True  # None-default parameters get a value
    aliased: bool = False  # the same tensor passed for two parameters
    other_container: bool = False  # lists and tensors tried the other way round
    search: bool = True  # look for a layout that runs (else reuse the float32 square one)

    def int_value(self, default: Any) -> int:
        if self.ints is not None:
            return self.ints
        return default if isinstance(default, int) else min(3, self.sizes[0])


_LENGTH = 4
FAMILIES = (
    _Family("float32 square", optional=False),
    _Family("float16 long reduction of ones", dtype="float16", sizes=(4096, 2, 2), fill="ones", least_rank=True),
    _Family("float64 non-square", dtype="float64", sizes=(3, 5, 4)),
    _Family("loop count past the data", ints=_LENGTH + 2, search=False),
    _Family("aliased arguments", aliased=True, search=False),
    _Family("mismatched lengths", mismatched=True),
    _Family("NaN and inf", fill="special", search=False),
    _Family("empty", sizes=(0, 3, 3)),
    _Family("length one", sizes=(1, 1, 1)),
    _Family("float64 non-square transposed", dtype="float64", sizes=(5, 3, 4)),
    _Family("float16", dtype="float16", search=False),
    _Family("loop count -1", ints=-1, search=False),
    _Family("loop count 0", ints=0, search=False),
    _Family("loop count 1", ints=1, search=False),
    _Family("integer dtype", dtype="int64", fill="integers"),
    _Family("1-D vectors", sizes=(6, 3, 3), least_rank=True),
    _Family("large magnitudes", fill="large", search=False),
    _Family("lists and tensors swapped", other_container=True),
)

_Option = tuple[_Form, tuple[int, ...]]  # a form and the shape of the tensor (or of each item)


def _shapes(rank: int, family: _Family) -> list[tuple[int, ...]]:
    """Shapes of a rank from the family's sizes: as given, then permuted (non-square both ways)."""
    sizes = (family.sizes * rank)[:rank]
    shapes: list[tuple[int, ...]] = []
    for shape in itertools.permutations(sizes):
        if shape not in shapes:
            shapes.append(shape)
    return shapes[:3]


def _options(param: _Param, family: _Family) -> list[_Option]:
    forms = param.forms[::-1] if family.other_container and len(param.forms) > 1 else param.forms
    if family.least_rank:  # `(4096,)` itself, not a list of them
        forms = sorted(forms, key=lambda form: (form[0] != "tensor", form[1]))
    return [(form, shape) for form in forms for shape in (_shapes(form[1], family) if form[1] else [()])]


def _layouts(options: list[list[_Option]]) -> Iterator[tuple[_Option, ...]]:
    """Choices of one option per parameter, those closest to every first choice first."""
    varied = [i for i, choices in enumerate(options) if len(choices) > 1]
    first = tuple(choices[0] for choices in options)
    yield first
    for changed in range(1, len(varied) + 1):
        for positions in itertools.combinations(varied, changed):
            for picks in itertools.product(*(range(1, len(options[p])) for p in positions)):
                layout = list(first)
                for position, pick in zip(positions, picks, strict=True):
                    layout[position] = options[position][pick]
                yield tuple(layout)


# -- values ----------------------------------------------------------------------------------


def _array(shape: tuple[int, ...], family: _Family, rng: Any, dtype: str | None) -> Any:
    import numpy as np

    if family.dtype is not None and (dtype is None or np.issubdtype(np.dtype(dtype), np.floating)):
        dtype = family.dtype  # a float parameter of the program's is also tried in the family's dtype
    dtype = dtype or "float32"
    if family.fill == "ones":
        return np.ones(shape, dtype=dtype)
    if family.fill == "integers":
        return rng.integers(-5, 6, size=shape).astype(dtype)
    scale = 1e4 if family.fill == "large" else 2.0
    array = rng.uniform(-scale, scale, size=shape).astype(dtype)
    if family.fill == "special" and array.size and np.issubdtype(array.dtype, np.floating):
        flat = array.reshape(-1)
        flat[0], flat[-1], flat[flat.size // 2] = np.nan, np.inf, -np.inf
    return array


def _value(param: _Param, option: _Option, family: _Family, rng: Any, ordinal: int) -> Any:
    """The argument for one parameter; `ordinal` counts the tensor parameters before it (mismatched lengths)."""
    (kind, _), shape = option
    if kind == "int":
        return family.int_value(param.default)
    if kind == "float":
        return param.default if isinstance(param.default, float) else 1e3 if family.fill == "large" else 0.1
    if kind == "example":
        return param.example
    if kind in ("bool", "str", "fixed"):
        return param.default if not param.required else {"bool": True, "str": "a"}.get(kind)
    grow = ordinal if family.mismatched else 0
    if kind == "tensor":
        shape = (shape[0] + grow, *shape[1:]) if shape else shape
        return _to_framework(_array(shape, family, rng, param.dtype), param.framework)
    length = min(3, family.sizes[0]) + grow
    return [_to_framework(_array(shape, family, rng, param.dtype), param.framework) for _ in range(length)]


def _passes(param: _Param, option: _Option, family: _Family) -> bool:
    """Whether the call sets this parameter (a defaulted one keeps its default unless varied)."""
    if param.required:
        return True
    if not param.settable:
        return False
    if param.optional:
        return family.optional
    return option[0][0] == "int" and family.ints is not None


def _build(params: list[_Param], layout: tuple[_Option, ...], family: _Family, seed: int) -> bytes:
    """One pickled (args, kwargs), pickled whole so that aliased arguments stay aliased."""
    import numpy as np

    rng = np.random.default_rng(seed)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    values: dict[str, Any] = {}
    ordinal = 0
    for param, option in zip(params, layout, strict=True):
        if not _passes(param, option, family):
            continue
        values[param.name] = _value(param, option, family, rng, ordinal)
        ordinal += option[0][0] in ("tensor", "tensors")
    if family.aliased:
        _alias(params, layout, values)
    for param in params:
        if param.name not in values:
            continue
        if param.keyword:
            kwargs[param.name] = values[param.name]
        else:
            args.append(values[param.name])
    return pickle.dumps((args, kwargs))


def _alias(params: list[_Param], layout: tuple[_Option, ...], values: dict[str, Any]) -> None:
    """The same tensor for two tensor parameters of one shape, one written in place where possible."""
    tensors = [(p, o) for p, o in zip(params, layout, strict=True) if o[0][0] == "tensor" and p.name in values]
    pairs = [(a, b) for (a, oa), (b, ob) in itertools.combinations(tensors, 2) if oa[1] == ob[1]]
    pairs.sort(key=lambda pair: not (pair[0].written or pair[1].written))
    if not pairs:
        raise _NoInput
    first, second = pairs[0]
    values[second.name] = values[first.name]


class _NoInput(Exception):
    """The family has no input for this function (nothing to alias)."""


# -- trials ----------------------------------------------------------------------------------


class _TrialTimeout(BaseException):
    """A trial call ran past its time (a BaseException, so the program's `except Exception` lets it by)."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupts the block after `seconds` (only possible in the main thread; elsewhere unbounded)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: types.FrameType | None) -> None:
        raise _TrialTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    start = time.monotonic()
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:  # someone else's timer was running: it goes on
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))


@dataclasses.dataclass
class _Trials:
    """Runs the original on candidate inputs, within the time allowed."""

    fresh: Callable[[], types.ModuleType]
    function: str
    deadline: float

    def run(self, blob: bytes) -> str:
        """Whether the original "returned", "raised", or was "slow" (past the trial limit, or no time left)."""
        if time.monotonic() >= self.deadline:
            return "slow"
        start = time.monotonic()
        try:
            with warnings.catch_warnings(), _time_limit(min(TRIAL_SECONDS, self.deadline - start)):
                warnings.simplefilter("ignore")
                args, kwargs = pickle.loads(blob)
                getattr(self.fresh(), self.function)(*args, **kwargs)
        except (_TrialTimeout, SystemExit):  # an exit is no outcome the harness can compare
            return "slow"
        except Exception:
            return "raised" if time.monotonic() - start <= TRIAL_SECONDS else "slow"
        return "returned" if time.monotonic() - start <= TRIAL_SECONDS else "slow"


# -- the entry point -------------------------------------------------------------------------


def generate_inputs(
    fresh: Callable[[], types.ModuleType], function: str, count: int, like: list[bytes] | None = None
) -> list[bytes]:
    """Pickled (args, kwargs): up to `count` on which the original returns, one per family in order,
    then up to max(2, count // 2) on which it raises.

    `fresh` gives the module in its starting state; each trial call gets a new one, so the
    trials leave no state behind.  A method ("Cls.method") needs a receiver: none yet.
    `like`, pickled example calls (declared or captured), pins each parameter's kind, rank
    and dtype to the example's, so that the inputs stay in the domain the program uses.
    """
    if "." in function or count <= 0:
        return []
    module = fresh()
    target = getattr(module, function, None)
    if not callable(target):
        return []
    params = _parameters(target, module)
    if params is None:
        return []
    if like:
        _pin(params, like)
    elif any(_unbuildable(p) for p in inspect.signature(target).parameters.values()):
        return []  # a `cfg: Config` made up as a tensor says nothing of the function
    trials = _Trials(fresh, function, time.monotonic() + TOTAL_SECONDS)
    returned, raised = _search(params, trials, count, max(2, count // 2))
    return returned[:count] + raised[: max(2, count // 2)]


def _search(params: list[_Param], trials: _Trials, count: int, wanted: int) -> tuple[list[bytes], list[bytes]]:
    """Each family in turn: its first input that runs, and its first that raises, till there are enough."""
    returned: list[bytes] = []
    raised: list[bytes] = []
    square: tuple[_Option, ...] | None = None
    for index, family in enumerate(FAMILIES):
        if len(returned) >= count and len(raised) >= wanted:
            break
        layouts = [square] if not family.search and square is not None else _family_layouts(params, family, square)
        ran, failed = _try_family(params, family, layouts, trials, seed=index, seen=set(returned) | set(raised))
        if ran is not None:
            returned.append(ran[0])
            square = ran[1] if square is None and index == 0 else square
        if failed is not None:
            raised.append(failed)
    return returned, raised


def _family_layouts(
    params: list[_Param], family: _Family, square: tuple[_Option, ...] | None
) -> list[tuple[_Option, ...]]:
    """The layouts a family tries: the forms that ran in the square family first."""
    options = [_options(param, family) for param in params]
    if square is not None and not family.least_rank:
        for choices, (form, _) in zip(options, square, strict=True):
            choices.sort(key=lambda option: option[0] != form)
    return list(itertools.islice(_layouts(options), LAYOUTS_PER_FAMILY))


def _try_family(
    params: list[_Param],
    family: _Family,
    layouts: list[tuple[_Option, ...]],
    trials: _Trials,
    seed: int,
    seen: set[bytes],
) -> tuple[tuple[bytes, tuple[_Option, ...]] | None, bytes | None]:
    """The first layout on which the original returns (with the layout), and the first input it raises on."""
    failed: bytes | None = None
    for layout in layouts:
        try:
            blob = _build(params, layout, family, seed)
        except _NoInput:
            return None, None
        if blob in seen:
            continue
        outcome = trials.run(blob)
        if outcome == "returned":
            return (blob, layout), failed
        if outcome == "slow":
            break
        if failed is None:
            failed = blob
            seen.add(blob)
    return None, failed

"""Regenerate ``api.json``, the API knowledge base, from the frameworks' own registries.

Run ``python detectors/knowledge/generate.py`` with torch, tensorflow and numpy installed.
The analysis itself never imports the frameworks: it reads the JSON file this script writes.

Where the facts come from:

* PyTorch: the operator schemas of the dispatcher (``aten::``). Write annotations
  (``Tensor(a!)``) say what an operator mutates, alias sets shared by an argument and a
  result say that the result is a view, and operator tags say ``nondeterministic_seeded``
  (random), ``data_dependent_output`` / ``dynamic_output_shape`` (the host has to wait for
  the device). Python-level functions with no operator of their own are pure tensor
  functions unless their source calls a random operator.
* TensorFlow: ``OpDef`` protos (``is_stateful``, ``seed`` attributes, ``is_ref`` inputs).
  Public functions are matched to the operator they build by name; the rest of the math
  namespaces default to pure graph-building tensor functions.
* NumPy: ``numpy.ufunc`` objects (pure, with ``out``), signatures (an ``out`` parameter),
  and the ``numpy.random`` namespace. Other public functions default to pure.
* Attributes (``x.T``, ``x.shape``) are probed on a small real tensor of each framework:
  the probe says whether the value is a tensor and whether it shares memory.
* ``curated.toml`` supplies what none of this can tell, and always wins.

The output is deterministic for given framework versions: one entry per line, sorted.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import os
import re
import sys
import textwrap
import types
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project supports 3.10 through tomli
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

HERE = Path(__file__).resolve().parent
API_JSON = HERE / "api.json"
CURATED_TOML = HERE / "curated.toml"
FORMAT = 1

FLAG_NAMES = ("pure", "random", "graph", "sync", "tensor", "view", "stateful", "attribute")

# ---------------------------------------------------------------------------------------------
# The entry record and its text forms
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """What generation knows about one API; mirrors ``ApiInfo`` plus provenance."""

    pure: bool = False
    random: bool = False
    graph: bool = False
    sync: bool = False
    tensor: bool = False
    view: bool = False
    stateful: bool = False
    attribute: bool = False
    mutates: tuple[str, ...] = ()
    via: str = "rule"

    def flags(self) -> list[str]:
        return [name for name in FLAG_NAMES if getattr(self, name)]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"flags": self.flags()}
        if self.mutates:
            data["mutates"] = list(self.mutates)
        data["via"] = self.via
        return data


def mutation_order(arg: str) -> tuple[int, int, str]:
    """Sort key: the receiver first, then positions, then keyword names."""
    if arg == "self":
        return (0, 0, "")
    if arg.isdigit():
        return (1, int(arg), "")
    return (2, 0, arg)


def make(
    *,
    via: str,
    mutates: Iterable[str] = (),
    conditional: Iterable[str] = (),
    random: bool = False,
    stateful: bool = False,
    **flags: bool,
) -> Entry:
    """Build a consistent entry.

    ``mutates`` are always written when the call happens (the receiver, a required
    argument); ``conditional`` only when the caller passes them (``out=``). A call that
    always writes an argument, draws random numbers or touches state is not pure.
    Drawing random numbers advances a generator, so random implies stateful.
    """
    always = set(mutates)
    every = sorted(always | set(conditional), key=mutation_order)
    stateful = stateful or random
    pure = not always and not stateful
    return Entry(pure=pure, random=random, stateful=stateful, mutates=tuple(every), via=via, **flags)


def parse_spec(spec: str, via: str = "curated") -> Entry:
    """Parse a curated spec such as ``"pure tensor view"`` or ``"stateful mutates=0,out"``."""
    values: dict[str, Any] = {}
    mutates: tuple[str, ...] = ()
    for word in spec.split():
        if word.startswith("mutates="):
            mutates = tuple(sorted(word.split("=", 1)[1].split(","), key=mutation_order))
        elif word in FLAG_NAMES:
            values[word] = True
        else:
            raise ValueError(f"unknown word {word!r} in curated spec {spec!r}")
    entry = Entry(mutates=mutates, via=via, **values)
    if entry.pure and (entry.random or entry.stateful or "self" in entry.mutates):
        raise ValueError(f"curated spec {spec!r}: pure contradicts random/stateful/self")
    if entry.random and not entry.stateful:
        raise ValueError(f"curated spec {spec!r}: random draws advance state, add stateful")
    return entry


# ---------------------------------------------------------------------------------------------
# Helpers shared by the frameworks
# ---------------------------------------------------------------------------------------------

# Python operator protocol, by bare name (``__add__`` -> ``add``); reflected (``radd``) and
# in-place (``iadd``) forms are derived from the binary operators.
BINARY_OPERATORS = (
    "add", "sub", "mul", "truediv", "floordiv", "div", "mod", "pow", "matmul",
    "and", "or", "xor", "lshift", "rshift",
)  # fmt: skip
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
UNARY_OPERATORS = ("neg", "pos", "abs", "invert", "round")
CONVERSIONS = ("bool", "int", "float", "index", "complex", "nonzero", "long")


def dunder_entry(name: str, *, framework: str) -> Entry | None:
    """Python protocol methods, whose meaning is fixed by the language rather than a registry.

    Operators make a new tensor; in-place operators (``__iadd__``) write the receiver and
    return it. Conversions to Python scalars and ``__array__`` move data to the host, which
    for torch and TensorFlow means waiting for the device. NumPy indexing and iteration
    return views; TensorFlow builds a slicing op.
    """
    bare = name[2:-2]
    graph = framework == "tensorflow"
    host_wait = framework != "numpy"
    aliasing = framework != "tensorflow"
    if bare in COMPARISONS or bare in UNARY_OPERATORS:
        return make(via="python", tensor=True, graph=graph)
    if bare in BINARY_OPERATORS or (bare[:1] == "r" and bare[1:] in BINARY_OPERATORS):
        return make(via="python", tensor=True, graph=graph)
    if bare[:1] == "i" and bare[1:] in BINARY_OPERATORS + ("realdiv",):
        return make(via="python", mutates=["self"], tensor=True, view=True, graph=graph)
    if bare in CONVERSIONS:
        return make(via="python", sync=host_wait)
    if bare in ("getitem", "iter"):
        return make(via="python", tensor=True, view=aliasing, graph=graph)
    if bare == "setitem":
        return make(via="python", mutates=["self"])
    if bare == "len":
        return make(via="python")
    if bare == "contains":
        return make(via="python", sync=host_wait)
    if bare == "array":
        return make(via="python", tensor=True, sync=host_wait, view=aliasing)
    if bare in ("copy", "deepcopy"):
        return make(via="python", tensor=True)
    return None


def public_members(obj: object) -> list[str]:
    """Public names of a module or class, plus protocol dunders, sorted."""
    names = []
    for name in dir(obj):
        if name.startswith("__") and name.endswith("__"):
            names.append(name)
        elif not name.startswith("_"):
            names.append(name)
    return sorted(names)


def safe_getattr(obj: object, name: str) -> Any:
    try:
        return getattr(obj, name)
    except Exception:  # lazy loaders and deprecated attributes may raise anything
        return None


def is_settings_accessor(name: str) -> bool:
    """Getters and setters of process-wide settings (``set_num_threads``, ``get_printoptions``):
    they read or write global state, so they are never pure."""
    return name.startswith(("set_", "get_")) or (name.startswith(("is_", "are_")) and name.endswith("_enabled"))


def called_names(function: Callable[..., Any]) -> set[str]:
    """Names of everything a Python function calls (``torch.rand`` -> ``rand``)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            target = node.func
            if isinstance(target, ast.Attribute):
                names.add(target.attr)
            elif isinstance(target, ast.Name):
                names.add(target.id)
    return names


def calls_any(function: Callable[..., Any], targets: set[str], depth: int = 3) -> bool:
    """Whether a Python function calls one of ``targets``, following helper functions of its
    own module a few levels down (``pca_lowrank`` -> ``get_approximate_basis`` -> ``randn``)."""
    seen: set[int] = set()

    def visit(fn: Callable[..., Any], level: int) -> bool:
        if id(fn) in seen or level < 0:
            return False
        seen.add(id(fn))
        names = called_names(fn)
        if names & targets:
            return True
        namespace = getattr(fn, "__globals__", {})
        for name in sorted(names):
            helper = namespace.get(name)
            if inspect.isfunction(helper) and visit(helper, level - 1):
                return True
        return False

    return visit(inspect.unwrap(function), depth)


def signature_params(function: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []


# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------

TORCH_SUBMODULES = {"linalg_": "linalg", "fft_": "fft", "special_": "special"}
# Modules whose public Python functions compute on tensors (no operator of their own).
TORCH_MATH_MODULES = {
    "torch.functional", "torch.nn.functional", "torch._linalg_utils", "torch._lobpcg",
    "torch._lowrank", "torch.linalg", "torch.fft", "torch.special",
}  # fmt: skip


def aten_overloads(torch: Any) -> dict[str, list[Any]]:
    """Every ``aten`` operator registered with the dispatcher, by base name, with overloads.

    The dispatcher list leaves out TorchScript-only builtins (``aten::add.int`` on Python
    ints, list ``sort``), whose annotations describe lists, not tensors.
    """
    by_base: dict[str, list[Any]] = defaultdict(list)
    for full in sorted(torch._C._dispatch_get_all_op_names()):
        if not full.startswith("aten::"):
            continue
        base, _, overload = full[len("aten::") :].partition(".")
        packet = safe_getattr(torch.ops.aten, base)
        op = safe_getattr(packet, overload or "default") if packet is not None else None
        if op is not None:
            by_base[base].append(op)
    return dict(by_base)


def torch_public_names(torch: Any, base: str) -> Iterator[tuple[str, bool]]:
    """Public Python names of an aten operator, as (qualified name, is a Tensor method)."""
    if base.startswith("_") and not (base.startswith("__") and base.endswith("__")):
        return
    function = safe_getattr(torch, base)
    if callable(function) and not isinstance(function, type) and not base.startswith("__"):
        yield f"torch.{base}", False
    static = inspect.getattr_static(torch.Tensor, base, None)
    if static is not None and callable(static) and not isinstance(static, property):
        yield f"torch.Tensor.{base}", True
    if callable(safe_getattr(torch.nn.functional, base)) and not base.startswith("__"):
        yield f"torch.nn.functional.{base}", False
    for prefix, module in TORCH_SUBMODULES.items():
        rest = base[len(prefix) :]
        if base.startswith(prefix) and callable(safe_getattr(getattr(torch, module), rest)):
            yield f"torch.{module}.{rest}", False


def schema_entry(torch: Any, overloads: list[Any], method: bool) -> Entry:
    """Merge the schemas of all overloads of one operator, conservatively."""
    tag = torch.Tag
    random = sync = view = False
    always: set[str] = set()
    conditional: set[str] = set()
    returns_tensor: list[bool] = []
    for op in overloads:
        schema, tags = op._schema, set(op.tags)
        arguments = list(schema.arguments)
        out_overload = any(arg.kwarg_only and arg.is_out for arg in arguments)
        if method and out_overload:
            continue  # Tensor methods take no out=
        random |= tag.nondeterministic_seeded in tags
        sync |= bool(tags & {tag.data_dependent_output, tag.dynamic_output_shape})
        positional = [arg for arg in arguments if not arg.kwarg_only]
        if method:
            positional = [arg for arg in positional if arg.name != "self"]
        for arg in arguments:
            if arg.alias_info is None or not arg.alias_info.is_write:
                continue
            if method and arg.name == "self":
                always.add("self")
            elif arg.kwarg_only:  # Python passes every out variant's results as out=
                conditional.add("out" if arg.is_out else arg.name)
            else:
                always.add(str(positional.index(arg)))
        if out_overload:
            continue
        returns_tensor.append(any("Tensor" in str(ret.type) for ret in schema.returns))
        inputs = [arg.alias_info for arg in arguments if arg.alias_info and not arg.kwarg_only]
        sets = set().union(*(info.before_set for info in inputs)) if inputs else set()
        view |= any(ret.alias_info and ret.alias_info.before_set & sets for ret in schema.returns)
        view |= any("*" in info.after_set for info in inputs)
        view |= tag.maybe_aliasing_or_mutating in tags
    return make(
        via="aten",
        mutates=always,
        conditional=conditional,
        random=random,
        sync=sync,
        view=view,
        tensor=bool(returns_tensor) and all(returns_tensor),
    )


def torch_random_names(ops: Mapping[str, list[Any]], torch: Any) -> set[str]:
    """Base names of operators tagged ``nondeterministic_seeded``: calling one draws numbers."""
    seeded = torch.Tag.nondeterministic_seeded
    return {base for base, overloads in ops.items() if any(seeded in op.tags for op in overloads)}


def torch_python_functions(torch: Any, known: Mapping[str, Entry], random_names: set[str]) -> dict[str, Entry]:
    """Public Python functions of the tensor-math modules that wrap no single operator.

    They compute on tensors and return tensors; a source that calls a seeded operator
    (``F.gumbel_softmax`` calls ``exponential_``) makes them random.
    """
    out: dict[str, Entry] = {}
    namespaces = {
        "torch": torch, "torch.nn.functional": torch.nn.functional,
        "torch.linalg": torch.linalg, "torch.fft": torch.fft, "torch.special": torch.special,
    }  # fmt: skip
    for prefix, module in namespaces.items():
        for name in public_members(module):
            qualified = f"{prefix}.{name}"
            obj = safe_getattr(module, name)
            if qualified in known or name.startswith(("_", "assert_")) or not inspect.isfunction(obj):
                continue
            unwrapped = inspect.unwrap(obj)
            if getattr(unwrapped, "__module__", "") not in TORCH_MATH_MODULES:
                continue
            random = calls_any(unwrapped, random_names)
            out[qualified] = make(via="source", tensor=True, random=random)
    return out


def torch_settings(torch: Any, known: Mapping[str, Entry]) -> dict[str, Entry]:
    """``torch.set_num_threads``, ``torch.is_grad_enabled`` and their kind: global state."""
    out = {}
    for name in public_members(torch):
        qualified = f"torch.{name}"
        if qualified not in known and is_settings_accessor(name) and callable(safe_getattr(torch, name)):
            out[qualified] = make(via="rule", stateful=True)
    return out


def torch_init_functions(torch: Any, random_names: set[str]) -> dict[str, Entry]:
    """``torch.nn.init.*_`` fill their first argument in place; those that take a
    ``generator`` or whose source calls a seeded operator (``uniform_``) are random."""
    out = {}
    init = torch.nn.init
    for name in public_members(init):
        fn = safe_getattr(init, name)
        if name.endswith("_") and not name.startswith("_") and inspect.isfunction(fn):
            takes_generator = any(p.name == "generator" for p in signature_params(fn))
            random = takes_generator or calls_any(fn, random_names)
            out[f"torch.nn.init.{name}"] = make(via="source", mutates=["0"], tensor=True, view=True, random=random)
    return out


def torch_module_classes(torch: Any, random_callees: set[str]) -> dict[str, Entry]:
    """Constructors of ``torch.nn`` modules and ``torch.optim`` optimizers.

    A module whose construction initialises parameters randomly (its ``reset_parameters``
    or ``__init__`` calls a seeded operator or random ``torch.nn.init`` function, or builds
    such a module) is random; others (``nn.ReLU()``, ``nn.LazyLinear()``) are pure.
    Optimizers and schedulers hold state.
    """
    nn = torch.nn
    targets = set(random_callees)
    classes = {
        name: obj
        for name in public_members(nn)
        if isinstance(obj := safe_getattr(nn, name), type) and issubclass(obj, nn.Module)
    }
    random_classes: set[str] = set()
    changed = True
    while changed:  # fixpoint: a module that builds a random module is random
        changed = False
        for name, cls in classes.items():
            if name in random_classes:
                continue
            hooks = [getattr(cls, hook, None) for hook in ("reset_parameters", "_reset_parameters", "__init__")]
            if any(inspect.isfunction(h) and calls_any(h, targets | random_classes, depth=2) for h in hooks):
                random_classes.add(name)
                changed = True
    out = {f"torch.nn.{name}": make(via="source", random=name in random_classes) for name in classes}
    optim = torch.optim
    for name in public_members(optim):
        obj = safe_getattr(optim, name)
        if isinstance(obj, type) and issubclass(obj, optim.Optimizer) and obj is not optim.Optimizer:
            out[f"torch.optim.{name}"] = make(via="rule", stateful=True)
    scheduler = optim.lr_scheduler
    for name in public_members(scheduler):
        obj = safe_getattr(scheduler, name)
        if isinstance(obj, type) and issubclass(obj, scheduler.LRScheduler):
            # Constructing a scheduler writes initial_lr into the optimizer's param groups.
            out[f"torch.optim.lr_scheduler.{name}"] = make(via="rule", mutates=["0"], stateful=True)
    return out


def torch_tensor_methods(torch: Any, known: Mapping[str, Entry]) -> dict[str, Entry]:
    """Tensor methods with no operator of their own: protocol dunders and in-place
    helpers (a trailing underscore writes the receiver and returns it)."""
    out = {}
    for name in public_members(torch.Tensor):
        qualified = f"torch.Tensor.{name}"
        static = inspect.getattr_static(torch.Tensor, name, None)
        if qualified in known or not callable(static) or isinstance(static, (type, property)):
            continue
        if name.startswith("__"):
            entry = dunder_entry(name, framework="torch")
            if entry is not None:
                out[qualified] = entry
        elif name.endswith("_"):
            out[qualified] = make(via="rule", mutates=["self"], tensor=True, view=True)
    return out


def is_data_attribute(static: object) -> bool:
    """A property or C-level getter (``x.T``, ``x.shape``), as opposed to a method."""
    return isinstance(static, property) or type(static).__name__ in ("getset_descriptor", "member_descriptor")


def probe_attributes(
    cls: type,
    prefix: str,
    samples: list[Any],
    is_tensor: Callable[[Any], bool],
    shares: Callable[[Any, Any], bool],
) -> dict[str, Entry]:
    """Read every data attribute of ``cls`` on sample values: it is a tensor when the value
    is one, and a view when the value shares memory with the sample. Reading an attribute
    is pure; attributes no sample has (``grad`` before ``backward``) read as non-tensors."""
    out = {}
    for name in public_members(cls):
        if name.startswith("__") or not is_data_attribute(inspect.getattr_static(cls, name, None)):
            continue
        tensor = view = False
        for sample in samples:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # deprecated attributes warn when read
                    value = getattr(sample, name)
            except Exception:
                continue
            if is_tensor(value):
                tensor = True
                view = view or shares(value, sample)
        out[f"{prefix}.{name}"] = make(via="probe", attribute=True, tensor=tensor, view=view)
    return out


def torch_attributes(torch: Any) -> dict[str, Entry]:
    samples = [torch.ones(2, 3), torch.ones(2, 3, dtype=torch.complex64)]

    def shares(value: Any, sample: Any) -> bool:
        storage = value.untyped_storage()
        return bool(storage.data_ptr() == sample.untyped_storage().data_ptr() and storage.nbytes())

    return probe_attributes(torch.Tensor, "torch.Tensor", samples, lambda v: isinstance(v, torch.Tensor), shares)


def torch_apis() -> dict[str, Entry]:
    import torch

    ops = aten_overloads(torch)
    out: dict[str, Entry] = {}
    for base in sorted(ops):
        for qualified, method in torch_public_names(torch, base):
            out[qualified] = schema_entry(torch, ops[base], method)
    random_names = torch_random_names(ops, torch)
    out |= torch_python_functions(torch, out, random_names)
    out |= torch_settings(torch, out)
    init = torch_init_functions(torch, random_names)
    out |= init
    random_inits = {name.rsplit(".", 1)[1] for name, entry in init.items() if entry.random}
    out |= torch_module_classes(torch, random_names | random_inits)
    out |= torch_tensor_methods(torch, out)
    out |= torch_attributes(torch)
    return out


# ---------------------------------------------------------------------------------------------
# TensorFlow
# ---------------------------------------------------------------------------------------------

# Namespaces whose functions build graph operations on tensors.
TF_OP_NAMESPACES = (
    "", "math", "linalg", "nn", "random", "signal", "image", "strings", "sparse", "bitwise",
    "dtypes", "io", "summary", "debugging",
)  # fmt: skip
# TF1 namespaces whose objects differ from their TF2 namesakes.
TF_COMPAT_V1_NAMESPACES = ("", "nn", "math", "linalg", "random", "image", "sparse", "strings", "io", "summary", "train")
# Names of TF functions with no operator of their own that read or switch global settings
# (no graph operation), and that have effects (asserts, variables, collections, queues,
# checkpoints, files): conventions of the TensorFlow API, checked against its listings.
TF_SETTINGS = re.compile(r"^(enable_|disable_|get_|set_|executing_eagerly)|_enabled$")
TF_EFFECTS = re.compile(
    r"^(assert|add_|init|load_|import_|export_|write_|start_|create_|remove_|update_|register_|warm_start)"
    r"|variable|initializer|collection|queue|checkpoint|_producer$|^(maybe_)?(shuffle_)?batch(_join)?$|scope$|template$"
)
# Ops that write the variables passed to them. OpDefs mark variable inputs (``is_ref``
# references, ``DT_RESOURCE`` handles) but not whether they are written, and readers such
# as IsVariableInitialized take references too; the writers are named by these prefixes
# (ResourceApplyAdam, AssignAddVariableOp, ScatterNdUpdate, ...).
TF_VARIABLE_WRITERS = re.compile(r"^(Resource)?(Assign|Scatter|Apply|SparseApply|StridedSliceAssign|CountUpTo)")


def normal_name(name: str) -> str:
    return name.replace("_", "").lower()


def tf_op_entry(op_def: Any, names_by_input: Mapping[str, str] | None = None, via: str = "opdef") -> Entry:
    """What an OpDef says: stateful, random (a stateful-RNG ``seed`` attribute), and which
    inputs it writes (the variables of an assigning op), named by the Python parameter
    position when ``names_by_input`` knows it, else by input name (``tf.raw_ops`` takes
    keywords only)."""
    from tensorflow.core.framework import types_pb2

    attrs = {attr.name for attr in op_def.attr}
    random = "seed" in attrs and "Stateless" not in op_def.name
    written = []
    if TF_VARIABLE_WRITERS.match(op_def.name):
        for arg in op_def.input_arg:
            if arg.is_ref or arg.type == types_pb2.DT_RESOURCE:
                written.append((names_by_input or {}).get(arg.name, arg.name))
    return make(
        via=via,
        graph=True,
        tensor=len(op_def.output_arg) > 0,
        random=random,
        stateful=op_def.is_stateful or bool(written),  # writing a variable changes state
        mutates=written,
    )


def tf_op_index(registry: Any, op_names: Iterable[str]) -> dict[str, list[str]]:
    """Operators by normalised name (``MatMul`` -> ``matmul``); versioned ones are also found
    under their bare name (``PrintV2`` -> ``print``) after any exact match."""
    exact: dict[str, list[str]] = defaultdict(list)
    bare: dict[str, list[str]] = defaultdict(list)
    for name in sorted(op_names):
        exact[normal_name(name)].append(name)
        match = re.fullmatch(r"(.*?)V\d+", name)
        if match:
            bare[normal_name(match.group(1))].append(name)
    return {key: exact.get(key) or bare[key] for key in set(exact) | set(bare)}


def tf_function_entry(
    name: str, fn: Any, namespace: str, index: Mapping[str, list[str]], registry: Any, aliases: Mapping[str, str]
) -> Entry:
    """A public TensorFlow function: from the operator it builds when one matches its name
    (``matmul`` -> ``MatMul``, ``print_v2`` -> ``PrintV2``, curated aliases such as
    ``reduce_sum`` -> ``Sum``), else the namespace default: a pure graph-building tensor
    function, random when it takes a ``seed`` and is not stateless, stateful in the I/O,
    summary and debugging namespaces."""
    unwrapped = inspect.unwrap(fn)
    defined_as = getattr(unwrapped, "__name__", name)
    params = signature_params(unwrapped)
    seeded = any(p.name == "seed" for p in params) and "stateless" not in name
    if defined_as in aliases or name in aliases:
        candidates = [aliases.get(defined_as) or aliases[name]]
    else:
        candidates = index.get(normal_name(defined_as)) or index.get(normal_name(name)) or []
    if candidates:
        positions = {
            p.name: str(i) for i, p in enumerate(params) if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        }
        merged = [tf_op_entry(registry.get(op), positions) for op in candidates]
        return make(
            via="opdef",
            graph=True,
            tensor=all(entry.tensor for entry in merged),
            random=seeded or any(entry.random for entry in merged),
            stateful=any(entry.stateful for entry in merged),
            mutates=sorted({arg for entry in merged for arg in entry.mutates}),
        )
    if TF_SETTINGS.search(name):
        return make(via="name", stateful=True)
    effect = TF_EFFECTS.search(name) is not None or namespace in ("io", "summary", "debugging")
    return make(
        via="name" if effect else "namespace",
        graph=True,
        tensor=not effect or namespace == "io",
        random=seeded or (namespace == "random" and "stateless" not in name),
        stateful=effect,
    )


def tf_walk(root: Any, path: str) -> Any:
    module = root
    for part in filter(None, path.split(".")):
        module = safe_getattr(module, part)
    return module


def is_python_function(obj: Any) -> bool:
    """A plain function under TensorFlow's decorators (classes and modules are not)."""
    return callable(obj) and not isinstance(obj, type) and inspect.isfunction(inspect.unwrap(obj))


def tf_functions(
    root: Any,
    prefix: str,
    namespaces: Iterable[str],
    skip: Callable[[str, Any], bool],
    index: Mapping[str, list[str]],
    registry: Any,
    aliases: Mapping[str, str],
) -> dict[str, Entry]:
    """Entries for the public functions of some namespaces of ``root``."""
    out = {}
    for namespace in namespaces:
        module = tf_walk(root, namespace)
        if not isinstance(module, types.ModuleType):
            continue
        dotted = f"{prefix}.{namespace}" if namespace else prefix
        for name in public_members(module):
            obj = safe_getattr(module, name)
            if name.startswith("__") or not is_python_function(obj) or skip(f"{namespace}.{name}".lstrip("."), obj):
                continue
            out[f"{dotted}.{name}"] = tf_function_entry(name, obj, namespace, index, registry, aliases)
    return out


def tf_raw_ops(tf: Any, registry: Any) -> dict[str, Entry]:
    """``tf.raw_ops.X`` is the operator ``X`` itself (keyword arguments only)."""
    out = {}
    for name in public_members(tf.raw_ops):
        op_def = registry.get(name)
        if op_def is not None:
            out[f"tensorflow.raw_ops.{name}"] = tf_op_entry(op_def)
    return out


def tf_optimizers(tf: Any) -> dict[str, Entry]:
    """TF1 optimizers hold slot variables and a step count: constructing one is stateful."""
    train = tf.compat.v1.train
    out = {}
    for name in public_members(train):
        obj = safe_getattr(train, name)
        if isinstance(obj, type) and issubclass(obj, train.Optimizer):
            out[f"tensorflow.compat.v1.train.{name}"] = make(via="rule", stateful=True)
    return out


def tf_class_members(cls_path: str, classes: list[type], skip: set[str]) -> dict[str, Entry]:
    """Methods of ``tf.Tensor`` / ``tf.Variable`` (the eager and resource subclasses
    included): operators build ops; ``assign*`` / ``scatter_*`` write the variable."""
    out = {}
    names = sorted({name for cls in classes for name in public_members(cls)})
    for name in names:
        static = next((inspect.getattr_static(cls, name) for cls in classes if hasattr(cls, name)), None)
        if name in skip or static is None or isinstance(static, (type, property)) or not callable(static):
            continue
        qualified = f"{cls_path}.{name}"
        if name.startswith("__"):
            entry = dunder_entry(name, framework="tensorflow")
            if entry is not None:
                out[qualified] = entry
        elif name.startswith(("assign", "scatter_", "batch_scatter_")):
            out[qualified] = make(via="rule", mutates=["self"], graph=True, tensor=True, stateful=True)
        elif name.startswith(("gather", "sparse_read", "read_value", "value", "initialized_value")):
            out[qualified] = make(via="rule", graph=True, tensor=True)
    return out


def tf_attributes(tf: Any, cls_path: str, classes: list[type], samples: list[Any]) -> dict[str, Entry]:
    """Attributes of the TF2 class and its eager or resource subclass. TensorFlow values are
    immutable, so an attribute is never a view."""
    out: dict[str, Entry] = {}
    for cls in classes:
        for name, entry in probe_attributes(cls, cls_path, samples, tf.is_tensor, lambda value, sample: False).items():
            out.setdefault(name, entry)
    return out


def tf_apis() -> dict[str, Entry]:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry as registry

    op_names = [name for name in public_members(tf.raw_ops) if registry.get(name) is not None]
    index = tf_op_index(registry, op_names)
    aliases = curated()["map"]["tensorflow"]

    out = tf_functions(tf, "tensorflow", TF_OP_NAMESPACES, lambda path, obj: False, index, registry, aliases)

    def skip_v1(path: str, obj: Any) -> bool:
        """A TF1 name that is the TF2 object is looked up under its TF2 name instead."""
        return tf_walk(tf, path) is obj

    out |= tf_functions(
        tf.compat.v1, "tensorflow.compat.v1", TF_COMPAT_V1_NAMESPACES, skip_v1, index, registry, aliases
    )
    out |= tf_raw_ops(tf, registry)
    out |= tf_optimizers(tf)
    eager = type(tf.constant(1.0))
    variable = tf.Variable(1.0)
    out |= tf_class_members("tensorflow.Tensor", [tf.Tensor, eager], {"__getattr__"})
    out |= tf_class_members("tensorflow.Variable", [tf.Variable, type(variable)], set())
    out |= tf_attributes(tf, "tensorflow.Tensor", [tf.Tensor, eager], [tf.constant([[1.0, 2.0]])])
    out |= tf_attributes(tf, "tensorflow.Variable", [tf.Variable, type(variable)], [variable])
    return out


# ---------------------------------------------------------------------------------------------
# NumPy
# ---------------------------------------------------------------------------------------------

NUMPY_NAMESPACES = ("numpy", "numpy.linalg", "numpy.fft")
BINARY_UFUNC_METHODS = ("reduce", "accumulate", "reduceat", "outer")


def ufunc_entry(ufunc: Any) -> Entry:
    """A ufunc writes its outputs when given: ``out=`` or the positions after the inputs."""
    outputs = [str(ufunc.nin + i) for i in range(ufunc.nout)]
    return make(via="ufunc", tensor=True, conditional=["out", *outputs])


def numpy_function_entry(fn: Any) -> Entry:
    """Other public functions: pure tensor functions; an ``out`` parameter is written when given."""
    params = {p.name for p in signature_params(fn)}
    return make(via="default", tensor=True, conditional=["out"] if "out" in params else [])


def numpy_apis() -> dict[str, Entry]:
    import numpy as np

    out: dict[str, Entry] = {}
    for prefix in NUMPY_NAMESPACES:
        module = np if prefix == "numpy" else getattr(np, prefix.split(".")[1])
        for name in public_members(module):
            obj = safe_getattr(module, name)
            qualified = f"{prefix}.{name}"
            if name.startswith("__"):
                continue
            if isinstance(obj, np.ufunc):
                out[qualified] = ufunc_entry(obj)
                out[f"{qualified}.at"] = make(via="ufunc", mutates=["0"])  # a[indices] op= b, in place
                if obj.nin == 2:  # reductions and outer products exist for binary ufuncs only
                    for method in BINARY_UFUNC_METHODS:
                        out[f"{qualified}.{method}"] = make(via="ufunc", tensor=True, conditional=["out"])
            elif isinstance(obj, type) and issubclass(obj, np.generic):
                out[qualified] = make(via="rule")  # scalar types: np.float32(x) is a Python-level scalar
            elif inspect.isroutine(obj) and is_settings_accessor(name):
                out[qualified] = make(via="rule", stateful=True)
            elif inspect.isroutine(obj):
                out[qualified] = numpy_function_entry(obj)
    out |= numpy_random(np)
    out |= numpy_ndarray_methods(np)
    out |= numpy_attributes(np)
    return out


def numpy_random(np: Any) -> dict[str, Entry]:
    """``numpy.random``: the module functions draw from the global ``RandomState``;
    ``Generator`` and ``RandomState`` methods from their own bit generator."""
    out = {}
    for name in public_members(np.random):
        obj = safe_getattr(np.random, name)
        if not name.startswith("__") and inspect.isroutine(obj):
            out[f"numpy.random.{name}"] = make(via="namespace", tensor=True, random=True)
    for cls_name in ("Generator", "RandomState"):
        cls = getattr(np.random, cls_name)
        out[f"numpy.random.{cls_name}"] = make(via="namespace", random=True)
        for name in public_members(cls):
            if not name.startswith("__") and callable(inspect.getattr_static(cls, name)):
                out[f"numpy.random.{cls_name}.{name}"] = make(via="namespace", tensor=True, random=True)
    return out


def numpy_ndarray_methods(np: Any) -> dict[str, Entry]:
    """``ndarray`` methods mirror the module functions of the same name (``a.sum`` and
    ``np.sum``), so they share the ``out`` convention; protocol dunders by the language."""
    out = {}
    for name in public_members(np.ndarray):
        static = inspect.getattr_static(np.ndarray, name, None)
        if not callable(static) or isinstance(static, type):
            continue
        qualified = f"numpy.ndarray.{name}"
        if name.startswith("__"):
            entry = dunder_entry(name, framework="numpy")
            if entry is not None:
                out[qualified] = entry
            continue
        function = safe_getattr(np, name)
        out[qualified] = numpy_function_entry(function) if callable(function) else make(via="default", tensor=True)
    return out


def numpy_attributes(np: Any) -> dict[str, Entry]:
    samples = [np.ones((2, 3)), np.ones((2, 3), dtype=complex)]

    def shares(value: Any, sample: Any) -> bool:
        return bool(np.shares_memory(value, sample))

    return probe_attributes(np.ndarray, "numpy.ndarray", samples, lambda v: isinstance(v, np.ndarray), shares)


# ---------------------------------------------------------------------------------------------
# Curated overrides, checks and output
# ---------------------------------------------------------------------------------------------


def curated(path: Path = CURATED_TOML) -> dict[str, Any]:
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return data


def curated_entries(data: Mapping[str, Any]) -> dict[str, Entry]:
    """All ``[api.*]`` tables flattened to name -> entry; a name may appear only once."""
    out: dict[str, Entry] = {}
    for topic, table in sorted(data.get("api", {}).items()):
        for name, spec in table.items():
            if name in out:
                raise ValueError(f"{name} is curated twice (second time in [api.{topic}])")
            out[name] = parse_spec(spec)
    return out


def resolves(qualified: str) -> bool:
    """Whether a dotted name exists in the installed frameworks (catches typos in curation).

    ``tensorflow.Tensor`` and ``tensorflow.Variable`` also stand for their eager and
    resource subclasses, which carry ``numpy()`` and friends.
    """
    import importlib

    import tensorflow as tf

    for alias, concrete in (
        ("tensorflow.Tensor.", type(tf.constant(0.0))),
        ("tensorflow.Variable.", type(tf.Variable(0.0))),
    ):
        if qualified.startswith(alias) and hasattr(concrete, qualified[len(alias) :]):
            return True
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def build() -> dict[str, Any]:
    """Derive every framework's entries, overlay the curated ones, return the document."""
    import numpy
    import tensorflow
    import torch

    entries: dict[str, Entry] = {}
    entries |= torch_apis()
    entries |= tf_apis()
    entries |= numpy_apis()
    data = curated()
    for name, entry in curated_entries(data).items():
        if not resolves(name):
            raise ValueError(f"curated name {name} does not exist in the installed frameworks")
        entries[name] = replace(entry, attribute=entry.attribute or entries.get(name, entry).attribute)
    return {
        "format": FORMAT,
        "versions": {
            "numpy": numpy.__version__,
            "tensorflow": tensorflow.__version__,
            "torch": torch.__version__,
        },
        "apis": {name: entries[name].to_json() for name in sorted(entries)},
    }


def render(document: Mapping[str, Any]) -> str:
    """JSON with one API per line: small diffs when a framework release changes a few."""
    lines = ["{"]
    lines.append(f'"format": {json.dumps(document["format"])},')
    lines.append(f'"versions": {json.dumps(document["versions"], sort_keys=True)},')
    lines.append('"apis": {')
    items = list(document["apis"].items())
    for i, (name, info) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(info, separators=(', ', ': '))}{comma}")
    lines.append("}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=API_JSON, help="where to write (default: api.json)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

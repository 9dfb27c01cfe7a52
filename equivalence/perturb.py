"""Child-side helpers that deliberately wrong variants call: every number moved past the comparison's tolerance.

Frameworks are never imported here: a value's framework is found in `sys.modules`, where
the program that made the value has put it.
"""

from __future__ import annotations

import builtins
import copy
import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

RELATIVE = 1e-3  # well past the float32 (1e-5) and float64 (1e-9) relative tolerances
RELATIVE_HALF = 3e-2  # float16 and bfloat16 are compared with rtol 1e-2
_MAX_DEPTH = 12
NAMES = {
    "__harp_perturb__": "perturb",
    "__harp_perturb_in_place__": "perturb_in_place",
    "__harp_perturb_results__": "perturb_results",
}


def _not_converted(function: F) -> F:
    """Mark a helper as AutoGraph's `do_not_convert` does, so a `tf.function` calls it as it is."""
    setattr(function, "autograph_info__", {})  # noqa: B010 - the attribute AutoGraph looks for
    return function


_scale = [1.0]  # set by the harness: a variant not told apart at the base size is tried larger


def _relative(half: bool) -> float:
    return (RELATIVE_HALF if half else RELATIVE) * _scale[0]


def _numpy_kind(value: Any) -> str:
    """The kind, "float", "int" or "", of a NumPy array or scalar (bfloat16 from ml_dtypes is a float)."""
    dtype = value.dtype
    if dtype.kind == "f" or (dtype.kind == "V" and dtype.name.startswith(("bfloat", "float"))):
        return "float"
    return "int" if dtype.kind in "iu" else ""


def _numpy(np: Any, value: Any) -> Any:
    """A NumPy array or scalar moved: same dtype, shape and (for arrays) subclass."""
    kind = _numpy_kind(value)
    if kind == "float":
        moved = value + (_relative(value.dtype.itemsize <= 2) * (np.abs(value) + 1)).astype(value.dtype)
    elif kind == "int":
        with np.errstate(over="ignore"):
            moved = value + value.dtype.type(1)
    else:
        return value
    return moved.astype(value.dtype, copy=False) if isinstance(value, np.ndarray) else value.dtype.type(moved)


def _torch(torch: Any, value: Any) -> Any:
    """A torch tensor moved through differentiable ops; a Parameter stays a Parameter."""
    if value.is_floating_point():
        moved = value + _relative(value.element_size() <= 2) * (value.abs() + 1)
    elif value.dtype != torch.bool and not value.is_complex():
        moved = value + 1
    else:
        return value
    if isinstance(value, torch.nn.Parameter):
        return type(value)(moved.detach(), requires_grad=value.requires_grad)
    return moved


def _tensorflow_delta(tf: Any, value: Any) -> Any:
    """What to add to a TensorFlow tensor or variable, or None for a dtype left alone."""
    dtype = tf.as_dtype(value.dtype)
    if dtype.is_floating:
        return _relative(dtype.size <= 2) * (tf.abs(value) + 1)
    if dtype.is_integer:
        return tf.ones_like(value)
    return None


def _in_graph(value: Any, build: Callable[[], Any]) -> Any:
    """Run `build`, in the value's own graph when a TF1 graph tensor is not in the default one."""
    try:
        return build()
    except (TypeError, ValueError):  # "cannot be accessed from here", "must be from the same graph"
        graph = getattr(value, "graph", None)
        if graph is None:
            raise
        with graph.as_default():
            return build()


def _tensorflow(tf: Any, value: Any) -> Any:
    """A TensorFlow value moved with tf ops (so graph tensors work); a variable moved in place."""
    if isinstance(value, tf.RaggedTensor):
        return value.with_flat_values(_tensorflow(tf, value.flat_values))
    if isinstance(value, tf.SparseTensor):
        return value.with_values(_tensorflow(tf, value.values))

    def build() -> Any:
        delta = _tensorflow_delta(tf, value)
        if delta is None:
            return value
        if hasattr(value, "assign_add"):
            value.assign_add(delta)
            return value
        return value + delta

    return _in_graph(value, build)


def _is_tensorflow(tf: Any, value: Any) -> bool:
    """A tensor (eager, graph, ragged, sparse) or a variable (TensorFlow's or Keras 3's)?"""
    return bool(tf.is_tensor(value)) or (hasattr(value, "assign_add") and hasattr(value, "dtype"))


def _framework(value: Any) -> tuple[str, Any] | None:
    """The framework a value belongs to, with its module, when that framework is loaded."""
    module = type(value).__module__.split(".", 1)[0]
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, (np.ndarray, np.generic)):
        return "numpy", np
    torch = sys.modules.get("torch")
    if module == "torch" and torch is not None and isinstance(value, torch.Tensor):
        return "torch", torch
    tf = sys.modules.get("tensorflow")
    if module in ("tensorflow", "keras", "tf_keras") and tf is not None and _is_tensorflow(tf, value):
        return "tensorflow", tf
    return None


def _container(value: Any, depth: int) -> Any:
    """A list, tuple or dict of the same type with its items moved (namedtuples too)."""
    if isinstance(value, dict):
        moved = dict(value) if type(value) is dict else copy.copy(value)
        for key in list(moved):
            moved[key] = _moved(value[key], depth + 1)
        return moved
    items = [_moved(item, depth + 1) for item in value]
    if isinstance(value, list):
        if type(value) is list:
            return items
        new = copy.copy(value)
        new[:] = items
        return new
    return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)


def _moved(value: Any, depth: int) -> Any:
    """`value` with each number moved; anything that cannot be moved is returned as it is."""
    if depth > _MAX_DEPTH:
        return value
    found = _framework(value)
    if found is not None:
        name, module = found
        return {"numpy": _numpy, "torch": _torch, "tensorflow": _tensorflow}[name](module, value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + _relative(False) * (abs(value) + 1)
    if isinstance(value, (list, tuple, dict)):
        return _container(value, depth)
    return value


@_not_converted
def perturb(value: Any) -> Any:
    """`value` with every float moved by a relative 1e-3 (3e-2 for half floats) and every int by one.

    A variant built from this must differ from the original wherever an observation depends
    on the value; it never raises, so a variant fails only where the rewrite would.
    """
    try:
        return _moved(value, 0)
    except Exception:  # a value that cannot be moved leaves the variant as the rewrite is
        return value


def _move_in_place(value: Any, seen: set[int], depth: int) -> None:
    """Move the floats an array, tensor, variable, list, tuple or dict holds, in place."""
    if depth > _MAX_DEPTH or id(value) in seen:
        return
    seen.add(id(value))
    found = _framework(value)
    if found is not None:
        _framework_in_place(found, value)
    elif isinstance(value, (list, dict)):
        keys = list(value) if isinstance(value, dict) else range(len(value))
        for key in keys:
            item = value[key]
            if isinstance(item, float):
                value[key] = perturb(item)
            else:
                _move_safely(item, seen, depth + 1)
    elif isinstance(value, tuple):
        for item in value:
            _move_safely(item, seen, depth + 1)


def _framework_in_place(found: tuple[str, Any], value: Any) -> None:
    """Add to a NumPy float array, a torch float tensor (no autograd record) or a TF float variable."""
    name, module = found
    if name == "numpy" and isinstance(value, module.ndarray) and _numpy_kind(value) == "float":
        if value.flags.writeable:
            value += (_relative(value.dtype.itemsize <= 2) * (module.abs(value) + 1)).astype(value.dtype)
    elif name == "torch" and value.is_floating_point():
        with module.no_grad():
            value.add_(_relative(value.element_size() <= 2) * (value.abs() + 1))
    elif name == "tensorflow" and hasattr(value, "assign_add") and module.as_dtype(value.dtype).is_floating:
        _tensorflow(module, value)


def _move_safely(value: Any, seen: set[int], depth: int) -> None:
    try:
        _move_in_place(value, seen, depth)
    except Exception:  # one value that cannot be moved does not keep the others still
        pass


@_not_converted
def perturb_in_place(local_names: dict[str, Any], global_names: dict[str, Any], names: tuple[str, ...]) -> None:
    """Move in place the floats of what `names` (looked up in locals, then globals) refer to.

    Stands where a rewrite removed a statement: if nothing observed depends on what that
    statement read, the removal cannot be checked.  Names found nowhere are skipped; never raises.
    """
    seen: set[int] = set()
    for name in names:
        try:
            if name in local_names:
                value = local_names[name]
            elif name in global_names:
                value = global_names[name]
            else:
                continue
        except Exception:  # a mapping that misbehaves
            continue
        _move_safely(value, seen, 0)


class _ResultsPerturbed:
    """A callable whose results are moved; bound as the wrapped object binds (methods, staticmethods, tf.function)."""

    __wrapped__: Callable[..., Any]

    def __init__(self, function: Callable[..., Any]) -> None:
        functools.update_wrapper(self, function, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return perturb(self.__wrapped__(*args, **kwargs))

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        bind = getattr(self.__wrapped__, "__get__", None)
        return self if bind is None else _ResultsPerturbed(bind(instance, owner))

    def __getattr__(self, name: str) -> Any:
        """Attributes of the wrapped function (`f.cache`, a tf.function's `get_concrete_function`)."""
        if name == "__wrapped__":
            raise AttributeError(name)
        return getattr(self.__wrapped__, name)


@_not_converted
def perturb_results(function: F) -> F:
    """`function` with its results moved by `perturb`: the decorator a variant adds above a changed decorator list."""
    return cast(F, _not_converted(_ResultsPerturbed(function)))


def install(scale: float = 1.0) -> None:
    """Put the helpers into builtins under the names variants call them by; `scale` multiplies
    the relative sizes (a convergent solver may absorb 1e-3 but not 10%)."""
    _scale[0] = scale
    for builtin, name in NAMES.items():
        setattr(builtins, builtin, globals()[name])

"""Framework-free snapshots of what a run produced, so that two runs can be compared.

The child process turns tensors of every framework into `Array`s (NumPy data plus the
original kind and dtype name) and objects into `Obj`s; the parent compares snapshots
without importing PyTorch or TensorFlow.  NumPy is imported only where arrays are built.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

_MAX_DEPTH = 12


@dataclass(frozen=True)
class Array:
    """A tensor or array: `kind` is e.g. "torch.Tensor", `dtype` the framework's dtype name."""

    kind: str
    dtype: str
    data: Any  # numpy.ndarray, in float32 for dtypes NumPy lacks (bfloat16)


@dataclass(frozen=True)
class Obj:
    """An object compared through its type and its attributes (or its state dict)."""

    type_name: str
    attrs: dict[str, Any]


@dataclass(frozen=True)
class Raised:
    """An exception a run ended with: compared by type."""

    type_name: str
    message: str


@dataclass(frozen=True)
class Opaque:
    """Something that cannot be looked into (a generator, a lock): compared by type only."""

    type_name: str


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _torch_array(value: Any) -> Array:
    import torch

    tensor = value.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        data = tensor.float().numpy()
    else:
        data = tensor.resolve_conj().resolve_neg().numpy() if tensor.is_complex() else tensor.numpy()
    return Array("torch.Tensor", str(tensor.dtype).replace("torch.", ""), data.copy())


def _tensorflow_array(value: Any) -> Array:
    dtype = getattr(value.dtype, "name", str(value.dtype))  # Keras 3 variables name their dtype as text
    tensor = value.read_value() if hasattr(value, "read_value") else value
    if dtype == "bfloat16":
        import tensorflow as tf

        tensor = tf.cast(tensor, tf.float32)
    kind = "tensorflow.Variable" if hasattr(value, "assign") else "tensorflow.Tensor"
    import numpy as np

    return Array(kind, dtype, np.array(tensor.numpy(), copy=True))


def _key(key: Any) -> str:
    """Dict keys as text that keeps `1` and `"1"` apart."""
    return key if isinstance(key, str) else f"{type(key).__name__}:{key!r}"


def snapshot(value: Any, depth: int = 0) -> Any:
    """A picklable, framework-free copy of `value` for comparison (runs in the child)."""
    if depth > _MAX_DEPTH:
        return Opaque(_type_name(value))
    if isinstance(value, (Array, Obj, Raised, Opaque)):  # already a snapshot (a caught exception)
        return value
    module = type(value).__module__ or ""
    if module == "numpy":  # before the built-ins: np.float64 subclasses float
        import numpy as np

        if isinstance(value, (np.ndarray, np.generic)):
            array = np.array(value, copy=True)
            return Array("numpy.ndarray" if isinstance(value, np.ndarray) else "numpy.scalar", str(array.dtype), array)
    if value is None or type(value) in (bool, int, float, complex, str, bytes):
        return value
    if module.startswith(("torch", "tensorflow", "keras")) and type(value).__name__ in ("dtype", "device", "DType"):
        return Obj(_type_name(value), {"name": str(value)})
    try:
        if module.startswith("torch") and hasattr(value, "detach") and hasattr(value, "dtype"):
            return _torch_array(value)
        if module.startswith(("tensorflow", "keras")) and hasattr(value, "dtype") and hasattr(value, "numpy"):
            return _tensorflow_array(value)
    except Exception as error:  # sparse, meta, float8 ... tensors that have no NumPy form
        if module.startswith(("tensorflow", "keras")):  # a TF1 graph tensor: a symbol, named by creation order
            return Opaque(_type_name(value))
        return Obj(_type_name(value), {"unconvertible": f"{type(error).__name__}: {error}", "repr": repr(value)[:200]})
    if isinstance(value, BaseException):
        return Raised(_type_name(value), str(value))
    if type(value) in (list, tuple):
        items = [snapshot(item, depth + 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if type(value) is dict:
        return {_key(key): snapshot(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, dict)):  # namedtuples, OrderedDicts ...: their type counts too
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        return Obj(_type_name(value), {_key(key): snapshot(item, depth + 1) for key, item in items})
    if isinstance(value, (set, frozenset)):
        return Obj(_type_name(value), {"items": sorted(repr(item) for item in value)})
    if module.startswith(("keras", "tensorflow")) and isinstance(getattr(value, "variables", None), (list, tuple)):
        # Keras models, layers and optimizers, tf.Modules: their state is their variables
        # (their other attributes hold object ids and creation-order names)
        return Obj(_type_name(value), {"variables": snapshot(list(value.variables), depth + 1)})
    if hasattr(value, "state_dict") and callable(value.state_dict):  # nn.Module, optimizers
        try:
            return Obj(_type_name(value), {"state_dict": snapshot(dict(value.state_dict()), depth + 1)})
        except Exception:
            return Opaque(_type_name(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: snapshot(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
        return Obj(_type_name(value), fields)
    if callable(value) or isinstance(value, type) or type(value).__name__ == "module":
        return Opaque(_type_name(value))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):
        return Obj(
            _type_name(value), {k: snapshot(v, depth + 1) for k, v in attributes.items() if not k.startswith("__")}
        )
    return Opaque(_type_name(value))

"""Inputs generated with Hypothesis from a function's signature (runs in the child).

Tensor parameters (annotated, or unannotated in a module that imports a framework) get
float32 arrays of one shared square shape, so that matrix products and element-wise
operations between them are well-formed; integers are small (loop counts), floats
moderate.  Draws the original function rejects are dropped.
"""

from __future__ import annotations

import inspect
import pickle
import sys
import types
from collections.abc import Callable
from typing import Any

_TENSOR_TYPES = {
    "torch.Tensor": "torch",
    "Tensor": None,
    "numpy.ndarray": "numpy",
    "ndarray": "numpy",
    "tensorflow.Tensor": "tensorflow",
    "tf.Tensor": "tensorflow",
    "np.ndarray": "numpy",
    "torch.tensor": "torch",
}


def _framework_of(annotation: Any, module: types.ModuleType) -> str | None:
    """Which framework's tensor a parameter takes, or None for a Python value."""
    if annotation is inspect.Parameter.empty:
        return _module_framework(module)
    text = (
        annotation
        if isinstance(annotation, str)
        else f"{getattr(annotation, '__module__', '')}.{getattr(annotation, '__qualname__', '')}"
    )
    for suffix, framework in _TENSOR_TYPES.items():
        if text.endswith(suffix):
            return framework or _module_framework(module)
    if "tensorflow" in text and "Tensor" in text:
        return "tensorflow"
    return None


def _module_framework(module: types.ModuleType) -> str | None:
    names = {getattr(value, "__name__", "") for value in vars(module).values() if isinstance(value, types.ModuleType)}
    for framework in ("torch", "tensorflow", "numpy"):
        if any(name == framework or name.startswith(framework + ".") for name in names):
            return framework
    return None


def _to_framework(array: Any, framework: str) -> Any:
    if framework == "torch":
        return sys.modules["torch"].from_numpy(array.copy())
    if framework == "tensorflow":
        return sys.modules["tensorflow"].constant(array)
    return array


def generate_inputs(fresh: Callable[[], types.ModuleType], function: str, draws: int) -> list[bytes]:
    """Up to `draws` pickled (args, kwargs) sets on which the function runs without raising.

    `fresh` gives the module in its starting state; each trial call gets a new one, so
    the trials leave no state behind.
    """
    module = fresh()
    import numpy as np
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays

    target = getattr(module, function)
    parameters = [
        p
        for p in inspect.signature(target).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    annotations = inspect.get_annotations(target, eval_str=False)

    def parameter_strategy(parameter: inspect.Parameter, size: int) -> st.SearchStrategy[Any]:
        annotation = annotations.get(parameter.name, inspect.Parameter.empty)
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if annotation is int or text == "int":
            return st.integers(0, 4)
        if annotation is float or text == "float":
            return st.floats(-2.0, 2.0, width=32)
        if annotation is bool or text == "bool":
            return st.booleans()
        framework = _framework_of(annotation, module)
        if framework is None:
            return st.none()
        elements = st.floats(-2.0, 2.0, width=32, allow_nan=False)
        chosen: str = framework
        return arrays(np.float32, (size, size), elements=elements).map(lambda a: _to_framework(a, chosen))

    drawn: list[tuple[Any, ...]] = []

    @settings(
        max_examples=draws * 3, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.integers(2, 5).flatmap(lambda n: st.tuples(*(parameter_strategy(p, n) for p in parameters))))
    def collect(values: tuple[Any, ...]) -> None:
        drawn.append(values)

    collect()
    accepted: list[bytes] = []
    for values in drawn:
        blob = pickle.dumps((list(values), {}))
        try:
            getattr(fresh(), function)(*pickle.loads(blob)[0])
        except Exception:
            continue
        accepted.append(blob)
        if len(accepted) >= draws:
            break
    return accepted

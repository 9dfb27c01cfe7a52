"""The child-side helpers of wrong variants move every number past the comparison's tolerance."""

from __future__ import annotations

import builtins
import collections
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
import torch

from harp_refactor.equivalence.compare import default_tolerance
from harp_refactor.equivalence.perturb import (
    NAMES,
    RELATIVE,
    RELATIVE_HALF,
    install,
    perturb,
    perturb_in_place,
    perturb_results,
)

Batch = collections.namedtuple("Batch", ["features", "labels", "weight"])


def told_apart(before: Any, after: Any, dtype: str) -> bool:
    """Would the harness's default tolerance for `dtype` tell the two apart everywhere?"""
    rtol, atol = default_tolerance(dtype)
    a, b = np.asarray(before, np.float64), np.asarray(after, np.float64)
    return bool(np.all(np.abs(b - a) > atol + rtol * np.abs(a)))


class Linear:
    """A user-written layer whose forward pass the variant wraps."""

    def __init__(self, weight: np.ndarray) -> None:
        self.weight = weight

    @perturb_results
    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply the layer."""
        return x @ self.weight

    @perturb_results
    @staticmethod
    def activation(x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0.0)


class TestPerturbPython:
    """Python numbers and containers."""

    @pytest.mark.parametrize(("value", "expected"), [(2.0, 2.0 + RELATIVE * 3.0), (-1.0, -1.0 - 2 * -RELATIVE)])
    def test_float(self, value: float, expected: float) -> None:
        """A float moves by r * (|x| + 1)."""
        assert perturb(value) == pytest.approx(expected)

    def test_int_bool_and_others(self) -> None:
        """Ints move by one; bools, strings and None stay as they are."""
        assert perturb(7) == 8
        assert perturb(True) is True
        assert perturb("relu") == "relu"
        assert perturb(None) is None

    def test_containers(self) -> None:
        """Lists, tuples, dicts and namedtuples become new containers of the same type with their items moved."""
        batch = Batch(np.ones(2), [1, 2], {"scale": 0.5})
        moved = perturb(batch)
        assert type(moved) is Batch
        assert told_apart(batch.features, moved.features, "float64")
        assert moved.labels == [2, 3]
        assert moved.weight == {"scale": pytest.approx(0.5 + RELATIVE * 1.5)}
        assert batch.labels == [1, 2]  # the original is left alone
        assert perturb((1.0, [2])) == (pytest.approx(1.0 + 2 * RELATIVE), [3])

    def test_dict_subclass(self) -> None:
        """An OrderedDict stays one, with its order."""
        metrics = collections.OrderedDict([("loss", 1.0), ("step", 3)])
        moved = perturb(metrics)
        assert type(moved) is collections.OrderedDict and list(moved.items()) == [
            ("loss", 1.0 + 2 * RELATIVE),
            ("step", 4),
        ]

    def test_self_containing_list(self) -> None:
        """A list that contains itself does not recurse forever."""
        history: list[Any] = [0.5]
        history.append(history)
        assert perturb(history)[0] == pytest.approx(0.5 + 1.5 * RELATIVE)


class TestPerturbNumpy:
    """NumPy arrays and scalars keep dtype, shape and type."""

    @pytest.mark.parametrize(("dtype",), [("float32",), ("float64",), ("float16",)])
    def test_float_arrays(self, dtype: str) -> None:
        """Float arrays move past their dtype's tolerance, in a new array."""
        weights = np.linspace(-2.0, 3.0, 12, dtype=dtype).reshape(3, 4)
        moved = perturb(weights)
        assert moved.dtype == weights.dtype and moved.shape == weights.shape
        assert told_apart(weights, moved, dtype)
        assert np.array_equal(weights, np.linspace(-2.0, 3.0, 12, dtype=dtype).reshape(3, 4))

    def test_half_moves_more(self) -> None:
        """float16 is moved by the larger relative amount."""
        assert float(perturb(np.float16(1.0))) == pytest.approx(1.0 + 2 * RELATIVE_HALF, rel=1e-3)

    def test_scalars(self) -> None:
        """NumPy scalars stay NumPy scalars of their dtype."""
        assert type(perturb(np.float32(2.0))) is np.float32
        assert perturb(np.int64(4)) == 5 and type(perturb(np.int64(4))) is np.int64

    def test_integers_and_bools(self) -> None:
        """Integer arrays move by one; bool arrays stay as they are."""
        labels = np.array([0, 3, 1], np.int32)
        assert perturb(labels).tolist() == [1, 4, 2] and perturb(labels).dtype == np.int32
        mask = np.array([True, False])
        assert perturb(mask).tolist() == [True, False]


class TestPerturbTorch:
    """torch tensors keep dtype, shape and autograd."""

    @pytest.mark.parametrize(("dtype",), [(torch.float32,), (torch.float64,), (torch.float16,), (torch.bfloat16,)])
    def test_float_tensors(self, dtype: torch.dtype) -> None:
        """Float tensors move past their dtype's tolerance."""
        logits = torch.linspace(-2.0, 3.0, 8, dtype=dtype)
        moved = perturb(logits)
        assert moved.dtype == dtype and moved.shape == logits.shape
        assert told_apart(logits.float(), moved.float(), str(dtype))

    def test_autograd(self) -> None:
        """Gradients flow through a moved tensor to the leaf it came from."""
        weight = torch.ones(3, requires_grad=True)
        (perturb(weight * 2.0) ** 2).sum().backward()
        assert weight.grad is not None and weight.grad.shape == (3,)

    def test_parameter(self) -> None:
        """A Parameter stays a Parameter, so it can still be assigned to a module."""
        layer = torch.nn.Linear(2, 2)
        layer.weight = perturb(layer.weight)
        assert isinstance(layer.weight, torch.nn.Parameter) and layer.weight.requires_grad

    def test_integers_and_bools(self) -> None:
        """Integer tensors move by one; bool tensors stay as they are."""
        assert perturb(torch.tensor([1, 2])).tolist() == [2, 3]
        assert perturb(torch.tensor([True, False])).tolist() == [True, False]


class TestPerturbTensorFlow:
    """TensorFlow tensors (eager, graph, ragged) and variables."""

    @pytest.mark.parametrize(("dtype",), [(tf.float32,), (tf.float64,), (tf.float16,), (tf.bfloat16,)])
    def test_eager_float(self, dtype: tf.DType) -> None:
        """Eager float tensors move past their dtype's tolerance."""
        activations = tf.linspace(tf.constant(-2.0, dtype), 3.0, 8)
        moved = perturb(activations)
        assert moved.dtype == dtype and moved.shape == activations.shape
        assert told_apart(tf.cast(activations, tf.float64), tf.cast(moved, tf.float64), dtype.name)

    def test_integers_and_bools(self) -> None:
        """Integer tensors move by one; bool tensors stay as they are."""
        assert perturb(tf.constant([1, 2])).numpy().tolist() == [2, 3]
        assert perturb(tf.constant([True])).numpy().tolist() == [True]

    def test_variable_in_place(self) -> None:
        """A variable is moved in place and returned as it is."""
        kernel = tf.Variable([[1.0, -2.0]])
        assert perturb(kernel) is kernel
        assert kernel.numpy().ravel().tolist() == pytest.approx([1.0 + 2 * RELATIVE, -2.0 + 3 * RELATIVE])

    def test_ragged(self) -> None:
        """A ragged tensor keeps its row lengths."""
        tokens = tf.ragged.constant([[1.0], [2.0, 3.0]])
        moved = perturb(tokens)
        assert moved.row_lengths().numpy().tolist() == [1, 2]
        assert told_apart(tokens.flat_values, moved.flat_values, "float32")

    def test_inside_tf_function(self) -> None:
        """Inside a `tf.function` the symbolic value is moved with graph ops."""

        @tf.function
        def scaled(x: tf.Tensor) -> tf.Tensor:
            return perturb(x * 2.0)

        assert scaled(tf.ones(2)).numpy().tolist() == pytest.approx([2.0 + 3 * RELATIVE] * 2)

    def test_tf1_graph_tensor(self) -> None:
        """A TF1 graph tensor is moved in its graph, even after that graph stopped being the default."""
        with tf.Graph().as_default() as graph:
            features = tf.compat.v1.placeholder(tf.float32, [2])
            hidden = tf.nn.relu(features * 2.0)
        moved = perturb(hidden)
        assert moved.graph is graph
        with tf.compat.v1.Session(graph=graph) as session:
            assert session.run(moved, {features: [1.0, -1.0]}).tolist() == pytest.approx([2.0 + 3 * RELATIVE, RELATIVE])


class TestPerturbInPlace:
    """What a removed statement read, moved where the statement stood."""

    def test_each_framework(self) -> None:
        """NumPy arrays, torch tensors and TF variables are moved in place, the same objects kept."""
        running_mean = np.zeros(3, np.float32)
        weight = torch.zeros(2, requires_grad=True)
        bias = tf.Variable([0.0])
        perturb_in_place(
            {"running_mean": running_mean, "weight": weight}, {"bias": bias}, ("running_mean", "weight", "bias")
        )
        assert running_mean.tolist() == pytest.approx([RELATIVE] * 3)
        assert weight.detach().tolist() == pytest.approx([RELATIVE] * 2) and weight.grad_fn is None
        assert bias.numpy().tolist() == pytest.approx([RELATIVE])

    def test_locals_before_globals(self) -> None:
        """A name is looked up in locals first; names found nowhere are skipped."""
        local, shadowed = np.zeros(1), np.zeros(1)
        perturb_in_place({"h": local}, {"h": shadowed}, ("h", "missing"))
        assert local.tolist() == [RELATIVE] and shadowed.tolist() == [0.0]

    def test_containers(self) -> None:
        """Lists, dicts and tuples are recursed into; floats in lists and dicts are replaced."""
        state: dict[str, Any] = {"moments": [np.zeros(2), 1.0], "pair": (np.zeros(1), 2)}
        perturb_in_place({}, {"state": state}, ("state",))
        assert state["moments"][0].tolist() == [RELATIVE] * 2
        assert state["moments"][1] == pytest.approx(1.0 + 2 * RELATIVE)
        assert state["pair"][0].tolist() == [RELATIVE] and state["pair"][1] == 2

    def test_aliases_moved_once(self) -> None:
        """An array named twice is moved once."""
        h = np.zeros(1)
        perturb_in_place({"h": h, "x": h}, {}, ("h", "x"))
        assert h.tolist() == [RELATIVE]

    def test_left_alone(self) -> None:
        """Integer and read-only arrays, modules and plain numbers are left alone, and nothing raises."""
        indices, frozen = np.arange(3), np.zeros(2)
        frozen.flags.writeable = False
        step = 3
        perturb_in_place(
            {"indices": indices, "frozen": frozen, "step": step, "np": np}, {}, ("indices", "frozen", "step", "np")
        )
        assert indices.tolist() == [0, 1, 2] and frozen.tolist() == [0.0, 0.0]

    def test_never_raises(self) -> None:
        """A mapping that fails on lookup does not make the variant fail."""

        class Broken(dict[str, Any]):
            def __contains__(self, key: object) -> bool:
                raise RuntimeError("no lookups")

        perturb_in_place(Broken(), {}, ("h",))


class TestPerturbResults:
    """A decorator that moves what a function returns."""

    def test_function(self) -> None:
        """The results are moved and the function keeps its name and docstring."""

        def loss(predictions: np.ndarray) -> float:
            """Mean squared value."""
            return float((predictions**2).mean())

        wrapped = perturb_results(loss)
        assert wrapped(np.ones(3)) == pytest.approx(1.0 + 2 * RELATIVE)
        assert wrapped.__name__ == "loss" and wrapped.__doc__ == "Mean squared value."

    def test_methods(self) -> None:
        """As a method decorator it binds the receiver; above a staticmethod it binds nothing."""
        layer = Linear(np.eye(2))
        assert layer.forward(np.ones(2)).tolist() == pytest.approx([1.0 + 2 * RELATIVE] * 2)
        assert layer.activation(np.ones(1)).tolist() == pytest.approx([1.0 + 2 * RELATIVE])
        assert Linear.activation(np.ones(1)).tolist() == pytest.approx([1.0 + 2 * RELATIVE])

    def test_tf_function_method(self) -> None:
        """Above `@tf.function` on a method, the traced function is bound as TensorFlow binds it."""

        class Dense(tf.Module):
            def __init__(self) -> None:
                super().__init__()
                self.kernel = tf.Variable(tf.ones((2, 2)))

            @perturb_results
            @tf.function
            def __call__(self, x: tf.Tensor) -> tf.Tensor:
                return tf.matmul(x, self.kernel)

        out = Dense()(tf.ones((1, 2)))
        assert out.numpy().ravel().tolist() == pytest.approx([2.0 + 3 * RELATIVE] * 2)


class TestInstall:
    """The helpers reach variants through builtins."""

    @pytest.fixture
    def installed(self) -> Iterator[None]:
        saved = {name: getattr(builtins, name) for name in NAMES if hasattr(builtins, name)}
        install()
        yield
        for name in NAMES:
            if name in saved:
                setattr(builtins, name, saved[name])
            else:
                delattr(builtins, name)

    def test_names(self, installed: None) -> None:
        """The three helpers are builtins under the names variants call."""
        assert builtins.__harp_perturb__ is perturb  # type: ignore[attr-defined]
        assert builtins.__harp_perturb_in_place__ is perturb_in_place  # type: ignore[attr-defined]
        assert builtins.__harp_perturb_results__ is perturb_results  # type: ignore[attr-defined]

"""Generated inputs: kinds read from the body, spread over families, raising inputs last, bounded and deterministic."""

from __future__ import annotations

import pickle
import textwrap
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harp_refactor.equivalence import generate
from harp_refactor.equivalence.generate import generate_inputs

Fresh = Callable[[], types.ModuleType]
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the checks re-run the functions on NaN, inf


@pytest.fixture
def module(tmp_path: Path) -> Callable[[str], Fresh]:
    """A `fresh` as the runner's: the source written to a file and executed anew on every call."""

    def make(source: str) -> Fresh:
        path = tmp_path / f"prog_{abs(hash(source))}.py"
        path.write_text(textwrap.dedent(source), encoding="utf-8")
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")

        def fresh() -> types.ModuleType:
            created = types.ModuleType(path.stem)
            created.__file__ = str(path)
            exec(code, created.__dict__)
            return created

        return fresh

    return make


def decode(blob: bytes) -> tuple[list[Any], dict[str, Any]]:
    args, kwargs = pickle.loads(blob)
    return args, kwargs


def raises(fresh: Fresh, function: str, blob: bytes) -> bool:
    """Whether the original raises on these inputs."""
    args, kwargs = decode(blob)
    try:
        getattr(fresh(), function)(*args, **kwargs)
    except Exception:
        return True
    return False


def accepted(fresh: Fresh, function: str, blobs: list[bytes]) -> list[tuple[list[Any], dict[str, Any]]]:
    """The decoded inputs on which the original returns."""
    return [decode(blob) for blob in blobs if not raises(fresh, function, blob)]


FIT = """
import numpy as np

def fit(D, X, iters):
    for _ in range(iters):
        codes = D.T @ X
        D = D + 0.1 * (X - D @ codes) @ codes.T
        D = D / (np.linalg.norm(D, axis=0) + 1e-8)
    return D
"""

NORMALIZE = """
import numpy as np

def normalize(batch, eps=1e-5, mask=None):
    mean = batch.mean(axis=0)
    out = (batch - mean) / (batch.std(axis=0) + eps)
    if mask is not None:
        out = out * mask
    return out
"""

STEP = """
import numpy as np

def step(weights, grads, lr):
    for w, g in zip(weights, grads):
        w -= lr * g
    return weights
"""

SGD = """
import numpy as np

def sgd(w, g, lr, n):
    for i in range(n):
        w[i] -= lr * g[i]
    return w
"""

TOTAL = """
import numpy as np

def total(x):
    acc = np.zeros((), dtype=x.dtype)
    for v in x:
        acc = acc + v
    return acc
"""


class TestParameterKinds:
    def test_loop_count_is_an_int_and_arrays_fit(self, module: Callable[[str], Fresh]) -> None:
        """`fit(D, X, iters)` gets an int `iters` and NumPy arrays on which the product chain runs."""
        fresh = module(FIT)
        inputs = accepted(fresh, "fit", generate_inputs(fresh, "fit", 4))
        assert len(inputs) == 4
        for (D, X, iters), kwargs in inputs:
            assert isinstance(iters, int) and not kwargs
            assert isinstance(D, np.ndarray) and D.ndim == 2 and isinstance(X, np.ndarray)

    def test_none_default_is_tried_both_ways(self, module: Callable[[str], Fresh]) -> None:
        """A parameter that defaults to None and is checked with `is None` appears both omitted and given."""
        fresh = module(NORMALIZE)
        inputs = accepted(fresh, "normalize", generate_inputs(fresh, "normalize", 4))
        masks = [kwargs.get("mask") for _, kwargs in inputs]
        assert any(mask is None for mask in masks)
        assert any(isinstance(mask, np.ndarray) for mask in masks)

    def test_float_default_is_kept(self, module: Callable[[str], Fresh]) -> None:
        """A float default the body never branches on is left to its default."""
        fresh = module(NORMALIZE)
        assert all(
            "eps" not in kwargs for _, kwargs in accepted(fresh, "normalize", generate_inputs(fresh, "normalize", 4))
        )

    def test_iterated_parameters_get_lists_of_arrays(self, module: Callable[[str], Fresh]) -> None:
        """`for w, g in zip(weights, grads)` gets lists of arrays, and `lr` multiplying them a Python float."""
        fresh = module(STEP)
        (weights, grads, lr), _ = accepted(fresh, "step", generate_inputs(fresh, "step", 3))[0]
        assert isinstance(weights, list) and all(isinstance(w, np.ndarray) for w in weights)
        assert isinstance(grads, list) and isinstance(lr, float)

    def test_annotations_come_first(self, module: Callable[[str], Fresh]) -> None:
        """An annotated int is an int and an annotated list of arrays a list, whatever the body does."""
        fresh = module(
            """
            import numpy as np

            def mean_of(batches: list[np.ndarray], k: int):
                return sum(b[:k].sum() for b in batches)
            """
        )
        (batches, k), _ = accepted(fresh, "mean_of", generate_inputs(fresh, "mean_of", 2))[0]
        assert isinstance(batches, list) and isinstance(k, int)

    def test_without_source_a_loop_count_is_still_found(self) -> None:
        """Code with no source file gets tensors first, and an int where only an int runs."""
        source = (
            "import numpy as np\ndef fit(D, X, iters):\n    for _ in range(iters):\n        D = D + X\n    return D\n"
        )

        def fresh() -> types.ModuleType:
            created = types.ModuleType("nosource")
            exec(compile(source, "<string>", "exec"), created.__dict__)
            return created

        (D, X, iters), _ = accepted(fresh, "fit", generate_inputs(fresh, "fit", 1))[0]
        assert isinstance(D, np.ndarray) and isinstance(iters, int)


class TestFamilies:
    def test_float16_and_non_square_inputs_are_present(self, module: Callable[[str], Fresh]) -> None:
        """Among the accepted inputs are float16 arrays and float64 arrays with two different sides."""
        fresh = module(FIT)
        arrays = [args[0] for args, _ in accepted(fresh, "fit", generate_inputs(fresh, "fit", 8))]
        assert any(a.dtype == np.float16 for a in arrays)
        assert any(a.dtype == np.float64 and a.shape[0] != a.shape[1] for a in arrays)

    def test_long_float16_reduction_of_ones(self, module: Callable[[str], Fresh]) -> None:
        """A loop sum gets 4096 float16 ones, where a running float16 sum stops at 2048."""
        fresh = module(TOTAL)
        arrays = [args[0] for args, _ in accepted(fresh, "total", generate_inputs(fresh, "total", 3))]
        assert any(a.shape == (4096,) and a.dtype == np.float16 and (a == 1).all() for a in arrays)

    def test_edge_sizes_and_special_values(self, module: Callable[[str], Fresh]) -> None:
        """Empty, length-one, NaN/inf and large-magnitude arrays are all tried."""
        fresh = module(TOTAL)
        arrays = [args[0] for args, _ in accepted(fresh, "total", generate_inputs(fresh, "total", 20))]
        assert any(a.size == 0 for a in arrays)
        assert any(a.size == 1 for a in arrays)
        assert any(np.isnan(a).any() and np.isinf(a).any() for a in arrays if a.dtype.kind == "f")
        assert any(np.abs(a).max() > 1e3 for a in arrays if a.size and np.isfinite(a).all())
        assert any(a.dtype.kind == "i" for a in arrays)

    def test_mismatched_lengths(self, module: Callable[[str], Fresh]) -> None:
        """Two arrays of different lengths are passed together where the original accepts them."""
        fresh = module(SGD)
        pairs = [(args[0].shape, args[1].shape) for args, _ in accepted(fresh, "sgd", generate_inputs(fresh, "sgd", 8))]
        assert any(w[0] != g[0] for w, g in pairs)

    def test_loop_counts_at_the_edges(self, module: Callable[[str], Fresh]) -> None:
        """Loop counts 0, 1, 3 and -1 are accepted, and one past the data's length raises."""
        fresh = module(SGD)
        blobs = generate_inputs(fresh, "sgd", 20)
        counts = {args[3] for args, _ in accepted(fresh, "sgd", blobs)}
        assert {0, 1, 3, -1} <= counts
        failing = [decode(blob)[0] for blob in blobs if raises(fresh, "sgd", blob)]
        assert any(args[3] > len(args[0]) for args in failing)


class TestRaisingInputs:
    def test_raising_inputs_come_last_and_raise(self, module: Callable[[str], Fresh]) -> None:
        """Up to `count` inputs that return, then up to max(2, count // 2) on which the original raises."""
        fresh = module(SGD)
        blobs = generate_inputs(fresh, "sgd", 4)
        outcomes = [raises(fresh, "sgd", blob) for blob in blobs]
        assert outcomes[:4] == [False] * 4
        assert 1 <= sum(outcomes[4:]) == len(outcomes) - 4 <= 2

    def test_no_draw_is_repeated(self, module: Callable[[str], Fresh]) -> None:
        """Every generated input is different from the others."""
        fresh = module(FIT)
        blobs = generate_inputs(fresh, "fit", 10)
        assert len(set(blobs)) == len(blobs)


class TestAliasing:
    def test_aliased_arguments_share_memory_after_unpickling(self, module: Callable[[str], Fresh]) -> None:
        """One input passes the same array for `w` (written in place) and `g`, and it stays one array."""
        fresh = module(SGD)
        inputs = [decode(blob)[0] for blob in generate_inputs(fresh, "sgd", 8)]
        assert any(args[0] is args[1] for args in inputs)
        assert not all(np.shares_memory(args[0], args[1]) for args in inputs)


class TestFrameworks:
    def test_torch_module_gets_torch_tensors(self, module: Callable[[str], Fresh]) -> None:
        """A PyTorch module's tensor parameters get `torch.Tensor`s, float16 among them."""
        torch = pytest.importorskip("torch")
        fresh = module(
            """
            import torch

            def scaled_rows(x, w):
                out = torch.empty_like(x)
                for i in range(x.shape[0]):
                    out[i] = x[i] * w[i].sum()
                return out
            """
        )
        inputs = accepted(fresh, "scaled_rows", generate_inputs(fresh, "scaled_rows", 4))
        assert all(isinstance(value, torch.Tensor) for args, _ in inputs for value in args)
        assert any(args[0].dtype == torch.float16 for args, _ in inputs)

    def test_tensorflow_module_gets_tensorflow_tensors(self, module: Callable[[str], Fresh]) -> None:
        """A TensorFlow module's tensor parameters get TensorFlow tensors of the rank `x[:, j]` needs."""
        tf = pytest.importorskip("tensorflow")
        fresh = module(
            """
            import tensorflow as tf

            def column_steps(x):
                cols = []
                for j in range(1, x.shape[1]):
                    cols.append(x[:, j] - x[:, j - 1])
                return tf.stack(cols, axis=1)
            """
        )
        inputs = accepted(fresh, "column_steps", generate_inputs(fresh, "column_steps", 3))
        assert inputs and all(tf.is_tensor(args[0]) and len(args[0].shape) == 2 for args, _ in inputs)


class TestExamples:
    def test_example_pins_rank_and_dtype(self, module: Callable[[str], Fresh]) -> None:
        """With an example call, every generated array keeps its rank; the example's dtype comes first, the
        other float dtypes are tried too (a float64 program's function may get float32), and sizes vary."""
        fresh = module(TOTAL)
        like = [pickle.dumps(([np.random.default_rng(0).random(50)], {}))]
        arrays = [args[0] for args, _ in accepted(fresh, "total", generate_inputs(fresh, "total", 8, like=like))]
        assert arrays and all(a.ndim == 1 for a in arrays)
        assert arrays[0].dtype == np.float64
        assert {np.dtype(np.float16), np.dtype(np.float64)} <= {a.dtype for a in arrays}
        assert len({a.shape for a in arrays}) > 2


class TestLimits:
    def test_deterministic(self, module: Callable[[str], Fresh]) -> None:
        """Two calls give the same inputs in the same order."""
        fresh = module(STEP)
        assert generate_inputs(fresh, "step", 6) == generate_inputs(fresh, "step", 6)

    def test_method_without_receiver_gets_nothing(self, module: Callable[[str], Fresh]) -> None:
        """A qualname `Cls.method` has no receiver to call it on yet: no inputs."""
        fresh = module("class Model:\n    def forward(self, x):\n        return x\n")
        assert generate_inputs(fresh, "Model.forward", 3) == []

    def test_slow_trials_are_cut_short(self, module: Callable[[str], Fresh], monkeypatch: pytest.MonkeyPatch) -> None:
        """A function that is slow on long inputs costs one trial limit per family, within the total limit."""
        monkeypatch.setattr(generate, "TRIAL_SECONDS", 0.3)
        monkeypatch.setattr(generate, "TOTAL_SECONDS", 2.0)
        fresh = module(
            """
            import time

            import numpy as np

            def smooth(x):
                if x.size > 1000:
                    time.sleep(30)
                return x * 0.5
            """
        )
        start = time.monotonic()
        blobs = generate_inputs(fresh, "smooth", 4)
        assert time.monotonic() - start < 4.0
        shapes = [decode(blob)[0][0].shape for blob in blobs]
        assert len(shapes) == 4 and all(np.prod(shape) <= 1000 for shape in shapes)

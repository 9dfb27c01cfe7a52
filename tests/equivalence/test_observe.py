"""The observer reports the lines, entered functions and calls of one file while a real program runs."""

from __future__ import annotations

import json
import pickle
import runpy
import subprocess
import sys
import threading
import types
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import pytest

from harp_refactor.equivalence.observe import Observer
from harp_refactor.equivalence.values import Array, Obj, Opaque, Raised

Write = Callable[[str, str], Path]

NUMPY_TRAINING = """
    import numpy as np

    class Model:
        def __init__(self, n):
            self.w = np.zeros(n)
            self.steps = 0

        def forward(self, x):
            return x @ self.w

        def update(self, grad, lr):
            self.w -= lr * grad
            self.steps += 1

    def loss(pred, y):
        return float(((pred - y) ** 2).mean())

    def train(model, batches, lr=0.1, verbose=False):
        history = []
        for x, y in batches:
            pred = model.forward(x)
            history.append(loss(pred, y))
            grad = 2 * x.T @ (pred - y) / len(y)
            model.update(grad, lr)
            if verbose:
                print("loss", history[-1])
        return history

    def evaluate(model, x, y):
        return loss(model.forward(x), y)

    def main():
        rng = np.random.default_rng(0)
        batches = [(rng.normal(size=(8, 3)), rng.normal(size=8)) for _ in range(4)]
        model = Model(3)
        history = train(model, batches)
        best = min(history)
        return best

    if __name__ == "__main__":
        main()
"""


def run(path: Path, functions: Collection[str] = (), max_calls: int = 32) -> Observer:
    """Run a file as the harness child runs a program, under an observer."""
    with Observer(str(path), functions, max_calls) as observer:
        runpy.run_path(str(path), run_name="__main__")
    return observer


def line_of(path: Path, text: str) -> int:
    """The number of the first line of the file that contains `text`."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {path}")


def returns(observer: Observer, name: str) -> list[Any]:
    """The recorded return values of one function, in call order."""
    return [call["return"] for call in observer.calls()[name]["calls"]]


class TestCoverage:
    def test_lines_of_a_branch_not_taken_are_absent(self, write: Write) -> None:
        """Lines that ran are reported and the body of an `if` whose test was false is not."""
        path = write("train.py", NUMPY_TRAINING)
        observer = run(path)
        assert line_of(path, "model.update(grad, lr)") in observer.lines
        assert line_of(path, "if verbose:") in observer.lines
        assert line_of(path, 'print("loss"') not in observer.lines
        assert line_of(path, "return loss(model.forward(x), y)") not in observer.lines

    def test_entered_lists_functions_and_methods_that_ran(self, write: Write) -> None:
        """Functions and methods that were called are entered; uncalled ones, class bodies and the module are not."""
        path = write("train.py", NUMPY_TRAINING)
        observer = run(path)
        assert observer.entered == {"Model.__init__", "Model.forward", "Model.update", "loss", "train", "main"}

    def test_lambdas_and_comprehensions_count_lines_but_are_not_entered(self, write: Write) -> None:
        """A lambda and a list comprehension add their lines but no `<lambda>` or `<listcomp>` entry."""
        path = write(
            "scale.py",
            """
            def scale_all(values, factor):
                scaled = [
                    v * factor for v in values
                ]
                key = (
                    lambda v: -v
                )
                return sorted(scaled, key=key)

            scale_all([1.0, 2.0], 3.0)
            """,
        )
        observer = run(path)
        assert observer.entered == {"scale_all"}
        assert {line_of(path, "v * factor for v"), line_of(path, "lambda v: -v")} <= observer.lines

    def test_other_files_are_not_observed(self, write: Write) -> None:
        """Functions of a module the program imports are neither entered nor counted as lines of the file."""
        write("helpers.py", "def normalise(xs):\n    total = sum(xs)\n    return [x / total for x in xs]\n")
        path = write(
            "main.py",
            """
            import sys
            sys.path.insert(0, __file__.rsplit("/", 1)[0])
            from helpers import normalise

            def weights():
                return normalise([1.0, 3.0])

            weights()
            """,
        )
        observer = run(path)
        assert observer.entered == {"weights"}
        assert max(observer.lines) <= len(path.read_text().splitlines())

    def test_the_path_is_compared_after_resolving_links(self, write: Write, tmp_path: Path) -> None:
        """A program run through a symbolic link is observed as the file it points to."""
        path = write("train.py", NUMPY_TRAINING)
        link = tmp_path / "link.py"
        link.symlink_to(path)
        with Observer(str(path)) as observer:
            runpy.run_path(str(link), run_name="__main__")
        assert "train" in observer.entered

    def test_lines_match_a_plain_line_tracer(self, write: Write) -> None:
        """Lines whose code was fully seen stop being traced, yet the lines found equal every 'line' event's."""
        path = write("train.py", NUMPY_TRAINING)
        expected: set[int] = set()
        target = str(path)

        def reference(frame: types.FrameType, event: str, arg: Any) -> Any:
            if frame.f_code.co_filename != target:
                return None
            if event == "line":
                expected.add(frame.f_lineno)
            return reference

        sys.settrace(reference)
        try:
            runpy.run_path(target, run_name="__main__")
        finally:
            sys.settrace(None)
        with Observer(target) as observer:
            runpy.run_path(target, run_name="__main__")
            runpy.run_path(target, run_name="__main__")
        assert observer.lines == expected

    def test_coverage_is_sorted_and_picklable(self, write: Write) -> None:
        """What is sent to the parent is plain sorted lists that survive pickling."""
        path = write("train.py", NUMPY_TRAINING)
        coverage = run(path).coverage()
        assert pickle.loads(pickle.dumps(coverage)) == coverage
        assert coverage["lines"] == sorted(coverage["lines"])
        assert coverage["entered"] == sorted(coverage["entered"])


class TestCalls:
    def test_train_results_kept_in_locals_are_recorded(self, write: Write) -> None:
        """`main()` keeps the history in locals, yet every call of `train` and `loss` shows its return."""
        path = write("train.py", NUMPY_TRAINING)
        observer = run(path, ["train", "loss", "main"])
        calls = observer.calls()
        assert calls["train"]["count"] == 1
        assert calls["loss"]["count"] == 4
        history = returns(observer, "train")[0]
        assert history == returns(observer, "loss")
        assert returns(observer, "main") == [min(history)]

    def test_arguments_are_snapshot_after_the_call(self, write: Write) -> None:
        """The model passed to `train` is recorded as it is after training, with defaults included."""
        path = write("train.py", NUMPY_TRAINING)
        model, batches, lr, verbose = run(path, ["train"]).calls()["train"]["calls"][0]["args"]
        assert isinstance(model, Obj)
        assert model.attrs["steps"] == 4
        assert isinstance(model.attrs["w"], Array) and model.attrs["w"].data.any()
        assert len(batches) == 4
        assert (lr, verbose) == (0.1, False)

    def test_receiver_state_after_each_method_call(self, write: Write) -> None:
        """Each call of a method records the receiver as that call left it."""
        path = write("train.py", NUMPY_TRAINING)
        calls = run(path, ["Model.update"]).calls()["Model.update"]["calls"]
        assert [call["args"][0].attrs["steps"] for call in calls] == [1, 2, 3, 4]
        assert all(call["return"] is None for call in calls)

    def test_varargs_and_kwargs_are_recorded(self, write: Write) -> None:
        """*args come as a tuple and **kwargs as a dict after the named parameters, keyword-only ones included."""
        path = write(
            "log.py",
            """
            def log_metrics(step, *values, prefix="train", **extra):
                return f"{prefix}/{step}: {sum(values)}"

            log_metrics(3, 0.5, 0.25, prefix="val", epoch=1)
            """,
        )
        (call,) = run(path, ["log_metrics"]).calls()["log_metrics"]["calls"]
        assert call == {"return": "val/3: 0.75", "args": [3, "val", (0.5, 0.25), {"epoch": 1}]}

    def test_only_the_first_calls_are_kept_but_all_are_counted(self, write: Write) -> None:
        """With max_calls=3, a helper called 50 times reports count 50 and its first three calls in order."""
        path = write(
            "batches.py",
            """
            def batch_mean(batch):
                return sum(batch) / len(batch)

            def run_epoch(data, size):
                means = []
                for start in range(0, len(data), size):
                    means.append(batch_mean(data[start:start + size]))
                return means

            run_epoch(list(range(100)), 2)
            """,
        )
        observer = run(path, ["batch_mean"], max_calls=3)
        assert observer.calls()["batch_mean"]["count"] == 50
        assert [call["args"] for call in observer.calls()["batch_mean"]["calls"]] == [[[0, 1]], [[2, 3]], [[4, 5]]]

    def test_unchosen_and_uncalled_functions(self, write: Write) -> None:
        """Functions not chosen are not recorded; a chosen function that never ran has count 0."""
        path = write("train.py", NUMPY_TRAINING)
        assert run(path, ["evaluate"]).calls() == {"evaluate": {"count": 0, "calls": []}}
        assert run(path).calls() == {}

    def test_recursive_calls_are_kept_apart_in_call_order(self, write: Write) -> None:
        """Nested calls of one function are matched to their own returns and listed in the order they began."""
        path = write(
            "tree.py",
            """
            def depth(tree):
                if not isinstance(tree, list):
                    return 0
                return 1 + max(depth(child) for child in tree)

            depth([[1, [2]], 3])
            """,
        )
        calls = run(path, ["depth"]).calls()["depth"]["calls"]
        assert [call["args"][0] for call in calls] == [[[1, [2]], 3], [1, [2]], 1, [2], 2, 3]
        assert [call["return"] for call in calls] == [3, 2, 0, 1, 0, 0]


class TestExceptions:
    PROGRAM = """
        import numpy as np

        def check_finite(loss):
            if not np.isfinite(loss):
                raise FloatingPointError(f"loss is {loss}")
            return loss

        def guarded(loss):
            try:
                return check_finite(loss)
            except FloatingPointError:
                return None

        def fallback(loss):
            try:
                check_finite(loss)
            except FloatingPointError:
                pass

        def main():
            for loss in [0.5, float("nan"), 0.25, float("inf")]:
                guarded(loss)
                fallback(loss)
            try:
                check_finite(float("nan"))
            except FloatingPointError:
                pass

        main()
    """

    def test_a_raising_call_records_the_exception(self, write: Write) -> None:
        """A call that an exception leaves records its type and message instead of a return."""
        path = write("checks.py", self.PROGRAM)
        calls = run(path, ["check_finite"]).calls()["check_finite"]["calls"]
        outcomes = ["raised" if isinstance(call["return"], Raised) else "return" for call in calls]
        assert outcomes == ["return"] * 2 + ["raised"] * 2 + ["return"] * 2 + ["raised"] * 3
        assert calls[6]["return"] == Raised("builtins.FloatingPointError", "loss is inf")
        assert calls[-1]["return"] == Raised("builtins.FloatingPointError", "loss is nan")

    def test_a_call_that_catches_internally_returns(self, write: Write) -> None:
        """A function that catches its callee's exception returns normally, even once its lines are no longer traced."""
        path = write("checks.py", self.PROGRAM)
        observer = run(path, ["guarded", "fallback"])
        assert returns(observer, "guarded") == [0.5, None, 0.25, None]
        assert returns(observer, "fallback") == [None] * 4

    def test_a_failing_snapshot_is_recorded_and_the_program_goes_on(self, write: Write) -> None:
        """An object whose state_dict() raises is recorded as a marker; the program neither sees it nor stops."""
        path = write(
            "broken.py",
            """
            class Checkpoint:
                def state_dict(self):
                    raise RuntimeError("not ready")

            def restore(ckpt):
                return ckpt

            result = restore(Checkpoint())
            finished = True
            """,
        )
        with Observer(str(path), ["restore"]) as observer:
            namespace = runpy.run_path(str(path), run_name="__main__")
        assert namespace["finished"] is True
        (call,) = observer.calls()["restore"]["calls"]
        assert isinstance(call["return"], Opaque)

    def test_user_code_run_by_snapshots_is_not_observed(self, write: Write) -> None:
        """A state_dict() of the file that snapshots call is neither entered nor counted, only the program's call."""
        path = write(
            "tracker.py",
            """
            class Tracker:
                def __init__(self):
                    self.seen = []

                def state_dict(self):
                    return {"seen": list(self.seen)}

                def add(self, value):
                    self.seen.append(value)

            tracker = Tracker()
            tracker.add(1)
            tracker.add(2)
            saved = tracker.state_dict()
            """,
        )
        observer = run(path, ["Tracker.add", "Tracker.state_dict"])
        calls = observer.calls()
        assert calls["Tracker.state_dict"]["count"] == 1
        assert [call["args"][0].attrs["state_dict"] for call in calls["Tracker.add"]["calls"]] == [
            {"seen": [1]},
            {"seen": [1, 2]},
        ]


class TestGenerators:
    def test_generators_and_coroutines_are_entered_but_not_recorded(self, write: Write) -> None:
        """A batch generator and an async function run their lines and are entered, but have no calls."""
        path = write(
            "loader.py",
            """
            import asyncio

            def batches(data, size):
                for start in range(0, len(data), size):
                    yield data[start:start + size]

            async def fetch(n):
                await asyncio.sleep(0)
                return n * 2

            def total(data):
                return sum(sum(batch) for batch in batches(data, 2))

            total(list(range(10)))
            asyncio.run(fetch(3))
            """,
        )
        observer = run(path, ["batches", "fetch", "total"])
        calls = observer.calls()
        assert calls["batches"] == {"count": 0, "calls": []}
        assert calls["fetch"] == {"count": 0, "calls": []}
        assert returns(observer, "total") == [45]
        assert {"batches", "fetch", "total"} <= observer.entered
        assert {line_of(path, "yield data"), line_of(path, "return n * 2")} <= observer.lines


class TestTracerLifecycle:
    def test_the_previous_tracer_is_restored(self, write: Write) -> None:
        """A tracer installed before the observer (a debugger, coverage) is back in place after it."""
        path = write("train.py", NUMPY_TRAINING)

        def previous(frame: types.FrameType, event: str, arg: Any) -> None:
            return None

        before, before_threads = sys.gettrace(), threading.gettrace()
        sys.settrace(previous)
        threading.settrace(previous)
        try:
            run(path)
            assert sys.gettrace() is previous
            assert threading.gettrace() is previous
        finally:
            sys.settrace(before)
            threading.settrace(before_threads)

    def test_functions_run_in_threads_are_observed(self, write: Write) -> None:
        """A worker thread the program starts is traced: its function is entered and its calls recorded."""
        path = write(
            "workers.py",
            """
            import threading

            def preprocess(chunk, out):
                out.append([x * 2 for x in chunk])
                return len(chunk)

            results = []
            threads = [threading.Thread(target=preprocess, args=([i, i + 1], results)) for i in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            """,
        )
        observer = run(path, ["preprocess"])
        assert "preprocess" in observer.entered
        assert returns(observer, "preprocess") == [2, 2, 2]

    def test_pytest_runs_normally_under_an_observer(self, write: Write, tmp_path: Path) -> None:
        """pytest.main inside an observer passes its tests, and the module the tests import is observed."""
        write(
            "metrics.py",
            "def accuracy(pred, y):\n    hits = sum(p == t for p, t in zip(pred, y))\n    return hits / len(y)\n",
        )
        write(
            "test_metrics.py",
            "from metrics import accuracy\n\ndef test_accuracy():\n    assert accuracy([1, 0], [1, 1]) == 0.5\n",
        )
        script = write(
            "drive.py",
            """
            import json, sys
            import pytest
            from harp_refactor.equivalence.observe import Observer

            with Observer("metrics.py", ["accuracy"]) as observer:
                status = pytest.main(["-q", "-p", "no:cacheprovider", "test_metrics.py"])
            print(json.dumps({"status": int(status), "coverage": observer.coverage(),
                              "count": observer.calls()["accuracy"]["count"]}))
            """,
        )
        done = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
        report = json.loads(done.stdout.strip().splitlines()[-1])
        assert report["status"] == 0, done.stdout
        assert report["count"] == 1
        assert report["coverage"] == {"lines": [1, 2, 3], "entered": ["accuracy"]}  # the `def` ran at import


class TestTensorFlow:
    PROGRAM = """
        import tensorflow as tf

        def scale(x):
            return x * 2.0

        @tf.function
        def train_step(x):
            if tf.reduce_sum(x) > 0:
                x = scale(x)
            return x + 1.0

        class Dense(tf.Module):
            def __init__(self):
                self.w = tf.Variable([[1.0], [2.0]])

            @tf.function
            def forward(self, x):
                return tf.matmul(x, self.w)

            @tf.function
            def unused(self, x):
                return x

        def main():
            layer = Dense()
            out = train_step(tf.constant([1.0, 2.0]))
            y = layer.forward(tf.ones((3, 2)))
            train_step(tf.constant([3.0, 2.0]))
            return out, y

        main()
    """

    def test_tf_functions_and_methods_are_entered(self, write: Write) -> None:
        """A traced `tf.function`, its converted helper and a traced method are entered under their qualnames."""
        pytest.importorskip("tensorflow")
        path = write("tf_train.py", self.PROGRAM)
        observer = run(path, ["main"])
        assert {"train_step", "scale", "Dense.forward", "main"} <= observer.entered
        assert "Dense.unused" not in observer.entered

    def test_converted_lines_are_not_counted(self, write: Write) -> None:
        """The body of a `tf.function` runs as AutoGraph's generated copy, so its lines are not the file's lines."""
        pytest.importorskip("tensorflow")
        path = write("tf_train.py", self.PROGRAM)
        observer = run(path, ["main"])
        assert line_of(path, "return x * 2.0") not in observer.lines
        assert line_of(path, "out = train_step(") in observer.lines
        (call,) = observer.calls()["main"]["calls"]
        out, y = call["return"]
        assert out.kind == "tensorflow.Tensor" and out.data.tolist() == [3.0, 5.0]


class TestTorch:
    def test_module_forward_calls_are_recorded(self, write: Write) -> None:
        """Each `forward` of an nn.Module records its output tensor and the module's state dict."""
        pytest.importorskip("torch")
        path = write(
            "torch_train.py",
            """
            import torch
            from torch import nn

            class MLP(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = nn.Linear(4, 2)

                def forward(self, x):
                    return torch.relu(self.fc(x))

            def train(model, x, y, steps):
                opt = torch.optim.SGD(model.parameters(), lr=0.1)
                for _ in range(steps):
                    opt.zero_grad()
                    loss = nn.functional.mse_loss(model(x), y)
                    loss.backward()
                    opt.step()
                return loss.item()

            torch.manual_seed(0)
            model = MLP()
            final = train(model, torch.randn(8, 4), torch.randn(8, 2), steps=3)
            """,
        )
        observer = run(path, ["MLP.forward", "train"])
        calls = observer.calls()
        assert calls["MLP.forward"]["count"] == 3
        first = calls["MLP.forward"]["calls"][0]
        assert first["return"].kind == "torch.Tensor" and first["return"].data.shape == (8, 2)
        module, x = first["args"]
        assert set(module.attrs["state_dict"]) == {"fc.weight", "fc.bias"}
        assert x.data.shape == (8, 4)
        weights = [call["args"][0].attrs["state_dict"]["fc.weight"].data for call in calls["MLP.forward"]["calls"]]
        assert not (weights[0] == weights[1]).all()  # forward was recorded before each optimiser step
        assert isinstance(returns(observer, "train")[0], float)

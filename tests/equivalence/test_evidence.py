""" "Equivalent" rests on evidence: wrong rewrites of programs written as people write them are caught.

Each case is a small program as found in ML repositories (helpers, classes, a `main()`
whose results stay in locals or are printed) with a rewrite that changes its results, or
one whose change no observation can see.  Before the evidence rules the harness called
each of these equivalent.
"""

from __future__ import annotations

import pytest

from harp_refactor.equivalence.verdict import COULD_NOT_VERIFY, EQUIVALENT, NOT_EQUIVALENT

from .cases import Case, CasePool, case, uses

# One xdist worker runs this whole file: its harness cases run once, in a pool shared by the whole module.
pytestmark = pytest.mark.xdist_group("test_evidence")

CASES: dict[str, Case] = {}

# Cause 1: program mode saw only globals, files and the exit status.
CASES["relu_inplace_removed_in_helper"] = case(
    """
    import torch
    import torch.nn.functional as F


    def encode(x, weight):
        h = x @ weight
        F.relu(h, inplace=True)
        return h.sum(dim=1)


    def main():
        torch.manual_seed(0)
        weight = torch.randn(4, 3)
        scores = []
        for _ in range(3):
            scores.append(encode(torch.randn(5, 4), weight))
        best = torch.stack(scores).max()


    if __name__ == "__main__":
        main()
    """,
    """
    import torch
    import torch.nn.functional as F


    def encode(x, weight):
        h = x @ weight
        return h.sum(dim=1)


    def main():
        torch.manual_seed(0)
        weight = torch.randn(4, 3)
        scores = []
        for _ in range(3):
            scores.append(encode(torch.randn(5, 4), weight))
        best = torch.stack(scores).max()


    if __name__ == "__main__":
        main()
    """,
)
CASES["printed_loss_changed"] = case(
    """
    import numpy as np


    def train(X, y, lr=0.1, epochs=5):
        w = np.zeros(X.shape[1])
        for epoch in range(epochs):
            grad = X.T @ (X @ w - y) / len(y)
            w -= lr * grad
            loss = float(np.mean((X @ w - y) ** 2))
            print(f"epoch {epoch}: loss {loss:.6f}")


    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        X = rng.normal(size=(32, 4))
        train(X, X @ np.arange(4.0), epochs=4)
    """,
    """
    import numpy as np


    def train(X, y, lr=0.1, epochs=5):
        w = np.zeros(X.shape[1])
        residual = X @ w - y
        for epoch in range(epochs):
            grad = X.T @ residual / len(y)
            w -= lr * grad
            loss = float(np.mean((X @ w - y) ** 2))
            print(f"epoch {epoch}: loss {loss:.6f}")


    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        X = rng.normal(size=(32, 4))
        train(X, X @ np.arange(4.0), epochs=4)
    """,
)
CASES["tf_function_freezes_annealed_global"] = case(
    """
    import tensorflow as tf

    temperature = 1.0


    def soft_targets(logits):
        return tf.nn.softmax(logits / temperature)


    def main():
        global temperature
        logits = tf.constant([[2.0, 1.0, 0.5]])
        history = []
        for step in range(4):
            temperature = 1.0 / (step + 1)
            history.append(soft_targets(logits))
        return tf.stack(history)


    if __name__ == "__main__":
        main()
    """,
    """
    import tensorflow as tf

    temperature = 1.0


    @tf.function
    def soft_targets(logits):
        return tf.nn.softmax(logits / temperature)


    def main():
        global temperature
        logits = tf.constant([[2.0, 1.0, 0.5]])
        history = []
        for step in range(4):
            temperature = 1.0 / (step + 1)
            history.append(soft_targets(logits))
        return tf.stack(history)


    if __name__ == "__main__":
        main()
    """,
)

# Cause 2: a fix inside a method is checked per call, with the receiver.
CASES["method_hoist_over_receiver_update"] = case(
    """
    import numpy as np


    class LinearRegressor:
        def __init__(self, n_features, lr=0.05):
            self.w = np.zeros(n_features)
            self.lr = lr
            self.history = []

        def fit(self, X, y, steps):
            for _ in range(steps):
                pred = X @ self.w
                self.w -= self.lr * X.T @ (pred - y) / len(y)
                self.history.append(float(np.abs(pred - y).mean()))
            return self


    if __name__ == "__main__":
        rng = np.random.default_rng(1)
        X = rng.normal(size=(16, 3))
        model = LinearRegressor(3).fit(X, X @ np.array([1.0, -2.0, 0.5]), steps=6)
    """,
    """
    import numpy as np


    class LinearRegressor:
        def __init__(self, n_features, lr=0.05):
            self.w = np.zeros(n_features)
            self.lr = lr
            self.history = []

        def fit(self, X, y, steps):
            pred = X @ self.w
            for _ in range(steps):
                self.w -= self.lr * X.T @ (pred - y) / len(y)
                self.history.append(float(np.abs(pred - y).mean()))
            return self


    if __name__ == "__main__":
        rng = np.random.default_rng(1)
        X = rng.normal(size=(16, 3))
        model = LinearRegressor(3).fit(X, X @ np.array([1.0, -2.0, 0.5]), steps=6)
    """,
)

# Cause 3: the optimizer holds the very array `train` receives; copies must keep sharing it.
_OPTIMIZER = """
import numpy as np


class SGD:
    def __init__(self, params, lr):
        self.params = params
        self.lr = lr

    def update(self, grads):
        for param, grad in zip(self.params, grads):
            param -= self.lr * grad


def train(W, X, y, opt, steps):
    losses = []
    for _ in range(steps):
        {loop}
        opt.update([grad])
        losses.append(float(((X @ W - y) ** 2).mean()))
    return losses


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([0.5, -1.0, 2.0])
    W = np.zeros(3)
    opt = SGD([W], lr=0.1)
    return train(W, X, y, opt, steps=5)


if __name__ == "__main__":
    main()
"""
CASES["hoist_across_optimizer_update"] = case(
    _OPTIMIZER.replace("{loop}", "grad = X.T @ (X @ W - y) / len(y)"),
    _OPTIMIZER.replace("{loop}", "grad = X.T @ residual / len(y)").replace(
        "    losses = []\n", "    losses = []\n    residual = X @ W - y\n"
    ),
)

# Cause 4: inputs on which the original raises are compared too.
CASES["slice_past_the_end"] = case(
    """
    import numpy as np


    def sgd_step(w, g, n, lr=0.1):
        for i in range(n):
            w[i] -= lr * g[i]
        return w
    """,
    """
    import numpy as np


    def sgd_step(w, g, n, lr=0.1):
        w[:n] -= lr * g[:n]
        return w
    """,
)
CASES["hoisted_inverse_raises_earlier"] = case(
    """
    import numpy as np


    def solve_all(A, rhs, history):
        solutions = []
        for b in rhs:
            history.append(float(b.sum()))
            solutions.append(np.linalg.inv(A) @ b)
        return solutions


    def main():
        history = []
        rhs = [np.ones(2), np.arange(2.0)]
        solve_all(np.eye(2) * 3.0, rhs, history)
        try:
            solve_all(np.zeros((2, 2)), rhs, history)
        except np.linalg.LinAlgError:
            print("singular system skipped")
        return history


    if __name__ == "__main__":
        main()
    """,
    """
    import numpy as np


    def solve_all(A, rhs, history):
        solutions = []
        inverse = np.linalg.inv(A)
        for b in rhs:
            history.append(float(b.sum()))
            solutions.append(inverse @ b)
        return solutions


    def main():
        history = []
        rhs = [np.ones(2), np.arange(2.0)]
        solve_all(np.eye(2) * 3.0, rhs, history)
        try:
            solve_all(np.zeros((2, 2)), rhs, history)
        except np.linalg.LinAlgError:
            print("singular system skipped")
        return history


    if __name__ == "__main__":
        main()
    """,
)

# Cause 5: generated inputs of several families (mismatched lengths, negative counts).
CASES["dot_of_mismatched_lengths"] = case(
    """
    import numpy as np


    def weighted_total(values, weights):
        total = 0.0
        for i in range(len(values)):
            total += values[i] * weights[i]
        return total
    """,
    """
    import numpy as np


    def weighted_total(values, weights):
        total = 0.0
        total += values @ weights
        return total
    """,
)
CASES["negative_count_scales_all_but_last"] = case(
    """
    import numpy as np


    def decay_first(w, n, factor=0.5):
        for i in range(n):
            w[i] *= factor
        return w
    """,
    """
    import numpy as np


    def decay_first(w, n, factor=0.5):
        w[:n] *= factor
        return w
    """,
)

# Cause 7 and "nothing compared": the changed code never ran, or nothing observed depends on it.
CASES["module_of_classes_run_as_program"] = case(
    """
    import torch
    from torch import nn


    class Attention(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.query = nn.Linear(dim, dim)

        def forward(self, keys, steps):
            out = []
            for _ in range(steps):
                out.append(torch.softmax(self.query(keys) @ keys.T, dim=-1))
            return out


    if __name__ == "__main__":
        print("this module defines layers; run train.py")
    """,
    """
    import torch
    from torch import nn


    class Attention(nn.Module):
        def __init__(self, dim):
            super().__init__()
            self.query = nn.Linear(dim, dim)

        def forward(self, keys, steps):
            out = []
            scores = torch.softmax(self.query(keys) @ keys.T, dim=-1)
            for _ in range(steps):
                out.append(scores)
            return out


    if __name__ == "__main__":
        print("this module defines layers; run train.py")
    """,
)
CASES["program_dies_on_missing_import"] = case(
    """
    import numpy as np
    import wandb_not_installed_here


    def smooth(series, window):
        out = []
        for i in range(len(series)):
            out.append(np.convolve(series, np.ones(window) / window, mode="same")[i])
        return out


    if __name__ == "__main__":
        print(smooth(np.arange(10.0), 3))
    """,
    """
    import numpy as np
    import wandb_not_installed_here


    def smooth(series, window):
        out = []
        smoothed = np.convolve(series, np.ones(window) / window, mode="same")
        for i in range(len(series)):
            out.append(smoothed[i])
        return out


    if __name__ == "__main__":
        print(smooth(np.arange(10.0), 3))
    """,
)
CASES["result_never_observed"] = case(
    """
    import numpy as np


    def warm_up(X, steps):
        for _ in range(steps):
            gram = X.T @ X
            gram / np.trace(gram)


    def main():
        X = np.random.default_rng(0).normal(size=(8, 3))
        warm_up(X, 4)


    if __name__ == "__main__":
        main()
    """,
    """
    import numpy as np


    def warm_up(X, steps):
        gram = X.T @ X
        for _ in range(steps):
            gram / np.trace(gram)


    def main():
        X = np.random.default_rng(0).normal(size=(8, 3))
        warm_up(X, 4)


    if __name__ == "__main__":
        main()
    """,
)

# Right rewrites of the same kinds of program still verify, with their evidence named.
CASES["right_hoist_in_method"] = case(
    """
    import numpy as np


    class Whitener:
        def __init__(self, cov):
            self.cov = cov

        def transform(self, batches):
            out = []
            for batch in batches:
                out.append(batch @ np.linalg.inv(self.cov))
            return out


    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        cov = np.eye(3) * 2.0 + 0.1
        whitened = Whitener(cov).transform([rng.normal(size=(4, 3)) for _ in range(3)])
        print(sum(float(w.sum()) for w in whitened))
    """,
    """
    import numpy as np


    class Whitener:
        def __init__(self, cov):
            self.cov = cov

        def transform(self, batches):
            out = []
            inverse = np.linalg.inv(self.cov)
            for batch in batches:
                out.append(batch @ inverse)
            return out


    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        cov = np.eye(3) * 2.0 + 0.1
        whitened = Whitener(cov).transform([rng.normal(size=(4, 3)) for _ in range(3)])
        print(sum(float(w.sum()) for w in whitened))
    """,
)
CASES["right_hoist_results_printed"] = case(
    """
    import numpy as np


    def evaluate(W, batches):
        norm = 0.0
        for batch in batches:
            norm += float(np.abs(batch @ np.linalg.pinv(W)).sum())
        print(f"total {norm:.8f}")


    if __name__ == "__main__":
        rng = np.random.default_rng(3)
        evaluate(rng.normal(size=(3, 3)), [rng.normal(size=(2, 3)) for _ in range(4)])
    """,
    """
    import numpy as np


    def evaluate(W, batches):
        norm = 0.0
        pinv = np.linalg.pinv(W)
        for batch in batches:
            norm += float(np.abs(batch @ pinv).sum())
        print(f"total {norm:.8f}")


    if __name__ == "__main__":
        rng = np.random.default_rng(3)
        evaluate(rng.normal(size=(3, 3)), [rng.normal(size=(2, 3)) for _ in range(4)])
    """,
)


class TestWrongRewritesOfRealisticPrograms:
    @pytest.mark.parametrize(
        ("name", "mentions"),
        [
            pytest.param("relu_inplace_removed_in_helper", "encode", id="inplace-relu-removed"),
            pytest.param("printed_loss_changed", "", id="printed-loss"),
            pytest.param("tf_function_freezes_annealed_global", "", id="tf-function-frozen-global"),
            pytest.param("method_hoist_over_receiver_update", "LinearRegressor.fit", id="method-receiver"),
            pytest.param("hoist_across_optimizer_update", "train", id="optimizer-aliasing"),
            pytest.param("slice_past_the_end", "sgd_step", id="raises-past-the-end"),
            pytest.param("hoisted_inverse_raises_earlier", "solve_all", id="raises-earlier"),
            pytest.param("dot_of_mismatched_lengths", "weighted_total", id="mismatched-lengths"),
            pytest.param("negative_count_scales_all_but_last", "decay_first", id="negative-count"),
        ],
    )
    def test_not_equivalent(self, outcomes: CasePool, name: str, mentions: str) -> None:
        """A rewrite that changes what the program computes is never called equivalent."""
        verdict = outcomes[name].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict.line()
        assert mentions in verdict.reason + "".join(verdict.differences), verdict.line()


class TestMissingEvidence:
    @pytest.mark.parametrize(
        ("name", "reason"),
        [
            pytest.param("module_of_classes_run_as_program", "never ran", id="module-of-classes"),
            pytest.param("program_dies_on_missing_import", "", id="missing-import"),
            pytest.param("result_never_observed", "no observed result depends on the change", id="unobserved"),
        ],
    )
    def test_could_not_verify(self, outcomes: CasePool, name: str, reason: str) -> None:
        """Where the changed code never ran or nothing observed depends on it, the verdict says so."""
        verdict = outcomes[name].verdict
        assert verdict.status == COULD_NOT_VERIFY, verdict.line()
        assert reason in verdict.reason, verdict.line()

    @uses("module_of_classes_run_as_program")
    def test_uncovered_lines_are_named(self, outcomes: CasePool) -> None:
        """The verdict names the changed lines that never ran."""
        verdict = outcomes["module_of_classes_run_as_program"].verdict
        assert "rewritten lines 12, 14; original line 13" in verdict.reason, verdict.reason


class TestRightRewritesShowTheirEvidence:
    @pytest.mark.parametrize("name", ["right_hoist_in_method", "right_hoist_results_printed"])
    def test_equivalent_with_evidence(self, outcomes: CasePool, name: str) -> None:
        """A right rewrite is equivalent; its verdict says the changed lines ran and a wrong variant was told apart."""
        verdict = outcomes[name].verdict
        assert verdict.status == EQUIVALENT, verdict.line()
        assert "changed code ran" in verdict.line()
        told, _, run = verdict.variant_check.partition(" wrong variant")[0].partition(" of ")
        assert told == run and int(run) >= 1, verdict.line()

    @uses("right_hoist_in_method")
    def test_method_checked_per_call_with_its_receiver(self, outcomes: CasePool) -> None:
        """A fix inside a method is checked on the calls the program made, receiver included."""
        verdict = outcomes["right_hoist_in_method"].verdict
        assert verdict.inputs.startswith("captured"), verdict.line()


# A removal computes nothing new: its wrong variant (what it read, perturbed in place where it
# stood) is evidence when told apart, and no reason to refuse when nothing reads those values later.
CASES["right_removal_of_unused_statistics"] = case(
    """
    import torch
    from torch import nn


    def train_step(model, optimizer, x, y):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        confidence = torch.softmax(logits.detach(), dim=1).max(dim=1).values
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()


    if __name__ == "__main__":
        torch.manual_seed(0)
        model = nn.Linear(4, 3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            train_step(model, optimizer, torch.randn(8, 4), torch.randint(0, 3, (8,)))
    """,
    """
    import torch
    from torch import nn


    def train_step(model, optimizer, x, y):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()


    if __name__ == "__main__":
        torch.manual_seed(0)
        model = nn.Linear(4, 3)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            train_step(model, optimizer, torch.randn(8, 4), torch.randint(0, 3, (8,)))
    """,
)


class TestRemovals:
    @uses("right_removal_of_unused_statistics")
    def test_unused_statistic_removed(self, outcomes: CasePool) -> None:
        """Removing a statistic nothing reads is equivalent, checked per call with the model as argument."""
        verdict = outcomes["right_removal_of_unused_statistics"].verdict
        assert verdict.status == EQUIVALENT, verdict.line()
        assert "original line 8" in verdict.coverage, verdict.line()
        assert "wrong variant" in verdict.variant_check, verdict.line()

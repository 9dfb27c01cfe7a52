"""The equivalence harness rejects wrong rewrites and accepts right ones, on real programs (see `cases`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harp_refactor.equivalence.harness import HarnessSettings, open_harness
from harp_refactor.equivalence.process import Limits
from harp_refactor.equivalence.verdict import COULD_NOT_VERIFY, EQUIVALENT, NOT_EQUIVALENT, TOO_SLOW

from .cases import (
    EXIT_COULD_NOT_VERIFY,
    EXIT_EQUIVALENT,
    EXIT_NOT_EQUIVALENT,
    JSON_FIELDS,
    Case,
    CasePool,
    case,
    log_body,
    uses,
)

# One xdist worker runs this whole file: its harness cases run once, in a pool shared by the whole module.
pytestmark = pytest.mark.xdist_group("test_harness")

CASES: dict[str, Case] = {}

# ---------------------------------------------------------------------------------------------
# Wrong rewrites: every one must be rejected.
# ---------------------------------------------------------------------------------------------

CASES["torch_hoisted_randn"] = case(
    """
    import torch

    def jitter(x):
        out = []
        for _ in range(3):
            out.append(x * 2 + torch.randn(2))
        return torch.stack(out)

    if __name__ == "__main__":
        jitter(torch.ones(2))
    """,
    """
    import torch

    def jitter(x):
        out = []
        noise = torch.randn(2)
        for _ in range(3):
            out.append(x * 2 + noise)
        return torch.stack(out)

    if __name__ == "__main__":
        jitter(torch.ones(2))
    """,
)
CASES["torch_hoisted_over_add_"] = case(
    """
    import torch

    def running(x):
        acc = torch.zeros_like(x)
        out = []
        for _ in range(3):
            acc.add_(x)
            out.append(acc * 2)
        return torch.stack(out)

    if __name__ == "__main__":
        running(torch.arange(3.0))
    """,
    """
    import torch

    def running(x):
        acc = torch.zeros_like(x)
        out = []
        doubled = acc * 2
        for _ in range(3):
            acc.add_(x)
            out.append(doubled)
        return torch.stack(out)

    if __name__ == "__main__":
        running(torch.arange(3.0))
    """,
)
CASES["torch_float32_to_float64"] = case(
    """
    import torch

    def row_norms(x):
        out = torch.empty(x.shape[0])
        for i in range(x.shape[0]):
            out[i] = x[i].norm()
        return out

    if __name__ == "__main__":
        row_norms(torch.rand(4, 3))
    """,
    """
    import torch

    def row_norms(x):
        return x.double().norm(dim=1)

    if __name__ == "__main__":
        row_norms(torch.rand(4, 3))
    """,
)
CASES["torch_int64_to_int32"] = case(
    """
    import torch

    def argmax_rows(x):
        found = []
        for row in x:
            found.append(int(row.argmax()))
        return torch.tensor(found)

    if __name__ == "__main__":
        argmax_rows(torch.rand(4, 3))
    """,
    """
    import torch

    def argmax_rows(x):
        return x.argmax(dim=1).to(torch.int32)

    if __name__ == "__main__":
        argmax_rows(torch.rand(4, 3))
    """,
)
CASES["torch_returns_numpy"] = case(
    """
    import torch

    def doubled(x):
        out = []
        for v in x:
            out.append(v * 2)
        return torch.stack(out)

    if __name__ == "__main__":
        doubled(torch.arange(4.0))
    """,
    """
    import torch

    def doubled(x):
        return (x * 2).numpy()

    if __name__ == "__main__":
        doubled(torch.arange(4.0))
    """,
)
CASES["torch_keepdim"] = case(
    """
    import torch

    def row_sums(x):
        return torch.stack([row.sum() for row in x])

    if __name__ == "__main__":
        row_sums(torch.rand(4, 3))
    """,
    """
    import torch

    def row_sums(x):
        return x.sum(dim=1, keepdim=True)

    if __name__ == "__main__":
        row_sums(torch.rand(4, 3))
    """,
)
CASES["torch_nan_introduced"] = case(
    """
    import torch

    def soft_root(x):
        out = torch.empty_like(x)
        for i in range(len(x)):
            out[i] = torch.sqrt(torch.clamp(x[i], min=0.0))
        return out

    if __name__ == "__main__":
        soft_root(torch.linspace(-1, 1, 5))
    """,
    """
    import torch

    def soft_root(x):
        return torch.clamp(torch.sqrt(x), min=0.0)

    if __name__ == "__main__":
        soft_root(torch.linspace(-1, 1, 5))
    """,
)
CASES["torch_writes_into_argument"] = case(
    """
    import torch

    def scaled(x, s):
        out = torch.empty_like(x)
        for i in range(len(x)):
            out[i] = x[i] * s
        return out

    if __name__ == "__main__":
        scaled(torch.arange(4.0), 3.0)
    """,
    """
    import torch

    def scaled(x, s):
        return x.mul_(s)

    if __name__ == "__main__":
        scaled(torch.arange(4.0), 3.0)
    """,
)
CASES["torch_stops_writing_into_argument"] = case(
    """
    import torch

    def clip_(x, limit):
        for i in range(len(x)):
            if x[i] > limit:
                x[i] = limit

    if __name__ == "__main__":
        clip_(torch.linspace(0, 4, 5), 2.0)
    """,
    """
    import torch

    def clip_(x, limit):
        x = x.clamp(max=limit)

    if __name__ == "__main__":
        clip_(torch.linspace(0, 4, 5), 2.0)
    """,
)
CASES["torch_state_dict_changed"] = case(
    """
    import torch
    from torch import nn

    def sgd_step(model, x, lr):
        model.zero_grad()
        loss = model(x).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        return loss.detach()

    if __name__ == "__main__":
        sgd_step(nn.Linear(3, 2), torch.ones(4, 3), 0.1)
    """,
    """
    import torch
    from torch import nn

    def sgd_step(model, x, lr):
        model.zero_grad()
        loss = model(x).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            model.weight -= lr * model.weight.grad
        return loss.detach()

    if __name__ == "__main__":
        sgd_step(nn.Linear(3, 2), torch.ones(4, 3), 0.1)
    """,
)
CASES["torch_dropped_term"] = case(
    """
    import torch

    def loss(pred, target, w):
        total = torch.zeros(())
        for p, t in zip(pred, target):
            total = total + (p - t) ** 2
        return total / len(pred) + 1e-3 * (w**2).sum()

    if __name__ == "__main__":
        loss(torch.linspace(0, 1, 8), torch.zeros(8), torch.ones(3))
    """,
    """
    import torch

    def loss(pred, target, w):
        return ((pred - target) ** 2).mean()

    if __name__ == "__main__":
        loss(torch.linspace(0, 1, 8), torch.zeros(8), torch.ones(3))
    """,
)
CASES["torch_swallowed_exception"] = case(
    """
    import torch

    def safe_inverse(x):
        for v in x:
            if v == 0:
                raise ValueError("singular")
        return 1.0 / x

    if __name__ == "__main__":
        for data in (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0])):
            try:
                safe_inverse(data)
            except ValueError:
                pass
    """,
    """
    import torch

    def safe_inverse(x):
        if (x == 0).any():
            return None
        return 1.0 / x

    if __name__ == "__main__":
        for data in (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0])):
            try:
                safe_inverse(data)
            except ValueError:
                pass
    """,
)
CASES["numpy_hoisted_rand"] = case(
    """
    import numpy as np

    def noisy_copies(a, n):
        out = []
        for _ in range(n):
            out.append(a + np.random.rand(len(a)))
        return np.stack(out)

    if __name__ == "__main__":
        noisy_copies(np.zeros(3), 4)
    """,
    """
    import numpy as np

    def noisy_copies(a, n):
        out = []
        noise = np.random.rand(len(a))
        for _ in range(n):
            out.append(a + noise)
        return np.stack(out)

    if __name__ == "__main__":
        noisy_copies(np.zeros(3), 4)
    """,
)
CASES["numpy_hoisted_over_item_assignment"] = case(
    """
    import numpy as np

    def window_sums(a):
        buf = np.zeros(3)
        out = np.empty(len(a))
        for i in range(len(a)):
            buf[i % 3] = a[i]
            out[i] = buf.sum()
        return out

    if __name__ == "__main__":
        window_sums(np.arange(1.0, 7.0))
    """,
    """
    import numpy as np

    def window_sums(a):
        buf = np.zeros(3)
        out = np.empty(len(a))
        total = buf.sum()
        for i in range(len(a)):
            buf[i % 3] = a[i]
            out[i] = total
        return out

    if __name__ == "__main__":
        window_sums(np.arange(1.0, 7.0))
    """,
)
CASES["numpy_hoisted_over_iadd"] = case(
    """
    import numpy as np

    def prefix_norms(a):
        acc = np.zeros(a.shape[1])
        out = []
        for row in a:
            acc += row
            out.append(np.linalg.norm(acc))
        return np.array(out)

    if __name__ == "__main__":
        prefix_norms(np.arange(6.0).reshape(3, 2))
    """,
    """
    import numpy as np

    def prefix_norms(a):
        acc = np.zeros(a.shape[1])
        out = []
        norm = np.linalg.norm(acc)
        for row in a:
            acc += row
            out.append(norm)
        return np.array(out)

    if __name__ == "__main__":
        prefix_norms(np.arange(6.0).reshape(3, 2))
    """,
)
CASES["numpy_off_by_one_range"] = case(
    """
    import numpy as np

    def prefix_total(a, n):
        total = 0.0
        for i in range(n):
            total += a[i]
        return total

    if __name__ == "__main__":
        prefix_total(np.arange(10.0), 5)
        prefix_total(np.linspace(0, 1, 7), 3)
    """,
    """
    import numpy as np

    def prefix_total(a, n):
        return 0.0 + a[: n - 1].sum()

    if __name__ == "__main__":
        prefix_total(np.arange(10.0), 5)
        prefix_total(np.linspace(0, 1, 7), 3)
    """,
)
CASES["numpy_float16_sum"] = case(
    """
    import numpy as np

    def total(a):
        return a.astype(np.float32).sum()

    if __name__ == "__main__":
        total(np.random.rand(1000))
    """,
    """
    import numpy as np

    def total(a):
        return a.astype(np.float16).sum(dtype=np.float16).astype(np.float32)

    if __name__ == "__main__":
        total(np.random.rand(1000))
    """,
)
CASES["numpy_float32_to_float64"] = case(
    """
    import numpy as np

    def scale_rows(a):
        out = np.empty_like(a)
        for i in range(len(a)):
            out[i] = a[i] / a[i].max()
        return out

    if __name__ == "__main__":
        scale_rows(np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    """,
    """
    import numpy as np

    def scale_rows(a):
        return a / a.max(axis=1, keepdims=True).astype(np.float64)

    if __name__ == "__main__":
        scale_rows(np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    """,
)
CASES["numpy_int64_to_int32"] = case(
    """
    import numpy as np

    def counts(labels, k):
        out = np.zeros(k, dtype=np.int64)
        for v in labels:
            out[v] += 1
        return out

    if __name__ == "__main__":
        counts(np.array([0, 2, 2, 1]), 3)
    """,
    """
    import numpy as np

    def counts(labels, k):
        return np.bincount(labels, minlength=k).astype(np.int32)

    if __name__ == "__main__":
        counts(np.array([0, 2, 2, 1]), 3)
    """,
)
CASES["numpy_writes_into_argument"] = case(
    """
    import numpy as np

    def doubled(a):
        out = np.empty_like(a)
        for i in range(len(a)):
            out[i] = 2.0 * a[i]
        return out

    if __name__ == "__main__":
        doubled(np.arange(4.0))
    """,
    """
    import numpy as np

    def doubled(a):
        a *= 2.0
        return a

    if __name__ == "__main__":
        doubled(np.arange(4.0))
    """,
)
CASES["numpy_changed_exception_type"] = case(
    """
    import numpy as np

    def checked_mean(a):
        if a.size == 0:
            raise ValueError("empty input")
        total = 0.0
        for v in a.ravel():
            total += v
        return total / a.size

    if __name__ == "__main__":
        for data in (np.arange(4.0), np.empty(0)):
            try:
                checked_mean(data)
            except (ValueError, TypeError):
                pass
    """,
    """
    import numpy as np

    def checked_mean(a):
        if a.size == 0:
            raise TypeError("empty input")
        return a.mean()

    if __name__ == "__main__":
        for data in (np.arange(4.0), np.empty(0)):
            try:
                checked_mean(data)
            except (ValueError, TypeError):
                pass
    """,
)
CASES["numpy_changed_global"] = case(
    """
    import numpy as np

    LAST_NORM = 0.0

    def normalize(a):
        global LAST_NORM
        norm = 0.0
        for v in a:
            norm += v * v
        LAST_NORM = norm**0.5
        return a / LAST_NORM

    if __name__ == "__main__":
        normalize(np.arange(1.0, 4.0))
        normalize(np.linspace(1, 2, 5))
    """,
    """
    import numpy as np

    LAST_NORM = 0.0

    def normalize(a):
        norm = np.sqrt((a * a).sum())
        return a / norm

    if __name__ == "__main__":
        normalize(np.arange(1.0, 4.0))
        normalize(np.linspace(1, 2, 5))
    """,
)
CASES["numpy_program_writes_other_file"] = case(
    """
    import numpy as np

    data = np.arange(6.0).reshape(2, 3)
    sums = np.array([data[i].sum() for i in range(2)])
    np.save("result.npy", sums)
    """,
    """
    import numpy as np

    data = np.arange(6.0).reshape(2, 3)
    sums = data.sum(axis=0)
    np.save("result.npy", sums)
    """,
)
CASES["numpy_program_exit_status"] = case(
    """
    import sys

    import numpy as np

    data = np.linspace(0, 1, 5)
    if max(float(v) for v in data) > 0.5:
        sys.exit(3)
    """,
    """
    import sys

    import numpy as np

    data = np.linspace(0, 1, 5)
    if data[:-1].max() > 0.75:
        sys.exit(3)
    """,
)
CASES["numpy_program_prints_other_number"] = case(
    """
    import numpy as np

    print("total:", sum(float(v) for v in np.arange(4.0)))
    """,
    """
    import numpy as np

    print("total:", float(np.arange(1.0, 4.0).sum() + 1))
    """,
    settings={"compare_printed_numbers": True},
)
CASES["tensorflow_hoisted_random_normal"] = case(
    """
    import tensorflow as tf

    def jitter(x):
        outs = []
        for _ in range(3):
            outs.append(x + tf.random.normal([2]))
        return tf.stack(outs)

    if __name__ == "__main__":
        jitter(tf.ones([2]))
    """,
    """
    import tensorflow as tf

    def jitter(x):
        outs = []
        noise = tf.random.normal([2])
        for _ in range(3):
            outs.append(x + noise)
        return tf.stack(outs)

    if __name__ == "__main__":
        jitter(tf.ones([2]))
    """,
)
CASES["tensorflow_hoisted_over_assign"] = case(
    """
    import tensorflow as tf

    def decayed_totals(x):
        v = tf.Variable(tf.zeros_like(x))
        outs = []
        for _ in range(3):
            v.assign(v * 0.5 + x)
            outs.append(tf.reduce_sum(v))
        return tf.stack(outs)

    if __name__ == "__main__":
        decayed_totals(tf.ones([3]))
    """,
    """
    import tensorflow as tf

    def decayed_totals(x):
        v = tf.Variable(tf.zeros_like(x))
        outs = []
        total = tf.reduce_sum(v)
        for _ in range(3):
            v.assign(v * 0.5 + x)
            outs.append(total)
        return tf.stack(outs)

    if __name__ == "__main__":
        decayed_totals(tf.ones([3]))
    """,
)
CASES["tensorflow_int64_to_int32"] = case(
    """
    import tensorflow as tf

    def positions(x):
        found = []
        for i in range(x.shape[0]):
            found.append(tf.argmax(x[i]))
        return tf.stack(found)

    if __name__ == "__main__":
        positions(tf.constant([[1.0, 3.0, 2.0], [4.0, 0.0, 1.0]]))
    """,
    """
    import tensorflow as tf

    def positions(x):
        return tf.argmax(x, axis=1, output_type=tf.int32)

    if __name__ == "__main__":
        positions(tf.constant([[1.0, 3.0, 2.0], [4.0, 0.0, 1.0]]))
    """,
)
CASES["tensorflow_keepdims"] = case(
    """
    import tensorflow as tf

    def row_max(x):
        return tf.stack([tf.reduce_max(row) for row in x])

    if __name__ == "__main__":
        row_max(tf.constant([[1.0, 3.0], [4.0, 0.0]]))
    """,
    """
    import tensorflow as tf

    def row_max(x):
        return tf.reduce_max(x, axis=1, keepdims=True)

    if __name__ == "__main__":
        row_max(tf.constant([[1.0, 3.0], [4.0, 0.0]]))
    """,
)
CASES["tensorflow_nan_introduced"] = case(
    """
    import tensorflow as tf

    def ratios(num, den):
        out = []
        for i in range(num.shape[0]):
            out.append(tf.math.divide_no_nan(num[i], den[i]))
        return tf.stack(out)

    if __name__ == "__main__":
        ratios(tf.constant([1.0, 0.0, 2.0]), tf.constant([2.0, 0.0, 4.0]))
    """,
    """
    import tensorflow as tf

    def ratios(num, den):
        return num / den

    if __name__ == "__main__":
        ratios(tf.constant([1.0, 0.0, 2.0]), tf.constant([2.0, 0.0, 4.0]))
    """,
)
CASES["tensorflow_off_by_one_slice"] = case(
    """
    import tensorflow as tf

    def column_steps(x):
        cols = []
        for j in range(1, x.shape[1]):
            cols.append(x[:, j] - x[:, j - 1])
        return tf.stack(cols, axis=1)

    if __name__ == "__main__":
        column_steps(tf.reshape(tf.range(12.0), [3, 4]))
    """,
    """
    import tensorflow as tf

    def column_steps(x):
        return x[:, 2:] - x[:, 1:-1]

    if __name__ == "__main__":
        column_steps(tf.reshape(tf.range(12.0), [3, 4]))
    """,
)
CASES["tensorflow_stops_writing_into_variable"] = case(
    """
    import tensorflow as tf

    def accumulate(var, x):
        for i in range(x.shape[0]):
            var.assign_add(x[i])
        return var.read_value()

    if __name__ == "__main__":
        accumulate(tf.Variable(tf.zeros([2])), tf.ones([3, 2]))
    """,
    """
    import tensorflow as tf

    def accumulate(var, x):
        return var + tf.reduce_sum(x, axis=0)

    if __name__ == "__main__":
        accumulate(tf.Variable(tf.zeros([2])), tf.ones([3, 2]))
    """,
)
CASES["tensorflow_program_changed_global"] = case(
    """
    import tensorflow as tf

    weights = tf.Variable(tf.ones([3]))
    for step in range(3):
        weights.assign(weights * 0.9)
    """,
    """
    import tensorflow as tf

    weights = tf.Variable(tf.ones([3]))
    for step in range(2):
        weights.assign(weights * 0.9)
    """,
)

# ---------------------------------------------------------------------------------------------
# Right rewrites: every one must be accepted, with both timings.
# ---------------------------------------------------------------------------------------------

CASES["torch_hoisting_done_right"] = case(
    """
    import torch

    def project(xs, w):
        out = []
        for x in xs:
            out.append(x @ (w / w.norm()))
        return torch.stack(out)

    if __name__ == "__main__":
        project(torch.rand(50, 8), torch.rand(8))
    """,
    """
    import torch

    def project(xs, w):
        unit = w / w.norm()
        out = []
        for x in xs:
            out.append(x @ unit)
        return torch.stack(out)

    if __name__ == "__main__":
        project(torch.rand(50, 8), torch.rand(8))
    """,
)
CASES["torch_reassociated_sum"] = case(
    """
    import torch

    def total(x):
        x = x.float()
        acc = torch.zeros(())
        for v in x:
            acc = acc + v
        return acc

    if __name__ == "__main__":
        total(torch.rand(4096))
    """,
    """
    import torch

    def total(x):
        x = x.float()
        return x.sum(dim=0)

    if __name__ == "__main__":
        total(torch.rand(4096))
    """,
)
# The same rewrite without the cast: a float16 running sum stalls at 2048 over 4096 ones, the
# library's sum does not, and float16 input gives a float16 result where the loop gave float32.
CASES["torch_float16_reassociated_sum"] = Case(
    CASES["torch_reassociated_sum"].original.replace("    x = x.float()\n", ""),
    CASES["torch_reassociated_sum"].rewritten.replace("    x = x.float()\n", ""),
)
CASES["torch_vectorised"] = case(
    """
    import torch

    def scaled_rows(x, w):
        out = torch.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = x[i] * w[i].sum()
        return out

    if __name__ == "__main__":
        scaled_rows(torch.rand(64, 16), torch.rand(64, 16))
    """,
    """
    import torch

    def scaled_rows(x, w):
        return x * w.sum(dim=1, keepdim=True)

    if __name__ == "__main__":
        scaled_rows(torch.rand(64, 16), torch.rand(64, 16))
    """,
)
CASES["numpy_hoisting_done_right"] = case(
    """
    import numpy as np

    def solve_all(m, rhs):
        out = []
        for b in rhs:
            out.append(np.linalg.inv(m) @ b)
        return np.array(out)

    if __name__ == "__main__":
        solve_all(np.eye(4) * 2.0 + 0.1, np.random.rand(30, 4))
    """,
    """
    import numpy as np

    def solve_all(m, rhs):
        inverse = np.linalg.inv(m)
        out = []
        for b in rhs:
            out.append(inverse @ b)
        return np.array(out)

    if __name__ == "__main__":
        solve_all(np.eye(4) * 2.0 + 0.1, np.random.rand(30, 4))
    """,
)
CASES["numpy_vectorised"] = case(
    """
    import numpy as np

    def steps(a):
        out = np.zeros(len(a) - 1)
        for i in range(len(a) - 1):
            out[i] = a[i + 1] - a[i]
        return out

    if __name__ == "__main__":
        steps(np.random.rand(500))
        steps(np.linspace(0, 1, 300))
    """,
    """
    import numpy as np

    def steps(a):
        out = np.zeros(len(a) - 1)
        out[:] = a[1:] - a[:-1]
        return out

    if __name__ == "__main__":
        steps(np.random.rand(500))
        steps(np.linspace(0, 1, 300))
    """,
    settings={"repeats": 5},
)
# Returning `a[1:] - a[:-1]` instead would be wrong at the edges: the original raises on an empty
# array (np.zeros(-1)), and keeps float64 for float32 input.
CASES["numpy_vectorised_without_the_allocation"] = case(
    CASES["numpy_vectorised"].original,
    CASES["numpy_vectorised"].original.replace(
        "    out = np.zeros(len(a) - 1)\n    for i in range(len(a) - 1):\n"
        "        out[i] = a[i + 1] - a[i]\n    return out",
        "    return a[1:] - a[:-1]",
    ),
)
CASES["numpy_program_vectorised"] = case(
    """
    import numpy as np

    data = np.arange(6.0).reshape(2, 3)
    sums = np.array([data[i].sum() for i in range(2)])
    np.save("result.npy", sums)
    """,
    """
    import numpy as np

    data = np.arange(6.0).reshape(2, 3)
    sums = data.sum(axis=1)
    np.save("result.npy", sums)
    """,
)
CASES["tensorflow_eager_vectorised"] = case(
    """
    import tensorflow as tf

    def column_steps(x):
        cols = []
        for j in range(1, x.shape[1]):
            cols.append(x[:, j] - x[:, j - 1])
        return tf.stack(cols, axis=1)

    if __name__ == "__main__":
        column_steps(tf.random.uniform([16, 32]))
    """,
    """
    import tensorflow as tf

    def column_steps(x):
        return x[:, 1:] - x[:, :-1]

    if __name__ == "__main__":
        column_steps(tf.random.uniform([16, 32]))
    """,
)
CASES["tensorflow_reused_norm"] = case(
    """
    import tensorflow as tf

    def unit_rows(xs):
        rows = []
        for i in range(xs.shape[0]):
            rows.append(xs[i] / tf.norm(xs, axis=1)[i])
        return tf.stack(rows)

    if __name__ == "__main__":
        unit_rows(tf.random.uniform([12, 4]) + 0.5)
    """,
    """
    import tensorflow as tf

    def unit_rows(xs):
        rows = []
        norms = tf.norm(xs, axis=1)
        for i in range(xs.shape[0]):
            rows.append(xs[i] / norms[i])
        return tf.stack(rows)

    if __name__ == "__main__":
        unit_rows(tf.random.uniform([12, 4]) + 0.5)
    """,
)
CASES["tensorflow_hoisting_done_right"] = case(
    """
    import tensorflow as tf

    def normalised(xs, w):
        out = []
        for i in range(xs.shape[0]):
            out.append(xs[i] * (w / tf.norm(w)))
        return tf.stack(out)

    if __name__ == "__main__":
        normalised(tf.random.uniform([20, 5]), tf.random.uniform([5]))
    """,
    """
    import tensorflow as tf

    def normalised(xs, w):
        unit = w / tf.norm(w)
        out = []
        for i in range(xs.shape[0]):
            out.append(xs[i] * unit)
        return tf.stack(out)

    if __name__ == "__main__":
        normalised(tf.random.uniform([20, 5]), tf.random.uniform([5]))
    """,
)

# ---------------------------------------------------------------------------------------------
# Everything else: HARP's own false positive, nondeterminism, crashes, limits, inputs, speed.
# ---------------------------------------------------------------------------------------------

LOADER = """
import torch

class Loader:
    def __init__(self, data):
        self.data = data
        self.i = 0

    @property
    def next(self):
        batch = self.data[self.i % len(self.data)]
        self.i += 1
        return batch

def train(loader, w):
    total = torch.zeros(())
    {loop}
    return total

if __name__ == "__main__":
    train(Loader(torch.arange(8.0).reshape(4, 2)), torch.ones(2))
"""
CASES["harp_property_next_hoisted"] = case(
    LOADER.format(
        loop="for _ in range(3):\n        batch = loader.next\n        total = total + (batch * w).sum()",
    ),
    LOADER.format(
        loop="batch = loader.next\n    for _ in range(3):\n        total = total + (batch * w).sum()",
    ),
)
CASES["nondeterministic_clock_seed"] = case(
    """
    import time

    import numpy as np

    rng = np.random.default_rng(int(time.time() * 1e6))
    sample = [float(rng.normal()) for _ in range(3)]
    """,
    """
    import time

    import numpy as np

    rng = np.random.default_rng(int(time.time() * 1e6))
    sample = rng.normal(size=3).tolist()
    """,
)
CASES["nondeterministic_urandom"] = case(
    """
    import os

    def token(n: int) -> bytes:
        out = b""
        for _ in range(n):
            out += os.urandom(1)
        return out
    """,
    """
    import os

    def token(n: int) -> bytes:
        return os.urandom(n)
    """,
)
CASES["nondeterministic_unseeded_rng"] = case(
    """
    import numpy as np

    rng = np.random.default_rng()

    def noisy(a):
        out = []
        for v in a:
            out.append(v + rng.normal())
        return np.array(out)

    if __name__ == "__main__":
        noisy(np.arange(3.0))
    """,
    """
    import numpy as np

    rng = np.random.default_rng()

    def noisy(a):
        return a + rng.normal(size=len(a))

    if __name__ == "__main__":
        noisy(np.arange(3.0))
    """,
)
CASES["crash_when_loaded"] = case(
    """
    import numpy as np

    def scaled(a, factor=2.0):
        out = np.empty_like(a)
        for i in range(len(a)):
            out[i] = a[i] * factor
        return out

    if __name__ == "__main__":
        scaled(np.arange(3.0))
    """,
    """
    import numpy as np

    def scaled(a, factor=2.0 / 0):
        return a * factor

    if __name__ == "__main__":
        scaled(np.arange(3.0))
    """,
)
CASES["crash_program_at_import"] = case(
    """
    import numpy as np

    values = np.arange(4.0) * 2
    """,
    """
    import numpy as np

    raise RuntimeError("broken rewrite")
    values = np.arange(4.0) * 2
    """,
)
CASES["crash_os_exit"] = case(
    """
    import os

    import numpy as np

    def scaled(a):
        out = np.empty_like(a)
        for i in range(len(a)):
            out[i] = a[i] * 2
        return out

    if __name__ == "__main__":
        scaled(np.arange(3.0))
    """,
    """
    import os

    import numpy as np

    def scaled(a):
        os._exit(1)

    if __name__ == "__main__":
        scaled(np.arange(3.0))
    """,
)
CASES["hang_in_function"] = case(
    """
    import numpy as np

    def wait_until_ready(a):
        while True:
            pass

    if __name__ == "__main__":
        wait_until_ready(np.arange(3.0))
    """,
    """
    import numpy as np

    def wait_until_ready(a):
        return a

    if __name__ == "__main__":
        wait_until_ready(np.arange(3.0))
    """,
    settings={"limits": Limits(timeout_s=3)},
)
CASES["hang_in_program"] = case(
    """
    import numpy as np

    ready = np.zeros(1)
    while True:
        pass
    """,
    """
    import numpy as np

    ready = np.zeros(1)
    """,
    settings={"limits": Limits(timeout_s=3)},
)
CASES["memory_exhausted"] = case(
    """
    import numpy as np

    def total(a):
        return a.sum()

    if __name__ == "__main__":
        total(np.arange(4.0))
    """,
    """
    import numpy as np

    def total(a):
        lookup = np.ones(50 * 1024**3 // 8)
        return a.sum() * lookup[0]

    if __name__ == "__main__":
        total(np.arange(4.0))
    """,
    settings={"limits": Limits(memory_mb=3000)},
)
CONFIG = """
import numpy as np

class Config:
    def __init__(self, scale):
        self.scale = scale

def apply(cfg: Config, a: np.ndarray) -> np.ndarray:
    {body}
"""
CASES["no_way_to_build_inputs"] = case(
    CONFIG.format(
        body="out = np.empty_like(a)\n    for i in range(len(a)):\n        out[i] = a[i] * cfg.scale\n    return out"
    ),
    CONFIG.format(body="return a * cfg.scale"),
)
CASES["declared_samples"] = case(
    CONFIG.format(
        body="out = np.empty_like(a)\n    for i in range(len(a)):\n        out[i] = a[i] * cfg.scale\n    return out"
    ),
    CONFIG.format(body="return a * cfg.scale"),
    settings={"samples": "samples:make"},
    files={
        "samples.py": """
        import numpy as np

        from prog import Config

        def make():
            return [(Config(2.0), np.arange(5.0)), (Config(-1.5), np.linspace(0, 1, 7))]
        """
    },
)
# f is called twice by the program (enough captured inputs), g once (topped up with generated ones)
CASES["inputs_of_two_functions"] = case(
    """
    import numpy as np

    def f(x):
        return np.sin(x) * 2

    def g(x):
        return np.cos(x) + 1

    if __name__ == "__main__":
        f(np.ones(3))
        f(np.zeros(3))
        g(np.ones(3))
    """,
    """
    import numpy as np

    def f(x):
        return 2 * np.sin(x)

    def g(x):
        return 1 + np.cos(x)

    if __name__ == "__main__":
        f(np.ones(3))
        f(np.zeros(3))
        g(np.ones(3))
    """,
)
CASES["slower_rewrite"] = case(
    """
    import time

    import numpy as np

    def doubled(a):
        return a * 2

    if __name__ == "__main__":
        doubled(np.arange(3.0))
    """,
    """
    import time

    import numpy as np

    def doubled(a):
        time.sleep(0.05)
        return a * 2

    if __name__ == "__main__":
        doubled(np.arange(3.0))
    """,
    settings={"min_speedup": 1.0},
)

# Known product bugs (see TestKnownHarnessBugs).
CASES["bug_module_counter"] = case(
    """
    import numpy as np

    CALLS = 0

    def doubled(a):
        global CALLS
        CALLS += 1
        out = np.zeros_like(a)
        for i in range(len(a)):
            out[i] = a[i] * 2
        return out

    if __name__ == "__main__":
        doubled(np.arange(4.0))
    """,
    """
    import numpy as np

    CALLS = 0

    def doubled(a):
        global CALLS
        CALLS += 1
        return a * 2

    if __name__ == "__main__":
        doubled(np.arange(4.0))
    """,
)
CASES["bug_module_batchnorm"] = case(
    """
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))

    def forward(x):
        rows = []
        for row in x:
            rows.append(row * 2)
        return net(torch.stack(rows))

    if __name__ == "__main__":
        forward(torch.rand(4, 3))
    """,
    """
    import torch
    from torch import nn

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))

    def forward(x):
        return net(x * 2)

    if __name__ == "__main__":
        forward(torch.rand(4, 3))
    """,
)
CASES["bug_module_step_variable"] = case(
    """
    import tensorflow as tf

    step = tf.Variable(0)

    def total(x):
        step.assign_add(1)
        acc = tf.zeros([], dtype=tf.float64)
        for i in range(x.shape[0]):
            acc = acc + tf.reduce_sum(tf.cast(x[i], tf.float64))
        return acc

    if __name__ == "__main__":
        total(tf.ones([3, 2]))
    """,
    """
    import tensorflow as tf

    step = tf.Variable(0)

    def total(x):
        step.assign_add(1)
        return tf.reduce_sum(tf.cast(x, tf.float64))

    if __name__ == "__main__":
        total(tf.ones([3, 2]))
    """,
)
CASES["bug_module_cache"] = case(
    """
    import numpy as np

    _ones = {}

    def weighted(a: np.ndarray) -> np.ndarray:
        if a.shape not in _ones:
            _ones[a.shape] = np.ones(a.shape)
        out = np.zeros_like(a)
        for i in range(a.shape[0]):
            out[i] = a[i] * _ones[a.shape][i]
        return out

    if __name__ == "__main__":
        weighted(np.arange(4.0))
    """,
    """
    import numpy as np

    _ones = {}

    def weighted(a: np.ndarray) -> np.ndarray:
        if a.shape not in _ones:
            _ones[a.shape] = np.ones(a.shape)
        return a * _ones[a.shape]

    if __name__ == "__main__":
        weighted(np.arange(4.0))
    """,
)
CASES["bug_exception_message"] = case(
    """
    import numpy as np

    def checked_sum(a):
        for v in a:
            if v < 0:
                raise ValueError(f"negative value {v}")
        return a.sum()

    if __name__ == "__main__":
        for data in (np.array([1.0, 2.0]), np.array([1.0, -2.0])):
            try:
                checked_sum(data)
            except ValueError:
                pass
    """,
    """
    import numpy as np

    def checked_sum(a):
        if (a < 0).any():
            raise ValueError("negative values")
        return a.sum()

    if __name__ == "__main__":
        for data in (np.array([1.0, 2.0]), np.array([1.0, -2.0])):
            try:
                checked_sum(data)
            except ValueError:
                pass
    """,
)
CASES["bug_timestamp_global"] = case(
    """
    import time

    import numpy as np

    started = time.time()
    values = np.arange(3.0) * 2
    """,
    """
    import time

    import numpy as np

    started = time.time()
    values = np.arange(3.0) + np.arange(3.0)
    """,
)
CASES["bug_program_loop_variable"] = case(
    """
    import numpy as np

    data = np.arange(6.0).reshape(2, 3)
    sums = np.zeros(2)
    for i in range(2):
        sums[i] = data[i].sum()
    np.save("result.npy", sums)
    """,
    """
    import numpy as np

    data = np.arange(6.0).reshape(2, 3)
    sums = data.sum(axis=1)
    np.save("result.npy", sums)
    """,
)
CASES["bug_program_output"] = case(
    """
    import numpy as np

    print("total:", sum(float(v) for v in np.arange(4.0)))
    """,
    """
    import numpy as np

    print("total:", float(np.arange(4.0).sum() + 1))
    """,
)
CASES["bug_program_output_not_compared"] = Case(
    CASES["bug_program_output"].original,
    CASES["bug_program_output"].rewritten,
    settings={"compare_printed_numbers": False},
)
CASES["bug_main_block_raises"] = case(
    """
    import numpy as np

    def doubled(a):
        out = np.empty_like(a)
        for i in range(len(a)):
            out[i] = a[i] * 2
        return out

    if __name__ == "__main__":
        result = doubled(np.arange(3.0))
        assert result.sum() > 100, "a smoke check at the end of the script fails"
    """,
    """
    import numpy as np

    def doubled(a):
        return a * 2

    if __name__ == "__main__":
        result = doubled(np.arange(3.0))
        assert result.sum() > 100, "a smoke check at the end of the script fails"
    """,
)

# The command line, in a subprocess (default repeats and input counts; NumPy only, so quick).
CASES["cli_equivalent"] = Case(
    CASES["numpy_vectorised"].original, CASES["numpy_vectorised"].rewritten, cli=("--function", "steps")
)
CASES["cli_not_equivalent"] = Case(
    CASES["numpy_int64_to_int32"].original, CASES["numpy_int64_to_int32"].rewritten, cli=()
)
CASES["cli_could_not_verify"] = Case(
    CASES["no_way_to_build_inputs"].original, CASES["no_way_to_build_inputs"].rewritten, cli=()
)
CASES["cli_timeout"] = Case(
    CASES["hang_in_function"].original, CASES["hang_in_function"].rewritten, cli=("--timeout", "3")
)
CASES["cli_too_slow"] = Case(
    CASES["slower_rewrite"].original, CASES["slower_rewrite"].rewritten, cli=("--min-speedup", "1")
)


# ---------------------------------------------------------------------------------------------
# Running the cases: a module-scoped pool, two verifications at a time.
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The tests.
# ---------------------------------------------------------------------------------------------

# A guard `len(batches) > 0` is right for the lists made up for `project`, wrong for the
# generator the program passes (which no capture can keep): the program run must catch it.
CASES["numpy_len_of_generator"] = case(
    """
    import numpy as np

    def project(W, batches):
        out = []
        for b in batches:
            out.append(b @ np.linalg.inv(W))
        return out

    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        W = rng.standard_normal((4, 4)) + 4 * np.eye(4)
        result = project(W, (rng.standard_normal((2, 4)) for _ in range(3)))
    """,
    """
    import numpy as np

    def project(W, batches):
        out = []
        if len(batches) > 0:
            inv_W = np.linalg.inv(W)
        for b in batches:
            out.append(b @ inv_W)
        return out

    if __name__ == "__main__":
        rng = np.random.default_rng(0)
        W = rng.standard_normal((4, 4)) + 4 * np.eye(4)
        result = project(W, (rng.standard_normal((2, 4)) for _ in range(3)))
    """,
)


WRONG = [
    # name, words the reason and the log (beyond its verdict line) must both contain, more words the log must contain
    pytest.param(
        "torch_hoisted_randn", ("['return']", "value"), ("jitter: got", "inputs (captured"), id="torch-hoisted-randn"
    ),
    pytest.param("torch_hoisted_over_add_", ("['return']", "value"), ("running: got",), id="torch-hoisted-over-add_"),
    pytest.param(
        "torch_float32_to_float64", ("dtype", "float32", "float64"), ("row_norms: got",), id="torch-float32-to-float64"
    ),
    pytest.param("torch_int64_to_int32", ("dtype", "int64", "int32"), ("argmax_rows: got",), id="torch-int64-to-int32"),
    pytest.param(
        "torch_returns_numpy", ("['return']", "torch.Tensor", "numpy.ndarray"), (), id="torch-returns-numpy-array"
    ),
    pytest.param("torch_keepdim", ("shape",), ("row_sums: got",), id="torch-keepdim-shape"),
    pytest.param("numpy_len_of_generator", ("TypeError", "has no len"), ("program run",), id="numpy-len-of-generator"),
    pytest.param(
        "numpy_vectorised_without_the_allocation",
        ("steps['return']",),
        ("inputs (captured+generated) of steps",),
        id="numpy-vectorised-wrong-at-the-edges",
    ),
    pytest.param("torch_float16_reassociated_sum", ("total['return']",), ("float16",), id="torch-float16-sum-order"),
    pytest.param(
        "tensorflow_eager_vectorised",
        ("column_steps['return']", "IndexError"),
        ("inputs (captured+generated) of column_steps",),
        id="tensorflow-vectorised-returns-where-the-loop-raised",
    ),
    pytest.param("torch_nan_introduced", ("nan",), ("soft_root: got",), id="torch-nan-introduced"),
    pytest.param("torch_writes_into_argument", ("['args'][0]",), ("scaled: got",), id="torch-writes-into-argument"),
    pytest.param(
        "torch_stops_writing_into_argument", ("['args'][0]",), ("clip_: got",), id="torch-stops-writing-into-argument"
    ),
    pytest.param(
        "torch_state_dict_changed",
        ("['args'][0]", "state_dict"),
        ("sgd_step: got", "Linear"),
        id="torch-module-state-dict",
    ),
    pytest.param("torch_dropped_term", ("['return']", "value"), ("loss: got",), id="torch-dropped-term"),
    pytest.param(
        "torch_swallowed_exception",
        ("['return']",),
        ("ValueError", "safe_inverse: got"),
        id="torch-swallowed-exception",
    ),
    pytest.param("numpy_hoisted_rand", ("['return']", "value"), ("noisy_copies: got",), id="numpy-hoisted-rand"),
    pytest.param(
        "numpy_hoisted_over_item_assignment",
        ("['return']", "value"),
        ("window_sums: got",),
        id="numpy-hoisted-over-item-assignment",
    ),
    pytest.param(
        "numpy_hoisted_over_iadd", ("['return']", "value"), ("prefix_norms: got",), id="numpy-hoisted-over-iadd"
    ),
    pytest.param(
        "numpy_off_by_one_range", ("['return']", "value"), ("prefix_total: got",), id="numpy-off-by-one-range"
    ),
    pytest.param("numpy_float16_sum", ("['return']", "value"), ("total: got",), id="numpy-float16-sum"),
    pytest.param(
        "numpy_float32_to_float64", ("dtype", "float32", "float64"), ("scale_rows: got",), id="numpy-float32-to-float64"
    ),
    pytest.param("numpy_int64_to_int32", ("dtype", "int64", "int32"), ("counts: got",), id="numpy-int64-to-int32"),
    pytest.param("numpy_writes_into_argument", ("['args'][0]",), ("doubled: got",), id="numpy-writes-into-argument"),
    pytest.param(
        "numpy_changed_exception_type",
        ("ValueError", "TypeError"),
        ("checked_mean: got",),
        id="numpy-changed-exception-type",
    ),
    pytest.param("numpy_changed_global", ("['globals']", "LAST_NORM"), ("normalize: got",), id="numpy-changed-global"),
    pytest.param(
        "numpy_program_writes_other_file",
        ("['files']", "result.npy"),
        ("program: got",),
        id="numpy-program-writes-other-file",
    ),
    pytest.param("numpy_program_exit_status", ("['exit']",), ("program: got",), id="numpy-program-exit-status"),
    pytest.param(
        "numpy_program_prints_other_number",
        ("['printed numbers']", "value"),
        ("program: got",),
        id="numpy-program-prints-other-number",
    ),
    pytest.param(
        "tensorflow_hoisted_random_normal",
        ("['return']", "value"),
        ("jitter: got",),
        id="tensorflow-hoisted-random-normal",
    ),
    pytest.param(
        "tensorflow_hoisted_over_assign",
        ("['return']", "value"),
        ("decayed_totals: got",),
        id="tensorflow-hoisted-over-variable-assign",
    ),
    pytest.param(
        "tensorflow_int64_to_int32", ("dtype", "int64", "int32"), ("positions: got",), id="tensorflow-int64-to-int32"
    ),
    pytest.param("tensorflow_keepdims", ("shape",), ("row_max: got",), id="tensorflow-keepdims-shape"),
    pytest.param("tensorflow_nan_introduced", ("nan",), ("ratios: got",), id="tensorflow-nan-introduced"),
    pytest.param("tensorflow_off_by_one_slice", ("shape",), ("column_steps: got",), id="tensorflow-off-by-one-slice"),
    pytest.param(
        "tensorflow_stops_writing_into_variable",
        ("['args'][0]",),
        ("accumulate: got",),
        id="tensorflow-stops-writing-into-variable",
    ),
    pytest.param(
        "tensorflow_program_changed_global",
        ("['globals']",),
        ("['globals']['weights']", "program: got"),
        id="tensorflow-program-changed-global",
    ),
]

CORRECT = [
    # name, where the inputs came from
    pytest.param("torch_hoisting_done_right", "captured+generated", id="torch-hoisting-done-right"),
    pytest.param("torch_reassociated_sum", "captured+generated", id="torch-float32-reassociated-sum"),
    pytest.param("torch_vectorised", "captured+generated", id="torch-loop-to-vectorised"),
    pytest.param("numpy_hoisting_done_right", "captured+generated", id="numpy-hoisting-done-right"),
    pytest.param("numpy_vectorised", "captured+generated", id="numpy-loop-to-vectorised"),
    pytest.param("numpy_program_vectorised", "program run: prog.py", id="numpy-program-comprehension-to-vectorised"),
    pytest.param("tensorflow_reused_norm", "captured+generated", id="tensorflow-reused-norm"),
    pytest.param("tensorflow_hoisting_done_right", "captured+generated", id="tensorflow-hoisting-done-right"),
    pytest.param("declared_samples", "declared", id="numpy-declared-samples"),
]


class TestWrongRewrites:
    """Every semantically wrong rewrite is rejected, and the rejection says where and why."""

    def test_frameworks_are_all_covered(self) -> None:
        """The wrong variants cover PyTorch, NumPy and TensorFlow, at least 24 of them."""
        names = [str(param.values[0]) for param in WRONG]
        assert len(names) >= 24
        for framework in ("torch", "numpy", "tensorflow"):
            assert sum(name.startswith(framework) for name in names) >= 6

    @pytest.mark.parametrize(("name", "mentions", "shows"), WRONG)
    def test_rejected(self, outcomes: CasePool, name: str, mentions: tuple[str, ...], shows: tuple[str, ...]) -> None:
        """The verdict is not_equivalent, its reason names the difference, and its log shows the evidence."""
        verdict = outcomes[name].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict
        assert verdict.reason
        for word in mentions:
            assert word in verdict.reason, verdict.reason
        assert verdict.log and Path(verdict.log).is_file(), verdict
        found = log_body(verdict.log)
        for word in (*mentions, *shows):
            assert word in found, found
        assert verdict.inputs and verdict.differences, verdict
        assert verdict.time_original_s is None and verdict.speedup is None

    @pytest.mark.parametrize(
        ("name", "rtol", "atol"),
        [
            pytest.param("numpy_float16_sum", 1e-5, 1e-6, id="numpy-float32-tolerance"),
            pytest.param("torch_dropped_term", 1e-5, 1e-6, id="torch-float32-tolerance"),
            pytest.param("numpy_off_by_one_range", 1e-9, 1e-12, id="numpy-float64-tolerance"),
        ],
    )
    def test_errors_and_tolerance_reported(self, outcomes: CasePool, name: str, rtol: float, atol: float) -> None:
        """A value difference reports the largest errors beyond the dtype's tolerance that was applied."""
        verdict = outcomes[name].verdict
        assert verdict.rtol == rtol and verdict.atol == atol
        assert verdict.max_abs_err is not None and verdict.max_rel_err is not None
        assert verdict.max_abs_err > atol and verdict.max_rel_err > rtol


class TestCorrectRewrites:
    """Every right rewrite is accepted, with both timings and a speedup."""

    def test_frameworks_are_all_covered(self) -> None:
        """The right variants cover PyTorch, NumPy and TensorFlow, at least 8 of them."""
        names = [str(param.values[0]) for param in CORRECT]
        assert len(names) >= 8
        for framework in ("torch", "numpy", "tensorflow"):
            assert sum(name.startswith(framework) for name in names) >= 2

    @pytest.mark.parametrize(("name", "inputs"), CORRECT)
    def test_accepted(self, outcomes: CasePool, name: str, inputs: str) -> None:
        """The verdict is equivalent, says where its inputs came from, and carries measured times."""
        verdict = outcomes[name].verdict
        assert verdict.status == EQUIVALENT, verdict
        assert verdict.inputs == inputs
        if not inputs.startswith("program run"):
            assert verdict.input_count >= 2
        assert verdict.time_original_s is not None and verdict.time_original_s > 0
        assert verdict.time_rewritten_s is not None and verdict.time_rewritten_s > 0
        assert verdict.speedup is not None and verdict.speedup > 0
        assert verdict.log == ""

    def test_reassociation_within_tolerance(self, outcomes: CasePool) -> None:
        """A float32 sum in another order differs a little, within the float32 tolerance, and is accepted."""
        verdict = outcomes["torch_reassociated_sum"].verdict
        assert verdict.status == EQUIVALENT
        assert verdict.rtol == 1e-5 and verdict.atol == 1e-6
        assert verdict.max_abs_err is not None and 0 < verdict.max_abs_err < 1e-2
        assert verdict.max_rel_err is not None and verdict.max_rel_err <= 1e-5


class TestHarpFalsePositive:
    """HARP's own mistake is caught by the harness."""

    @uses("harp_property_next_hoisted")
    def test_property_with_side_effect_hoisted(self, outcomes: CasePool) -> None:
        """Hoisting `loader.next`, a property that returns a new batch on each access, is not_equivalent."""
        verdict = outcomes["harp_property_next_hoisted"].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict
        assert "['args'][0]" in verdict.reason or "['return']" in verdict.reason, verdict.reason
        assert "train: got" in log_body(verdict.log)


class TestNondeterminism:
    """A program that disagrees with itself is never guessed about."""

    @pytest.mark.parametrize(
        ("name", "where"),
        [
            pytest.param("nondeterministic_clock_seed", "['globals']['sample']", id="program-seeded-from-clock"),
            pytest.param("nondeterministic_urandom", "['return']", id="function-os-urandom"),
            pytest.param("nondeterministic_unseeded_rng", "['return']", id="function-unseeded-default-rng"),
        ],
    )
    def test_could_not_verify(self, outcomes: CasePool, name: str, where: str) -> None:
        """The verdict is could_not_verify, says nondeterministic, and names where the original disagreed."""
        verdict = outcomes[name].verdict
        assert verdict.status == COULD_NOT_VERIFY, verdict
        assert "nondeterministic" in verdict.reason
        assert where in verdict.reason
        assert verdict.log and Path(verdict.log).is_file()

    def test_every_later_version_meets_the_same_verdict(self, tmp_path: Path) -> None:
        """After the original disagreed with itself, a second version is not compared with nothing."""
        spec = CASES["nondeterministic_clock_seed"]
        program = tmp_path / "clock.py"
        program.write_text(spec.original, encoding="utf-8")
        settings = HarnessSettings(log_dir=tmp_path / "logs")
        with open_harness(str(program), spec.original, settings) as harness:
            verdicts = [harness.check(spec.rewritten), harness.check(spec.rewritten + "\nextra = 1\n")]
        assert [v.status for v in verdicts] == [COULD_NOT_VERIFY, COULD_NOT_VERIFY], verdicts
        assert all("nondeterministic" in v.reason for v in verdicts)


class TestCrashes:
    """A rewrite that crashes is not equivalent, and the reason says how it failed."""

    @pytest.mark.parametrize(
        ("name", "mentions"),
        [
            pytest.param("crash_when_loaded", ("rewrite failed", "ZeroDivisionError"), id="raises-when-loaded"),
            pytest.param("crash_os_exit", ("rewrite failed", "exited with status 1"), id="os-exit-1"),
        ],
    )
    def test_rewrite_crashes(self, outcomes: CasePool, name: str, mentions: tuple[str, ...]) -> None:
        """A rewrite that raises at load or kills its process is not_equivalent, with the failure in the reason."""
        verdict = outcomes[name].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict
        for word in mentions:
            assert word in verdict.reason, verdict.reason
        assert verdict.log and Path(verdict.log).is_file()

    @uses("crash_program_at_import")
    def test_program_raises_at_import(self, outcomes: CasePool) -> None:
        """A program rewrite that raises at import is not_equivalent and its log shows the exception."""
        verdict = outcomes["crash_program_at_import"].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict
        assert "['exit']" in verdict.reason, verdict.reason
        assert "RuntimeError" in log_body(verdict.log)


class TestLimits:
    """The time and memory limits hold, and what they stopped is reported."""

    @pytest.mark.parametrize(
        ("name",), [pytest.param("hang_in_function", id="function"), pytest.param("hang_in_program", id="program")]
    )
    def test_original_hangs(self, outcomes: CasePool, name: str) -> None:
        """An original stuck in `while True: pass` gives could_not_verify naming the time limit, in about 20 s."""
        outcome = outcomes[name]
        assert outcome.verdict.status == COULD_NOT_VERIFY, outcome.verdict
        assert "timed out after 3 s" in outcome.verdict.reason
        assert outcome.seconds < 20

    @uses("memory_exhausted")
    def test_rewrite_exhausts_memory(self, outcomes: CasePool) -> None:
        """A rewrite that allocates 50 GB under a 3000 MB limit is rejected quickly, its log naming MemoryError."""
        outcome = outcomes["memory_exhausted"]
        assert outcome.verdict.status in (NOT_EQUIVALENT, COULD_NOT_VERIFY), outcome.verdict
        assert outcome.verdict.reason
        assert "MemoryError" in log_body(outcome.verdict.log)
        assert outcome.seconds < 60


class TestInputs:
    """Inputs come from the most trusted source there is, and their absence is reported."""

    @uses("no_way_to_build_inputs")
    def test_no_way_to_build_inputs(self, outcomes: CasePool) -> None:
        """A function of a custom class and no main block gives could_not_verify: could not build inputs."""
        verdict = outcomes["no_way_to_build_inputs"].verdict
        assert verdict.status == COULD_NOT_VERIFY, verdict
        assert "could not build inputs" in verdict.reason
        assert "apply" in verdict.reason

    @uses("declared_samples")
    def test_declared_samples_are_used(self, outcomes: CasePool) -> None:
        """With samples="module:function" the same custom-class function is verified on the declared inputs."""
        verdict = outcomes["declared_samples"].verdict
        assert verdict.status == EQUIVALENT, verdict
        assert verdict.inputs == "declared"
        assert verdict.input_count == 2

    @uses("inputs_of_two_functions")
    def test_each_kind_of_input_is_named_once(self, outcomes: CasePool) -> None:
        """Captured inputs for one function and captured plus generated for another read `captured+generated`."""
        verdict = outcomes["inputs_of_two_functions"].verdict
        assert verdict.status == EQUIVALENT, verdict
        assert verdict.inputs == "captured+generated" and verdict.input_count >= 4


class TestMinimumSpeedup:
    """An equivalent rewrite that is slower than required is refused."""

    @uses("slower_rewrite")
    def test_slower_rewrite_is_too_slow(self, outcomes: CasePool) -> None:
        """A rewrite that sleeps 50 ms, with min_speedup=1, is too_slow with both timings reported."""
        verdict = outcomes["slower_rewrite"].verdict
        assert verdict.status == TOO_SLOW, verdict
        assert "min-speedup" in verdict.reason
        assert verdict.time_rewritten_s is not None and verdict.time_rewritten_s >= 0.05
        assert verdict.speedup is not None and verdict.speedup < 1
        assert verdict.log and Path(verdict.log).is_file()


class TestCommandLine:
    """`harp-refactor verify` in a subprocess: exit codes and the JSON document."""

    @pytest.mark.parametrize(
        ("name", "code", "status"),
        [
            pytest.param("cli_equivalent", EXIT_EQUIVALENT, EQUIVALENT, id="equivalent-exit-0"),
            pytest.param("cli_not_equivalent", EXIT_NOT_EQUIVALENT, NOT_EQUIVALENT, id="not-equivalent-exit-3"),
            pytest.param("cli_too_slow", EXIT_NOT_EQUIVALENT, TOO_SLOW, id="too-slow-exit-3"),
            pytest.param("cli_could_not_verify", EXIT_COULD_NOT_VERIFY, COULD_NOT_VERIFY, id="no-inputs-exit-2"),
            pytest.param("cli_timeout", EXIT_COULD_NOT_VERIFY, COULD_NOT_VERIFY, id="timeout-exit-2"),
        ],
    )
    def test_exit_code_and_json(self, outcomes: CasePool, name: str, code: int, status: str) -> None:
        """The exit code matches the status, and the JSON document has every field the verdict promises."""
        outcome = outcomes[name]
        assert outcome.returncode == code, (outcome.stdout, outcome.stderr)
        document = json.loads(outcome.stdout)
        assert set(JSON_FIELDS) <= set(document)
        assert document["status"] == status
        if status == EQUIVALENT:
            assert document["reason"] == "" and document["log"] == ""
        else:
            assert document["reason"] and Path(document["log"]).is_file()

    @uses("cli_equivalent")
    def test_equivalent_json_values(self, outcomes: CasePool) -> None:
        """An accepted rewrite's JSON carries its evidence, errors, tolerance, both times and the speedup."""
        document = json.loads(outcomes["cli_equivalent"].stdout)
        assert document["inputs"] == "captured+generated" and document["input_count"] >= 2
        assert document["coverage"].startswith("changed code ran")
        told, run = document["variant_check"].split(" wrong variant")[0].split(" of ")
        assert told == run and int(run) >= 1
        assert document["timing_runs"] >= 1 and document["speedup_low"] <= document["speedup_high"]
        assert document["rtol"] == 1e-9 and document["atol"] == 1e-12
        assert 0 <= document["max_abs_err"] <= 1e-9 and 0 <= document["max_rel_err"] <= 1e-9
        assert document["time_original_s"] > 0 and document["time_rewritten_s"] > 0
        assert document["speedup"] == pytest.approx(document["time_original_s"] / document["time_rewritten_s"])

    @uses("cli_not_equivalent")
    def test_not_equivalent_json_values(self, outcomes: CasePool) -> None:
        """A rejected rewrite's JSON names the dtype change, has no timing, and its log sits under the cwd."""
        outcome = outcomes["cli_not_equivalent"]
        document = json.loads(outcome.stdout)
        assert "int64" in document["reason"] and "int32" in document["reason"]
        assert document["speedup"] is None and document["time_original_s"] is None
        assert Path(document["log"]).is_relative_to(outcome.folder / ".harp-refactor" / "logs")

    @uses("cli_timeout")
    def test_timeout_option(self, outcomes: CasePool) -> None:
        """`--timeout 3` stops a hanging original and the reason says so."""
        document = json.loads(outcomes["cli_timeout"].stdout)
        assert "timed out after 3 s" in document["reason"]
        assert outcomes["cli_timeout"].seconds < 30


class TestHarnessEdgeCases:
    """Cases this suite once found wrong, each with a minimal reproduction."""

    @pytest.mark.parametrize(
        ("name",),
        [
            pytest.param("bug_module_counter", id="numpy-global-counter"),
            pytest.param("bug_module_batchnorm", id="torch-module-level-batchnorm-in-train-mode"),
            pytest.param("bug_module_step_variable", id="tensorflow-global-step-variable"),
        ],
    )
    def test_function_updating_module_state(self, outcomes: CasePool, name: str) -> None:
        """A right rewrite of a function that updates module-level state the same way is equivalent."""
        verdict = outcomes[name].verdict
        assert verdict.status == EQUIVALENT, verdict

    @uses("bug_module_cache")
    def test_function_filling_module_cache(self, outcomes: CasePool) -> None:
        """Module-level caches start empty for each call; the float64 cache upcasting float32 input is caught."""
        verdict = outcomes["bug_module_cache"].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict
        assert "→ float64" in verdict.reason  # float32 or float16 input, whichever comes first
        assert "['globals']['_ones']" not in verdict.reason

    @uses("bug_exception_message")
    def test_same_exception_other_message(self, outcomes: CasePool) -> None:
        """A rewrite that raises the same exception type with another message is equivalent."""
        verdict = outcomes["bug_exception_message"].verdict
        assert verdict.status == EQUIVALENT, verdict

    @pytest.mark.parametrize(
        ("name", "exception"),
        [
            pytest.param("torch_swallowed_exception", "ValueError", id="swallowed-value-error"),
            pytest.param("memory_exhausted", "MemoryError", id="memory-error"),
            pytest.param("crash_program_at_import", "RuntimeError", id="program-runtime-error"),
        ],
    )
    def test_reason_names_the_exception(self, outcomes: CasePool, name: str, exception: str) -> None:
        """When one side raised, the reason and the log name the exception that was raised."""
        verdict = outcomes[name].verdict
        assert exception in verdict.reason, verdict.reason
        assert exception in log_body(verdict.log)

    @uses("hang_in_function")
    def test_hang_is_not_blamed_on_memory(self, outcomes: CasePool) -> None:
        """A function that hangs is reported as timed out, not as a crash out of memory."""
        verdict = outcomes["hang_in_function"].verdict
        assert "out of memory" not in verdict.reason, verdict.reason

    @uses("bug_timestamp_global")
    def test_timestamp_in_output_is_nondeterministic(self, outcomes: CasePool) -> None:
        """A program that keeps `time.time()` in a global cannot be verified: it is nondeterministic."""
        verdict = outcomes["bug_timestamp_global"].verdict
        assert verdict.status == COULD_NOT_VERIFY, verdict
        assert "nondeterministic" in verdict.reason

    @uses("bug_program_loop_variable")
    def test_module_level_loop_vectorised(self, outcomes: CasePool) -> None:
        """Vectorising a module-level loop that writes the same file and result is equivalent."""
        verdict = outcomes["bug_program_loop_variable"].verdict
        assert verdict.status == EQUIVALENT, verdict

    @uses("bug_program_output")
    def test_program_printing_another_result(self, outcomes: CasePool) -> None:
        """The numbers a program prints are results by default: printing another total is not equivalent."""
        verdict = outcomes["bug_program_output"].verdict
        assert verdict.status == NOT_EQUIVALENT, verdict
        assert "printed numbers" in verdict.reason

    @uses("bug_program_output_not_compared")
    def test_printed_numbers_opted_out(self, outcomes: CasePool) -> None:
        """With `compare-printed-numbers = false` a program that only prints shows nothing to compare."""
        verdict = outcomes["bug_program_output_not_compared"].verdict
        assert verdict.status == COULD_NOT_VERIFY, verdict
        assert "nothing was compared" in verdict.reason

    @uses("bug_main_block_raises")
    def test_capture_survives_failing_main_block(self, outcomes: CasePool) -> None:
        """Arguments captured before the main block fails are still used: the right rewrite is equivalent."""
        verdict = outcomes["bug_main_block_raises"].verdict
        assert verdict.status == EQUIVALENT, verdict
        assert verdict.inputs.startswith("captured")

"""HARP103's examples: each VALID one must give no finding, each INVALID one must be fixed as shown.

Every INVALID example defines `run()`, which builds its own data: tests/detectors/test_vectorize.py
runs it before and after the fix and compares the results, dtypes and shapes included."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = (
    # a value carried from one iteration to the next (a prefix sum)
    """
import numpy as np
def prefix(x):
    a = np.zeros(len(x))
    for i in range(1, len(x)):
        a[i] = a[i - 1] + x[i]
    return a
""",
    # an early exit, and a branch
    """
import numpy as np
def until_negative(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        if x[i] < 0:
            break
        out[i] = x[i] * 2
    return out
def clipped(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        if x[i] > 0:
            out[i] = x[i]
    return out
""",
    # calls with effects, calls of unknown functions, random draws, methods of an element
    """
import numpy as np
def logged(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        print(x[i])
        out[i] = x[i] * 2
    return out
def helped(x, helper):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = helper(x[i])
    return out
def noisy(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] + np.random.rand()
    return out
def items(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i].item() * 2
    return out
""",
    # the counter used as a number; a temporary or the counter read after the loop
    """
import numpy as np
def weighted(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] * i
    return out
def last_temporary(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        t = x[i] * 2
        out[i] = t
    return out, t
def last_counter(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] * 2
    return out, i
""",
    # one element written by several iterations; a slice beside the counter
    """
import numpy as np
def last_column(x):
    out = np.zeros(x.shape[0])
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i] = x[i, j]
    return out
def rows(x):
    out = np.zeros(x.shape)
    for i in range(x.shape[0]):
        out[i, :] = x[i, :] * 2
    return out
""",
    # the written array read elsewhere than at the element written: whole, or through an alias
    """
import numpy as np
def normalised(a):
    a = np.asarray(a, dtype=float)
    for i in range(len(a)):
        a[i] = a[i] / a.sum()
    return a
def shifted(a):
    a = np.asarray(a, dtype=float)
    b = a
    for i in range(len(a) - 1):
        a[i] = b[i + 1] * 2
    return a
""",
    # a Python list: a slice assignment would change its length
    """
def doubled(xs):
    ys = [0.0] * len(xs)
    for i in range(len(xs)):
        ys[i] = xs[i] * 2
    return ys
""",
    # a batched linear-algebra call combined with a number per iteration: the shapes differ
    """
import torch
def scaled(matrices, scale):
    out = torch.empty_like(matrices)
    for b in range(matrices.shape[0]):
        out[b] = torch.linalg.inv(matrices[b]) * scale[b]
    return out
""",
    # a loop at module level: other code may read its counter
    """
import numpy as np
x = np.ones(5)
y = np.zeros(5)
for i in range(5):
    y[i] = x[i] * 2
""",
)

INVALID: tuple[Example, ...] = (
    # the back-propagation update of the papers, over two counters, in float32
    Example(
        """
import numpy as np
def update(weights, grads, learn_rate):
    for i in range(weights.shape[0]):
        for j in range(weights.shape[1]):
            weights[i, j] += learn_rate * grads[i, j]
    return weights
def run():
    rng = np.random.default_rng(0)
    weights = rng.random((4, 5), dtype=np.float32)
    return update(weights, rng.random((4, 5), dtype=np.float32), 0.1), weights
""",
        """
import numpy as np
def update(weights, grads, learn_rate):
    weights[:, :] += learn_rate * grads[:weights.shape[0], :weights.shape[1]]
    return weights
def run():
    rng = np.random.default_rng(0)
    weights = rng.random((4, 5), dtype=np.float32)
    return update(weights, rng.random((4, 5), dtype=np.float32), 0.1), weights
""",
    ),
    # an outer product: each array gets a `None` for the counter it lacks
    Example(
        """
import numpy as np
def outer(a, b):
    out = np.zeros((len(a), len(b)), dtype=np.float32)
    for i in range(len(a)):
        for j in range(len(b)):
            out[i, j] = a[i] * np.exp(b[j])
    return out
def run():
    return outer(np.arange(3, dtype=np.float32), np.linspace(0, 1, 4, dtype=np.float32))
""",
        """
import numpy as np
def outer(a, b):
    out = np.zeros((len(a), len(b)), dtype=np.float32)
    out[:len(a), :len(b)] = a[:, None] * np.exp(b[None, :])
    return out
def run():
    return outer(np.arange(3, dtype=np.float32), np.linspace(0, 1, 4, dtype=np.float32))
""",
    ),
    # the CNN filter gradient: the written elements are 3x3 arrays, so the scalars get two `None`s
    Example(
        """
import numpy as np
def filter_gradient(d_out, region, i, j, n_filters):
    grads = np.zeros((n_filters, 3, 3))
    for f in range(n_filters):
        grads[f] += d_out[i, j, f] * region
    return grads
def run():
    rng = np.random.default_rng(1)
    return filter_gradient(rng.random((4, 4, 6)), rng.random((3, 3)), 1, 2, 6)
""",
        """
import numpy as np
def filter_gradient(d_out, region, i, j, n_filters):
    grads = np.zeros((n_filters, 3, 3))
    grads[:n_filters] += d_out[i, j, :n_filters, None, None] * region
    return grads
def run():
    rng = np.random.default_rng(1)
    return filter_gradient(rng.random((4, 4, 6)), rng.random((3, 3)), 1, 2, 6)
""",
    ),
    # PyTorch, a temporary, an element-wise call; a finite difference with an offset index
    Example(
        """
import torch
def activate(x, bias):
    y = torch.empty_like(x)
    for i in range(x.shape[0]):
        t = torch.tanh(x[i])
        y[i] = t * t + bias
    return y
def differences(x):
    d = torch.zeros(len(x) - 1)
    for i in range(len(x) - 1):
        d[i] = x[i + 1] - x[i]
    return d
def run():
    x = torch.linspace(-2, 2, 7)
    return activate(x, 0.5), differences(x)
""",
        """
import torch
def activate(x, bias):
    y = torch.empty_like(x)
    t = torch.tanh(x[:])
    y[:x.shape[0]] = t * t + bias
    return y
def differences(x):
    d = torch.zeros(len(x) - 1)
    d[:len(x) - 1] = x[1:len(x)] - x[:len(x) - 1]
    return d
def run():
    x = torch.linspace(-2, 2, 7)
    return activate(x, 0.5), differences(x)
""",
    ),
    # a PyTorch batched Cholesky as a loop over the batch: one call on the whole stack
    Example(
        """
import torch
def factor_each(matrices):
    out = torch.empty_like(matrices)
    for b in range(matrices.shape[0]):
        out[b] = torch.linalg.cholesky(matrices[b])
    return out
def run():
    torch.manual_seed(0)
    a = torch.randn(4, 3, 3, dtype=torch.float64)
    return factor_each(a @ a.mT + 3 * torch.eye(3, dtype=torch.float64))
""",
        """
import torch
def factor_each(matrices):
    out = torch.empty_like(matrices)
    out[:matrices.shape[0]] = torch.linalg.cholesky(matrices[:])
    return out
def run():
    torch.manual_seed(0)
    a = torch.randn(4, 3, 3, dtype=torch.float64)
    return factor_each(a @ a.mT + 3 * torch.eye(3, dtype=torch.float64))
""",
    ),
)

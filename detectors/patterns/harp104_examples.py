"""HARP104's examples: each VALID one must give no finding, each INVALID one must be fixed as shown.

Every INVALID example defines `run()`, which builds its own data: tests/detectors/test_vectorize.py
runs it before and after the fix and compares the results, dtypes and shapes included."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = (
    # the total read inside the loop (a running sum), and an early exit on it
    """
import numpy as np
def cumulative(x):
    out = np.zeros(len(x))
    s = 0.0
    for i in range(len(x)):
        s += x[i]
        out[i] = s
    return out
def until(x, limit):
    s = 0.0
    for i in range(len(x)):
        if s > limit:
            break
        s += x[i]
    return s
""",
    # a product, and a maximum, combine iterations in other ways
    """
import numpy as np
def product(x):
    p = 1.0
    for i in range(len(x)):
        p *= x[i]
    return p
def largest(x):
    m = -np.inf
    for i in range(len(x)):
        m = max(m, x[i])
    return m
""",
    # a term with effects, a term of an unknown function, the counter used as a number
    """
import numpy as np
def logged(x):
    s = 0.0
    for i in range(len(x)):
        s += float(x[i])
        print(s)
    return s
def mapped(x, f):
    s = 0.0
    for i in range(len(x)):
        s += f(x[i])
    return s
def weighted(x):
    s = 0.0
    for i in range(len(x)):
        s += i * x[i]
    return s
""",
    # the same value added every time, not a term per element
    """
def repeated(x, n):
    s = 0.0
    for i in range(n):
        s += x[0]
    return s
""",
)

INVALID: tuple[Example, ...] = (
    # a metaheuristic benchmark function: `total = total + ...` over the dimensions
    Example(
        """
import numpy as np
def rastrigin(x):
    dim = len(x)
    total = 0.0
    for i in range(dim):
        total = total + x[i] ** 2 - 10 * np.cos(2 * np.pi * x[i])
    return 10 * dim + total
def run():
    return rastrigin(np.linspace(-3, 3, 11))
""",
        """
import numpy as np
def rastrigin(x):
    dim = len(x)
    total = 0.0
    total = total + (x[:dim] ** 2 - 10 * np.cos(2 * np.pi * x[:dim])).sum(0)
    return 10 * dim + total
def run():
    return rastrigin(np.linspace(-3, 3, 11))
""",
    ),
    # a dot product of two 1-D arrays whose shapes are in sight; a subtracted total
    Example(
        """
import numpy as np
def dot(n):
    a = np.linspace(0, 1, n, dtype=np.float32)
    b = np.linspace(1, 2, n, dtype=np.float32)
    s = np.float32(0)
    for i in range(n):
        s += a[i] * b[i]
    return s
def remaining(budget, costs):
    for i in range(len(costs)):
        budget -= costs[i]
    return budget
def run():
    return dot(6), remaining(10.0, np.arange(4.0))
""",
        """
import numpy as np
def dot(n):
    a = np.linspace(0, 1, n, dtype=np.float32)
    b = np.linspace(1, 2, n, dtype=np.float32)
    s = np.float32(0)
    s += a[:n] @ b[:n]
    return s
def remaining(budget, costs):
    budget -= costs[:].sum(0)
    return budget
def run():
    return dot(6), remaining(10.0, np.arange(4.0))
""",
    ),
    # a partial total: the gradient keeps the counter `f` and sums over `i`
    Example(
        """
import numpy as np
def gradient(d, x, n, n_filters):
    grad = np.zeros(n_filters)
    for i in range(n):
        for f in range(n_filters):
            grad[f] += d[i, f] * x[i]
    return grad
def run():
    rng = np.random.default_rng(2)
    return gradient(rng.random((5, 3)), rng.random(5), 5, 3)
""",
        """
import numpy as np
def gradient(d, x, n, n_filters):
    grad = np.zeros(n_filters)
    grad[:n_filters] += (d[:n, :n_filters] * x[:n, None]).sum(0)
    return grad
def run():
    rng = np.random.default_rng(2)
    return gradient(rng.random((5, 3)), rng.random(5), 5, 3)
""",
    ),
    # the batched Cholesky's inner product, over the last axis after `...` (PyTorch)
    Example(
        """
import torch
def inner(lower, i, j):
    s = torch.zeros_like(lower[..., 0, 0])
    for k in range(j):
        s = s + lower[..., i, k] * lower[..., j, k]
    return s
def run():
    torch.manual_seed(0)
    return inner(torch.randn(3, 5, 5, dtype=torch.float64), 4, 3)
""",
        """
import torch
def inner(lower, i, j):
    s = torch.zeros_like(lower[..., 0, 0])
    s = s + (lower[..., i, :j] * lower[..., j, :j]).sum(-1)
    return s
def run():
    torch.manual_seed(0)
    return inner(torch.randn(3, 5, 5, dtype=torch.float64), 4, 3)
""",
    ),
)

"""HARP101's examples: each VALID one must give no finding, each INVALID one must be fixed as shown."""

from __future__ import annotations

from ..pattern import Example, Options

VALID: tuple[str, ...] = (
    # the operand is reassigned in the loop
    """
import torch
def f(W, x, n):
    for _ in range(n):
        x = torch.tanh(W @ x)
    return x
""",
    # the operand is mutated in place by a method
    """
import torch
def f(W, x):
    out = []
    for _ in range(4):
        out.append(W @ x)
        W.add_(1.0)
    return out
""",
    # the operand is mutated in place by an item assignment
    """
import numpy as np
def f(W, x):
    out = []
    for i in range(4):
        out.append(np.dot(W, x))
        W[i, i] = 0.0
    return out
""",
    # the operand is mutated by an augmented assignment
    """
import numpy as np
def f(W, x):
    out = []
    for i in range(4):
        out.append(np.exp(W) @ x)
        W += 1.0
    return out
""",
    # a tf.Variable operand is assigned to
    """
import tensorflow as tf
def f(v, x):
    out = []
    for i in range(4):
        out.append(tf.matmul(v, x))
        v.assign(v * 0.5)
    return out
""",
    # an optimizer step updates the parameters the expression reads
    """
import torch
def train(model, optimizer, x, y):
    for _ in range(10):
        reg = torch.linalg.norm(model.weight)
        loss = ((model(x) - y) ** 2).mean() + reg
        optimizer.step()
""",
    # a method whose effect is unknown is called on the operand
    """
import numpy as np
def f(buffer, x):
    out = []
    for _ in range(3):
        out.append(np.sum(buffer.data) * x)
        buffer.refresh()
    return out
""",
    # seeded-random calls are never hoisted
    """
import torch
def f(shape):
    out = []
    for _ in range(3):
        out.append(torch.randn(shape))
    return out
""",
    # random NumPy calls, too
    """
import numpy as np
def f(n):
    return [np.random.rand(3, 3) @ np.ones(3) for _ in range(n)] + [np.random.normal(size=3) for _ in range(n)]
""",
    # stateful TensorFlow random calls, too
    """
import tensorflow as tf
def f(n):
    total = tf.zeros((3,))
    for _ in range(n):
        total = total + tf.random.normal((3,))
    return total
""",
    # device-synchronising calls are never hoisted
    """
import torch
def f(t, n):
    total = 0.0
    for _ in range(n):
        total += t.sum().item()
    return total
""",
    # the expression runs only under a condition inside the loop
    """
import torch
def f(W, x, n):
    out = []
    for i in range(n):
        if i % 2:
            out.append(W @ x)
    return out
""",
    # the expression follows an early exit in the loop body
    """
import numpy as np
def f(W, x, n):
    out = []
    for i in range(n):
        if i > 2:
            break
        out.append(np.linalg.inv(W) @ x)
    return out
""",
    # conditional inside the expression itself
    """
import torch
def f(W, x, n, use):
    return [torch.exp(W) if use else x for _ in range(n)]
""",
    # trivially cheap expressions are not worth a finding
    """
import torch
def f(W, xs, n):
    out = []
    for i in range(n):
        out.append(xs[i] + W.shape[0] + n * 2)
    return out
""",
    # a view is cheap: not worth hoisting
    """
import torch
def f(W, xs):
    out = []
    for x in xs:
        out.append(W.T)
    return out
""",
    # calls of unknown functions are not hoisted without --speculative
    """
import torch
from mylib import normalise
def f(W, x):
    out = []
    for _ in range(3):
        out.append(normalise(W) @ x)
    return out
""",
    # backward() in the loop: a shared tensor would be backpropagated through twice
    """
import torch
def f(W, x, n):
    for _ in range(n):
        y = (W * 2.0).sum()
        y.backward()
""",
    # the hoisted result would escape into code we cannot see, which may need a new object
    """
import torch
from torch.nn import Parameter
def make(n, size):
    params = []
    for _ in range(n):
        params.append(Parameter(torch.zeros(size)))
    return params
""",
    # stored through a container into an object: each entry needs its own tensor
    """
import torch
def init(state, params):
    for p in params:
        state[p] = {"step": torch.tensor(0.0), "sum": torch.zeros_like(p)}
""",
    # yielded through a tuple
    """
import torch
def batches(n, size):
    for _ in range(n):
        labels = torch.zeros(size)
        yield size, labels
""",
    # the hoisted result would be written to in place
    """
import numpy as np
def f(a, n):
    out = []
    for i in range(n):
        row = np.zeros_like(a)
        row[i % 3] = 1.0
        out.append(row)
    return out
""",
    # under a context manager (no_grad, GradientTape ...) the expression stays where it is
    """
import tensorflow as tf
def f(w, x, n):
    for _ in range(n):
        with tf.GradientTape() as tape:
            y = tf.reduce_sum(tf.matmul(w, x))
        tape.gradient(y, w)
""",
    # mutation through an alias: `view` shares memory with W
    """
import torch
def f(W, x):
    out = []
    view = W[0]
    for _ in range(3):
        out.append(torch.exp(W) @ x)
        view.mul_(2.0)
    return out
""",
    # a closure called in the loop rebinds (nonlocal) the variable the expression reads
    """
import numpy as np
def f(W, n):
    def grow():
        nonlocal W
        W = W * 2
    total = 0.0
    for _ in range(n):
        total = total + np.linalg.inv(W)
        grow()
    return total
""",
    # a yielded value is handed to the caller, which may write to it: no shared object
    """
import torch
def batches(W, n):
    for _ in range(n):
        yield torch.exp(W)
""",
    # a function called in the loop rebinds the global the expression reads
    """
import numpy as np
W = np.ones((3, 3))
def grow():
    global W
    W = W * 2
for _ in range(3):
    print(np.linalg.inv(W))
    grow()
""",
)

INVALID: tuple[Example, ...] = (
    Example(
        """
import torch
def f(W, xs):
    out = []
    for x in [1.0, 2.0]:
        out.append(torch.exp(W) * x)  # keep me
    return out
""",
        """
import torch
def f(W, xs):
    out = []
    exp_W = torch.exp(W)
    for x in [1.0, 2.0]:
        out.append(exp_W * x)  # keep me
    return out
""",
    ),
    Example(
        """
import numpy as np
def f(W, X, n):
    out = []
    # iterate
    for i in range(n):
        out.append(np.dot(W, X) + i)
    return out
""",
        """
import numpy as np
def f(W, X, n):
    out = []
    if n > 0:
        dot_W_X = np.dot(W, X)
    # iterate
    for i in range(n):
        out.append(dot_W_X + i)
    return out
""",
    ),
    Example(
        """
import tensorflow as tf
def f(D, A, n):
    for _ in range(1, n):
        scale = tf.reduce_max(tf.linalg.svd(D, compute_uv=False))
        A = A / scale
    return A
""",
        """
import tensorflow as tf
def f(D, A, n):
    if 1 < n:
        scale = tf.reduce_max(tf.linalg.svd(D, compute_uv=False))
    for _ in range(1, n):
        A = A / scale
    return A
""",
    ),
    # nested loops: hoisted out of both, and the temporary's name is fresh
    Example(
        """
import torch as T
def f(W, x, exp_W):
    acc = x
    for i in range(3):
        for j in range(2):
            acc = acc + T.exp(W) * (i + j) + exp_W
    return acc
""",
        """
import torch as T
def f(W, x, exp_W):
    acc = x
    exp_W_1 = T.exp(W)
    for i in range(3):
        for j in range(2):
            acc = acc + exp_W_1 * (i + j) + exp_W
    return acc
""",
    ),
    # invariant only in the inner loop
    Example(
        """
import numpy as np
def f(xs):
    total = 0.0
    for x in xs:
        for k in range(4):
            total = total + np.sqrt(x) * k
    return total
""",
        """
import numpy as np
def f(xs):
    total = 0.0
    for x in xs:
        sqrt_x = np.sqrt(x)
        for k in range(4):
            total = total + sqrt_x * k
    return total
""",
    ),
    # a loop over a collection whose length the code takes: guarded by that length
    Example(
        """
import torch
def f(W, batches):
    out = []
    weight = 1.0 / len(batches)
    for b in batches:
        out.append(weight * b @ torch.linalg.inv(W))
    return out
""",
        """
import torch
def f(W, batches):
    out = []
    weight = 1.0 / len(batches)
    if len(batches) > 0:
        inv_W = torch.linalg.inv(W)
    for b in batches:
        out.append(weight * b @ inv_W)
    return out
""",
    ),
    # a parameter that is only iterated may be a generator (no length): only a suggestion
    Example(
        """
import torch
def f(W, batches):
    out = []
    for b in batches:
        out.append(b @ torch.linalg.inv(W))
    return out
""",
    ),
    # a loop over a generator expression cannot be guarded: only a suggestion
    Example(
        """
import torch
def f(W, batches):
    out = []
    for b in (x * 2 for x in batches):
        out.append(b @ torch.linalg.inv(W))
    return out
""",
    ),
    # a `while` loop cannot be guarded: only a suggestion
    Example(
        """
import numpy as np
def f(W, x, tol):
    while np.linalg.norm(x) > tol:
        x = x @ np.linalg.pinv(W)
    return x
""",
    ),
    # `from tensorflow import ...` resolves too, and a module-level loop is hoisted at module level
    Example(
        """
from tensorflow import matmul, transpose
import tensorflow as tf
W = tf.ones((3, 3))
x = tf.ones((3, 1))
for _ in range(5):
    x = matmul(transpose(W), x) / 3.0
""",
        """
from tensorflow import matmul, transpose
import tensorflow as tf
W = tf.ones((3, 3))
x = tf.ones((3, 1))
transpose_W = transpose(W)
for _ in range(5):
    x = matmul(transpose_W, x) / 3.0
""",
    ),
    # unknown functions under --speculative
    Example(
        """
import torch
from mylib import normalise
def f(W, x):
    out = []
    for _ in range(3):
        out.append(normalise(W) @ x)
    return out
""",
        """
import torch
from mylib import normalise
def f(W, x):
    out = []
    normalise_W = normalise(W)
    for _ in range(3):
        out.append(normalise_W @ x)
    return out
""",
        Options(speculative=True),
    ),
    # --aggressive: HARP's dictionary learning
    Example(
        """
import numpy as np
def learn(D, X, A):
    for _ in range(10):
        A = D @ (X - D.T @ A)
    return A
""",
        """
import numpy as np
def learn(D, X, A):
    D_X = D @ X
    D_D_T = D @ D.T
    for _ in range(10):
        A = D_X - D_D_T @ A
    return A
""",
        Options(aggressive=True),
    ),
)

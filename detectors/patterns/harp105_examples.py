"""HARP105's examples: each VALID one must give no finding, each INVALID one must be fixed as shown
(or, with no fixed code, be reported with the reason it is kept)."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = (
    # module-level variables: another module (or the harness) may read them
    """
import numpy as np
x = np.ones((4, 4))
unused = np.exp(x) @ x
""",
    # read on the next iteration of the loop
    """
import torch
def run(x, steps):
    out = []
    for i in range(steps):
        if i > 0:
            out.append(previous)
        previous = torch.exp(x) * i
    return out
""",
    # returned, read by a nested function, read in an f-string, read by a lambda
    """
import numpy as np
def f(x):
    a = np.exp(x)
    return a
def g(x):
    b = np.exp(x)
    def inner():
        return b
    return inner
def h(x):
    c = np.log(x) + 1.0
    print(f"{c}")
def k(x):
    d = np.sqrt(x) * 2.0
    return lambda: d
""",
    # in-place writes are the point of the call, even when the result is unused
    """
import torch
def step(x):
    x.add_(1.0)
    y = x.mul_(2.0)
    torch.exp(x, out=x)
""",
    # global and nonlocal variables, tuple targets, several targets
    """
import numpy as np
total = None
def f(x):
    global total
    total = np.exp(x).sum()
def g(x):
    seen = None
    def inner():
        nonlocal seen
        seen = np.exp(x) * 2.0
    inner()
    return inner
def h(x):
    lo, hi = np.min(x), np.max(x)
    a = b = np.exp(x) * 2.0
""",
    # random draws, device syncs and in-place calls as statements of their own: run for their effect
    """
import torch
def f(model, x):
    torch.randn(3)
    x.sum().item()
    model(x)
    torch.manual_seed(0)
""",
    # a try body: the error a pure call may raise can be what the handler expects
    """
import numpy as np
def f(x):
    try:
        check = np.linalg.inv(x) @ x
    except np.linalg.LinAlgError:
        return None
    return x
""",
    # `del`, `locals()`, and names starting with `_`
    """
import torch
def f(x):
    y = torch.exp(x) * 2.0
    del y
def g(x):
    z = torch.exp(x) * 2.0
    return locals()
def h(model, x):
    _ = model(x).argmax(1)
""",
    # not tensor work: nothing worth reporting
    """
def f(x, cfg):
    name = cfg.name
    size = len(x)
    label = str(size)
""",
    # an assertion or a raised value is not a dropped value
    """
import numpy as np
def f(x):
    assert np.all(np.isfinite(x) & (x > 0.0))
    return x
""",
)

INVALID: tuple[Example, ...] = (
    # PyTorch: an accuracy computed in the training loop and never logged
    Example(
        """
import torch
def train(model, optimizer, x, y, steps):
    for _ in range(steps):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        acc = (logits.detach().argmax(1) == y).float().mean()
    return loss
""",
        """
import torch
def train(model, optimizer, x, y, steps):
    for _ in range(steps):
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss
""",
    ),
    # NumPy: a chain of unused work goes whole; a block left empty gets `pass`
    Example(
        """
import numpy as np
def fit(X, y, w, steps):
    for _ in range(steps):
        residual = X @ w - y
        w = w - 0.01 * (X.T @ residual)
        # diagnostics nobody reads
        scores = X @ w
        ranked = np.argsort(scores)
    if steps == 0:
        np.exp(X)
    return w
""",
        """
import numpy as np
def fit(X, y, w, steps):
    for _ in range(steps):
        residual = X @ w - y
        w = w - 0.01 * (X.T @ residual)
    if steps == 0:
        pass
    return w
""",
    ),
    # TensorFlow 2 eager: a softmax over the predictions, computed and dropped
    Example(
        """
import tensorflow as tf
def evaluate(model, x, y):
    logits = model(x)
    probs = tf.nn.softmax(logits)
    return tf.reduce_mean(tf.square(logits - y))
""",
        """
import tensorflow as tf
def evaluate(model, x, y):
    logits = model(x)
    return tf.reduce_mean(tf.square(logits - y))
""",
    ),
    # the predictions call the model, which may have effects: reported, kept
    Example(
        """
import torch
def train(model, optimizer, x, y, steps):
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        preds = model(x).argmax(1)
    return loss
"""
    ),
    # a random draw never used: removing it would change the random stream
    Example(
        """
import torch
def perturb(x):
    noise = torch.randn_like(x)
    return x * 2.0
"""
    ),
    # a device synchronisation never used
    Example(
        """
import torch
def step(x, w):
    loss = ((x @ w) ** 2).mean()
    value = loss.item()
    return loss
"""
    ),
)

"""HARP203's examples: each VALID one fails one of Hybridize's preconditions and must give no finding."""

from __future__ import annotations

from ..pattern import Example

# Each entry: (the precondition it fails, the code).  The reason is checked by the tests.
NEGATIVE: tuple[tuple[str, str], ...] = (
    (
        "no_tensor_parameters",
        """
import tensorflow as tf
def make(n):
    return tf.zeros([n]) + 1.0
""",
    ),
    (
        "side_effect",
        """
import tensorflow as tf
def scale(x: tf.Tensor) -> tf.Tensor:
    print("scaling", x)
    return x * 2.0
""",
    ),
    (
        "side_effect",
        """
import tensorflow as tf
history = []
def scale(x: tf.Tensor) -> tf.Tensor:
    history.append(x)
    return x * 2.0
""",
    ),
    (
        "side_effect",
        """
import tensorflow as tf
calls = 0
def scale(x: tf.Tensor) -> tf.Tensor:
    global calls
    calls = calls + 1
    return x * 2.0
""",
    ),
    (
        "side_effect",
        """
import tensorflow as tf
class Counter:
    def step(self, x: tf.Tensor) -> tf.Tensor:
        self.count = 1
        return x * 2.0
""",
    ),
    (
        "recursive",
        """
import tensorflow as tf
def power(x: tf.Tensor, n: int) -> tf.Tensor:
    if n == 0:
        return tf.ones_like(x)
    return x * power(x, n - 1)
""",
    ),
    (
        "eager_only",
        """
import tensorflow as tf
def norm(x: tf.Tensor) -> float:
    return tf.norm(x).numpy()
""",
    ),
    (
        "eager_only",
        """
import tensorflow as tf
def norm(x: tf.Tensor) -> float:
    return float(tf.norm(x))
""",
    ),
    (
        "numpy_on_parameter",
        """
import numpy as np
import tensorflow as tf
def clip(x: tf.Tensor) -> tf.Tensor:
    return tf.constant(np.clip(x, 0.0, 1.0)) * 2.0
""",
    ),
    (
        "loop_over_tensor",
        """
import tensorflow as tf
def total(rows: tf.Tensor) -> tf.Tensor:
    result = tf.zeros([3])
    for row in rows:
        result = result + row
    return result
""",
    ),
    (
        "keras_symbolic",
        """
import tensorflow as tf
def head(x):
    return tf.nn.relu(x) * 2.0
inputs = tf.keras.Input(shape=(4,))
outputs = head(inputs)
""",
    ),
    (
        "python_scalar",
        """
import tensorflow as tf
def decay(x: tf.Tensor, step) -> tf.Tensor:
    return x * 0.9 ** step
weights = tf.ones([4])
for epoch in range(10):
    weights = decay(weights, epoch)
""",
    ),
    (
        "no_tensor_computation",
        """
import tensorflow as tf
def describe(x: tf.Tensor) -> str:
    return "tensor"
""",
    ),
    (
        "graph_callers_only",
        """
import tensorflow as tf
def inner(x: tf.Tensor) -> tf.Tensor:
    return x * 2.0
@tf.function
def outer(x: tf.Tensor) -> tf.Tensor:
    return inner(x) + 1.0
""",
    ),
    (
        "unrolled_loop",
        """
import tensorflow as tf
def power(x: tf.Tensor, n: int) -> tf.Tensor:
    y = tf.ones_like(x)
    for _ in range(n):
        y = y * x
    return y
""",
    ),
    (
        "generator",
        """
import tensorflow as tf
def batches(x: tf.Tensor):
    yield x * 2.0
""",
    ),
)

VALID: tuple[str, ...] = tuple(code for _, code in NEGATIVE) + (
    # TF1 graph code is not eager
    """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
def build(x: tf.Tensor) -> tf.Tensor:
    return x * 2.0
""",
)

INVALID: tuple[Example, ...] = (
    # tensor parameters known from the callers
    Example(
        """
import tensorflow as tf
def affine(x, w, b):
    return tf.matmul(x, w) + b
w = tf.ones([4, 4])
b = tf.zeros([4])
for _ in range(3):
    y = affine(tf.ones([2, 4]), w, b)
""",
        """
import tensorflow as tf
@tf.function
def affine(x, w, b):
    return tf.matmul(x, w) + b
w = tf.ones([4, 4])
b = tf.zeros([4])
for _ in range(3):
    y = affine(tf.ones([2, 4]), w, b)
""",
    ),
    # a training step, by its name (an assumption)
    Example(
        """
import tensorflow as tf
def train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
""",
        """
import tensorflow as tf
@tf.function
def train_step(model, optimizer, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
""",
    ),
)

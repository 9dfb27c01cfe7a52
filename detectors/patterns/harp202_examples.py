"""HARP202's examples: each VALID one must give no finding, each INVALID one must be fixed as shown."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = (
    # TF1: the loop runs the session; it does not build a chain of operations
    """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.placeholder(tf.float32)
y = x * 2.0
with tf.Session() as sess:
    for i in range(3):
        sess.run(y, feed_dict={x: float(i)})
""",
    # TF2 eager: a Python loop computes, it builds nothing
    """
import tensorflow as tf
def power(x, n):
    y = tf.ones_like(x)
    for _ in range(n):
        y = y * x
    return y
""",
)

INVALID: tuple[Example, ...] = (
    # HARP's char-rnn: the cell unrolled in a Python loop (reported, no automatic fix)
    Example(
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
inputs = tf.placeholder(tf.float32, (4, 10, 3))
W = tf.Variable(tf.ones((3, 5)))
U = tf.Variable(tf.ones((5, 5)))
h = tf.zeros((4, 5))
for t in range(10):
    h = tf.tanh(tf.matmul(inputs[:, t, :], W) + tf.matmul(h, U))
"""
    ),
    # TF2: a Python range inside a tf.function is unrolled while tracing
    Example(
        """
import tensorflow as tf
@tf.function
def power(x, n):
    y = tf.ones_like(x)
    for _ in range(n):
        y = y * x
    return y
"""
    ),
)

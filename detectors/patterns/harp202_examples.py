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
    # HARP's char-rnn: the cell unrolled in a Python loop becomes tf.while_loop
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
""",
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
inputs = tf.placeholder(tf.float32, (4, 10, 3))
W = tf.Variable(tf.ones((3, 5)))
U = tf.Variable(tf.ones((5, 5)))
h = tf.zeros((4, 5))


def h_loop_body(t, h):
    h = tf.tanh(tf.matmul(inputs[:, t, :], W) + tf.matmul(h, U))
    return t + 1, h


h = tf.while_loop(lambda t, h: t < 10, h_loop_body, (0, h))[1]
""",
    ),
    # inside a function, two carried tensors and a body-local one, from a start to a stop
    Example(
        """
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
def run(xs, W, start, stop):
    h = tf.zeros((2, 3))
    c = tf.zeros((2, 3))
    for step in range(start, stop):
        z = tf.matmul(tf.gather(xs, step), W)
        c = c + tf.sigmoid(z)
        h = tf.tanh(c) * h
    return h, c
""",
        """
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
def run(xs, W, start, stop):
    h = tf.zeros((2, 3))
    c = tf.zeros((2, 3))
    def c_h_loop_body(step, c, h):
        z = tf.matmul(tf.gather(xs, step), W)
        c = c + tf.sigmoid(z)
        h = tf.tanh(c) * h
        return step + 1, c, h
    c, h = tf.while_loop(lambda step, c, h: step < stop, c_h_loop_body, (start, c, h))[1:]
    return h, c
""",
    ),
    # the counter is used as a Python number: reported, not rewritten
    Example(
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
U = tf.Variable(tf.ones((5, 5)))
h = tf.zeros((4, 5))
for t in range(10):
    h = tf.tanh(tf.matmul(h, U)) * t
"""
    ),
    # the loop leaves `y` behind, which it does not carry: reported, not rewritten
    Example(
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
U = tf.Variable(tf.ones((5, 5)))
h = tf.zeros((4, 5))
for t in range(10):
    y = tf.matmul(h, U)
    h = tf.tanh(y)
out = y
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

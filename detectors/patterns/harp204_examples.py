"""HARP204's examples: each VALID one must give no finding, each INVALID one must be fixed as shown."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = (
    # tf.print and TF state are fine inside a graph
    """
import tensorflow as tf
counter = tf.Variable(0)
@tf.function
def step(x):
    tf.print("step", x)
    counter.assign_add(1)
    return x * 2.0
""",
    # a tensor argument does not retrace
    """
import tensorflow as tf
@tf.function
def decay(x, rate):
    return x * rate
w = tf.ones([3])
for epoch in range(5):
    w = decay(w, tf.constant(0.9))
""",
)

INVALID: tuple[Example, ...] = (
    Example(
        """
import tensorflow as tf
@tf.function
def step(x):
    print("step", x)
    return x * 2.0
""",
        """
import tensorflow as tf
@tf.function
def step(x):
    tf.print("step", x)
    return x * 2.0
""",
    ),
    # appending to an outer list: reported, no automatic fix
    Example(
        """
import tensorflow as tf
seen = []
@tf.function
def step(x):
    seen.append(x)
    return x * 2.0
"""
    ),
    # a loop counter passed as a Python number: retraces on every call
    Example(
        """
import tensorflow as tf
@tf.function
def decay(x, step):
    return x * 0.9 ** step
w = tf.ones([3])
for epoch in range(5):
    w = decay(w, epoch)
""",
        """
import tensorflow as tf
@tf.function
def decay(x, step):
    return x * 0.9 ** step
w = tf.ones([3])
for epoch in range(5):
    w = decay(w, tf.constant(epoch, dtype=tf.float32))
""",
    ),
    # a loop counter used as an index: passed as an int tensor
    Example(
        """
import tensorflow as tf
@tf.function
def pick(x, i):
    return x[i]
rows = tf.ones([4, 3])
picked = []
for i in range(4):
    picked.append(pick(rows, i))
""",
        """
import tensorflow as tf
@tf.function
def pick(x, i):
    return x[i]
rows = tf.ones([4, 3])
picked = []
for i in range(4):
    picked.append(pick(rows, tf.constant(i)))
""",
    ),
)

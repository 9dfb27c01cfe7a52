"""HARP201's examples: each VALID one must give no finding, each INVALID one must be fixed as shown."""

from __future__ import annotations

from ..pattern import Example

VALID: tuple[str, ...] = (
    # the graph is built once, before the loop
    """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.Variable(0.0)
increment = tf.assign(x, x + 1.0)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(10):
        sess.run(increment)
""",
    # TF2 eager code: operations compute, they do not build a graph
    """
import tensorflow as tf
x = tf.Variable(0.0)
for _ in range(10):
    x.assign(x + 1.0)
""",
    # a random operation: moving it would change its seed
    """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
with tf.Session() as sess:
    for _ in range(3):
        sample = sess.run(tf.random_normal([2]))
""",
    # a variable created in a loop is a new variable each time, not a rebuilt operation
    """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
layers = []
for width in (8, 16):
    layers.append(tf.Variable(tf.zeros([width])))
""",
)

INVALID: tuple[Example, ...] = (
    # HARP's example: an assign op built in every iteration of a loop that runs it
    Example(
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.Variable(0.0)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(10):
        sess.run(tf.assign(x, x + 1.0))
    result = sess.run(x)
""",
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.Variable(0.0)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    assign_x_x = tf.assign(x, x + 1.0)
    for _ in range(10):
        sess.run(assign_x_x)
    result = sess.run(x)
""",
    ),
    # a statement that builds an update, through `import tensorflow as tf` and tf.compat.v1
    Example(
        """
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
w = tf.Variable(np.ones(3, dtype=np.float32))
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    for _ in range(5):
        step = w.assign(w * 0.5)
        sess.run(step)
""",
        """
import numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
w = tf.Variable(np.ones(3, dtype=np.float32))
with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    step = w.assign(w * 0.5)
    for _ in range(5):
        sess.run(step)
""",
    ),
    # operations built from the loop's own index: reported, no automatic fix
    Example(
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.Variable(0.0)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for i in range(10):
        sess.run(tf.assign_add(x, float(i)))
"""
    ),
    # a function that builds operations, called in a loop
    Example(
        """
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.Variable(0.0)
def bump(sess):
    return sess.run(tf.assign_add(x, 1.0))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(10):
        bump(sess)
"""
    ),
)

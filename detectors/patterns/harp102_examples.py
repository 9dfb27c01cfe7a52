"""HARP102's examples: each VALID one must give no finding, each INVALID one must be fixed as shown."""

from __future__ import annotations

from ..pattern import Example

_GRAPH = """
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = tf.placeholder(tf.float32, (None, 4))
W = tf.Variable(np.eye(4, dtype=np.float32))
a = tf.Variable(np.ones(4, dtype=np.float32))
h = tf.sigmoid(tf.matmul(x, W))
y1 = tf.reduce_sum(h * a)
y2 = tf.reduce_mean(h + a)
"""

VALID: tuple[str, ...] = (
    # the shared tensor reads W, which the run in between assigns
    _GRAPH
    + """
shrink = W.assign(W * 0.5)
batch = np.ones((2, 4), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    e1 = sess.run(y1, feed_dict={x: batch})
    sess.run(shrink)
    e2 = sess.run(y2, feed_dict={x: batch})
""",
    # the fed value changes between the runs
    _GRAPH
    + """
batch = np.ones((2, 4), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    e1 = sess.run(y1, feed_dict={x: batch})
    batch = batch * 2
    e2 = sess.run(y2, feed_dict={x: batch})
""",
    # different values fed to the placeholder
    _GRAPH
    + """
first = np.ones((2, 4), dtype=np.float32)
second = np.zeros((2, 4), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    e1 = sess.run(y1, feed_dict={x: first})
    e2 = sess.run(y2, feed_dict={x: second})
""",
    # a call we cannot see into may run the session and assign W
    _GRAPH
    + """
def train(sess):
    pass
batch = np.ones((2, 4), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    e1 = sess.run(y1, feed_dict={x: batch})
    train(sess)
    e2 = sess.run(y2, feed_dict={x: batch})
""",
)

INVALID: tuple[Example, ...] = (
    # HARP's restricted Boltzmann machine, reduced: `h` is shared, `a` changes in between
    Example(
        _GRAPH
        + """
decay = a.assign(a * 0.5)
batch = np.ones((2, 4), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    e1 = sess.run(y1, feed_dict={x: batch})
    sess.run(decay)
    e2 = sess.run(y2, feed_dict={x: batch})
""",
        _GRAPH
        + """
decay = a.assign(a * 0.5)
batch = np.ones((2, 4), dtype=np.float32)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    e1, h_value = sess.run((y1, h), feed_dict={x: batch})
    sess.run(decay)
    e2 = sess.run(y2, feed_dict={x: batch, h: h_value})
""",
    ),
    # the first run's result is not kept, the second has no feed dict of its own
    Example(
        """
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
W = tf.constant(np.eye(3, dtype=np.float32))
g = tf.matmul(W, W)
total = tf.reduce_sum(g)
peak = tf.reduce_max(g)
with tf.Session() as sess:
    sess.run(total)
    top = sess.run([peak])
""",
        """
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
W = tf.constant(np.eye(3, dtype=np.float32))
g = tf.matmul(W, W)
total = tf.reduce_sum(g)
peak = tf.reduce_max(g)
with tf.Session() as sess:
    g_value = sess.run((total, g))[1]
    top = sess.run([peak], feed_dict={g: g_value})
""",
    ),
)

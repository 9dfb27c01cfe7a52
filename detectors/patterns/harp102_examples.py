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
    # eager: an input is reassigned in between
    """
import numpy as np
def f(x):
    a = np.exp(x)
    x = x + 1.0
    b = np.exp(x)
    return a, b
""",
    # eager: an input is written in place in between
    """
import torch
def f(x):
    a = torch.exp(x)
    x.add_(1.0)
    b = torch.exp(x)
    return a, b
""",
    # eager: the first result is written in place: reusing it would share one tensor
    """
import torch
def f(x):
    a = torch.exp(x)
    a.mul_(2.0)
    b = torch.exp(x)
    return a, b
""",
    # eager: the second result is written in place
    """
import numpy as np
def f(x):
    a = np.exp(x)
    b = np.exp(x)
    b[0] = 0.0
    return a, b
""",
    # eager: random numbers are drawn afresh each time
    """
import torch
def f(shape):
    a = torch.rand(shape)
    b = torch.rand(shape)
    return a, b
""",
    # eager: both results are returned: reusing one array would hand the caller one object twice
    """
import numpy as np
def f(x):
    a = np.exp(x)
    b = np.exp(x)
    return a, b
""",
    # eager: the first result is kept in a list
    """
import numpy as np
def f(x, kept):
    a = np.exp(x)
    kept.append(a)
    b = np.exp(x)
    return b
""",
    # eager: a call we cannot see into may write the input in between
    """
import numpy as np
def f(x, update):
    a = np.exp(x)
    update(x)
    b = np.exp(x)
    return a, b
""",
    # eager: only one branch computes it the first time
    """
import numpy as np
def f(x, flag):
    if flag:
        a = np.exp(x)
    else:
        a = x
    b = np.exp(x)
    return a, b
""",
    # eager: the repeat is in another function
    """
import numpy as np
def f(x):
    a = np.exp(x)
    def g():
        return np.exp(x)
    return a, g
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
    # TF2 eager: the Cholesky factor is computed twice (HARP102 in eager code)
    Example(
        """
import tensorflow as tf
def nll(x, cov):
    logdet = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(tf.linalg.cholesky(cov))))
    solved = tf.linalg.cholesky_solve(tf.linalg.cholesky(cov), x)
    return tf.reduce_sum(x * solved) + logdet
""",
        """
import tensorflow as tf
def nll(x, cov):
    cholesky_cov = tf.linalg.cholesky(cov)
    logdet = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(cholesky_cov)))
    solved = tf.linalg.cholesky_solve(cholesky_cov, x)
    return tf.reduce_sum(x * solved) + logdet
""",
    ),
    # PyTorch: both sums are returned, so only the product inside them is shared
    Example(
        """
import torch
def gram_plus(x):
    y = x.T @ x + 1.0
    print(y.sum())
    z = x.T @ x + 2.0
    return y, z
""",
        """
import torch
def gram_plus(x):
    x_T_x = x.T @ x
    y = x_T_x + 1.0
    print(y.sum())
    z = x_T_x + 2.0
    return y, z
""",
    ),
    # NumPy: the first is the whole value of a variable, so the repeats read it
    Example(
        """
import numpy as np
def rotate(points, theta):
    c = np.cos(theta)
    s = np.sin(theta)
    x = c * points[:, 0] - np.sin(theta) * points[:, 1]
    y = np.sin(theta) * points[:, 0] + np.cos(theta) * points[:, 1]
    return x, y
""",
        """
import numpy as np
def rotate(points, theta):
    c = np.cos(theta)
    s = np.sin(theta)
    x = c * points[:, 0] - s * points[:, 1]
    y = s * points[:, 0] + c * points[:, 1]
    return x, y
""",
    ),
)

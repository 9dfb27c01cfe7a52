"""Reconstruction errors of a restricted Boltzmann machine in TensorFlow 1 style.

For each batch, the hidden activations h0, the reconstruction h1 and the resampled
hidden layer v1 give two errors, read before and after the hidden bias a is decayed.
It holds a common subgraph computed twice (HARP102): h0 and h1 are recomputed by the
second sess.run although their inputs did not change; v1 did (scale_a changes a).
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

N_VISIBLE, N_HIDDEN, BATCH, N_ROWS = 1024, 1024, 256, 256 * 12

rng = np.random.default_rng(0)
data = (rng.random((N_ROWS, N_VISIBLE)) < 0.3).astype(np.float32)
W_init = (0.01 * rng.standard_normal((N_VISIBLE, N_HIDDEN))).astype(np.float32)
b_init = np.zeros(N_VISIBLE, dtype=np.float32)
a_init = (0.1 * rng.standard_normal(N_HIDDEN)).astype(np.float32)

x = tf.placeholder(tf.float32, shape=(None, N_VISIBLE), name="x")
W = tf.Variable(W_init, name="W")
b = tf.Variable(b_init, name="b")
a = tf.Variable(a_init, name="a")

h0 = tf.sigmoid(tf.matmul(x, W))
h1 = tf.sigmoid(tf.matmul(h0, W, transpose_b=True) + b)
v1 = tf.sigmoid(tf.matmul(h1, W) + a)
y1 = tf.reduce_mean(tf.square(h0 - v1))
y2 = tf.reduce_mean(tf.abs(h0 - v1))
scale_a = a.assign(a * 0.99)

errors1, errors2 = [], []
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for start in range(0, N_ROWS, BATCH):
        batch = data[start : start + BATCH]
        e1 = sess.run(y1, feed_dict={x: batch})
        sess.run(scale_a)
        e2 = sess.run(y2, feed_dict={x: batch})
        errors1.append(e1)
        errors2.append(e2)
errors1 = np.array(errors1)
errors2 = np.array(errors2)

if __name__ == "__main__":
    print(
        f"{errors1.size} batches, mean squared error = {errors1.mean():.6f}, mean absolute error = {errors2.mean():.6f}"
    )

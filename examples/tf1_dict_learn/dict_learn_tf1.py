"""HARP's dictionary learning in TensorFlow 1 style: a graph, placeholders and `Session.run`.

The codes A are refined by projected gradient steps A ← A − η(DᵀD·A − DᵀX) with the
dictionary D and the data X fed as constants on every run.  `DᵀD`, `DᵀX` and the step
size η = 1/λmax(DᵀD) depend only on the fed D and X, yet every `sess.run(update, ...)`
computes them again (HARP101 for sessions: compute them once and feed the values).
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

N_FEATURES, N_ATOMS, N_SAMPLES, N_ITER = 1024, 96, 512, 60

rng = np.random.default_rng(0)
D_value = (rng.standard_normal((N_FEATURES, N_ATOMS)) / np.sqrt(N_FEATURES)).astype(np.float32)
X_value = rng.standard_normal((N_FEATURES, N_SAMPLES)).astype(np.float32)

D = tf.placeholder(tf.float32, shape=(N_FEATURES, N_ATOMS), name="D")
X = tf.placeholder(tf.float32, shape=(N_FEATURES, N_SAMPLES), name="X")
A = tf.Variable(tf.zeros((N_ATOMS, N_SAMPLES)), name="A")

gram = tf.matmul(D, D, transpose_a=True)
correlation = tf.matmul(D, X, transpose_a=True)
step_size = 1.0 / tf.reduce_max(tf.linalg.eigvalsh(gram))
update = A.assign(A - step_size * (tf.matmul(gram, A) - correlation))

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(N_ITER):
        sess.run(update, feed_dict={D: D_value, X: X_value})
    codes = sess.run(A)

if __name__ == "__main__":
    print(f"codes {codes.shape}, mean |A| = {np.abs(codes).mean():.6f}")

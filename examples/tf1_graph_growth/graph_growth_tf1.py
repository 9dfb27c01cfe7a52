"""Linear regression by hand-written gradient descent in TensorFlow 1 style.

A weight vector w is fitted to noisy linear data by repeated `sess.run` of an assign
step w ← w − η·∂loss/∂w, then the weights and the final loss are read back.
It holds graph construction inside a loop (HARP201): every iteration adds a new
assign op to the graph.
"""

import numpy as np
import tensorflow.compat.v1 as tf

tf.disable_eager_execution()

N_ROWS, N_FEATURES, N_STEPS, LEARNING_RATE = 256, 32, 40, 0.1

rng = np.random.default_rng(0)
x_data = rng.standard_normal((N_ROWS, N_FEATURES)).astype(np.float32)
true_w = rng.standard_normal((N_FEATURES, 1)).astype(np.float32)
y_data = (x_data @ true_w + 0.1 * rng.standard_normal((N_ROWS, 1))).astype(np.float32)

x = tf.placeholder(tf.float32, shape=(None, N_FEATURES), name="x")
y = tf.placeholder(tf.float32, shape=(None, 1), name="y")
w = tf.Variable(tf.zeros((N_FEATURES, 1)), name="w")

loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y))
grad = tf.gradients(loss, w)[0]

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(N_STEPS):
        sess.run(tf.assign(w, w - LEARNING_RATE * grad), feed_dict={x: x_data, y: y_data})
    weights = sess.run(w)
    final_loss = float(sess.run(loss, feed_dict={x: x_data, y: y_data}))

if __name__ == "__main__":
    print(f"weights {weights.shape}, final loss = {final_loss:.6f}")

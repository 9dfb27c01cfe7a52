"""Linear regression by gradient descent with a decaying step, in TensorFlow 2.

The step function is a `@tf.function`, but the training loop passes it the epoch as a
Python int: TensorFlow traces the function again for every new Python value, so each of
the EPOCHS calls pays for a trace (HARP204). Passed as a tensor, it is traced once.
"""

import sys

import numpy as np
import tensorflow as tf

N_ROWS, N_FEATURES, EPOCHS = 256, 8, 60

rng = np.random.default_rng(0)
x = tf.constant(rng.standard_normal((N_ROWS, N_FEATURES)), dtype=tf.float32)
true_w = tf.constant(rng.standard_normal((N_FEATURES, 1)), dtype=tf.float32)
y = tf.matmul(x, true_w) + 0.01 * tf.constant(rng.standard_normal((N_ROWS, 1)), dtype=tf.float32)


@tf.function
def decayed_step(w, x, y, epoch):
    """One gradient step on the mean squared error, with the step size decayed per epoch."""
    residual = tf.matmul(x, w) - y
    gradient = 2.0 * tf.matmul(x, residual, transpose_a=True) / N_ROWS
    return w - 0.1 * 0.97**epoch * gradient


w = tf.zeros((N_FEATURES, 1))
for epoch in range(EPOCHS):
    w = decayed_step(w, x, y, epoch)
weights = w.numpy()
error = tf.reduce_mean((tf.matmul(x, w) - y) ** 2).numpy()

if __name__ == "__main__":
    print(f"{EPOCHS} epochs, mean squared error = {error:.6f}")
    # A diagnostic, not a result: on stderr (the harness compares the numbers a program prints on stdout).
    print(f"traces: {decayed_step.experimental_get_tracing_count()}", file=sys.stderr)

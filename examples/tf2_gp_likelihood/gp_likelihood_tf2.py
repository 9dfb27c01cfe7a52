"""Choosing a Gaussian-process length scale by its marginal likelihood, in TensorFlow 2 eager code.

For each candidate length scale the negative log marginal likelihood of noisy 1-D data
is computed from the Cholesky factor of the kernel matrix: once to solve for `alpha`
and once more for the log-determinant. The factorisation, the costly part, runs twice
on the same matrix (HARP102 in eager code).
"""

import numpy as np
import tensorflow as tf

N_POINTS, NOISE = 300, 0.1
LENGTH_SCALES = np.linspace(0.2, 2.0, 16)

rng = np.random.default_rng(0)
x = tf.constant(np.sort(rng.uniform(-3.0, 3.0, size=(N_POINTS, 1)), axis=0))
y = tf.sin(2.0 * x) + NOISE * tf.constant(rng.standard_normal((N_POINTS, 1)))


def neg_log_marginal_likelihood(x, y, length_scale):
    """-log p(y | x, length_scale) of a GP with a squared-exponential kernel."""
    squared_distances = tf.reduce_sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    kernel = tf.exp(-0.5 * squared_distances / length_scale**2) + NOISE**2 * tf.eye(N_POINTS, dtype=tf.float64)
    alpha = tf.linalg.cholesky_solve(tf.linalg.cholesky(kernel), y)
    log_det = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(tf.linalg.cholesky(kernel))))
    return 0.5 * tf.reduce_sum(y * alpha) + 0.5 * log_det + 0.5 * N_POINTS * np.log(2.0 * np.pi)


scores = np.array([neg_log_marginal_likelihood(x, y, scale).numpy() for scale in LENGTH_SCALES])
best_length_scale = LENGTH_SCALES[np.argmin(scores)]

if __name__ == "__main__":
    print(f"best length scale {best_length_scale:.3f}, -log likelihood {scores.min():.6f}")

"""HARP's dictionary-learning kernel in TensorFlow 2 eager: A ← step · D(X − DᵀA) with fixed D, X.

Every iteration transposes D and recomputes the step size from D's largest singular
value, although D never changes (HARP101), and `tf.matmul(D, X - tf.matmul(Dt, A))` hides
the invariants `D @ X` and `D @ D.T` behind distributivity (HARP101 with --aggressive).
"""

import tensorflow as tf


def dict_learn(D: tf.Tensor, X: tf.Tensor, A: tf.Tensor, n_iter: int) -> tf.Tensor:
    for _ in range(n_iter):
        step = 1.0 / tf.reduce_max(tf.linalg.svd(D, compute_uv=False)) ** 2
        A = step * tf.matmul(D, X - tf.matmul(tf.transpose(D), A))
    return A


def sample_inputs(m: int = 64, k: int = 256, n: int = 128, seed: int = 0) -> tuple[tf.Tensor, ...]:
    generator = tf.random.Generator.from_seed(seed)
    shapes = ((m, k), (k, n), (m, n))
    return tuple(generator.normal(shape, dtype=tf.float64) for shape in shapes)


if __name__ == "__main__":
    codes = dict_learn(*sample_inputs(), n_iter=50)
    print(f"codes {tuple(codes.shape)}, mean |A| = {float(tf.reduce_mean(tf.abs(codes))):.6f}")

"""HARP's dictionary-learning kernel in NumPy: iterate A ← step · D(X − DᵀA) with fixed D, X.

The loop recomputes the step size from D's spectral norm on every iteration, although D
never changes (HARP101), and `D @ (X - D.T @ A)` hides the invariants `D @ X` and
`D @ D.T` behind distributivity (HARP101 with --aggressive).
"""

import numpy as np


def dict_learn(D: np.ndarray, X: np.ndarray, A: np.ndarray, n_iter: int) -> np.ndarray:
    for _ in range(n_iter):
        step = 1.0 / np.linalg.norm(D, ord=2) ** 2
        A = step * (D @ (X - D.T @ A))
    return A


def sample_inputs(m: int = 64, k: int = 256, n: int = 128, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, k)), rng.standard_normal((k, n)), rng.standard_normal((m, n))


if __name__ == "__main__":
    codes = dict_learn(*sample_inputs(), n_iter=50)
    print(f"codes {codes.shape}, mean |A| = {np.abs(codes).mean():.6f}")

"""HARP's dictionary-learning kernel in PyTorch: iterate A ← step · D(X − DᵀA) with fixed D, X.

The loop recomputes the step size from D's spectral norm on every iteration, although D
never changes (HARP101), and `D @ (X - D.T @ A)` hides the invariants `D @ X` and
`D @ D.T` behind distributivity (HARP101 with --aggressive).
"""

import torch


def dict_learn(D: torch.Tensor, X: torch.Tensor, A: torch.Tensor, n_iter: int) -> torch.Tensor:
    for _ in range(n_iter):
        step = 1.0 / torch.linalg.matrix_norm(D, ord=2) ** 2
        A = step * (D @ (X - D.T @ A))
    return A


def sample_inputs(m: int = 64, k: int = 256, n: int = 128, seed: int = 0) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    D = torch.randn(m, k, generator=generator, dtype=torch.float64)
    X = torch.randn(k, n, generator=generator, dtype=torch.float64)
    A = torch.randn(m, n, generator=generator, dtype=torch.float64)
    return D, X, A


if __name__ == "__main__":
    codes = dict_learn(*sample_inputs(), n_iter=50)
    print(f"codes {tuple(codes.shape)}, mean |A| = {codes.abs().mean().item():.6f}")

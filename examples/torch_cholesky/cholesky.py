"""A batched Cholesky factorisation written with Python loops (PyTorch).

The Cholesky–Banachiewicz recurrence, applied to a whole batch at once through `...`
indexing, but with its innermost dot product written as a loop that adds one product per
iteration (`s = s + lower[..., i, k] * lower[..., j, k]`; HARP104: one `.sum(-1)` over
slices). The program factors 256 random symmetric positive-definite 24×24 matrices in
float64 and checks the result against `torch.linalg.cholesky`, called once per matrix in a
Python loop over the batch (HARP103: one call on the whole batch).
"""

import torch

BATCH, N = 256, 24


def cholesky(a):
    """The lower-triangular `lower` with `lower @ lower.mT == a`, for every matrix of the batch."""
    n = a.shape[-1]
    lower = torch.zeros_like(a)
    for i in range(n):
        for j in range(i + 1):
            s = torch.zeros_like(a[..., 0, 0])
            for k in range(j):
                s = s + lower[..., i, k] * lower[..., j, k]
            if i == j:
                lower[..., i, i] = torch.sqrt(a[..., i, i] - s)
            else:
                lower[..., i, j] = (a[..., i, j] - s) / lower[..., j, j]
    return lower


def reference(matrices):
    """`torch.linalg.cholesky` of each matrix, one at a time."""
    expected = torch.empty_like(matrices)
    for b in range(matrices.shape[0]):
        expected[b] = torch.linalg.cholesky(matrices[b])
    return expected


torch.manual_seed(0)
factors = torch.randn(BATCH, N, N, dtype=torch.float64)
matrices = factors @ factors.mT + N * torch.eye(N, dtype=torch.float64)
factor = cholesky(matrices)
error = (factor - reference(matrices)).abs().max().item()

if __name__ == "__main__":
    print(f"{BATCH} matrices of {N}x{N}; max |factor - torch.linalg.cholesky| = {error:.2e}")

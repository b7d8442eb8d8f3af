"""Parallelograms and the Representation Quality Index (Liu et al. Eq 1-3; docs/decisions.md, Parallelograms,
RQI and λ3).

Follows the authors' ``train_add`` convention (L-D2, L-D3): each embedding dimension is standardised with the
unbiased std, and a parallelogram is accepted when its squared defect, averaged over dimensions, is below
``tolerance`` (0.01, i.e. |defect| < 0.1 normalised units in 1D).
"""

from __future__ import annotations

import numpy as np
import torch


def parallelograms(p: int) -> np.ndarray:
    """All of P0 for addition on {0..p-1} as rows (i, n, j, m) with i < j <= m < n and i + n = j + m.

    Shape (|P0|, 4): |P0| = 70 for p = 10, 3 for p = 4, 13 for p = 6, 95 for p = 11.
    """
    rows = [
        (i, n, j, m)
        for i in range(p)
        for j in range(i + 1, p)
        for m in range(j, p)
        for n in range(m + 1, p)
        if i + n == j + m
    ]
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def normalise(embeddings: torch.Tensor) -> torch.Tensor:
    """(E - mean) / std per dimension, over the symbol axis (-2). Shape preserved, e.g. (K, p, d)."""
    mean = embeddings.mean(dim=-2, keepdim=True)
    std = embeddings.std(dim=-2, keepdim=True)
    return (embeddings - mean) / std


def parallelogram_defects(embeddings: torch.Tensor, quads: torch.Tensor) -> torch.Tensor:
    """Squared defect |E_i + E_n - E_j - E_m|^2 averaged over dimensions, of the normalised embeddings.

    embeddings: (..., p, d); quads: (Q, 4). Returns (..., Q).
    """
    z = normalise(embeddings)
    d = z[..., quads[:, 0], :] + z[..., quads[:, 1], :] - z[..., quads[:, 2], :] - z[..., quads[:, 3], :]
    return (d**2).mean(dim=-1)


def rqi(embeddings: torch.Tensor, quads: torch.Tensor, tolerance: float = 0.01) -> torch.Tensor:
    """RQI = |P(R, delta)| / |P0| (Eq 3). embeddings (..., p, d) -> (...,) in [0, 1]."""
    ok = parallelogram_defects(embeddings, quads) < tolerance
    return ok.sum(dim=-1).to(torch.float64) / quads.shape[0]


def s3_parallelograms(task) -> np.ndarray:
    """S3's generalised parallelograms: unordered pairs of distinct samples with the same product.

    Rows (a, b, c, d) meaning E_a E_b = E_c E_d; |P0| = 90 (6 products x C(6, 2) pairs). Shape (90, 4).
    """
    rows = []
    for s in range(task.n_samples):
        for t in range(s + 1, task.n_samples):
            if task.labels[s] == task.labels[t]:
                rows.append((*task.pairs[s], *task.pairs[t]))
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def s3_defects(embeddings: torch.Tensor, quads: torch.Tensor) -> torch.Tensor:
    """S3's generalised parallelogram defects (the authors' S3 notebook; docs/decisions.md): embeddings divided by
    their RMS over all entries, reshaped to 3x3; mean((S_a S_b - S_c S_d)^2) over the 9 entries.
    embeddings (..., 6, 9) -> (..., Q)."""
    rms = (embeddings**2).mean(dim=(-2, -1), keepdim=True).sqrt()
    s = (embeddings / rms).reshape(*embeddings.shape[:-1], 3, 3)
    left = s[..., quads[:, 0], :, :] @ s[..., quads[:, 1], :, :]
    right = s[..., quads[:, 2], :, :] @ s[..., quads[:, 3], :, :]
    return ((left - right) ** 2).mean(dim=(-2, -1))


def rqi_s3(embeddings: torch.Tensor, quads: torch.Tensor, tolerance: float = 0.5) -> torch.Tensor:
    """S3 RQI (docs/decisions.md, Parallelograms, RQI and λ3): the fraction of parallelograms whose
    :func:`s3_defects` is below ``tolerance`` (0.5).

    embeddings: (..., 6, 9) -> (...,).
    """
    ok = s3_defects(embeddings, quads) < tolerance
    return ok.sum(dim=-1).to(torch.float64) / quads.shape[0]

"""The uniform tensor-network attention map of Sec. 4.2 (Fig. 8; docs/decisions.md, Rule 30 and the tensor-network
student) and the exact attention tensors of Fig. 9.

- Embedding φ(bit 1) = (1, 0), φ(bit 0) = (0, 1) (φ(+1), φ(−1)); position matrix A(x) = Σ_k φ_k(x) A[:, :, k] with one
  A ∈ R^{d×d×2} shared by all positions.
- Left context L_i = v^L A(x_1)⋯A(x_{i−1}), right context R_i = A(x_{i+1})⋯A(x_M) v^R, each L2-normalised after every
  multiplication.
- Features z_i = L_i ⊗ R_i ⊗ φ(x_i) ∈ R^{2d²} (index order (a, l, k)); the classifier B ∈ R^{d×d×2} (the spec's
  d×d×1×2 with the output axis dropped) predicts sign(Σ L_a B[a, l, k] R_l φ_k) = sign(vec(B)·z_i): a perceptron
  without bias in D = 2d² dimensions.

Everything is vectorised over the sequence batch; the only loop runs over positions (the contexts are running
products).
"""

from __future__ import annotations

import numpy as np

# The code's exact bond-dimension-4 attention (spec §5.4): A(bit 1) has ones in rows 0 and 2, columns 0-1;
# A(bit 0) ones in rows 1 and 3, columns 2-3. Index k = 0 is bit 1 (φ(1) = (1, 0)), k = 1 bit 0.
EXACT_A4 = np.zeros((4, 4, 2))
EXACT_A4[np.ix_([0, 2], [0, 1], [0])] = 1.0
EXACT_A4[np.ix_([1, 3], [2, 3], [1])] = 1.0
# The code's d = 2 variant: A(bit 1) = [[1, 1], [0, 0]], A(bit 0) = [[1, 0], [1, 1]].
EXACT_A2 = np.stack([np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [1.0, 1.0]])], axis=-1)


def embed(bits: np.ndarray) -> np.ndarray:
    """φ(x): shape (..., M, 2), φ(1) = (1, 0), φ(0) = (0, 1)."""
    b = np.asarray(bits, dtype=float)
    return np.stack([b, 1.0 - b], axis=-1)


def position_matrices(A: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """A(x_i) = Σ_k φ_k(x_i) A[:, :, k], shape (..., M, d, d)."""
    return np.einsum("...k,abk->...ab", embed(bits), A)


def _normalise(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 0)


def contexts(A: np.ndarray, bits: np.ndarray, v_left: np.ndarray, v_right: np.ndarray, pad: int = 0):
    """Normalised left and right contexts, each shape (..., M, d). ``pad`` −1 cells (bit 0) are placed outside each
    end before the contexts are built (open boundaries, Z-D18); with eigenvector boundary vectors of A(−1) and a
    positive eigenvalue they change nothing. A context whose product vanishes stays the zero vector."""
    bits = np.asarray(bits)
    if pad:
        bits = np.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(pad, pad)], constant_values=0)
    mats = position_matrices(A, bits)
    M, d = bits.shape[-1], A.shape[0]
    batch = bits.shape[:-1]
    left = np.empty((*batch, M, d))
    right = np.empty((*batch, M, d))
    cur = np.broadcast_to(_normalise(np.asarray(v_left, float)), (*batch, d))
    for i in range(M):
        left[..., i, :] = cur
        cur = _normalise(np.einsum("...a,...ab->...b", cur, mats[..., i, :, :]))
    cur = np.broadcast_to(_normalise(np.asarray(v_right, float)), (*batch, d))
    for i in range(M - 1, -1, -1):
        right[..., i, :] = cur
        cur = _normalise(np.einsum("...ab,...b->...a", mats[..., i, :, :], cur))
    if pad:
        left, right = left[..., pad:-pad, :], right[..., pad:-pad, :]
    return left, right


def features(A: np.ndarray, bits: np.ndarray, v_left: np.ndarray, v_right: np.ndarray, pad: int = 0) -> np.ndarray:
    """The tensor-network map z_i = L_i ⊗ R_i ⊗ φ(x_i): shape (..., M, 2d²)."""
    left, right = contexts(A, bits, v_left, v_right, pad)
    d = A.shape[0]
    z = np.einsum("...a,...l,...k->...alk", left, right, embed(bits))
    return z.reshape(*z.shape[:-3], 2 * d * d)


def tn_scores(A: np.ndarray, B: np.ndarray, bits: np.ndarray, v_left, v_right) -> np.ndarray:
    """Σ_{a,l,k} L_a B[a, l, k] R_l φ_k computed as L_iᵀ B(x_i) R_i with B(x) = Σ_k φ_k(x) B[:, :, k] (the
    tensor-network contraction, independent of :func:`features`), shape (..., M)."""
    left, right = contexts(A, bits, v_left, v_right)
    return np.einsum("...a,...al,...l->...", left, position_matrices(B, bits), right)


def dominant_eigenvectors(A: np.ndarray, bit: int = 0):
    """(v^L, v^R, λ): the left and right eigenvectors of A(bit) (default A(−1)) for the eigenvalue of largest modulus,
    real, with a non-negative sum (Z-D14). Raises ValueError when that eigenvalue is complex (Z-D17)."""
    m = A[:, :, 0] if bit == 1 else A[:, :, 1]
    out = []
    for mat in (m.T, m):
        w, v = np.linalg.eig(mat)
        j = int(np.argmax(np.abs(w)))
        if abs(w[j].imag) > 1e-12:
            raise ValueError(f"complex dominant eigenvalue {w[j]} (Z-D17)")
        vec = v[:, j].real
        vec = vec / np.linalg.norm(vec)
        out.append(vec if vec.sum() >= 0 else -vec)
    return out[0], out[1], float(np.real(np.linalg.eigvals(m)[np.argmax(np.abs(np.linalg.eigvals(m)))]))


def exact_attention(d: int = 4):
    """(A, v^L, v^R) of the code's exact attention (d = 4) or its d = 2 variant, boundary vectors the dominant
    eigenvectors of A(−1)."""
    A = {4: EXACT_A4, 2: EXACT_A2}[d].copy()
    v_left, v_right, _ = dominant_eigenvectors(A)
    return A, v_left, v_right


def distinct(z: np.ndarray, y: np.ndarray, decimals: int = 10):
    """Distinct feature vectors of ``z`` (n, D) with labels ``y`` (n,): (unique features, their labels, number of
    features that carry both labels). Features are compared after rounding to ``decimals``."""
    key = np.round(z, decimals) + 0.0
    uniq, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    lo = np.full(len(uniq), np.inf)
    hi = np.full(len(uniq), -np.inf)
    np.minimum.at(lo, inverse, y)
    np.maximum.at(hi, inverse, y)
    return uniq, np.where(hi > 0, 1.0, -1.0), int(np.sum(lo != hi))


def max_margin(z: np.ndarray, y: np.ndarray):
    """Hard-margin separation certificate without bias: (unit w, margin = min_i y_i w·z_i, hull distance).

    The max-margin direction is the minimum-norm point of the convex hull of the y_i z_i; one non-negative
    least-squares solve of min_{a ≥ 0} ‖Σ a_i y_i z_i‖² + (Σ a_i − 1)² gives it up to a positive factor. A margin
    > 0 proves separability (w is the witness); a hull distance ≈ 0 proves there is none (a convex combination of
    the y_i z_i vanishes, Gordan's alternative)."""
    from scipy.optimize import nnls

    zy = np.asarray(z, float) * np.asarray(y, float)[:, None]
    a, _ = nnls(np.vstack([zy.T, np.ones(len(zy))]), np.r_[np.zeros(zy.shape[1]), 1.0], maxiter=50 * len(zy))
    s = a.sum()
    u = zy.T @ a / s if s > 0 else np.zeros(zy.shape[1])
    hull = float(np.linalg.norm(u))
    w = u / hull if hull > 0 else u
    return w, float(np.min(zy @ w)) if hull > 0 else 0.0, hull


def least_squares_errors(z_train: np.ndarray, y_train: np.ndarray, *tests):
    """The least-squares perceptron (minimum-norm w = argmin ‖Zw − y‖²): its number of wrongly signed sites on the
    training features and on each (z, y) test pair given, as a list of ints."""
    w, *_ = np.linalg.lstsq(z_train, y_train.astype(float), rcond=None)
    return [int(np.sum(np.sign(z @ w) != y)) for z, y in ((z_train, y_train), *tests)]

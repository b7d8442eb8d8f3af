"""Fixed attention tensors, linear training of B only (Sec. 4.3.1; docs/decisions.md, Fixed attention tensors).

With A frozen the student is a perceptron without bias in the features z_i ∈ R^{2d²} of
:mod:`grokrepro.zunkovic2022.tensor_network`, trained on the Eq. 19 loss

    R(w) = (1/n) Σ_i ½ (w·z_i − y_i)² + (λ2/2) ‖w‖² + λ1 ‖w‖₁ = ½ wᵀ G w − w·a + const,
    G = (1/n) Σ_i z_i z_iᵀ + λ2 𝟙,   a = (1/n) Σ_i y_i z_i   (λ1 = 0),

with n the number of training sites (all 8 strings of length 3: n = 24). For λ1 = 0 the gradient flow
dw/dt = −(G w − a) is solved exactly through the eigendecomposition G = V diag(g) Vᵀ (:class:`Flow`):
along an eigenvector with g_k > 0 the coordinate relaxes as w*_k + (w_k(0) − w*_k) e^{−g_k t}; along a null
direction (g_k = 0, only with λ2 = 0) it moves as w_k(0) + a_k t, and a_k = 0 there because a lies in the span of
the training features. The stationary solution for λ1 > 0 is the lasso solution (:func:`lasso`, batched coordinate
descent).

Random attention tensors (Fig. 10): entries i.i.d. N(0, 1), boundary vectors the dominant left/right eigenvectors
of A(−1) (Z-D14); a tensor whose A(−1) has a complex dominant eigenvalue is rejected (Z-D17). For a real 2 × 2
Gaussian matrix that happens with probability 1 − 1/√2 (Edelman, Kostlan & Shub 1994), the independent check of
the sampler. Everything here is vectorised over tensors (a leading axis).
"""

from __future__ import annotations

import numpy as np

from grokrepro.zunkovic2022 import automata as ca

# 2 × 2 Gaussian matrices have real eigenvalues with probability 1/√2 (Edelman, Kostlan & Shub 1994).
P_REAL_2X2 = 1.0 / np.sqrt(2.0)


# ------------------------------------------------------------------------------------------------ training set


def training_set(M: int = 3, K: int = 1):
    """(bits, labels ±1): all 2^M strings of length M and their K-local rule-30 labels (open BC, Z-D18)."""
    x = ca.all_strings(M)
    return x, ca.to_pm1(ca.k_local(x, K)).astype(float)


def quadratic_form(z: np.ndarray, y: np.ndarray, lambda2: float = 0.0):
    """(G, a) of the Eq. 19 loss for features ``z`` (..., n, D) and labels ``y`` (n,) (λ1 = 0)."""
    n, D = z.shape[-2], z.shape[-1]
    G = np.einsum("...ni,...nj->...ij", z, z) / n + lambda2 * np.eye(D)
    a = np.einsum("...ni,n->...i", z, y) / n
    return G, a


# ------------------------------------------------------------------------------------------------ exact flow


class Flow:
    """The exact gradient flow dw/dt = −(G w − a) of one quadratic loss, for many initial conditions.

    ``coefficients(w0, t)`` gives w(t) in the eigenbasis of G; ``scores(z, w0, t)`` the scores z·w(t) of features
    ``z`` (m, D) for initial conditions ``w0`` (n, D) at times ``t`` (n,) or (n, T)."""

    def __init__(self, G: np.ndarray, a: np.ndarray, null_tol: float = 1e-12):
        g, V = np.linalg.eigh(G)
        self.g, self.V = g, V
        self.null = g <= null_tol * max(1.0, float(np.max(np.abs(g))))
        self.a_eig = V.T @ a
        self.w_star = np.where(self.null, 0.0, self.a_eig / np.where(self.null, 1.0, g))

    def coefficients(self, w0: np.ndarray, t) -> np.ndarray:
        """w(t) in the eigenbasis: shape (n, D) for t (n,), (n, T, D) for t (n, T)."""
        c0 = np.asarray(w0, float) @ self.V                       # (n, D)
        t = np.asarray(t, float)
        if t.ndim == 2:
            c0 = c0[:, None, :]
        tt = t[..., None]
        decay = np.exp(-np.where(self.null, 0.0, self.g) * tt)
        relaxed = self.w_star + (c0 - self.w_star) * decay
        return np.where(self.null, c0 + self.a_eig * tt, relaxed)

    def weights(self, w0: np.ndarray, t) -> np.ndarray:
        """w(t) in the original basis."""
        return self.coefficients(w0, t) @ self.V.T

    def scores(self, z: np.ndarray, w0: np.ndarray, t) -> np.ndarray:
        """z·w(t): shape (n, m) for t (n,), (n, T, m) for t (n, T)."""
        return self.coefficients(w0, t) @ (z @ self.V).T

    def stationary(self, w0: np.ndarray) -> np.ndarray:
        """w(∞) (with λ2 = 0 the null-space part of w(0) stays)."""
        c0 = np.asarray(w0, float) @ self.V
        return np.where(self.null, c0, self.w_star) @ self.V.T


def weighted_error(scores: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Fraction (by ``weight``) of features whose score has the wrong sign (a score of exactly 0 is wrong)."""
    wrong = np.sign(scores) != y
    return wrong @ weight / weight.sum()


def zero_error_times(flow: Flow, z: np.ndarray, y: np.ndarray, weight: np.ndarray, w0: np.ndarray, t_grid,
                     iterations: int = 80) -> np.ndarray:
    """t_ε per initial condition: the first grid time at which the weighted error of ``z`` is 0, refined by bisection
    against the grid point before it (relative precision ~1e-16). ``inf`` where the error is never 0 on the grid, 0
    where it is 0 at t = 0."""
    t_grid = np.asarray(t_grid, float)
    n = len(w0)
    err = weighted_error(flow.scores(z, w0, np.broadcast_to(t_grid, (n, len(t_grid)))), y, weight)   # (n, T)
    zero = err == 0
    first = np.where(zero.any(1), zero.argmax(1), -1)
    t_eps = np.full(n, np.inf)
    at_zero = first == 0
    t_eps[at_zero] = t_grid[0] if t_grid[0] == 0 else 0.0
    idx = np.flatnonzero(first > 0)
    if len(idx):
        lo, hi = t_grid[first[idx] - 1].copy(), t_grid[first[idx]].copy()
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            ok = weighted_error(flow.scores(z, w0[idx], mid), y, weight) == 0
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        t_eps[idx] = hi
    return t_eps


def rk4_reference(G: np.ndarray, a: np.ndarray, w0: np.ndarray, t: float, steps: int = 20000) -> np.ndarray:
    """Classical 4th-order Runge–Kutta integration of dw/dt = −(G w − a) to time ``t`` (the independent check of
    :class:`Flow`)."""
    h = t / steps
    w = np.array(w0, float)

    def f(v):
        return -(v @ G.T - a)

    for _ in range(steps):
        k1 = f(w)
        k2 = f(w + 0.5 * h * k1)
        k3 = f(w + 0.5 * h * k2)
        k4 = f(w + h * k3)
        w = w + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return w


# ------------------------------------------------------------------------------------------------ stationary points


def ridge(G0: np.ndarray, a0: np.ndarray, lambda2: float) -> np.ndarray:
    """argmin ½wᵀ(G0 + λ2)w − a0·w, batched over a leading axis; λ2 = 0 gives the minimum-norm least-squares
    solution (pseudo-inverse)."""
    if lambda2 > 0:
        return np.linalg.solve(G0 + lambda2 * np.eye(G0.shape[-1]), a0[..., None])[..., 0]
    return np.einsum("...ij,...j->...i", np.linalg.pinv(G0, rcond=1e-10, hermitian=True), a0)


def lasso(G0: np.ndarray, a0: np.ndarray, lambda1: float, lambda2: float = 0.0, tol: float = 1e-9,
          sweeps: int = 50, max_rounds: int = 10):
    """argmin ½wᵀ(G0 + λ2)w − a0·w + λ1‖w‖₁, batched over a leading axis (G0 (…, D, D), a0 (…, D)).

    Rounds of ``sweeps`` cyclic coordinate-descent sweeps, each followed by a polish: on the support and signs the
    sweeps found, the optimality conditions are linear, w_S = G_SS⁻¹(a_S − λ1 sgn w_S); the polished point is kept
    where it has those signs and violates the conditions by at most ``tol`` (:func:`lasso_kkt_violation`). The
    random-attention G are ill-conditioned (eigenvalues down to ~1e-10), where coordinate descent crawls; problems
    still open after ``max_rounds`` are solved by :func:`lasso_by_enumeration`. Returns (w, converged): converged
    where the optimality conditions hold to ``tol``."""
    G = G0 + lambda2 * np.eye(G0.shape[-1])
    D = G.shape[-1]
    w = np.zeros(a0.shape)
    diag = np.einsum("...ii->...i", G)
    done = np.zeros(a0.shape[:-1], bool)
    for _ in range(max_rounds):
        for _ in range(sweeps):
            for j in range(D):
                r = a0[..., j] - np.einsum("...k,...k->...", G[..., j, :], w) + diag[..., j] * w[..., j]
                new = np.sign(r) * np.maximum(np.abs(r) - lambda1, 0.0) / np.where(diag[..., j] > 0, diag[..., j], 1.0)
                new = np.where(diag[..., j] > 0, new, 0.0)
                w[..., j] = np.where(done, w[..., j], new)
        on = w != 0
        sgn = np.sign(w)
        Gs = np.where(on[..., :, None] & on[..., None, :], G, 0.0) + np.where(on, 0.0, 1.0)[..., None] * np.eye(D)
        rhs = np.where(on, a0 - lambda1 * sgn, 0.0)
        with np.errstate(all="ignore"):
            polished = np.linalg.solve(Gs, rhs[..., None])[..., 0]
        good = np.all(np.isfinite(polished), -1) & np.all(np.where(on, np.sign(polished) == sgn, True), -1)
        polished = np.where(good[..., None], polished, w)
        ok = good & (lasso_kkt_violation(G0, a0, polished, lambda1, lambda2) <= tol) & ~done
        w = np.where(ok[..., None], polished, w)
        done |= ok | (lasso_kkt_violation(G0, a0, w, lambda1, lambda2) <= tol)
        if done.all():
            break
    open_ = np.flatnonzero(~done.reshape(-1))
    if len(open_):
        Gf, af, wf, df = (G0.reshape(-1, D, D), a0.reshape(-1, D), w.reshape(-1, D).copy(), done.reshape(-1).copy())
        wf[open_], df[open_] = lasso_by_enumeration(Gf[open_], af[open_], lambda1, lambda2, tol)
        w, done = wf.reshape(w.shape), df.reshape(done.shape)
    return w, done


def lasso_by_enumeration(G0: np.ndarray, a0: np.ndarray, lambda1: float, lambda2: float = 0.0, tol: float = 1e-9,
                         chunk: int = 16):
    """The lasso solution by trying every sign pattern s ∈ {−1, 0, 1}^D (3^D linear solves; D = 8 gives 6561):
    w_S = G_SS⁻¹(a_S − λ1 s_S) is the solution where its signs are s and the optimality conditions hold (unique
    for positive-definite G). Batched (n, D, D); returns (w, found)."""
    import itertools

    D = G0.shape[-1]
    G = G0 + lambda2 * np.eye(D)
    pats = np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=D)))          # (P, D)
    on = pats != 0
    mask = on[:, :, None] & on[:, None, :]
    eye_off = np.where(on, 0.0, 1.0)[:, :, None] * np.eye(D)
    w_out = np.zeros(a0.shape)
    found = np.zeros(len(a0), bool)
    for c in range(0, len(a0), chunk):
        Gc, ac = G[c:c + chunk], a0[c:c + chunk]
        Gs = np.where(mask[None], Gc[:, None], 0.0) + eye_off[None]               # (n, P, D, D)
        rhs = np.where(on[None], ac[:, None, :] - lambda1 * pats[None], 0.0)
        with np.errstate(all="ignore"):
            ws = np.linalg.solve(Gs, rhs[..., None])[..., 0]                      # (n, P, D)
        signs_ok = np.all(np.where(on[None], np.sign(ws) == pats[None], True), -1) & np.all(np.isfinite(ws), -1)
        kkt = lasso_kkt_violation(Gc[:, None], ac[:, None], np.where(signs_ok[..., None], ws, 0.0), lambda1, lambda2)
        valid = signs_ok & (kkt <= tol)
        obj = 0.5 * np.einsum("npi,nij,npj->np", ws, Gc, ws) - np.einsum("npi,ni->np", ws, ac) \
            + lambda1 * np.abs(ws).sum(-1)
        obj = np.where(valid, obj, np.inf)
        best = obj.argmin(1)
        w_out[c:c + chunk] = ws[np.arange(len(Gc)), best]
        found[c:c + chunk] = valid.any(1)
    return w_out, found


def lasso_kkt_violation(G0, a0, w, lambda1, lambda2=0.0) -> np.ndarray:
    """Largest violation of the lasso optimality conditions (gradient of the smooth part = −λ1 sgn(w) on the
    support, |gradient| ≤ λ1 off it), per problem: the check of :func:`lasso`."""
    grad = np.einsum("...ij,...j->...i", G0 + lambda2 * np.eye(G0.shape[-1]), w) - a0
    on = w != 0
    v = np.where(on, np.abs(grad + lambda1 * np.sign(w)), np.maximum(np.abs(grad) - lambda1, 0.0))
    return v.max(-1)


# ------------------------------------------------------------------------------------------------ random tensors


def random_tensors(n: int, d: int, rng: np.random.Generator):
    """``n`` tensors A (n, d, d, 2) with i.i.d. N(0, 1) entries, kept only when A(−1) has a real dominant
    eigenvalue (Z-D17), drawn in batches until ``n`` are kept. Returns (A, v^L, v^R, eigenvalue, drawn): the
    dominant left/right eigenvectors of A(−1) (unit norm, non-negative sum, Z-D14) and the number drawn."""
    kept, drawn = [], 0
    while sum(len(k[0]) for k in kept) < n:
        batch = rng.standard_normal((max(64, int(1.6 * n)), d, d, 2))
        drawn_here = len(batch)
        vl, vr, lam, real = dominant_eigen(batch[..., 1])
        need = n - sum(len(k[0]) for k in kept)
        idx = np.flatnonzero(real)[:need]
        # count the draws up to (and including) the last kept one, so `drawn` is what the sampler really consumed
        drawn += (int(idx[-1]) + 1) if len(idx) == need and need > 0 else drawn_here
        kept.append((batch[idx], vl[idx], vr[idx], lam[idx]))
    A, vl, vr, lam = (np.concatenate([k[i] for k in kept]) for i in range(4))
    return A, vl, vr, lam, drawn


def dominant_eigen(m: np.ndarray, tol: float = 1e-12):
    """Batched dominant eigenpairs of square matrices ``m`` (n, d, d): (v^L, v^R, λ, real) with v^L m = λ v^L,
    m v^R = λ v^R (unit norm, non-negative sum); ``real`` is False where the largest-modulus eigenvalue is complex
    (its vectors are then NaN)."""
    out, lam, real = [], None, None
    for mat in (np.swapaxes(m, -1, -2), m):
        w, v = np.linalg.eig(mat)
        j = np.argmax(np.abs(w), axis=-1)
        wj = np.take_along_axis(w, j[:, None], 1)[:, 0]
        vj = np.take_along_axis(v, j[:, None, None], 2)[:, :, 0]
        ok = np.abs(np.imag(wj)) <= tol * np.maximum(1.0, np.abs(wj))
        vec = np.real(vj)
        vec = vec / np.linalg.norm(vec, axis=-1, keepdims=True)
        vec = np.where(vec.sum(-1, keepdims=True) < 0, -vec, vec)
        out.append(np.where(ok[:, None], vec, np.nan))
        lam, real = np.where(ok, np.real(wj), np.nan), ok if real is None else real & ok
    return out[0], out[1], lam, real


def batched_contexts(A: np.ndarray, bits: np.ndarray, v_left: np.ndarray, v_right: np.ndarray):
    """Normalised left and right contexts for many tensors at once: A (T, d, d, 2), v (T, d), bits (S, M) shared by
    all tensors; returns two arrays (T, S, M, d). Same definition as :func:`tensor_network.contexts` (tested equal)."""
    bits = np.asarray(bits)
    T, d = A.shape[0], A.shape[1]
    S, M = bits.shape
    A1, A0 = A[..., 0], A[..., 1]                            # A(bit 1), A(bit 0): (T, d, d)
    b = bits.astype(bool)

    def norm(v):
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        return np.divide(v, n, out=np.zeros_like(v), where=n > 0)

    left = np.empty((T, S, M, d))
    right = np.empty((T, S, M, d))
    cur = np.broadcast_to(norm(v_left)[:, None, :], (T, S, d))
    for i in range(M):
        left[:, :, i] = cur
        nxt1 = np.einsum("tsa,tab->tsb", cur, A1)
        nxt0 = np.einsum("tsa,tab->tsb", cur, A0)
        cur = norm(np.where(b[None, :, i, None], nxt1, nxt0))
    cur = np.broadcast_to(norm(v_right)[:, None, :], (T, S, d))
    for i in range(M - 1, -1, -1):
        right[:, :, i] = cur
        nxt1 = np.einsum("tab,tsb->tsa", A1, cur)
        nxt0 = np.einsum("tab,tsb->tsa", A0, cur)
        cur = norm(np.where(b[None, :, i, None], nxt1, nxt0))
    return left, right


def batched_features(A, bits, v_left, v_right) -> np.ndarray:
    """z_i = L_i ⊗ R_i ⊗ φ(x_i) for many tensors: (T, S, M, 2d²), index order (a, l, k) as
    :func:`tensor_network.features`."""
    left, right = batched_contexts(A, bits, v_left, v_right)
    b = np.asarray(bits, float)
    phi = np.stack([b, 1.0 - b], -1)
    z = np.einsum("tsia,tsil,sik->tsialk", left, right, phi)
    return z.reshape(*z.shape[:3], -1)


def count_test_errors(A, v_left, v_right, W: np.ndarray, bits: np.ndarray, y: np.ndarray, chunk: int = 64,
                site_block: int = 200) -> np.ndarray:
    """Wrongly signed test sites per tensor and weight vector: W (T, C, D) for tensors A (T, …) on the test
    sequences ``bits`` (S, M) with labels ``y`` (S, M); returns ints (T, C). Chunked over tensors and sites so the
    memory stays ~100 MB."""
    T, C = W.shape[:2]
    out = np.zeros((T, C), np.int64)
    yy = np.asarray(y, float)
    for s in range(0, T, chunk):
        sl = slice(s, s + chunk)
        left, right = batched_contexts(A[sl], bits, v_left[sl], v_right[sl])
        for i0 in range(0, bits.shape[1], site_block):
            si = slice(i0, i0 + site_block)
            b = np.asarray(bits[:, si], float)
            phi = np.stack([b, 1.0 - b], -1)
            z = np.einsum("tsia,tsil,sik->tsialk", left[:, :, si], right[:, :, si], phi)
            z = z.reshape(z.shape[0], -1, z.shape[-1] * z.shape[-2] * z.shape[-3])         # (t, sites, D)
            scores = z @ np.swapaxes(W[sl], -1, -2)                                           # (t, sites, C)
            out[sl] += (np.sign(scores) != yy[:, si].reshape(1, -1, 1)).sum(1)
    return out


def binomial_se(p, n) -> np.ndarray:
    """√(p(1 − p)/n)."""
    p = np.asarray(p, float)
    return np.sqrt(p * (1 - p) / np.maximum(n, 1))


def zero_test_error(A, v_left, v_right, W: np.ndarray, bits: np.ndarray, y: np.ndarray,
                    block: int = 10) -> np.ndarray:
    """Whether each (tensor, weight vector) classifies every test site correctly: bool (T, C).

    Exact and cheaper than :func:`count_test_errors` on the whole set: the test sequences are taken ``block`` at a
    time and a tensor leaves once each of its weight vectors has made an error (zero error on the whole set means
    zero error on every block)."""
    T, C = W.shape[:2]
    ok = np.ones((T, C), bool)
    for s0 in range(0, len(bits), block):
        live = np.flatnonzero(ok.any(1))
        if not len(live):
            break
        sl = slice(s0, s0 + block)
        err = count_test_errors(A[live], v_left[live], v_right[live], W[live], bits[sl], y[sl])
        ok[live] &= err == 0
    return ok

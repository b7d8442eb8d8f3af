"""Seeded examples of random fixed attention (Sec. 4.3.1, Figs. 11–13, Table 1; docs/decisions.md, Fixed attention
tensors): the computations behind Z-31 … Z-34. Built on :mod:`grokrepro.zunkovic2022.fixed_attention`.

The paper's three Appendix C tensors are not available, so the project draws its own: random d = 2 tensors
(:func:`fixed_attention.random_tensors`: N(0, 1) entries, boundary vectors the dominant eigenvectors of A(−1), a
complex dominant eigenvalue rejected) that also pass the acceptance test "the stationary solution (ridge λ2) has
zero error on every site of the test set" (:func:`sample`). The three examples are the first three accepted tensors
that pass it at every λ2 of the Fig. 11 grid (deterministic given the seed); the larger sample (the trends of Z-34)
is the first ``n`` tensors accepted at λ2 = 0.

Per tensor and λ2 (λ1 = 0, so the flow is exact, :class:`fixed_attention.Flow`):

- t_ε (first time every test site is correct) and t_train (every training site), per B(0) ~ N(0, 1)
  (:func:`transition_times`). The test set has ~10⁵ distinct features, so the zero-error condition is reduced
  exactly: the feature of a site with bit b is L ⊗ R ⊗ e_b, so its score only involves the 4 weights of block b, and
  w·(y z) > 0 for every site iff it holds for the extreme rays of the cone spanned by the y z of that block, the
  vertices of a 3-D convex hull (:func:`extreme_sites`). Every t_ε is then verified on the whole test set (sites
  found wrong there are added and the time recomputed), so the reduction cannot change a result.
- the test error aligned at t_ε, E(t_ε − τ), averaged over initialisations (:func:`aligned_errors`), and ν, the
  log–log slope of the average in a window of τ (:func:`fit_exponent`).
- t_G = t_ε − t_train, its PDF and modes (a Silverman KDE of log10 t_G, as Z-25), and the eigenvalues of G.

Per tensor (feature statistics, Table 1):

- D_eff = exp(entropy of the PCA variance fractions) of the 24 training features (:func:`effective_dimension`);
- ξ* = the slope of log(max histogram density) against log(number of bins) of the angle of the normalised left and
  right contexts of the test sites, per class, summed left + right, the largest over the classes
  (:func:`divergence_exponent`);
- ε = half the gap between the class means of the projections of the test features on the stationary direction ŵ,
  over the pooled intra-class standard deviation (:func:`class_separation`).
"""

from __future__ import annotations

import numpy as np

from grokrepro.zunkovic2022 import automata as ca
from grokrepro.zunkovic2022 import fixed_attention as fa


# ------------------------------------------------------------------------------------------------ statistics


def effective_dimension(z: np.ndarray) -> float:
    """exp(S), S = −Σ σ_k log σ_k over the fractions σ_k of variance explained by the principal components of the
    rows of ``z`` (centred PCA): 1 for data on a line, D for isotropic data in D dimensions."""
    z = np.asarray(z, float)
    ev = np.linalg.eigvalsh(np.cov(z, rowvar=False, bias=True))
    ev = np.clip(ev, 0.0, None)
    s = ev / ev.sum()
    s = s[s > 0]
    return float(np.exp(-(s * np.log(s)).sum()))


def max_densities(x: np.ndarray, ks=range(4, 13)):
    """(bins, max histogram density) for 2^k equal bins over [min x, max x], k in ``ks``."""
    x = np.asarray(x, float)
    lo, hi = x.min(), x.max()
    nb = np.array([2 ** k for k in ks])
    dens = np.array([np.histogram(x, bins=b, range=(lo, hi))[0].max() * b / (len(x) * (hi - lo)) for b in nb])
    return nb, dens


def max_density_slope(x: np.ndarray, ks=range(4, 13)) -> float:
    """Slope of log(max histogram density) against log(number of bins) (:func:`max_densities`). A density that
    diverges as δ^{−ξ} at the edge of its domain gives slope ξ; a bounded one 0 (while bins ≪ samples)."""
    nb, dens = max_densities(x, ks)
    return float(np.polyfit(np.log(nb), np.log(dens), 1)[0])


def context_angles(v: np.ndarray) -> np.ndarray:
    """Angle in (−π, π] of 2-D context vectors (..., 2)."""
    return np.arctan2(v[..., 1], v[..., 0])


def divergence_exponent(left: np.ndarray, right: np.ndarray, y: np.ndarray, ks=range(4, 13)):
    """ξ* from the normalised 2-D left and right contexts (n, 2) of sites with labels ``y`` (n,): per class the sum
    of the left and right :func:`max_density_slope`, and the largest over the classes. Returns (ξ*, {class: (left
    slope, right slope)})."""
    per = {}
    for c in (-1.0, 1.0):
        m = y == c
        per[c] = (max_density_slope(context_angles(left[m]), ks), max_density_slope(context_angles(right[m]), ks))
    return max(sum(v) for v in per.values()), per


def class_separation(s: np.ndarray, y: np.ndarray) -> float:
    """Half the gap between the class means of the projections ``s`` over their pooled intra-class standard
    deviation ("in the units of the intra-class variance"); two unit-variance Gaussians at ±μ give μ."""
    s, y = np.asarray(s, float), np.asarray(y)
    a, b = s[y > 0], s[y < 0]
    pooled = np.sqrt((((a - a.mean()) ** 2).sum() + ((b - b.mean()) ** 2).sum()) / (len(a) + len(b) - 2))
    return float(abs(a.mean() - b.mean()) / 2 / pooled)


def bimodality_coefficient(x: np.ndarray) -> float:
    """Sarle's bimodality coefficient (g² + 1) / (κ + 3(n − 1)² / ((n − 2)(n − 3))) with the sample-corrected
    skewness g and excess kurtosis κ; > 5/9 (the uniform's value) suggests bimodality (a diagnostic: strong skew
    also raises it)."""
    from scipy import stats

    x = np.asarray(x, float)
    n = len(x)
    g = stats.skew(x, bias=False)
    k = stats.kurtosis(x, bias=False)
    return float((g ** 2 + 1) / (k + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def kde_modes(lt: np.ndarray, min_rel_height: float = 0.05, points: int = 512):
    """Local maxima (positions, heights) of the Silverman-bandwidth Gaussian KDE of ``lt`` at least
    ``min_rel_height`` of the highest (the Z-25 criterion; Silverman's rule oversmooths, a conservative count)."""
    from scipy import stats

    x = np.linspace(lt.min(), lt.max(), points)
    y = stats.gaussian_kde(lt, "silverman")(x)
    i = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    i = i[y[i] >= min_rel_height * y.max()]
    return x[i], y[i]


def largest_gap_ratio(g: np.ndarray, tol: float = 1e-14):
    """(ratio, index) of the largest ratio between consecutive positive eigenvalues ``g`` (sorted ascending); the
    groups are g[:index + 1] and g[index + 1:]."""
    g = np.sort(np.asarray(g, float))
    g = g[g > tol * g.max()]
    r = g[1:] / g[:-1]
    i = int(np.argmax(r))
    return float(r[i]), i


def spearman(x, y) -> float:
    from scipy import stats

    return float(stats.spearmanr(x, y).statistic)


def bootstrap_se(f, *cols, reps: int, rng: np.random.Generator) -> float:
    """Standard error of the statistic ``f(*cols)`` by resampling the rows ``reps`` times."""
    n = len(cols[0])
    vals = []
    for _ in range(reps):
        i = rng.integers(0, n, n)
        vals.append(f(*(np.asarray(c)[i] for c in cols)))
    return float(np.nanstd(vals, ddof=1))


# ------------------------------------------------------------------------------------------------ sampling


def test_set(n: int, length: int, rng: np.random.Generator):
    """(bits, labels ±1) of ``n`` random length-``length`` sequences (open BC, 1-local rule 30)."""
    x = ca.random_sequences(n, length, rng)
    return x, ca.to_pm1(ca.k_local(x, 1)).astype(float)


def sample(n_accept: int, d: int, lambda2_values, x_test, y_test, rng: np.random.Generator, train_length: int = 3,
           batch: int = 1000, block: int = 2, n_examples: int = 3, max_draws: int = 10 ** 6) -> dict:
    """Rejection-sampled random tensors: batches of :func:`fixed_attention.random_tensors` (real dominant eigenvalue
    of A(−1)) are tested, in order, for "the ridge(λ2) stationary solution has zero error on every test site" at
    each λ2 of ``lambda2_values`` (the first must be 0). Sampling stops once ``n_accept`` tensors pass at λ2 = 0 and
    ``n_examples`` of them pass at every λ2. Returns a dict: A, vl, vr (the accepted tensors, in draw order), ok
    (accepted × λ2 bool), examples (indices of the first ``n_examples`` passing at every λ2), tested (tensors
    tested), drawn (raw draws incl. complex rejections)."""
    lambda2_values = [float(v) for v in lambda2_values]
    if lambda2_values[0] != 0.0:
        raise ValueError("the first λ2 of the acceptance grid must be 0")
    x, y = fa.training_set(train_length)
    keep = dict(A=[], vl=[], vr=[], ok=[])
    tested = drawn = 0
    n_ok = n_all = 0
    while (n_ok < n_accept or n_all < n_examples) and drawn < max_draws:
        A, vl, vr, _, dr = fa.random_tensors(batch, d, rng)
        drawn += dr
        tested += batch
        z = fa.batched_features(A, x, vl, vr).reshape(batch, -1, 2 * d * d)
        G0, a0 = fa.quadratic_form(z, y.ravel())
        W = np.stack([fa.ridge(G0, a0, l2) for l2 in lambda2_values], 1)
        ok = fa.zero_test_error(A, vl, vr, W, x_test, y_test, block)
        for i in np.flatnonzero(ok[:, 0]):
            if n_ok >= n_accept and (n_all >= n_examples or not ok[i].all()):
                continue
            keep["A"].append(A[i])
            keep["vl"].append(vl[i])
            keep["vr"].append(vr[i])
            keep["ok"].append(ok[i])
            n_ok += 1
            n_all += int(ok[i].all())
    out = {k: np.array(v) for k, v in keep.items()}
    out["examples"] = np.flatnonzero(out["ok"].all(1))[:n_examples]
    out.update(tested=tested, drawn=drawn, n_main=min(n_ok, n_accept))
    return out


# ------------------------------------------------------------------------------------------------ one tensor


class Tensor:
    """One accepted tensor with its training and test features (the test features as y·z, per site)."""

    def __init__(self, A, vl, vr, x_test, y_test, train_length: int = 3):
        self.A, self.vl, self.vr = A, vl, vr
        d = A.shape[0]
        self.D = 2 * d * d
        x, y = fa.training_set(train_length)
        self.z_train = fa.batched_features(A[None], x, vl[None], vr[None])[0].reshape(-1, self.D)
        self.y_train = y.ravel()
        left, right = fa.batched_contexts(A[None], x_test, vl[None], vr[None])
        self.left, self.right = left[0].reshape(-1, d), right[0].reshape(-1, d)
        self.bits = np.asarray(x_test).ravel()
        self.y_test = np.asarray(y_test, float).ravel()
        b = self.bits.astype(float)
        phi = np.stack([b, 1.0 - b], -1)
        self.z_test = np.einsum("na,nl,nk->nalk", self.left, self.right, phi).reshape(-1, self.D)
        self.G0, self.a0 = fa.quadratic_form(self.z_train, self.y_train)

    def flow(self, lambda2: float) -> fa.Flow:
        return fa.Flow(self.G0 + lambda2 * np.eye(self.D), self.a0)

    def stationary(self, lambda2: float) -> np.ndarray:
        return fa.ridge(self.G0, self.a0, lambda2)


def extreme_sites(z: np.ndarray, y: np.ndarray, bits: np.ndarray, w_in: np.ndarray) -> np.ndarray:
    """Indices of test sites whose y·z span extreme rays of the cone of their block (bit value): w·(y z) > 0 on
    every site iff on these. ``w_in`` must classify every site correctly (it fixes the projection plane); sites of a
    block too small for a hull are all kept."""
    from scipy.spatial import ConvexHull, QhullError

    u = z * y[:, None]
    keep = []
    for b in (0, 1):
        idx = np.flatnonzero(bits == b)
        if len(idx) == 0:
            continue
        cols = np.flatnonzero(np.abs(u[idx]).max(0) > 0)
        ub = u[idx][:, cols]
        c = w_in[cols]
        p = ub / (ub @ c)[:, None]                         # on the plane c·p = 1
        q, _ = np.linalg.qr(np.c_[c, np.eye(len(c))[:, :len(c) - 1]])
        basis = q[:, 1:]                                   # orthonormal basis of c⊥
        pts = p @ basis
        try:
            verts = ConvexHull(pts).vertices
        except (QhullError, ValueError):
            verts = np.arange(len(idx))
        keep.append(idx[verts])
    return np.unique(np.concatenate(keep)) if keep else np.arange(0)


def time_grid(flow: fa.Flow, points: int, decades_below: float = 3.0, e_folds: float = 60.0) -> np.ndarray:
    """0 and a log grid from 10^−decades_below / g_max to e_folds / g_min (positive eigenvalues of G)."""
    g = flow.g[~flow.null]
    return np.r_[0.0, np.logspace(np.log10(10 ** -decades_below / g.max()), np.log10(e_folds / g.min()), points)]


def transition_times(t: Tensor, lambda2: float, w0: np.ndarray, grid_points: int, extreme: np.ndarray,
                     max_rounds: int = 20, chunk: int = 200, tie: float = 1e-12):
    """(t_ε, t_train, rounds) per initial condition ``w0`` (n, D): t_ε on the reduced set ``extreme`` (bisection on
    a log grid, :func:`fixed_attention.zero_error_times`), each verified on the whole test set at t_ε; where a site is
    wrong there it joins the set and t_ε is recomputed for that run. ``inf`` where zero error is never reached on the
    grid."""
    flow = t.flow(lambda2)
    grid = time_grid(flow, grid_points)
    S = np.array(extreme)
    n = len(w0)
    t_eps = np.full(n, np.inf)
    todo = np.arange(n)
    rounds = 0
    for rounds in range(1, max_rounds + 1):
        t_eps[todo] = fa.zero_error_times(flow, t.z_test[S], t.y_test[S], np.ones(len(S)), w0[todo], grid)
        bad_sites = []
        still = []
        for c0 in range(0, len(todo), chunk):
            ids = todo[c0:c0 + chunk]
            fin = ids[np.isfinite(t_eps[ids])]
            if not len(fin):
                continue
            w = flow.weights(w0[fin], t_eps[fin])
            s = (w @ t.z_test.T) * t.y_test                                 # (k, sites) margins
            # a rounding-level tie (duplicate features scored along another floating-point path) is not an error
            wrong = s < -tie * np.linalg.norm(w, axis=1)[:, None] * np.linalg.norm(t.z_test, axis=1)
            rows = wrong.any(1)
            if rows.any():
                still.append(fin[rows])
                bad_sites.append(np.flatnonzero(wrong[rows].any(0)))
        if not still:
            break
        todo = np.concatenate(still)
        S = np.union1d(S, np.concatenate(bad_sites))
    else:
        raise RuntimeError("t_ε verification did not settle")
    t_train = fa.zero_error_times(flow, t.z_train, t.y_train, np.ones(len(t.y_train)), w0, grid)
    return t_eps, t_train, rounds


def aligned_errors(t: Tensor, lambda2: float, w0: np.ndarray, t_eps: np.ndarray, taus: np.ndarray,
                   keep: int = 2048, chunk: int = 100) -> np.ndarray:
    """Test error E(t_ε − τ) per run and τ: (n, len(taus)); runs with t_ε ≤ τ use t = 0 (NaN where t_ε is not
    finite). Exact and cheap near t_ε: a site with margin m = w(t_ε)·y z/‖z‖ can only be wrong at t if
    m ≤ ‖w(t) − w(t_ε)‖, so only the ``keep`` smallest-margin sites of each run are scored unless that bound reaches
    past them (then the whole test set is)."""
    flow = t.flow(lambda2)
    u = t.z_test * t.y_test[:, None]
    un = np.linalg.norm(u, axis=1)
    n_sites = len(u)
    out = np.full((len(w0), len(taus)), np.nan)
    for c0 in range(0, len(w0), chunk):
        ids = np.arange(c0, min(c0 + chunk, len(w0)))
        ids = ids[np.isfinite(t_eps[ids])]
        if not len(ids):
            continue
        we = flow.weights(w0[ids], t_eps[ids])                             # (k, D)
        m = (we @ u.T) / un                                                # (k, sites)
        k = min(keep, n_sites - 1)
        part = np.argpartition(m, k, axis=1)[:, :k + 1]                   # the k + 1 smallest margins
        mk = np.take_along_axis(m, part, 1)
        order = np.argsort(mk, 1)
        part, mk = np.take_along_axis(part, order, 1), np.take_along_axis(mk, order, 1)
        bound = mk[:, -1]                                                  # margin of the (k+1)-th site
        times = np.maximum(t_eps[ids, None] - taus[None, :], 0.0)          # (k, T)
        W = flow.weights(w0[ids], times)                                   # (k, T, D)
        delta = np.linalg.norm(W - we[:, None, :], axis=-1)                # (k, T)
        sub = np.einsum("ktd,kjd->ktj", W, u[part])                        # scores of the kept sites
        err = (sub <= 0).sum(-1) / n_sites
        full = np.argwhere(delta >= bound[:, None])
        for f0 in range(0, len(full), 256):
            r, j = full[f0:f0 + 256].T
            err[r, j] = ((W[r, j] @ u.T) <= 0).mean(1)
        out[ids] = err
    return out


def fit_exponent(taus: np.ndarray, err: np.ndarray, lo: float, hi: float):
    """(ν, its standard error, points) of log E = ν log τ + c over the τ with lo ≤ τ ≤ hi and E > 0."""
    m = (taus >= lo) & (taus <= hi) & (err > 0) & np.isfinite(err)
    if m.sum() < 3:
        return np.nan, np.nan, int(m.sum())
    X, Y = np.log(taus[m]), np.log(err[m])
    (slope, icpt), cov = np.polyfit(X, Y, 1, cov=True)
    return float(slope), float(np.sqrt(cov[0, 0])), int(m.sum())


def feature_statistics(t: Tensor, ks=range(4, 13)) -> dict:
    """D_eff (training features), ξ* and its per-class parts (test contexts), ε along ŵ (test features and,
    as a diagnostic, training features)."""
    xi, per = divergence_exponent(t.left, t.right, t.y_test, ks)
    w = t.stationary(0.0)
    w_hat = w / np.linalg.norm(w)
    return dict(D_eff=effective_dimension(t.z_train), xi_star=xi,
                xi_left_pos=per[1.0][0], xi_right_pos=per[1.0][1], xi_left_neg=per[-1.0][0],
                xi_right_neg=per[-1.0][1],
                eps_test=class_separation(t.z_test @ w_hat, t.y_test),
                eps_train=class_separation(t.z_train @ w_hat, t.y_train))

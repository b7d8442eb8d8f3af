"""The D-dimensional uniform-ball perceptron of Žunkovič & Ilievski (2022), Sec. 3.2 (docs/decisions.md, Ball
model): formulas and an independent simulation of the same definition.

Model (Eq. 19, Z-D1): N positive inputs x + εe₁ and N negative inputs x − εe₁, x uniform in the unit D-ball; the
perceptron without bias, ŷ = w·x̃, trained by gradient flow on R = ½wᵀGw − w·a + ½ + λ1|w|₁ with
G = (1/2N)Σ x̃x̃ᵀ + λ2𝟙 and a₀ = (1/2N)Σ y x̃. λ1 = 0: exact flow w(t) = w^λ + e^{−Gt}(w(0) − w^λ), w^λ = G⁻¹a₀, via
the eigendecomposition of G (Z-D11). λ1 > 0: lasso stationary point by coordinate descent, and a proximal
(soft-threshold) Euler flow with dt ≤ 1e-3 as the check. w(0) ~ N(0, 1) per component.

Shapes: B = batch of independent draws (training set + initialisation), D = dimension, T = time points.
Every random function takes an explicit ``np.random.Generator``. The figure builders live in
:mod:`grokrepro.zunkovic2022.ball_figures` .
"""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

# ----------------------------------------------------------------------------------------------------------- data


def sample_ball(rng: np.random.Generator, shape: tuple, D: int, xi: float = 0.0) -> np.ndarray:
    """Points ``(*shape, D)`` in the unit D-ball with isotropic density ρ(x) ∝ (1 − ‖x‖)^(−ξ).

    ξ = 0 is the uniform ball (radius U^{1/D}); for 0 ≤ ξ < 1 the radius has density ∝ r^{D−1}(1 − r)^{−ξ}, i.e.
    r ~ Beta(D, 1 − ξ) exactly (Eq. 50's boundary divergence δh^{−ξ} with δh = 1 − r)."""
    g = rng.standard_normal((*shape, D))
    g /= np.linalg.norm(g, axis=-1, keepdims=True)
    r = rng.uniform(size=shape) ** (1.0 / D) if xi == 0 else rng.beta(D, 1.0 - xi, size=shape)
    return g * r[..., None]


def training_sets(rng: np.random.Generator, B: int, N: int, D: int, eps: float, xi: float = 0.0):
    """``(xt (B, 2N, D), y (2N,))``: rows 0..N−1 are x + εe₁ with y = +1, rows N..2N−1 are x − εe₁ with y = −1."""
    x = sample_ball(rng, (B, 2 * N), D, xi)
    y = np.r_[np.ones(N), -np.ones(N)]
    x[:, :, 0] += eps * y
    return x, y


def gram(xt: np.ndarray, y: np.ndarray, lambda2: float):
    """``(G (B, D, D), a0 (B, D))`` of Eq. 19: G = (1/2N)Σ x̃x̃ᵀ + λ2𝟙, a₀ = (1/2N)Σ yx̃."""
    n2 = xt.shape[1]
    G = np.einsum("bni,bnj->bij", xt, xt) / n2 + lambda2 * np.eye(xt.shape[2])
    a0 = np.einsum("bnd,n->bd", xt, y) / n2
    return G, a0


# ------------------------------------------------------------------------------------------------ test error


def cap_error(h, D: int):
    """Exact population test error of a direction with cap height h = 1 − ε cos θ (derived; docs/decisions.md):
    E = ½ I_{2h−h²}((D+1)/2, ½) for 0 ≤ h ≤ 1; 1 − E(2 − h) for 1 < h < 2; 0 for h ≤ 0; 1 for h ≥ 2."""
    h = np.asarray(h, dtype=float)
    hh = np.clip(np.where(h > 1, 2 - h, h), 0.0, 1.0)
    e = 0.5 * special.betainc((D + 1) / 2, 0.5, hh * (2 - hh))
    e = np.where(h > 1, 1 - e, e)
    return np.where(h <= 0, 0.0, np.where(h >= 2, 1.0, e))


def cap_height(w: np.ndarray, eps: float) -> np.ndarray:
    """h = 1 − ε w₁/‖w‖, shape ``w.shape[:-1]``."""
    nw = np.sqrt(np.sum(w * w, axis=-1))
    return (nw - eps * w[..., 0]) / nw


def population_error(w: np.ndarray, eps: float) -> np.ndarray:
    """Population test error of weights ``(..., D)`` (both classes give the same fraction)."""
    return cap_error(cap_height(w, eps), w.shape[-1])


def zero_test_error(w: np.ndarray, eps: float) -> np.ndarray:
    """Zero test error ⟺ w₁ > 0 and ε w₁ ≥ ‖w‖, evaluated as (ε² − 1) w₁² ≥ ‖w_⊥‖² (exact at ε = 1)."""
    return (w[..., 0] > 0) & ((eps * eps - 1) * w[..., 0] ** 2 >= np.sum(w[..., 1:] ** 2, axis=-1))


def cap_mass_xi(h: float, D: int, xi: float) -> float:
    """Mass of the cap {x₁ > 1 − h} under the density ∝ (1 − ‖x‖)^(−ξ) (Eq. 50 setting), by 1D quadrature, 0 < h ≤ ½.

    M(h) = ∫_c^1 p(r) S(r) dr, c = 1 − h, with the radial density p(r) = r^{D−1}(1−r)^{−ξ}/B(D, 1−ξ) and
    S(r) = ½ I_x((D−1)/2, ½), x = 1 − c²/r², the fraction of the sphere of radius r beyond c. With r = c + h v and
    I_x(a, ½) = x^a (1−x)^½ ₂F₁(a+½, 1; a+1; x)/(a B(a, ½)), both endpoint factors v^a and (1−v)^{−ξ} go to QUADPACK's
    algebraic weight (QAWS), leaving a smooth integrand; relative tolerance 1e-12."""
    a, c = (D - 1) / 2, 1.0 - h

    def f(v):
        r = c + h * v
        xv = h * (r + c) / (r * r)  # x / v
        x = xv * v
        return r ** (D - 1) * 0.5 * xv ** a * np.sqrt(1 - x) * special.hyp2f1(a + 0.5, 1, a + 1, x)

    val, _ = integrate.quad(f, 0, 1, weight="alg", wvar=(a, -xi), epsabs=0, epsrel=1e-12, limit=200)
    return h ** (1 - xi) * val / (a * special.beta(a, 0.5) * special.beta(D, 1 - xi))


# ------------------------------------------------------------------------------------------------- dynamics


def eig_flow(G: np.ndarray, a0: np.ndarray, w0: np.ndarray):
    """Exact λ1 = 0 gradient flow: returns ``(w_lam (B, D), V (B, D, D), lam (B, D), c (B, D))`` with
    w(t) = w_lam + V (c ∘ e^{−lam t}), c = Vᵀ(w(0) − w_lam) (G = V diag(lam) Vᵀ)."""
    w_lam = np.linalg.solve(G, a0[..., None])[..., 0]
    lam, V = np.linalg.eigh(G)
    c = np.einsum("bdk,bd->bk", V, w0 - w_lam)
    return w_lam, V, lam, c


def flow_at(flow, t: np.ndarray) -> np.ndarray:
    """w(t) for ``t`` of shape (B,) → (B, D) or (B, T) → (B, T, D)."""
    w_lam, V, lam, c = flow
    if t.ndim == 1:
        return w_lam + np.einsum("bdk,bk->bd", V, c * np.exp(-lam * t[:, None]))
    q = c[:, None, :] * np.exp(-lam[:, None, :] * t[..., None])
    return w_lam[:, None, :] + np.einsum("bdk,btk->btd", V, q)


def first_time(fn, t_grid: np.ndarray, n_bisect: int = 60) -> np.ndarray:
    """First time at which ``fn(t) ≥ 0`` per draw, ``(B,)``; NaN if never on the grid.

    ``fn`` maps times (B,) or (B, T) to values of the same shape; ``t_grid`` is (B, T) increasing. The first grid
    point with fn ≥ 0 brackets the crossing, refined by ``n_bisect`` bisections (returns the upper end). A run that
    satisfies the condition at ``t_grid[:, 0]`` returns ``t_grid[:, 0]``."""
    ok = fn(t_grid) >= 0
    hit = ok.any(axis=1)
    k = np.argmax(ok, axis=1)
    rows = np.arange(len(k))
    hi = t_grid[rows, k]
    lo = np.where(k > 0, t_grid[rows, np.maximum(k - 1, 0)], hi)
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        good = fn(mid) >= 0
        hi, lo = np.where(good, mid, hi), np.where(good, lo, mid)
    return np.where(hit, hi, np.nan)


def time_grid(lam: np.ndarray, n: int, span: float = 40.0, decades: float = 7.0) -> np.ndarray:
    """Per-draw grid ``(B, n + 1)``: 0 and n log-spaced times up to ``span`` slowest relaxation times 1/min(lam)."""
    tmax = span / lam.min(axis=1)
    u = np.r_[0.0, np.logspace(-decades, 0, n)]
    return tmax[:, None] * u[None, :]


def zero_error_gap(flow, eps: float):
    """fn(t) = ε w₁(t) − ‖w(t)‖ (≥ 0 ⟺ zero test error)."""
    def fn(t):
        w = flow_at(flow, t)
        return eps * w[..., 0] - np.sqrt(np.sum(w * w, axis=-1))
    return fn


def train_margin(flow, xt: np.ndarray, y: np.ndarray):
    """fn(t) = min_i y_i x̃_i·w(t) (> 0 ⟺ zero training error); uses margins linear in the flow coefficients."""
    w_lam, V, lam, c = flow
    base = np.einsum("bnd,bd,n->bn", xt, w_lam, y)
    proj = np.einsum("bnd,bdk,n->bnk", xt, V, y)

    def fn(t):
        if t.ndim == 1:
            m = base + np.einsum("bnk,bk->bn", proj, c * np.exp(-lam * t[:, None]))
        else:
            m = base[:, None, :] + np.einsum("bnk,btk->btn", proj, c[:, None, :] * np.exp(-lam[:, None, :] * t[..., None]))
        return m.min(axis=-1) - 1e-300  # strictly positive margins
    return fn


def soft_threshold(z: np.ndarray, thr) -> np.ndarray:
    return np.sign(z) * np.maximum(np.abs(z) - thr, 0.0)


def lasso_cd(G: np.ndarray, a0: np.ndarray, lambda1: float, tol: float = 1e-10, max_sweeps: int = 100000):
    """Stationary point for λ1 > 0: argmin ½wᵀGw − a₀·w + λ1|w|₁ by cyclic coordinate descent, batched over B.

    Stops when the largest coordinate change in a sweep is ≤ ``tol`` for every draw. Returns ``(w (B, D), sweeps)``."""
    B, D = a0.shape
    w = np.zeros((B, D))
    diag = np.einsum("bii->bi", G)
    for sweep in range(1, max_sweeps + 1):
        change = np.zeros(B)
        for j in range(D):
            rho = a0[:, j] - np.einsum("bk,bk->b", G[:, j, :], w) + diag[:, j] * w[:, j]
            new = soft_threshold(rho, lambda1) / diag[:, j]
            change = np.maximum(change, np.abs(new - w[:, j]))
            w[:, j] = new
        if change.max() <= tol:
            return w, sweep
    raise RuntimeError(f"coordinate descent did not reach tol {tol} in {max_sweeps} sweeps")


def prox_flow(G: np.ndarray, a0: np.ndarray, lambda1: float, w0: np.ndarray, t_end: float, dt: float = 1e-3):
    """λ1 > 0 gradient flow by forward–backward (soft-threshold) Euler steps of size dt (Z-D11): w(t_end), (B, D)."""
    w = w0.copy()
    for _ in range(int(round(t_end / dt))):
        w = soft_threshold(w - dt * (np.einsum("bij,bj->bi", G, w) - a0), dt * lambda1)
    return w


# ------------------------------------------------------------------------------------------- grokking probability


def p_grok_mc(rng: np.random.Generator, draws: int, D: int, N: int, eps: float, lambda2: float,
              lambda1: float = 0.0, chunk: int = 4000):
    """Definition-level MC P_grok (Z-D15, docs/decisions.md): fraction of training sets whose stationary w has zero test
    error. λ1 = 0: w = G⁻¹a₀; λ1 > 0: lasso. Returns ``(p, binomial se)``."""
    hits = 0
    for start in range(0, draws, chunk):
        b = min(chunk, draws - start)
        G, a0 = gram(*training_sets(rng, b, N, D, eps), lambda2)
        w = np.linalg.solve(G, a0[..., None])[..., 0] if lambda1 == 0 else lasso_cd(G, a0, lambda1)[0]
        hits += int(zero_test_error(w, eps).sum())
    p = hits / draws
    return p, float(np.sqrt(p * (1 - p) / draws))


def limit_a0(rng: np.random.Generator, draws: int, D: int, N: int, eps: float) -> np.ndarray:
    """λ2 → ∞ limit (docs/decisions.md, Ball model): a₀ = εe₁ + x̄ with x̄ the mean of 2N uniform ball points,
    ``(draws, D)``; then w ∝ S_{λ1}(a₀)."""
    a0 = sample_ball(rng, (draws, 2 * N), D).mean(axis=1)
    a0[:, 0] += eps
    return a0


def p_grok_limit(a0: np.ndarray, eps: float, lambda1_grid) -> np.ndarray:
    """Fraction of draws with zero test error of w ∝ S_{λ1}(a₀), for each λ1 in the grid (common draws), ``(L,)``."""
    lam = np.atleast_1d(np.asarray(lambda1_grid, dtype=float))
    out = np.empty(len(lam))
    for i, l1 in enumerate(lam):
        out[i] = zero_test_error(soft_threshold(a0, l1), eps).mean()
    return out


# -------------------------------------------------------------------------------------- grokking-time PDF (Fig 6)


def lambda2_D(D: int, lambda2: float) -> float:
    """λ_{2,D} = λ2 + 1/(D+2) (per-coordinate variance of the unit ball added to λ2)."""
    return lambda2 + 1.0 / (D + 2)


def r_of_t(t, eps: float):
    """Eq. 44, stable form: r = [(E − 1)/(κE − 1)]², E = e^{ε²t}, κ = ε/√(ε² − 1) (the inverse of Eq. 42)."""
    kap = eps / np.sqrt(eps * eps - 1)
    em1 = np.expm1(eps * eps * np.asarray(t, dtype=float))
    return (em1 / (kap * em1 + kap - 1)) ** 2


def r_of_t_printed(t, eps: float):
    """Eq. 44 exactly as printed: (ε²−1)(E−1)²(ε(εE² + 2√(ε²−1)E + ε) − 1)/(ε²(E² − 1) + 1)²."""
    E = np.exp(eps * eps * np.asarray(t, dtype=float))
    s = np.sqrt(eps * eps - 1)
    return (eps * eps - 1) * (E - 1) ** 2 * (eps * (eps * E * E + 2 * s * E + eps) - 1) / (
        eps * eps * (E * E - 1) + 1) ** 2


def fast_pdf(t, D: int, eps: float):
    """Eq. 43: P_fast(t) = χ²_{D−1}(r(t)) dr/dt (sub-normalised: mass p_fast), evaluated as χ_{D−1}(q) dq/dt with
    q = √r = (1 − u)/(κ − u), u = e^{−ε²t}, dq/dt = (κ − 1)ε²u/(κ − u)² (identical, since χ²_k(q²)·2q = χ_k(q);
    no term overflows and D = 2 is finite at t = 0)."""
    t = np.asarray(t, dtype=float)
    kap = eps / np.sqrt(eps * eps - 1)
    u = np.exp(-eps * eps * t)
    q = -np.expm1(-eps * eps * t) / (kap - u)
    return stats.chi.pdf(q, D - 1) * (kap - 1) * eps * eps * u / (kap - u) ** 2


def p_fast(D: int, eps: float) -> float:
    """Eq. 45: p_fast = F_{χ²_{D−1}}(1 − 1/ε²)."""
    return float(stats.chi2.cdf(1 - 1 / eps ** 2, D - 1))


def fast_t_of_r(r, eps: float):
    """Eq. 42: t_G = (1/ε²) ln[(1 − √r)/(1 − κ√r)] on the fast path (r < 1/κ²)."""
    kap = eps / np.sqrt(eps * eps - 1)
    q = np.sqrt(r)
    return np.log((1 - q) / (1 - kap * q)) / eps ** 2


def fast_moments(D: int, eps: float, horizon: float = 40.0):
    """(∫P_fast dt, ∫t P_fast dt / p_fast) by quadrature in t over [0, horizon/ε²] (the neglected tail holds
    < e^{−horizon} of the mass); the mean is cross-checked in r by :func:`fast_mean_in_r`."""
    pts = [0.1 / eps ** 2, 1 / eps ** 2, 5 / eps ** 2]
    kw = dict(epsabs=1e-13, epsrel=1e-11, limit=400, points=pts)
    mass = integrate.quad(lambda t: fast_pdf(t, D, eps), 0, horizon / eps ** 2, **kw)[0]
    first = integrate.quad(lambda t: t * fast_pdf(t, D, eps), 0, horizon / eps ** 2, **kw)[0]
    return mass, first / p_fast(D, eps)


def fast_mean_in_r(D: int, eps: float) -> float:
    """Mean fast t_G from the r side: ∫₀^{1−1/ε²} t(r) χ²_{D−1}(r) dr / p_fast (independent of Eq. 44)."""
    rmax = 1 - 1 / eps ** 2
    val = integrate.quad(lambda r: fast_t_of_r(r, eps) * stats.chi2.pdf(r, D - 1), 0, rmax, limit=400,
                         epsabs=1e-12, epsrel=1e-10)[0]
    return val / p_fast(D, eps)


def slow_t_grok(D: int, lambda2: float, eps: float) -> float:
    """Eq. 47 as printed (Z-D6): t_G = ln(ε⁴/(ε⁴ − 1)) / (2λ_{2,D})."""
    return float(np.log(eps ** 4 / (eps ** 4 - 1)) / (2 * lambda2_D(D, lambda2)))


def slow_t_grok_geometric(D: int, lambda2: float, eps: float) -> float:
    """Z-D6 diagnostic: ln(ε²/(ε² − 1)) / (2λ_{2,D}) from the direct geometric derivation."""
    return float(np.log(eps ** 2 / (eps ** 2 - 1)) / (2 * lambda2_D(D, lambda2)))


def grokking_times(rng: np.random.Generator, runs: int, D: int, N: int, eps: float, lambda2: float,
                   n_grid: int = 400, chunk: int = 100):
    """Simulated t_G of the exact λ1 = 0 flow: ``dict`` of (runs,) arrays t_train, t_test, r0 = ‖w_⊥(0)‖², and the
    flags grokking (stationary w has zero test error) and start_zero (w(0) already has zero test error).

    t_train: first time all 2N training margins are > 0; t_test: first time ε w₁ ≥ ‖w‖; both on a per-run grid of
    ``n_grid`` log-spaced times then bisection (a dip shorter than a grid step may be missed)."""
    out = {k: np.full(runs, np.nan) for k in ("t_train", "t_test", "r0")}
    out.update(grokking=np.zeros(runs, bool), start_zero=np.zeros(runs, bool))
    for s in range(0, runs, chunk):
        b = min(chunk, runs - s)
        xt, y = training_sets(rng, b, N, D, eps)
        w0 = rng.standard_normal((b, D))
        flow = eig_flow(*gram(xt, y, lambda2), w0)
        grid = time_grid(flow[2], n_grid)
        sl = slice(s, s + b)
        out["r0"][sl] = np.sum(w0[:, 1:] ** 2, axis=1)
        out["grokking"][sl] = zero_test_error(flow[0], eps)
        out["start_zero"][sl] = zero_test_error(w0, eps)
        out["t_train"][sl] = first_time(train_margin(flow, xt, y), grid)
        out["t_test"][sl] = first_time(zero_error_gap(flow, eps), grid)
    return out


def exponent_fits(rng: np.random.Generator, runs: int, D: int, N: int, eps: float, lambda2: float,
                  window=(1e-6, 1e-3), n_points: int = 15, xi: float = 0.0, error_fn=None, n_grid: int = 2000):
    """Fitted ν per valid run, ``(n_valid,)``: least-squares slope of log E(t) vs log(t_ε − t) at
    (t_ε − t)/t_ε log-spaced in ``window``, on exact flows from training sets drawn with density ∝ (1−‖x‖)^(−ξ).

    Valid runs: the stationary w has zero test error and w(0) does not. ``error_fn(h)`` maps the cap height to the
    test error (default: the uniform-ball closed form :func:`cap_error`)."""
    xt, y = training_sets(rng, runs, N, D, eps, xi)
    w0 = rng.standard_normal((runs, D))
    flow = eig_flow(*gram(xt, y, lambda2), w0)
    keep = zero_test_error(flow[0], eps) & ~zero_test_error(w0, eps)
    flow = tuple(f[keep] for f in flow)
    t_eps = first_time(zero_error_gap(flow, eps), time_grid(flow[2], n_grid))
    ok = np.isfinite(t_eps)
    flow, t_eps = tuple(f[ok] for f in flow), t_eps[ok]
    s = np.logspace(np.log10(window[0]), np.log10(window[1]), n_points)
    t = t_eps[:, None] * (1 - s[None, :])
    h = cap_height(flow_at(flow, t), eps)
    err = cap_error(h, D) if error_fn is None else error_fn(h)
    x, yv = np.log(t_eps[:, None] * s[None, :]), np.log(err)
    xc, yc = x - x.mean(axis=1, keepdims=True), yv - yv.mean(axis=1, keepdims=True)
    return np.sum(xc * yc, axis=1) / np.sum(xc * xc, axis=1)

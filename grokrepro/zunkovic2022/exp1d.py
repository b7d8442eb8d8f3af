"""The 1D exponential model of Žunkovič & Ilievski (2022), Sec. 3.1: closed forms and simulations of the definition.

Model (docs/decisions.md, 1D exponential model; Z-D1/Z-D2): only the bias b is trained (w = 1), a sample x̃ is
classified as sign(x̃ − b), and gradient flow on R = (1/2N) Σ ½((x̃ − b) − y)² + λ2 b²/2 + λ1|b| gives
db/dt = x̄ − λ1 sgn(b) − (1+λ2) b (Eq. 5). Positive inputs are ε + Exp(1), negative inputs −ε − Exp(1); x_min is
the minimum of the Exp(1) parts of the N positive samples (Z-D10).

Two independent routes to every quantity:

* **theory**: Eqs. 6–17 (Eq. 8 with the 1/(1+λ2) of Z-D3, Eq. 14 as the quadrature of Eq. 13 per Z-D4, Eq. 17 in
  mpmath at >= 60 digits);
* **simulation**: sampled training sets, the gradient flow integrated numerically (adaptive DOP853 with sign-change
  events, a vectorised fixed-step RK4, or the proximal Euler scheme of Z-D11), and the population error by Monte
  Carlo over fresh samples or from the Exp(1) law of the data (never from Eq. 7).

All functions are pure; random ones take an explicit ``np.random.Generator``. The figure builders live in
:mod:`grokrepro.zunkovic2022.exp1d_figures`.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy import integrate, special

# ----------------------------------------------------------------------------------------------- closed forms


def eps_lambda(eps, lambda1=0.0, lambda2=0.0):
    """ε_λ = ε(1+λ2) + λ1 (Eq. 10)."""
    return np.asarray(eps) * (1.0 + lambda2) + lambda1


def xbar_lambda(xbar, lambda1=0.0, lambda2=0.0, side=1.0):
    """Fixed point of the branch sgn(b) = ``side`` of Eq. 5: x̄_λ = (x̄ ∓ λ1)/(1+λ2) (Eq. 6). Shapes broadcast."""
    return (np.asarray(xbar, float) - side * lambda1) / (1.0 + lambda2)


def b_closed(t, b0: float, xbar: float, lambda1: float = 0.0, lambda2: float = 0.0) -> np.ndarray:
    """b(t) of Eq. 6, continued through b = 0 for λ1 > 0 (sticks at 0 iff |x̄| <= λ1). ``t``: shape (T,) -> (T,)."""
    t = np.asarray(t, float)
    k = 1.0 + lambda2
    if b0 == 0.0:
        if abs(xbar) <= lambda1:
            return np.zeros_like(t)
        s = np.sign(xbar)
    else:
        s = np.sign(b0)
    xl = xbar_lambda(xbar, lambda1, lambda2, s)
    first = xl + (b0 - xl) * np.exp(-k * t)
    if s * xl >= 0:  # the branch's fixed point is on the same side: no zero crossing
        return first
    t0 = np.log((b0 - xl) / (-xl)) / k  # time at which b reaches 0
    if abs(xbar) <= lambda1:
        after = np.zeros_like(t)
    else:
        xl2 = xbar_lambda(xbar, lambda1, lambda2, -s)
        after = xl2 * (-np.expm1(-k * np.clip(t - t0, 0, None)))
    return np.where(t < t0, first, after)


def test_error(b, eps: float):
    """Population test error of the classifier sign(x̃ − b): ½(1 − e^{ε − |b|}) for |b| > ε, else 0. Eq. 7 is the
    b > ε branch; the b < −ε branch (misclassified negatives) is its mirror image. Shapes broadcast."""
    d = np.abs(np.asarray(b, float)) - eps
    return np.where(d > 0, -0.5 * np.expm1(-np.clip(d, 0, None)), 0.0)


def test_error_eq7(b, eps: float):
    """Eq. 7 exactly as printed: ½(1 − e^{ε − b}) if b > ε, else 0."""
    d = np.asarray(b, float) - eps
    return np.where(d > 0, -0.5 * np.expm1(-np.clip(d, 0, None)), 0.0)


def t_eps_eq8(b0, xbar, eps, lambda1=0.0, lambda2=0.0, corrected: bool = True):
    """Zero-test-error time, Eq. 8: (1/(1+λ2)) log((b(0) − x̄_λ)/(ε − x̄_λ)) with the Z-D3 factor; ``corrected=False``
    gives the printed form without 1/(1+λ2). Requires b(0) > ε > x̄_λ (positive branch)."""
    xl = xbar_lambda(xbar, lambda1, lambda2, 1.0)
    t = np.log((np.asarray(b0) - xl) / (eps - xl))
    return t / (1.0 + lambda2) if corrected else t


def error_near_t_eps_eq9(tau, xbar, eps, lambda1=0.0, lambda2=0.0):
    """Eq. 9: E(t_ε − τ) ≈ ½(ε − x̄_λ)(1+λ2) τ."""
    return 0.5 * (eps - xbar_lambda(xbar, lambda1, lambda2)) * (1.0 + lambda2) * np.asarray(tau)


def t_grok_eq16(xmin, xbar, eps, lambda1=0.0, lambda2=0.0):
    """Grokking time, Eq. 16: (1/(1+λ2)) log((ε + x_min − x̄_λ)/(ε − x̄_λ)). Shapes broadcast."""
    xl = xbar_lambda(xbar, lambda1, lambda2, 1.0)
    return np.log((eps + np.asarray(xmin) - xl) / (eps - xl)) / (1.0 + lambda2)


def pdf_xbar(x, N: int):
    """Eq. 13: P_N(x̄) = 2 N^{N+½} |x̄|^{N−½} K_{N−½}(2N|x̄|) / (√π Γ(N)), symmetric in x̄. Shapes broadcast."""
    x = np.abs(np.asarray(x, float))
    nu = N - 0.5
    at0 = N * np.exp(special.gammaln(N - 0.5) - special.gammaln(N)) / np.sqrt(np.pi)
    xs = np.where(x > 0, x, 1.0)
    logp = (np.log(2.0) + (N + 0.5) * np.log(N) + nu * np.log(xs) + np.log(special.kve(nu, 2 * N * xs)) - 2 * N * xs
            - 0.5 * np.log(np.pi) - special.gammaln(N))
    return np.where(x > 0, np.exp(logp), at0)


def density_integral(N: int) -> float:
    """∫_R P_N(x̄) dx̄ by quadrature (should be 1)."""
    return 2.0 * integrate.quad(pdf_xbar, 0, np.inf, args=(N,), epsabs=1e-14, epsrel=1e-13, limit=200)[0]


def p_grok_quad(e: float, N: int) -> float:
    """Eq. 14 per Z-D4: P_{E(∞)=0}(ε_λ, N) = 2 ∫_0^{ε_λ} P_N(x̄) dx̄ (quadrature)."""
    if e <= 0:
        return 0.0
    return 2.0 * integrate.quad(pdf_xbar, 0, e, args=(N,), epsabs=1e-15, epsrel=1e-13, limit=200)[0]


def p_grok_complement_quad(e: float, N: int) -> float:
    """1 − P_grok = 2 ∫_{ε_λ}^∞ P_N (quadrature; accurate where P_grok is close to 1)."""
    return 2.0 * integrate.quad(pdf_xbar, max(e, 0.0), np.inf, args=(N,), epsabs=1e-300, epsrel=1e-12,
                                limit=200)[0]


def p_grok_eq15(e):
    """Eq. 15 (N = 2): 1 − (1 + 2ε_λ) e^{−4ε_λ}."""
    e = np.asarray(e, float)
    return 1.0 - (1.0 + 2.0 * e) * np.exp(-4.0 * e)


def p_grok_limit(eps, N: int, lambda1=0.0, lambda2=0.0) -> float:
    """P_grok at gap ε with regularisation (λ1, λ2): Eq. 14 at ε_λ = ε(1+λ2) + λ1 (Eq. 11)."""
    return p_grok_quad(float(eps_lambda(eps, lambda1, lambda2)), N)


def eq17_unnorm(t, e, dps: int = 60):
    """Eq. 17: unnormalised t_G density for N = 2 at ε_λ = e (λ1 = λ2 = 0), evaluated in mpmath at ``dps`` digits.
    ``t``, ``e``: scalars -> mpf."""
    with mp.workdps(dps):
        t, e = mp.mpf(t), mp.mpf(e)
        E = mp.exp(t)
        a = 4 * (4 - 3 / (E + 1)) * e
        pref = mp.exp(-4 * E * (2 * E + 5) * e / (E + 1) - 2 * t) / 8
        s = (mp.exp(4 * E * e * (3 * mp.sinh(t) + mp.cosh(t) + 4) / (E + 1) + 3 * t)
             - 64 * e ** 2 * mp.exp(a + 3 * t)
             - 24 * e * mp.exp(2 * ((8 - 6 / (E + 1)) * e + t))
             - 8 * e * mp.exp(a + t)
             - 2 * mp.exp(4 * (4 * E + 1) * e / (E + 1))
             - 3 * mp.exp(a + t)
             - (E + 1) * mp.exp(4 * (2 * E - 1 / (E + 1) + 2) * e) * (E * (E - 8 * e - 1) - 2))
        return pref * s


def eq17_summary(e: float, t_max: float = 25.0, dps: int = 60, edges=None) -> dict:
    """Integrals of Eq. 17 on [0, t_max] at ``dps`` digits: ``integral`` (unnormalised mass; compare Eq. 15),
    ``mean`` and ``median`` of the normalised PDF (normalised by Eq. 15), and ``bin_probs`` (normalised mass per bin
    of ``edges``, the last bin extended to t_max)."""
    with mp.workdps(dps):
        f = lambda t: eq17_unnorm(t, e, dps)  # noqa: E731
        pts = [mp.mpf(0), mp.mpf(1), mp.mpf(3), mp.mpf(8), mp.mpf(t_max)]
        total = mp.quad(f, pts)
        norm = mp.mpf(1) - (1 + 2 * mp.mpf(e)) * mp.exp(-4 * mp.mpf(e))
        mean = mp.quad(lambda t: t * f(t), pts) / norm
        out = {"integral": float(total), "eq15": float(norm), "mean": float(mean)}
        if edges is not None:
            edges = [float(x) for x in edges]
            probs = [mp.quad(f, [a, b]) / norm for a, b in zip(edges[:-1], edges[1:])]
            probs[-1] += mp.quad(f, [edges[-1], t_max]) / norm
            out["bin_probs"] = np.array([float(p) for p in probs])
        cdf = lambda t: mp.quad(f, [0, t]) / norm  # noqa: E731
        lo, hi = mp.mpf(0), mp.mpf(2)
        while cdf(hi) < 0.5:
            hi *= 2
        med = mp.findroot(lambda t: cdf(t) - mp.mpf(1) / 2, (lo, hi), solver="anderson")
        out["median"] = float(med)
    return out


# ----------------------------------------------------------------------------------------------- sampling


def draw_training_set(N: int, eps: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """N positive inputs ε + Exp(1) and N negative inputs −ε − Exp(1); shapes (N,), (N,)."""
    return eps + rng.standard_exponential(N), -eps - rng.standard_exponential(N)


def draw_training_set_where(N: int, eps: float, rng: np.random.Generator, cond, max_tries: int = 100000):
    """The first drawn training set (pos, neg) for which ``cond(xbar)`` holds."""
    for _ in range(max_tries):
        pos, neg = draw_training_set(N, eps, rng)
        if cond(np.concatenate([pos, neg]).mean()):
            return pos, neg
    raise RuntimeError("no training set satisfied the condition")


def sample_xbar(N: int, n: int, rng: np.random.Generator, chunk: int = 250_000, with_xmin: bool = False):
    """``n`` i.i.d. x̄ = (1/2N) Σ x̃ of fresh training sets (the ±ε cancel), drawn as N + N Exp(1) samples; with
    ``with_xmin`` also the minimum x_min of the positive Exp(1) parts. Shapes (n,)."""
    xb, xm = [], []
    left = n
    while left > 0:
        c = min(chunk, left)
        pos = rng.standard_exponential((c, N))
        neg = rng.standard_exponential((c, N))
        xb.append((pos.sum(1) - neg.sum(1)) / (2 * N))
        if with_xmin:
            xm.append(pos.min(1))
        left -= c
    return (np.concatenate(xb), np.concatenate(xm)) if with_xmin else np.concatenate(xb)


def p_grok_mc(e_grid, N: int, n: int, rng: np.random.Generator, lambda1: float = 0.0, lambda2: float = 0.0,
              eps=None):
    """MC P_grok from ``n`` sampled training sets: the fraction whose stationary (lasso) bias
    b∞ = soft(x̄, λ1)/(1+λ2) has |b∞| <= ε (zero population error). With ``eps=None``, ``e_grid`` holds ε_λ and
    λ1 = λ2 = 0 is used (so the test is |x̄| <= ε_λ); otherwise ``eps`` is the gap grid. Returns (p, se), shape (G,)."""
    xb = sample_xbar(N, n, rng)
    if eps is None:
        b_inf, gaps = np.abs(xb), np.asarray(e_grid, float)
    else:
        b_inf = np.maximum(np.abs(xb) - lambda1, 0.0) / (1.0 + lambda2)
        gaps = np.asarray(eps, float)
    srt = np.sort(b_inf)
    k = np.searchsorted(srt, gaps, side="right")
    pt = (k + 2.0) / (n + 4.0)  # Agresti-Coull centre: a non-zero se also when k = 0 or k = n
    return k / n, np.sqrt(pt * (1 - pt) / n)


def sample_t_grok(N: int, e: float, n_accept: int, rng: np.random.Generator, chunk: int = 500_000):
    """Grokking times of ``n_accept`` training sets that grok (|x̄| < ε_λ), by rejection from fresh N + N Exp(1)
    draws, each evaluated with Eq. 16 at λ1 = λ2 = 0, ε = ε_λ. Returns (t_G shape (n_accept,), acceptance fraction
    over all draws made)."""
    out, drawn, have, c = [], 0, 0, min(chunk, 4 * n_accept)
    while have < n_accept:
        xb, xm = sample_xbar(N, c, rng, c, with_xmin=True)
        drawn += c
        keep = np.abs(xb) < e
        out.append(t_grok_eq16(xm[keep], xb[keep], e))
        have += int(keep.sum())
        c = int(min(chunk, max(1000, 1.2 * (n_accept - have) * drawn / max(have, 1))))
    return np.concatenate(out)[:n_accept], have / drawn


# ----------------------------------------------------------------------------------------------- gradient flow


def b_ode(t_eval, b0: float, xbar: float, lambda1: float = 0.0, lambda2: float = 0.0, rtol: float = 1e-13,
          atol: float = 1e-15) -> np.ndarray:
    """Eq. 5 integrated numerically (DOP853) as a Filippov system: for λ1 > 0 each sign branch is integrated up to
    a b = 0 event; there b sticks (sliding mode) iff |x̄| <= λ1, else it continues on the other branch.
    ``t_eval``: increasing, shape (T,) -> (T,)."""
    t_eval = np.asarray(t_eval, float)
    out = np.full_like(t_eval, np.nan)
    k, t0, b, t_end = 1.0 + lambda2, 0.0, float(b0), float(t_eval[-1])
    while t0 < t_end:
        if b == 0.0:
            if abs(xbar) <= lambda1:
                out[t_eval >= t0] = 0.0
                break
            s = np.sign(xbar)
        else:
            s = np.sign(b)

        def rhs(_t, y, s=s):
            return [xbar - s * lambda1 - k * y[0]]

        def hit_zero(_t, y):
            return y[0]

        hit_zero.terminal, hit_zero.direction = True, -s
        sol = integrate.solve_ivp(rhs, (t0, t_end), [b], method="DOP853", rtol=rtol, atol=atol, dense_output=True,
                                  events=hit_zero if lambda1 > 0 else None)
        t1 = sol.t_events[0][0] if lambda1 > 0 and len(sol.t_events[0]) else t_end
        m = (t_eval >= t0) & (t_eval <= t1)
        out[m] = sol.sol(t_eval[m])[0]
        if t1 >= t_end:
            break
        t0, b = t1, 0.0
    return out


def _rhs(b, xbar, lambda1, k):
    return xbar - lambda1 * np.sign(b) - k * b


def _rk4(b, h, xbar, lambda1, k):
    k1 = _rhs(b, xbar, lambda1, k)
    k2 = _rhs(b + 0.5 * h * k1, xbar, lambda1, k)
    k3 = _rhs(b + 0.5 * h * k2, xbar, lambda1, k)
    k4 = _rhs(b + h * k3, xbar, lambda1, k)
    return b + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)


def crossing_times(b0, xbar, level, lambda1: float = 0.0, lambda2: float = 0.0, dt: float = 1e-3,
                   t_max: float = 60.0) -> np.ndarray:
    """First time each flow b(t) of Eq. 5 (vectorised RK4, step ``dt``) crosses ``level`` from above; the step of
    the crossing is refined by bisection on the RK4 sub-step. ``b0, xbar, level``: shape (K,) -> (K,), NaN where
    no crossing before ``t_max``."""
    b = np.asarray(b0, float).copy()
    xbar, level = np.broadcast_to(xbar, b.shape), np.broadcast_to(level, b.shape)
    k, t, out = 1.0 + lambda2, 0.0, np.full(b.shape, np.nan)
    while t < t_max and np.isnan(out).any():
        nb = _rk4(b, dt, xbar, lambda1, k)
        hit = np.isnan(out) & (b > level) & (nb <= level)
        if hit.any():
            lo, hi = np.zeros(hit.sum()), np.full(hit.sum(), dt)
            bh, xh, lh = b[hit], xbar[hit], level[hit]
            for _ in range(60):
                mid = 0.5 * (lo + hi)
                above = _rk4(bh, mid, xh, lambda1, k) > lh
                lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
            out[hit] = t + 0.5 * (lo + hi)
        b, t = nb, t + dt
    return out


def flow_at(b0, xbar, times, lambda1: float = 0.0, lambda2: float = 0.0, dt: float = 1e-3) -> np.ndarray:
    """b of each flow at its own output times (vectorised RK4, per-run steps <= ``dt`` that land exactly on the
    output times). ``b0, xbar``: (K,); ``times``: (K, J), increasing along J -> (K, J)."""
    times = np.asarray(times, float)
    b, xbar = np.asarray(b0, float).copy(), np.asarray(xbar, float)
    k, prev, out = 1.0 + lambda2, np.zeros(b.shape), np.empty(times.shape)
    for j in range(times.shape[1]):
        span = times[:, j] - prev
        n = max(int(np.ceil(span.max() / dt)), 1)
        h = span / n
        for _ in range(n):
            b = _rk4(b, h, xbar, lambda1, k)
        out[:, j], prev = b, times[:, j]
    return out


def prox_flow(b0, xbar, lambda1: float, lambda2: float, t_eval, dt: float = 1e-3) -> np.ndarray:
    """Proximal (forward–backward) Euler scheme of Z-D11 for Eq. 5: b ← soft(b + dt(x̄ − (1+λ2)b), dt λ1), whose
    fixed point is exactly the lasso solution soft(x̄, λ1)/(1+λ2). ``b0, xbar``: (K,); ``t_eval``: (T,) increasing
    multiples of dt -> (K, T)."""
    b, xbar = np.atleast_1d(np.asarray(b0, float)).copy(), np.atleast_1d(np.asarray(xbar, float))
    steps = np.rint(np.asarray(t_eval, float) / dt).astype(int)
    out, n = np.empty((b.size, steps.size)), 0
    for j, s in enumerate(steps):
        for _ in range(s - n):
            z = b + dt * (xbar - (1.0 + lambda2) * b)
            b = np.sign(z) * np.maximum(np.abs(z) - dt * lambda1, 0.0)
        n = s
        out[:, j] = b
    return out


def lasso_bias(xbar, lambda1: float = 0.0, lambda2: float = 0.0):
    """Minimiser of ½(1+λ2)b² − x̄ b + λ1|b| (the stationary point of Eq. 5): soft(x̄, λ1)/(1+λ2)."""
    xbar = np.asarray(xbar, float)
    return np.sign(xbar) * np.maximum(np.abs(xbar) - lambda1, 0.0) / (1.0 + lambda2)


def mc_test_error(b: float, eps: float, M: int, rng: np.random.Generator) -> float:
    """Population error of sign(x̃ − b) by MC: M fresh positive and M fresh negative samples, misclassified fraction."""
    pos, neg = draw_training_set(M, eps, rng)
    return float(((pos <= b).sum() + (neg >= b).sum()) / (2 * M))


def population_error_from_law(b, eps: float):
    """Population error of sign(x̃ − b) from the data law directly: ½ P(Exp(1) < b − ε) + ½ P(Exp(1) < −b − ε)."""
    b = np.asarray(b, float)
    cdf = lambda u: np.where(u > 0, -np.expm1(-np.clip(u, 0, None)), 0.0)  # noqa: E731  Exp(1) CDF
    return 0.5 * cdf(b - eps) + 0.5 * cdf(-b - eps)


def fit_power_law(tau, err) -> tuple[float, float]:
    """Least-squares fit of log E = log k + ν log τ; returns (ν, k)."""
    nu, logk = np.polyfit(np.log(tau), np.log(err), 1)
    return float(nu), float(np.exp(logk))

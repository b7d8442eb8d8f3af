"""Figure builders for the ball model (docs/decisions.md, Ball model): ``exponent`` (Eqs. 23, 50), ``fig5``
(P_grok, p. 14) and ``fig6`` (t_G PDF, Eqs. 43–47). Each is ``name(cfg, seed) -> (tidy table, numbers table)``;
``cfg`` is the figure's config block (``zunkovic2022.<name>`` in config/config.yaml, resolved for the scale). Every
stochastic number comes from the simulation of the definition (method ``simulation``), every closed form or
quadrature is method ``theory``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import interpolate

from grokrepro.zunkovic2022 import ball as B
from grokrepro.zunkovic2022.numbers import make_numbers


def _spread(nu: np.ndarray) -> tuple[float, float]:
    """(median, its large-sample se 1.2533 σ/√n)."""
    return float(np.median(nu)), float(1.2533 * np.std(nu, ddof=1) / np.sqrt(len(nu)))


# ---------------------------------------------------------------------------------------------- Eqs. 23 and 50


def cap_spline(D: int, xi: float, h_grid: np.ndarray):
    """log-log cubic spline of the ξ-density cap mass M(h) (:func:`ball.cap_mass_xi`) on ``h_grid``."""
    m = np.array([B.cap_mass_xi(h, D, xi) for h in h_grid])
    spl = interpolate.CubicSpline(np.log(h_grid), np.log(m))
    lo, hi = h_grid[0], h_grid[-1]

    def fn(h):
        ok = (h >= lo) & (h <= hi)
        return np.where(ok, np.exp(spl(np.log(np.clip(h, lo, hi)))), np.nan)
    return m, fn


def exponent(cfg: dict, seed: int):
    """Z-13: ν from exact flows (uniform ball, closed-form cap error); Z-14: ν with boundary density ∝ δh^{−ξ}
    (training sets drawn from that density, cap error by quadrature via a log-log spline), the cap-mass exponent
    fitted directly, and checks of the quadrature (ξ = 0 vs closed form; MC of the ξ-density)."""
    c = dict(cfg)
    rng = np.random.default_rng(seed)
    base = dict(eps=c["eps"], N=c["N"], lambda2=c["lambda2"])
    win = tuple(c["fit_window"])
    rows, tidy = [], []
    for D in c["dims"]:
        nu = B.exponent_fits(rng, c["runs"], D, c["N"], c["eps"], c["lambda2"], win, c["fit_points"])
        med, se = _spread(nu)
        p = dict(D=D, **base)
        rows += [dict(quantity="nu", method="simulation", value=med, se=se, **p),
                 dict(quantity="nu", method="theory", value=(D + 1) / 2, **p),
                 dict(quantity="nu_q05", method="simulation", value=float(np.quantile(nu, 0.05)), **p),
                 dict(quantity="nu_q95", method="simulation", value=float(np.quantile(nu, 0.95)), **p),
                 dict(quantity="nu_runs", method="simulation", value=len(nu), **p)]
        tidy += [dict(kind="nu_fit", D=D, xi=np.nan, run=i, x=np.nan, value=v) for i, v in enumerate(nu)]
    lo, hi, n = c["cap_h_grid"]
    h_grid = np.logspace(np.log10(lo), np.log10(hi), int(n))
    hw = np.log(np.asarray(c["cap_fit_h_window"]))
    for D in c["dims"]:
        for xi in c["xis"]:
            p = dict(D=D, xi=xi, **base)
            m, fn = cap_spline(D, xi, h_grid)
            tidy += [dict(kind="cap_mass", D=D, xi=xi, run=-1, x=h, value=v) for h, v in zip(h_grid, m)]
            sel = (np.log(h_grid) >= hw[0]) & (np.log(h_grid) <= hw[1])
            slope = np.polyfit(np.log(h_grid[sel]), np.log(m[sel]), 1)[0]
            nu = B.exponent_fits(rng, c["xi_runs"], D, c["N"], c["eps"], c["lambda2"], win, c["fit_points"],
                                 xi=xi, error_fn=fn)
            nu = nu[np.isfinite(nu)]
            med, se = _spread(nu)
            rows += [dict(quantity="nu", method="simulation", value=med, se=se, **p),
                     dict(quantity="nu", method="theory", value=(D + 1 - 2 * xi) / 2, **p),
                     dict(quantity="cap_exponent", method="theory", value=float(slope), **p),
                     dict(quantity="nu_runs", method="simulation", value=len(nu), **p)]
            tidy += [dict(kind="nu_fit", D=D, xi=xi, run=i, x=np.nan, value=v) for i, v in enumerate(nu)]
            if xi == 0:
                rel = np.max(np.abs(m / B.cap_error(h_grid, D) - 1))
                rows.append(dict(quantity="cap_quadrature_max_rel_diff", method="theory", value=float(rel), **p))
            pts = B.sample_ball(rng, (c["cap_mc_draws"],), D, xi)[:, 0]
            zs = []
            for h in c["cap_mc_heights"]:
                f, th = (pts > 1 - h).mean(), B.cap_mass_xi(h, D, xi)
                zs.append(abs(f - th) / np.sqrt(th * (1 - th) / len(pts)))
            rows.append(dict(quantity="cap_mc_max_abs_z", method="simulation", value=float(max(zs)), **p))
    return pd.DataFrame(tidy), make_numbers(rows)


# ------------------------------------------------------------------------------------------------- Fig 5


def fig5(cfg: dict, seed: int):
    """Fig 5 grids (definition-level MC), the p. 14 statements in the λ2 → ∞ limit, and lasso / proximal checks."""
    c = dict(cfg)
    rng = np.random.default_rng(seed)
    d = c["defaults"]
    rows, tidy = [], []
    todo = {}
    for panel, key in (("D", "grid_D"), ("lambda2", "grid_lambda2"), ("N", "grid_N"), ("eps", "grid_eps")):
        for v in c[key]:
            pt = {**d, panel: v}
            todo.setdefault((pt["D"], pt["N"], pt["lambda2"], pt["eps"]), []).append(panel)
    for l2 in c["grid_lambda2"]:  # Z-16: ε = 1 on the λ2 grid
        todo.setdefault((d["D"], d["N"], l2, 1.0), []).append("eps1_lambda2")
    for (D, N, l2, eps), panels in todo.items():
        p, se = B.p_grok_mc(rng, c["mc_draws"], D, N, eps, l2)
        par = dict(D=D, N=N, lambda2=l2, eps=eps, lambda1=0.0)
        rows.append(dict(quantity="p_grok", method="simulation", value=p, se=se, **par))
        tidy += [dict(panel=pn, method="mc", p=p, se=se, **par) for pn in panels]
    for l1 in c["finite_lambda1"]:  # λ1 > 0 at the defaults, by lasso
        p, se = B.p_grok_mc(rng, c["mc_draws"], d["D"], d["N"], d["eps"], d["lambda2"], lambda1=l1)
        par = dict(D=d["D"], N=d["N"], lambda2=d["lambda2"], eps=d["eps"], lambda1=l1)
        rows.append(dict(quantity="p_grok", method="simulation", value=p, se=se, **par))
        tidy.append(dict(panel="lambda1_defaults", method="lasso", p=p, se=se, **par))
    # λ2 → ∞ limit: ε = 1, λ1 = 0 at the defaults (Z-16)
    a0 = B.limit_a0(rng, c["limit_mc_draws"], d["D"], d["N"], 1.0)
    p = float(B.p_grok_limit(a0, 1.0, [0.0])[0])
    rows.append(dict(quantity="p_grok", method="simulation", value=p, se=np.sqrt(p * (1 - p) / len(a0)), D=d["D"],
                     N=d["N"], lambda2=np.inf, eps=1.0, lambda1=0.0))
    # best λ1 at ε = 1 (Z-17, Z-19)
    grid = np.round(np.arange(0, c["lambda1_max"] + 1e-12, c["lambda1_grid_step"]), 10)
    for N in c["best_N"]:
        for D in c["best_dims"]:
            a0 = B.limit_a0(rng, c["limit_mc_draws"], D, N, 1.0)
            curve = B.p_grok_limit(a0, 1.0, grid)
            k = int(np.argmax(curve))
            n = len(a0)
            par = dict(D=D, N=N, lambda2=np.inf, eps=1.0)
            rows += [dict(quantity="p_grok_max", method="simulation", value=curve[k],
                          se=np.sqrt(curve[k] * (1 - curve[k]) / n), **par),
                     dict(quantity="best_lambda1", method="simulation", value=grid[k], **par),
                     dict(quantity="p_grok", method="simulation", value=curve[0],
                          se=np.sqrt(curve[0] * (1 - curve[0]) / n), lambda1=0.0, **par)]
            tidy += [dict(panel="best_lambda1", method="limit", p=v, se=np.sqrt(v * (1 - v) / n), lambda1=l1, **par)
                     for l1, v in zip(grid, curve)]
    # large D at 0 < λ1 < ε (Z-18)
    for N in c["large_D_N"]:
        for D in c["large_D_dims"]:
            a0 = B.limit_a0(rng, c["large_D_draws"], D, N, 1.0)
            for l1, v in zip(c["large_D_lambda1"], B.p_grok_limit(a0, 1.0, c["large_D_lambda1"])):
                par = dict(D=D, N=N, lambda2=np.inf, eps=1.0, lambda1=l1)
                rows.append(dict(quantity="p_grok", method="simulation", value=v,
                                 se=np.sqrt(v * (1 - v) / len(a0)), **par))
                tidy.append(dict(panel="large_D", method="limit", p=v, se=np.sqrt(v * (1 - v) / len(a0)), **par))
    # λ1 = 0 dependence on D (Z-20)
    for eps in c["decay_eps"]:
        for D in c["decay_dims"]:
            a0 = B.limit_a0(rng, c["limit_mc_draws"], D, c["decay_N"], eps)
            v = float(B.p_grok_limit(a0, eps, [0.0])[0])
            par = dict(D=D, N=c["decay_N"], lambda2=np.inf, eps=eps, lambda1=0.0)
            rows.append(dict(quantity="p_grok", method="simulation", value=v, se=np.sqrt(v * (1 - v) / len(a0)),
                             **par))
            tidy.append(dict(panel="decay_D", method="limit", p=v, se=np.sqrt(v * (1 - v) / len(a0)), **par))
    # lasso at large finite λ2 vs the λ2 → ∞ formula on common draws
    lc = c["lasso_check"]
    xt, y = B.training_sets(rng, lc["draws"], lc["N"], lc["D"], lc["eps"])
    G, a0 = B.gram(xt, y, lc["lambda2"])
    for l1 in lc["lambda1"]:
        ok_lasso = B.zero_test_error(B.lasso_cd(G, a0, l1, tol=c["lasso_tol"] / lc["lambda2"])[0], lc["eps"])
        ok_lim = B.zero_test_error(B.soft_threshold(a0, l1), lc["eps"])
        par = dict(D=lc["D"], N=lc["N"], eps=lc["eps"], lambda1=l1)
        n = lc["draws"]
        rows += [dict(quantity="p_grok", method="simulation", value=ok_lasso.mean(),
                      se=np.sqrt(ok_lasso.mean() * (1 - ok_lasso.mean()) / n), lambda2=lc["lambda2"], **par),
                 dict(quantity="p_grok_limit_same_draws", method="simulation", value=ok_lim.mean(),
                      se=np.sqrt(ok_lim.mean() * (1 - ok_lim.mean()) / n), lambda2=lc["lambda2"], **par),
                 dict(quantity="lasso_limit_disagreement", method="simulation", value=float((ok_lasso != ok_lim).mean()),
                      lambda2=lc["lambda2"], **par)]
    # proximal flow converges to the lasso point (Z-D11)
    pc = c["prox_check"]
    xt, y = B.training_sets(rng, pc["draws"], pc["N"], pc["D"], pc["eps"])
    G, a0 = B.gram(xt, y, pc["lambda2"])
    w_l, _ = B.lasso_cd(G, a0, pc["lambda1"], tol=c["lasso_tol"])
    w_p = B.prox_flow(G, a0, pc["lambda1"], rng.standard_normal(a0.shape), pc["t_end"], pc["dt"])
    rows.append(dict(quantity="prox_lasso_max_abs_diff", method="simulation", value=float(np.abs(w_p - w_l).max()),
                     D=pc["D"], N=pc["N"], eps=pc["eps"], lambda2=pc["lambda2"], lambda1=pc["lambda1"]))
    return pd.DataFrame(tidy), make_numbers(rows)


# ------------------------------------------------------------------------------------------------- Fig 6


def kde_modes(lt: np.ndarray, min_rel_height: float, points: int = 512):
    """Local maxima ``(positions, heights)`` of the Silverman-bandwidth Gaussian KDE of ``lt`` whose height is at least
    ``min_rel_height`` of the highest (Silverman's rule oversmooths multimodal data: a conservative mode count)."""
    from scipy import stats

    x = np.linspace(lt.min(), lt.max(), points)
    y = stats.gaussian_kde(lt, "silverman")(x)
    i = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    i = i[y[i] >= min_rel_height * y.max()]
    return x[i], y[i]


def fig6(cfg: dict, seed: int):
    """Eqs. 43–47 per (D, λ2, ε) setting, and the simulated t_G of the exact flow (N = ``sim_N``, runs whose training
    set groks and whose w(0) is not already at zero test error). Simulated runs are split by the theory's fast-path
    condition ‖w_⊥(0)‖² < 1 − 1/ε² (Eq. 40): p_fast = the fraction meeting it, fast t_G = their mean, slow t_G = the
    median of the others; the histogram's shape is read from the modes of a KDE of log10 t_G (heights ≥
    ``kde_min_rel_height`` of the highest); a fast-side mode is one at shorter t_G than the main mode."""
    c = dict(cfg)
    rng = np.random.default_rng(seed)
    rows, tidy = [], []
    for D, l2, eps in c["settings"]:
        D = int(D)
        par = dict(D=D, lambda2=l2, eps=eps)
        pf = B.p_fast(D, eps)
        mass, mean_t = B.fast_moments(D, eps)
        slow = B.slow_t_grok(D, l2, eps)
        t = np.linspace(0, 4 * max(mean_t, 1e-3), c["pdf_points"])
        r_diff = np.max(np.abs(B.r_of_t(t, eps) - B.r_of_t_printed(t, eps)))
        pdf = B.fast_pdf(t, D, eps)
        rows += [dict(quantity="p_fast", method="theory", value=pf, **par),
                 dict(quantity="fast_mass_integral", method="theory", value=mass, **par),
                 dict(quantity="mean_fast_t_grok", method="theory", value=mean_t, **par),
                 dict(quantity="mean_fast_t_grok_r_side", method="theory", value=B.fast_mean_in_r(D, eps), **par),
                 dict(quantity="slow_t_grok", method="theory", value=slow, **par),
                 dict(quantity="slow_t_grok_geometric", method="theory", value=B.slow_t_grok_geometric(D, l2, eps),
                      **par),
                 dict(quantity="delta_weight", method="theory", value=1 - pf, **par),
                 dict(quantity="eq44_max_abs_diff", method="theory", value=float(r_diff), **par),
                 dict(quantity="fast_pdf_max", method="theory", value=float(np.max(pdf)), **par)]
        tidy += [dict(kind="fast_pdf", t=a, value=v, **par) for a, v in zip(t, pdf)]
        tidy.append(dict(kind="delta", t=slow, value=1 - pf, **par))
        # simulation
        g = B.grokking_times(rng, c["sim_runs"], D, c["sim_N"], eps, l2, c["time_grid_points"])
        valid = g["grokking"] & ~g["start_zero"] & np.isfinite(g["t_test"]) & np.isfinite(g["t_train"])
        tg = (g["t_test"] - g["t_train"])[valid]
        pos = tg > 0
        tg = tg[pos]
        fast = g["r0"][valid][pos] < 1 - 1 / eps ** 2  # the theory's fast-path condition (Eq. 40) on w(0)
        modes, heights = kde_modes(np.log10(tg), c["kde_min_rel_height"])
        main = modes[np.argmax(heights)]
        fast_side = bool(np.any(modes < main))
        sim = dict(method="simulation", N=c["sim_N"], **par)
        ns, nf = len(tg), int(fast.sum())
        pf_s = nf / ns
        rows += [dict(quantity="p_fast", value=pf_s, se=np.sqrt(pf_s * (1 - pf_s) / ns), **sim),
                 dict(quantity="mean_fast_t_grok", value=float(tg[fast].mean()) if nf else np.nan,
                      se=float(tg[fast].std(ddof=1) / np.sqrt(nf)) if nf > 1 else np.nan, **sim),
                 dict(quantity="median_fast_t_grok", value=float(np.median(tg[fast])) if nf else np.nan, **sim),
                 dict(quantity="slow_t_grok", value=float(np.median(tg[~fast])), **sim),
                 dict(quantity="kde_modes", value=float(len(modes)), **sim),
                 dict(quantity="kde_main_mode_t_grok", value=float(10 ** main), **sim),
                 dict(quantity="kde_fast_side_mode", value=float(fast_side), **sim),
                 dict(quantity="valid_fraction", value=float(valid.mean()), **sim),
                 dict(quantity="sim_runs", value=float(ns), **sim)]
        tidy += [dict(kind="sim_t_grok", t=a, value=float(f), **par) for a, f in zip(tg, fast)]
    return pd.DataFrame(tidy), make_numbers(rows)

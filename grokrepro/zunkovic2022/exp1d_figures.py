"""Figure builders of the 1D exponential model (Žunkovič & Ilievski 2022, Sec. 3.1): ``exp1d_dynamics``, Fig 2, Fig 3.

Each builder is ``name(cfg, seed) -> (tidy, numbers)``; ``cfg`` is the figure's config block
(``zunkovic2022.<figure>`` in config/config.yaml, with the documented choices and their paper/quick values). The
numbers table (:func:`grokrepro.zunkovic2022.numbers.make_numbers`) holds every value the claim evaluators of
:mod:`grokrepro.zunkovic2022.claims_exp1d` read, unrounded. Comparison rows (closed form vs simulation) carry
``method = "simulation"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.zunkovic2022 import exp1d as m
from grokrepro.zunkovic2022.numbers import make_numbers


def _grid(spec: dict) -> np.ndarray:
    return np.linspace(float(spec["start"]), float(spec["stop"]), int(spec["num"]))


def _params(c: dict) -> dict:
    return {"N": c["N"], "eps": c["eps"], "lambda1": c["lambda1"], "lambda2": c["lambda2"],
            "eps_lambda": float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))}


_KINDS = {"any": lambda xb, c, el: True, "positive": lambda xb, c, el: xb > c["lambda1"],
          "stick": lambda xb, c, el: abs(xb) <= c["lambda1"], "cross": lambda xb, c, el: xb < -c["lambda1"],
          "grok": lambda xb, c, el: abs(xb) < el, "above": lambda xb, c, el: xb > el,
          "below": lambda xb, c, el: xb < -el}


def _case_set(c: dict, rng):
    el = float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))
    pos, neg = m.draw_training_set_where(c["N"], c["eps"], rng, lambda xb: _KINDS[c.get("kind", "any")](xb, c, el))
    return pos, neg, float(np.concatenate([pos, neg]).mean())


def _grok_sets(c: dict, K: int, rng, width: float):
    """K grokking training sets (|x̄| < ε_λ) of setting c: (x̄, x_min, b0 ~ U(ε + x_min, ε + x_min + width))."""
    el = float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))
    xb, xm = [], []
    while sum(len(a) for a in xb) < K:
        a, b = m.sample_xbar(c["N"], 4 * K, rng, with_xmin=True)
        keep = np.abs(a) < el
        xb.append(a[keep]), xm.append(b[keep])
    xb, xm = np.concatenate(xb)[:K], np.concatenate(xm)[:K]
    return xb, xm, c["eps"] + xm + width * rng.random(K)


def dynamics(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figure ``exp1d_dynamics``: Z-01 (b(t)), Z-02 (E(t)), Z-03 (ν), Z-04 (⟨⟨E⟩⟩), Z-05 (Eq. 11), Z-10 (Eq. 16)."""
    s = dict(cfg)
    rng = np.random.default_rng(seed)
    tidy, rows = [], []
    # Z-01
    tt = np.linspace(0.0, s["ode_t_max"], int(s["ode_n_times"]))
    for i, c in enumerate(s["ode_cases"]):
        pos, neg, xb = _case_set(c, rng)
        th = m.b_closed(tt, c["b0"], xb, c["lambda1"], c["lambda2"])
        ode = m.b_ode(tt, c["b0"], xb, c["lambda1"], c["lambda2"], s["ode_rtol"], s["ode_atol"])
        prox = m.prox_flow([c["b0"]], [xb], c["lambda1"], c["lambda2"], tt, s["prox_dt"])[0]
        b_end = m.prox_flow([c["b0"]], [xb], c["lambda1"], c["lambda2"], [40.0 / (1 + c["lambda2"])],
                            s["prox_dt"])[0, 0]
        p = _params(c)
        rows += [dict(quantity="b_max_abs_diff", method="simulation", value=np.abs(th - ode).max(), **p),
                 dict(quantity="prox_max_abs_diff", method="simulation", value=np.abs(th - prox).max(), **p),
                 dict(quantity="prox_lasso_diff", method="simulation",
                      value=abs(b_end - m.lasso_bias(xb, c["lambda1"], c["lambda2"])), **p)]
        for meth, y in (("theory", th), ("simulation", ode)):
            tidy.append(pd.DataFrame(dict(panel="b", case=i, method=meth, x=tt, y=y, se=np.nan,
                                          label=f"N={c['N']} ε={c['eps']} λ1={c['lambda1']} λ2={c['lambda2']} "
                                                f"b0={c['b0']} ({c['kind']})")))
    # Z-02
    te = np.asarray(s["error_times"], float)
    for i, c in enumerate(s["error_cases"]):
        pos, neg, xb = _case_set(c, rng)
        b_sim = m.b_ode(te, c["b0"], xb, c["lambda1"], c["lambda2"])
        b_th = m.b_closed(te, c["b0"], xb, c["lambda1"], c["lambda2"])
        M = int(s["mc_test_samples"])
        mc = np.array([m.mc_test_error(b, c["eps"], M, rng) for b in b_sim])
        zs = {}
        for name, f in (("sym", m.test_error), ("eq7", m.test_error_eq7)):
            e_th = f(b_th, c["eps"])
            sd = np.sqrt(2 * e_th * (1 - 2 * e_th) / (4 * M))  # balanced sample: var = p(1-p)/(4M), p = 2E
            z = np.where(sd > 0, np.abs(mc - e_th) / np.where(sd > 0, sd, 1), np.where(mc == e_th, 0.0, np.inf))
            zs[name] = z
        p = _params(c)
        rows += [dict(quantity="error_max_abs_z", method="simulation", value=zs["sym"].max(), **p),
                 dict(quantity="error_max_abs_z_eq7", method="simulation", value=zs["eq7"].max(), **p),
                 dict(quantity="error_points", method="simulation", value=te.size, **p)]
        lab = f"N={c['N']} ε={c['eps']} λ1={c['lambda1']} λ2={c['lambda2']} x̄={xb:.3f} ({c['kind']})"
        tidy.append(pd.DataFrame(dict(panel="E", case=i, method="theory", x=te, y=m.test_error_eq7(b_th, c["eps"]),
                                      se=np.nan, label=lab + " Eq. 7")))
        tidy.append(pd.DataFrame(dict(panel="E", case=i, method="simulation", x=te, y=mc,
                                      se=np.sqrt(np.maximum(mc * (1 - 2 * mc), 0) / (2 * M)), label=lab + " MC")))
    # Z-03
    lo, hi = s["fit_window"]
    frac = np.geomspace(hi, lo, int(s["fit_points"]))
    for i, c in enumerate(s["nu_settings"]):
        el = float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))
        pos, neg = m.draw_training_set_where(c["N"], c["eps"], rng, lambda xb: abs(xb) < el)
        xb, xmin = float(np.concatenate([pos, neg]).mean()), float((pos - c["eps"]).min())
        b0 = c["eps"] + xmin + c["b0_offset"]
        t_eps = m.crossing_times([b0], [xb], [c["eps"]], c["lambda1"], c["lambda2"], s["rk4_dt"])[0]
        tau = frac * t_eps
        b = m.flow_at([b0], [xb], (t_eps - tau)[None, :], c["lambda1"], c["lambda2"], s["rk4_dt"])[0]
        err = m.population_error_from_law(b, c["eps"])
        nu, k = m.fit_power_law(tau, err)
        k_th = m.error_near_t_eps_eq9(1.0, xb, c["eps"], c["lambda1"], c["lambda2"])
        p = _params(c)
        rows += [dict(quantity="nu", method="simulation", value=nu, **p),
                 dict(quantity="nu_slope_ratio", method="simulation", value=k / k_th, **p),
                 dict(quantity="t_eps_rel_diff", method="simulation",
                      value=abs(m.t_eps_eq8(b0, xb, c["eps"], c["lambda1"], c["lambda2"]) / t_eps - 1), **p),
                 dict(quantity="t_eps_rel_diff_printed", method="simulation",
                      value=abs(m.t_eps_eq8(b0, xb, c["eps"], c["lambda1"], c["lambda2"], False) / t_eps - 1), **p)]
        tidy.append(pd.DataFrame(dict(panel="nu", case=i, method="simulation", x=tau, y=err, se=np.nan,
                                      label=f"ε={c['eps']} λ1={c['lambda1']} λ2={c['lambda2']} "
                                            f"b0-ε-xmin={c['b0_offset']}: ν={nu:.4f}")))
    # Z-04
    lo, hi = s["avg_fit_window"]
    taus = np.geomspace(hi, lo, int(s["fit_points"]))
    for i, c in enumerate(s["avg_settings"]):
        K = int(s["avg_runs"])
        xb, xm, b0 = _grok_sets(c, K, rng, s["b0_width"])
        t_eps = m.crossing_times(b0, xb, np.full(K, c["eps"]), c["lambda1"], c["lambda2"], s["rk4_dt"])
        ok = t_eps > hi
        b = m.flow_at(b0[ok], xb[ok], t_eps[ok, None] - taus[None, :], c["lambda1"], c["lambda2"], s["rk4_dt"])
        err = m.population_error_from_law(b, c["eps"])  # (K, J)
        avg = err.mean(0)
        nu, k = m.fit_power_law(taus, avg)
        el = float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))
        slope_i = err[:, -1] / taus[-1]  # per-run slope at the smallest tau
        p = _params(c)
        rows += [dict(quantity="avg_slope_ratio", method="simulation", value=k / (el / 2),
                      se=slope_i.std(ddof=1) / np.sqrt(ok.sum()) / (el / 2), **p),
                 dict(quantity="nu_avg", method="simulation", value=nu, **p),
                 dict(quantity="avg_runs_used", method="simulation", value=ok.sum(), **p)]
        tidy.append(pd.DataFrame(dict(panel="avg", case=i, method="simulation", x=taus, y=avg,
                                      se=err.std(0, ddof=1) / np.sqrt(ok.sum()),
                                      label=f"ε={c['eps']} λ1={c['lambda1']} λ2={c['lambda2']} (ε_λ={el:g})")))
        tidy.append(pd.DataFrame(dict(panel="avg", case=i, method="theory", x=taus, y=el / 2 * taus, se=np.nan,
                                      label=f"(ε_λ/2)(t_ε − t), ε_λ={el:g}")))
    # Z-05
    for i, c in enumerate(s["final_settings"]):
        K = int(s["final_runs"])
        xb, xm = m.sample_xbar(c["N"], K, rng, with_xmin=True)
        b0 = c["eps"] + xm + s["b0_width"] * rng.random(K)
        T = s["final_time"] / (1 + c["lambda2"])
        bT = m.prox_flow(b0, xb, c["lambda1"], c["lambda2"], [T], s["prox_dt"])[:, 0]
        zero_sim = m.population_error_from_law(bT, c["eps"]) == 0.0
        el = float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))
        zero_th = np.abs(xb) < el
        p = _params(c)
        frac0 = zero_sim.mean()
        rows += [dict(quantity="eq11_mismatches", method="simulation", value=(zero_sim != zero_th).sum(), **p),
                 dict(quantity="eq11_draws", method="simulation", value=K, **p),
                 dict(quantity="final_zero_error_fraction", method="simulation", value=frac0,
                      se=np.sqrt(frac0 * (1 - frac0) / K), **p),
                 dict(quantity="final_zero_error_fraction", method="theory", value=m.p_grok_quad(el, c["N"]), **p)]
        tidy.append(pd.DataFrame(dict(panel="final", case=i, method="simulation", x=xb[:2000] / el,
                                      y=m.population_error_from_law(bT[:2000], c["eps"]), se=np.nan,
                                      label=f"N={c['N']} ε={c['eps']} λ1={c['lambda1']} λ2={c['lambda2']}")))
    # Z-10
    offs = np.asarray(s["tg_b0_offsets"], float)
    for i, c in enumerate(s["tg_settings"]):
        el = float(m.eps_lambda(c["eps"], c["lambda1"], c["lambda2"]))
        xs, mins, pos_min, neg_max = [], [], [], []
        for _ in range(int(s["tg_sets"])):
            pos, neg = m.draw_training_set_where(c["N"], c["eps"], rng, lambda xb: abs(xb) < el)
            xs.append(np.concatenate([pos, neg]).mean()), mins.append((pos - c["eps"]).min())
            pos_min.append(pos.min()), neg_max.append(neg.max())
        xs, mins, pos_min = np.repeat(xs, offs.size), np.repeat(mins, offs.size), np.repeat(pos_min, offs.size)
        b0 = pos_min + np.tile(offs, len(xs) // offs.size)
        # train error zero: every positive input above b (negatives lie below -eps < b throughout)
        t_train = m.crossing_times(b0, xs, pos_min, c["lambda1"], c["lambda2"], s["rk4_dt"])
        # population test error zero: b at or below the lower edge eps of the positive support
        t_test = m.crossing_times(b0, xs, np.full(xs.size, c["eps"]), c["lambda1"], c["lambda2"], s["rk4_dt"])
        tg_sim = t_test - t_train
        tg_th = m.t_grok_eq16(mins, xs, c["eps"], c["lambda1"], c["lambda2"])
        spread = np.ptp(tg_sim.reshape(-1, offs.size), axis=1).max()
        p = _params(c)
        rows += [dict(quantity="t_grok_max_abs_diff", method="simulation", value=np.abs(tg_sim - tg_th).max(), **p),
                 dict(quantity="t_grok_b0_spread", method="simulation", value=spread, **p),
                 dict(quantity="t_grok_runs", method="simulation", value=xs.size, **p)]
        tidy.append(pd.DataFrame(dict(panel="t_grok", case=i, method="simulation", x=tg_th, y=tg_sim, se=np.nan,
                                      label=f"N={c['N']} ε={c['eps']} λ1={c['lambda1']} λ2={c['lambda2']}")))
    return pd.concat(tidy, ignore_index=True), make_numbers(rows)


def fig2(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 2: P_grok(ε_λ) for N = 2, 5, 10 by quadrature (Eq. 14), Eq. 15 and MC; normalisation; Z-09 limits."""
    s = dict(cfg)
    rng = np.random.default_rng(seed)
    grid = np.asarray(s["eps_lambda_grid"], float)
    fine = _grid(s["eps_lambda_fine"])
    tidy, rows = [], []
    for N in s["N_values"]:
        rows.append(dict(quantity="density_integral", method="theory", value=m.density_integral(N), N=N))
        q = np.array([m.p_grok_quad(e, N) for e in grid])
        q_c = np.array([m.p_grok_complement_quad(e, N) for e in grid])
        p_mc, se = m.p_grok_mc(grid, N, int(s["mc_draws"]), rng)
        for e, a, ac, b, sb in zip(grid, q, q_c, p_mc, se):
            rows += [dict(quantity="p_grok", method="theory", value=a, N=N, eps_lambda=e),
                     dict(quantity="p_grok_complement", method="theory", value=ac, N=N, eps_lambda=e),
                     dict(quantity="p_grok", method="simulation", value=b, se=sb, N=N, eps_lambda=e)]
            if N == 2:
                rows.append(dict(quantity="p_grok_eq15", method="theory", value=float(m.p_grok_eq15(e)), N=N,
                                 eps_lambda=e))
        tidy += [pd.DataFrame(dict(N=N, eps_lambda=fine, method="theory", curve="fine",
                                   p_grok=[m.p_grok_quad(e, N) for e in fine], se=np.nan)),
                 pd.DataFrame(dict(N=N, eps_lambda=grid, method="simulation", curve="grid", p_grok=p_mc, se=se))]
        if N == 2:
            tidy.append(pd.DataFrame(dict(N=N, eps_lambda=fine, method="theory", curve="eq15",
                                          p_grok=m.p_grok_eq15(fine), se=np.nan)))
    # Z-09: gap eps -> 0 at equal L1 / L2 strength; formula and MC of the stationary (lasso) bias
    lam, epss = float(s["small_gap_lambda"]), np.asarray(s["small_gap_eps"], float)
    for N in s["small_gap_N"]:
        for l1, l2 in ((lam, 0.0), (0.0, lam)):
            p_mc, se = m.p_grok_mc(None, N, int(s["mc_draws"]), rng, lambda1=l1, lambda2=l2, eps=epss)
            for e, b, sb in zip(epss, p_mc, se):
                el = float(m.eps_lambda(e, l1, l2))
                par = dict(N=N, eps=e, lambda1=l1, lambda2=l2, eps_lambda=el)
                rows += [dict(quantity="p_grok", method="theory", value=m.p_grok_quad(el, N), **par),
                         dict(quantity="p_grok", method="simulation", value=b, se=sb, **par)]
            tidy.append(pd.DataFrame(dict(N=N, eps_lambda=m.eps_lambda(epss, l1, l2), method="simulation",
                                          curve=f"small_gap_l{1 if l1 else 2}", p_grok=p_mc, se=se, eps=epss)))
    return pd.concat(tidy, ignore_index=True), make_numbers(rows)


def fig3(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fig 3: t_G densities for N = 2, 5, 10 at ε_λ = 0.4, 0.04, 0.004 (λ1 = λ2 = 0, ε = ε_λ); Eq. 17 (N = 2, mpmath)
    and MC of Eq. 16 over grokking training sets; mean/median t_G, Eq. 17 integral vs Eq. 15, PDF L1 distance."""
    s = dict(cfg)
    rng = np.random.default_rng(seed)
    edges = _grid(s["hist_edges"])
    width = np.diff(edges)
    tidy, rows = [], []
    n = int(s["mc_draws"])
    nb = int(s["median_batches"])
    for e in s["eps_lambda_values"]:
        th = m.eq17_summary(e, s["t_max"], int(s["mp_dps"]), edges)
        par2 = dict(N=2, eps_lambda=e, eps=e, lambda1=0.0, lambda2=0.0)
        rows += [dict(quantity="eq17_integral", method="theory", value=th["integral"], **par2),
                 dict(quantity="eq15_value", method="theory", value=th["eq15"], **par2),
                 dict(quantity="mean_t_grok", method="theory", value=th["mean"], **par2),
                 dict(quantity="median_t_grok", method="theory", value=th["median"], **par2)]
        tc = np.linspace(edges[0] + 1e-6, edges[-1], int(s["curve_points"]))
        dens = [float(m.eq17_unnorm(t, e, int(s["mp_dps"]))) / th["eq15"] for t in tc]
        tidy.append(pd.DataFrame(dict(N=2, eps_lambda=e, method="theory", t=tc, density=dens, se=np.nan)))
        for N in s["N_values"]:
            tg, acc = m.sample_t_grok(N, e, n, rng)
            par = dict(N=N, eps_lambda=e, eps=e, lambda1=0.0, lambda2=0.0)
            meds = [np.median(b) for b in np.array_split(tg, nb)]
            rows += [dict(quantity="mean_t_grok", method="simulation", value=tg.mean(),
                          se=tg.std(ddof=1) / np.sqrt(tg.size), **par),
                     dict(quantity="median_t_grok", method="simulation", value=float(np.median(tg)),
                          se=float(np.std(meds, ddof=1) / np.sqrt(nb)), **par),
                     dict(quantity="mc_accepted_fraction", method="simulation", value=acc, **par)]
            counts = np.histogram(np.minimum(tg, edges[-1] - 1e-12), edges)[0]
            p_mc = counts / tg.size
            tidy.append(pd.DataFrame(dict(N=N, eps_lambda=e, method="simulation", t=0.5 * (edges[1:] + edges[:-1]),
                                          density=p_mc / width, se=np.sqrt(p_mc * (1 - p_mc) / tg.size) / width)))
            if N == 2:
                p_th = th["bin_probs"]
                rows += [dict(quantity="pdf_l1_distance", method="simulation", value=np.abs(p_mc - p_th).sum(), **par),
                         dict(quantity="pdf_l1_noise_floor", method="simulation",
                              value=float(np.sum(np.sqrt(2 * p_th * (1 - p_th) / (np.pi * tg.size)))), **par)]
    return pd.concat(tidy, ignore_index=True), make_numbers(rows)

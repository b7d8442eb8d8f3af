"""Evaluators for the ball-model claims Z-13 … Z-25 (docs/decisions.md, Ball model), reading only the numbers
tables of :mod:`grokrepro.zunkovic2022.ball_figures` (figures ``ball_exponent``, ``fig5``, ``fig6``).

Tolerances (docs/decisions.md, Tolerances (Žunkovič) and Fit windows): the exponent fits are compared with
(D+1−2ξ)/2 within ``NU_TOL`` (the fit-window study found the median within 1e-3; 0.01 allows for the run-to-run
spread at quick scale); MC trends are judged with binomial standard errors (a step against the trend counts only
beyond ``TREND_SE`` combined se: "orderings beyond 2 SE"); analytic identities within ``ANALYTIC_TOL`` = 1e-4.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.records import ClaimRecord
from grokrepro.zunkovic2022.numbers import select, value

NU_TOL = 0.01
TREND_SE = 2.0
ANALYTIC_TOL = 1e-4
THRESHOLD_Z17, THRESHOLD_Z19 = 0.9, 0.915
LIMIT_ONE = 0.99  # Z-18: P at the largest D must reach this
INDEPENDENT_RATIO = 1.25  # Z-24 (simulation): "independent of λ2" = max/min of the fast t_G within this factor
FIG6_DEFAULT = dict(D=5, lambda2=0.01, eps=2.0)


def _rows(numbers, quantity, method="simulation", **params) -> pd.DataFrame:
    return select(numbers, quantity, method, **params)


def _steps_against(p: np.ndarray, se: np.ndarray, sign: int) -> list[int]:
    """Indices k where p[k+1] − p[k] goes against ``sign`` by more than TREND_SE combined se."""
    d = np.diff(p) * sign
    s = np.sqrt(se[1:] ** 2 + se[:-1] ** 2)
    return [int(k) for k in np.flatnonzero(d < -TREND_SE * s)]


def _beyond(a: float, sa: float, b: float, sb: float) -> bool:
    """a > b by more than TREND_SE combined se."""
    return a - b > TREND_SE * np.hypot(sa, sb)


def _fmt(p, se=None):
    return f"{p:.4g}" if se is None or not np.isfinite(se) else f"{p:.4g}±{se:.2g}"


# ------------------------------------------------------------------------------------------------- exponents


def z13(numbers, scale, artifact, note="") -> ClaimRecord:
    sim = _rows(numbers, "nu").query("xi != xi").sort_values("D")
    parts, ok = [], True
    for r in sim.itertuples():
        th = value(numbers, "nu", "theory", D=r.D, xi=None)
        q05 = value(numbers, "nu_q05", "simulation", D=r.D, xi=None)
        q95 = value(numbers, "nu_q95", "simulation", D=r.D, xi=None)
        n = value(numbers, "nu_runs", "simulation", D=r.D, xi=None)
        ok &= abs(r.value - th) <= NU_TOL
        parts.append(f"D={r.D:g}: median ν {r.value:.5f} (5–95 % {q05:.4f}–{q95:.4f}, {n:.0f} runs) vs (D+1)/2 = {th:g}")
    return ClaimRecord("Z-13", "; ".join(parts), f"|median ν − (D+1)/2| ≤ {NU_TOL} for each D (fit window pinned)",
                       "reproduced" if ok and len(sim) else "not_reproduced", scale, artifact, note)


def z14(numbers, scale, artifact, note="") -> ClaimRecord:
    sim = _rows(numbers, "nu").query("xi == xi").sort_values(["D", "xi"])
    parts, worst, worst_cap = [], 0.0, 0.0
    for r in sim.itertuples():
        th = value(numbers, "nu", "theory", D=r.D, xi=r.xi)
        cap = value(numbers, "cap_exponent", "theory", D=r.D, xi=r.xi)
        worst, worst_cap = max(worst, abs(r.value - th)), max(worst_cap, abs(cap - th))
        parts.append(f"D={r.D:g} ξ={r.xi:g}: ν {r.value:.4f} (cap {cap:.4f}) vs {th:g}")
    quad = _rows(numbers, "cap_quadrature_max_rel_diff", "theory").value.max()
    mcz = _rows(numbers, "cap_mc_max_abs_z").value.max()
    checks_ok = quad <= 1e-8 and mcz <= 4
    ok = worst <= NU_TOL and worst_cap <= NU_TOL and len(sim) > 0
    measured = ("; ".join(parts) + f"; largest |ν − (D+1−2ξ)/2| flows {worst:.2g}, cap-mass fit {worst_cap:.2g}; "
                f"quadrature vs closed form at ξ=0 {quad:.1e}; quadrature vs MC max |z| {mcz:.2f}")
    verdict = "reproduced" if ok and checks_ok else "not_reproduced"
    return ClaimRecord("Z-14", measured, f"|ν − (D+1−2ξ)/2| ≤ {NU_TOL} (flows and direct cap fit); quadrature checks "
                       "≤ 1e-8 (ξ=0) and |z| ≤ 4 (MC)", verdict, scale, artifact,
                       note or "radial density ∝ (1−r)^(−ξ), i.e. r ~ Beta(D, 1−ξ); training sets drawn from it")


# ------------------------------------------------------------------------------------------------- Fig 5


def _panel(numbers, var, defaults):
    fixed = {k: v for k, v in defaults.items() if k != var}
    s = _rows(numbers, "p_grok", lambda1=0.0, **fixed)
    s = s[np.isfinite(s.lambda2)].sort_values(var)
    return s[var].to_numpy(), s.value.to_numpy(), s.se.to_numpy()


def z15(numbers, scale, artifact, note="", defaults=None) -> ClaimRecord:
    d = defaults or dict(D=10, lambda2=0.1, N=10, eps=1.01)
    parts, ok = [], True
    for var, sign in (("D", -1), ("lambda2", +1), ("N", +1), ("eps", +1)):
        x, p, se = _panel(numbers, var, d)
        if len(x) < 2:
            return ClaimRecord("Z-15", f"panel {var} missing", "", "not_run", scale, artifact, note)
        if var == "lambda2":  # "increases up to a maximum": judged up to the arg-max
            k = int(np.argmax(p))
            bad = _steps_against(p[:k + 1], se[:k + 1], +1)
            overall = _beyond(p[k], se[k], p[0], se[0])
        else:
            bad = _steps_against(p, se, sign)
            overall = _beyond(p[-1], se[-1], p[0], se[0]) if sign > 0 else _beyond(p[0], se[0], p[-1], se[-1])
        ok &= overall and not bad
        parts.append(f"{var}: " + ", ".join(f"{a:g}→{_fmt(b, s)}" for a, b, s in zip(x, p, se))
                     + ("" if not bad else f" [steps against the trend at {[float(x[i]) for i in bad]}]"))
    return ClaimRecord("Z-15", "; ".join(parts), f"trend: no step against it beyond {TREND_SE:g} combined se and "
                       f"first-to-last change beyond {TREND_SE:g} se (λ2: up to the arg-max); values not compared "
                       "(Eq. 30 unavailable, Z-D15)", "reproduced" if ok else "not_reproduced", scale, artifact, note)


def z16(numbers, scale, artifact, note="") -> ClaimRecord:
    s = _rows(numbers, "p_grok", eps=1.0, lambda1=0.0)
    s = s.sort_values(["lambda2", "D", "N"])
    parts = [f"λ2={r.lambda2:g} (D={r.D:g}, N={r.N:g}): {r.value:g}" for r in s.itertuples()]
    ok = len(s) > 0 and bool((s.value == 0).all()) and bool(np.isinf(s.lambda2).any())
    return ClaimRecord("Z-16", "; ".join(parts), "exactly 0 at every λ2 incl. the λ2 → ∞ limit (criterion exact at "
                       "ε = 1: (ε²−1)w₁² ≥ ‖w_⊥‖²)", "reproduced" if ok else "not_reproduced", scale, artifact, note)


def _best(numbers, threshold, cid, note, scale, artifact):
    s = _rows(numbers, "p_grok_max", lambda2=np.inf, eps=1.0).sort_values(["N", "D"])
    if s.empty:
        return ClaimRecord(cid, "no best-λ1 scan", "", "not_run", scale, artifact, note)
    res, parts = {}, []
    for N, g in s.groupby("N"):
        holds = bool(((g.value - TREND_SE * g.se) > threshold).all())
        res[N] = holds
        lam = [value(numbers, "best_lambda1", "simulation", D=r.D, N=N, lambda2=np.inf, eps=1.0) for r in g.itertuples()]
        parts.append(f"N={N:g}: " + ", ".join(f"D={r.D:g} {_fmt(r.value, r.se)} @λ1={l:g}"
                                              for r, l in zip(g.itertuples(), lam)) + f" → {'holds' if holds else 'fails'}")
    n1 = [v for k, v in res.items() if k == 1]
    n2 = [v for k, v in res.items() if k >= 2]
    if all(n1) and all(n2):
        verdict = "reproduced"
    elif all(n2) and n2:
        verdict = "partial"
    else:
        verdict = "not_reproduced"
    return ClaimRecord(cid, "; ".join(parts), f"max over λ1 ∈ [0, 1] (step 0.01) of MC P > {threshold} beyond "
                       f"{TREND_SE:g} se at every D, ε = 1, λ2 → ∞; N = 1 and N ≥ 2 scored separately (partial = holds "
                       "for N ≥ 2 only)", verdict, scale, artifact, note)


def z17(numbers, scale, artifact, note="") -> ClaimRecord:
    return _best(numbers, THRESHOLD_Z17, "Z-17", note, scale, artifact)


def z19(numbers, scale, artifact, note="") -> ClaimRecord:
    return _best(numbers, THRESHOLD_Z19, "Z-19", note or "Eq. 33 unavailable: tested through the MC maxima", scale,
                 artifact)


def z18(numbers, scale, artifact, note="") -> ClaimRecord:
    s = _rows(numbers, "p_grok", lambda2=np.inf, eps=1.0)
    s = s[(s.lambda1 > 0) & (s.lambda1 < 1)]
    if s.empty:
        return ClaimRecord("Z-18", "no large-D scan", "", "not_run", scale, artifact, note)
    parts, limit_ok, tail_ok, dips = [], True, True, 0
    for (N, l1), g in s.groupby(["N", "lambda1"]):
        g = g.sort_values("D")
        p, se = g.value.to_numpy(), g.se.to_numpy()
        limit_ok &= p[-1] >= LIMIT_ONE
        tail_ok &= not _steps_against(p[-3:], se[-3:], +1)
        dips += bool(_steps_against(p, se, +1))
        parts.append(f"N={N:g} λ1={l1:g}: " + ", ".join(f"D={d:g} {_fmt(v)}" for d, v in zip(g.D, p)))
    verdict = "reproduced" if limit_ok and tail_ok else ("partial" if limit_ok else "not_reproduced")
    return ClaimRecord("Z-18", "; ".join(parts) + f"; {dips} of {s.groupby(['N', 'lambda1']).ngroups} (N, λ1) curves "
                       "dip at small D before rising", f"P ≥ {LIMIT_ONE} at the largest D and no decrease beyond "
                       f"{TREND_SE:g} se over the three largest D (λ2 → ∞, ε = 1)", verdict, scale, artifact,
                       note or "the monotone increase holds for the best-λ1 maxima (Z-17), not at every fixed λ1")


def z20(numbers, scale, artifact, note="") -> ClaimRecord:
    s = _rows(numbers, "p_grok", lambda2=np.inf, lambda1=0.0)
    s = s[s.eps > 1]
    out, parts = {}, []
    for eps, g in s.groupby("eps"):
        g = g.sort_values("D")
        p, se, D = g.value.to_numpy(), g.se.to_numpy(), g.D.to_numpy()
        dec = not _steps_against(p, se, -1) and _beyond(p[0], se[0], p[-1], se[-1])
        inc = not _steps_against(p, se, +1) and _beyond(p[-1], se[-1], p[0], se[0])
        r2 = np.nan
        if (p > 0).all():
            r2 = np.corrcoef(D, np.log(p))[0, 1] ** 2
        out[eps] = (dec and r2 >= 0.95, inc)
        parts.append(f"ε={eps:g} (N={g.N.iloc[0]:g}): " + ", ".join(f"D={d:g} {_fmt(v, e)}" for d, v, e in zip(D, p, se))
                     + f" → {'exponential decay' if out[eps][0] else 'increase' if inc else 'no clear trend'}"
                     + (f" (R² of ln P vs D {r2:.3f})" if np.isfinite(r2) else ""))
    if len(out) < 2:
        return ClaimRecord("Z-20", "; ".join(parts), "", "not_run", scale, artifact, note)
    near = out[min(out)][0]
    far_inc = out[max(out)][1]
    verdict = ("paper_erratum" if near and far_inc else "reproduced" if near and out[max(out)][0]
               else "not_reproduced")
    return ClaimRecord("Z-20", "; ".join(parts), f"decay: decreasing beyond {TREND_SE:g} se and R²(ln P, D) ≥ 0.95; "
                       "paper_erratum when it decays near ε = 1 but increases at the larger ε (the paper's "
                       "'independent of the remaining parameter values' fails)", verdict, scale, artifact, note)


# ------------------------------------------------------------------------------------------------- Fig 6


def z21(numbers, scale, artifact, note="") -> ClaimRecord:
    p = dict(FIG6_DEFAULT)
    pf = value(numbers, "p_fast", "theory", **p)
    mass = value(numbers, "fast_mass_integral", "theory", **p)
    sim = _rows(numbers, "p_fast", **p)
    ok = abs(pf - mass) <= ANALYTIC_TOL
    s = sim.iloc[0] if len(sim) else None
    measured = f"p_fast = F_χ²_4(0.75) = {pf:.10g} at D=5, ε=2; ∫P_fast dt = {mass:.10g}"
    if s is not None:
        measured += (f"; simulation (N={s.N:g}): fraction of grokking runs meeting Eq. 40, ‖w_⊥(0)‖² < 1−1/ε², "
                     f"{_fmt(s.value, s.se)} (conditional on the run grokking and not starting at zero error)")
    return ClaimRecord("Z-21", measured, f"Eq. 45 vs the integral of Eq. 43 within {ANALYTIC_TOL:g}",
                       "reproduced" if ok else "not_reproduced", scale, artifact, note)


def z22(numbers, scale, artifact, note="") -> ClaimRecord:
    p = dict(FIG6_DEFAULT)
    slow = value(numbers, "slow_t_grok", "theory", **p)
    geo = value(numbers, "slow_t_grok_geometric", "theory", **p)
    dw = value(numbers, "delta_weight", "theory", **p)
    exp = np.log(2.0 ** 4 / (2.0 ** 4 - 1)) / (2 * (0.01 + 1 / 7))
    s = _rows(numbers, "slow_t_grok").set_index(["D", "lambda2", "eps"]).value
    closer_geo, parts = 0, []
    for (D, l2, e), v in s.items():
        a = value(numbers, "slow_t_grok", "theory", D=D, lambda2=l2, eps=e)
        b = value(numbers, "slow_t_grok_geometric", "theory", D=D, lambda2=l2, eps=e)
        closer_geo += abs(np.log(v / b)) < abs(np.log(v / a))
        parts.append(f"({D:g},{l2:g},{e:g}) sim {v:.3g} / Eq.47 {a:.3g} / geometric {b:.3g}")
    formula_ok = abs(slow - exp) <= ANALYTIC_TOL
    if not formula_ok:
        verdict = "not_reproduced"
    elif len(s) and closer_geo > len(s) / 2:
        verdict = "paper_erratum"
    else:
        verdict = "reproduced"
    measured = (f"Eq. 47 at D=5, λ2=0.01, ε=2: t_G = {slow:.10g}, delta weight 1 − p_fast = {dw:.10g}; Z-D6 "
                f"geometric form ln(ε²/(ε²−1))/(2λ_2,D) = {geo:.10g}; simulated slow-path t_G (median of runs not "
                f"meeting Eq. 40) closer to the geometric form in {closer_geo} of {len(s)} settings: " + "; ".join(parts))
    return ClaimRecord("Z-22", measured, f"formula value within {ANALYTIC_TOL:g}; paper_erratum when the simulation "
                       "favours the geometric form (log distance) in most settings", verdict, scale, artifact,
                       note or "Eq. 46 drops the 1/ξ of ‖w_⊥‖ ≤ w₁√(1−ξ²)/ξ; Eq. 47 kept for Fig. 6 (Z-D6)")


def z23(numbers, scale, artifact, note="") -> ClaimRecord:
    th = numbers[(numbers.method == "theory") & (numbers.quantity == "eq44_max_abs_diff")]
    eq44 = th.value.max()
    worst = 0.0
    for r in _rows(numbers, "p_fast", "theory").itertuples():
        m = value(numbers, "fast_mass_integral", "theory", D=r.D, lambda2=r.lambda2, eps=r.eps)
        worst = max(worst, abs(m - r.value))
    mr = max(abs(value(numbers, "mean_fast_t_grok", "theory", D=r.D, lambda2=r.lambda2, eps=r.eps) - r.value)
             for r in _rows(numbers, "mean_fast_t_grok_r_side", "theory").itertuples())
    ok = eq44 <= ANALYTIC_TOL and worst <= ANALYTIC_TOL and len(th) > 0
    return ClaimRecord("Z-23", f"max |Eq. 44 printed − [(E−1)/(κE−1)]²| = {eq44:.2g}; max |∫P_fast dt − p_fast| = "
                       f"{worst:.2g} over {len(th)} settings; mean fast t_G in t vs in r: max diff {mr:.2g}",
                       f"{ANALYTIC_TOL:g} (docs/decisions.md)", "reproduced" if ok else "not_reproduced", scale,
                       artifact, note)


def _fig6(numbers, q, method, **p):
    return value(numbers, q, method, **p)


def z24(numbers, scale, artifact, note="") -> ClaimRecord:
    checks = {}
    for m in ("theory", "simulation"):
        g = lambda q, D=5, l2=0.01, e=2.0: _fig6(numbers, q, m, D=D, lambda2=l2, eps=e)  # noqa: E731
        fast_q = "mean_fast_t_grok"
        pf = [g("p_fast", D=D) for D in (2, 3, 5, 10)]
        sl = [g("slow_t_grok", D=D) for D in (2, 3, 5, 10)]
        fl2 = [g(fast_q, l2=l2) for l2 in (0.001, 0.01, 0.1)]
        sl2 = [g("slow_t_grok", l2=l2) for l2 in (0.001, 0.01, 0.1)]
        fe = [g(fast_q, e=e) for e in (1.5, 2.0, 3.0)]
        se_ = [g("slow_t_grok", e=e) for e in (1.5, 2.0, 3.0)]
        checks[m] = {
            "D↑⇒p_fast↓": (bool(np.all(np.diff(pf) < 0)), pf),
            "D↑⇒slow↑": (bool(np.all(np.diff(sl) > 0)), sl),
            "fast indep. of λ2": ((max(fl2) / min(fl2) <= (1 + 1e-9 if m == "theory" else INDEPENDENT_RATIO)), fl2),
            "λ2↓⇒slow↑": (bool(np.all(np.diff(sl2) < 0)), sl2),
            "ε↑⇒fast↓": (bool(np.all(np.diff(fe) < 0)), fe),
            "ε↑⇒slow↓": (bool(np.all(np.diff(se_) < 0)), se_),
        }
    parts = []
    for m, cs in checks.items():
        parts.append(f"{m}: " + "; ".join(f"{k} {'yes' if ok else 'NO'} ({', '.join(f'{v:.3g}' for v in vals)})"
                                          for k, (ok, vals) in cs.items()))
    th_ok = all(ok for ok, _ in checks["theory"].values())
    sim_ok = all(ok for ok, _ in checks["simulation"].values())
    verdict = "reproduced" if th_ok and sim_ok else "partial" if th_ok else "not_reproduced"
    return ClaimRecord("Z-24", " | ".join(parts), "strict orderings over the Fig 6 settings (D: 2,3,5,10; "
                       "λ2: 1e-3, 1e-2, 0.1; ε: 1.5, 2, 3); 'independent': equal (theory) or within a factor "
                       f"{INDEPENDENT_RATIO} (simulation); simulated p_fast = fraction meeting Eq. 40, fast t_G = their "
                       "mean, slow t_G = median of the rest; partial = theory holds, simulation not everywhere",
                       verdict, scale, artifact, note)


def z25(numbers, scale, artifact, note="") -> ClaimRecord:
    pf = _rows(numbers, "p_fast", "theory")
    fmax = _rows(numbers, "fast_pdf_max", "theory")
    th_ok = bool(((pf.value > 0) & (pf.value < 1)).all() and np.isfinite(fmax.value).all()) and len(pf) > 0
    p = dict(FIG6_DEFAULT)
    modes = value(numbers, "kde_modes", "simulation", **p)
    fast_side = value(numbers, "kde_fast_side_mode", "simulation", **p)
    ff = value(numbers, "median_fast_t_grok", "simulation", **p)
    ss = value(numbers, "slow_t_grok", "simulation", **p)
    allfs = _rows(numbers, "kde_fast_side_mode")
    measured = (f"theory: continuous fast part (finite PDF, weights {pf.value.min():.3g}–{pf.value.max():.3g}) plus a "
                f"delta of weight 1 − p_fast in all {len(pf)} settings; simulation at D=5, λ2=0.01, ε=2: KDE of log10 "
                f"t_G has {modes:.0f} mode(s), fast-side mode {'yes' if fast_side else 'no'}; runs meeting Eq. 40 "
                f"have median t_G {ff:.3g} vs {ss:.3g} for the rest; fast-side mode in {int(allfs.value.sum())} of "
                f"{len(allfs)} settings")
    verdict = ("reproduced" if th_ok and fast_side else "partial" if th_ok else "not_reproduced")
    return ClaimRecord("Z-25", measured, "theory: 0 < p_fast < 1 with finite fast PDF; simulation: a KDE (Silverman) "
                       "mode ≥ 5 % of the main one at shorter t_G than the main mode (partial = theory only)",
                       verdict, scale, artifact, note)


CLAIMS = {"Z-13": z13, "Z-14": z14, "Z-15": z15, "Z-16": z16, "Z-17": z17, "Z-18": z18, "Z-19": z19, "Z-20": z20,
          "Z-21": z21, "Z-22": z22, "Z-23": z23, "Z-24": z24, "Z-25": z25}
FIGURE_OF = {"Z-13": "ball_exponent", "Z-14": "ball_exponent", **{f"Z-{i}": "fig5" for i in range(15, 21)},
             **{f"Z-{i}": "fig6" for i in range(21, 26)}}

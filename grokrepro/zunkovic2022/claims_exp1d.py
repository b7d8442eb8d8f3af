"""Evaluators for the 1D exponential model claims of Žunkovič & Ilievski (2022), Z-01 … Z-12
(docs/decisions.md, 1D exponential model).

Each ``zNN(numbers, scale, artifact, note="") -> ClaimRecord`` reads only the numbers table of its figure
(:mod:`grokrepro.zunkovic2022.exp1d_figures`). Tolerances are those of docs/decisions.md (Tolerances (Žunkovič))
or derived from the Monte Carlo standard errors in the table; each record states the one it used. A closed form that
disagrees with its independent simulation beyond tolerance gives ``paper_erratum`` (the record carries the
evidence); an MC trend or exponent that does not hold gives ``not_reproduced``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.records import ClaimRecord

ODE_TOL = 1e-8  # Z-01: closed form vs numerical ODE (docs/decisions.md, Tolerances (Žunkovič))
LASSO_TOL = 1e-10  # Z-D11: proximal scheme's long-time value vs the lasso solution (its exact fixed point)
Z_SIGMA = 3.0  # MC within ±3σ (same)
NU_TOL = 0.01  # Z-03/Z-04: |ν − 1| and |slope ratio − 1|; the fit window's linearisation bias is <= ~1e-3
T_EPS_TOL = 1e-8  # Eq. 8 vs the simulated crossing time (relative)
EQ15_TOL = 1e-10  # Z-07 (same)
DENSITY_TOL = 1e-8  # Z-06: ∫P_N = 1 (quadrature accuracy)
T_GROK_TOL = 1e-8  # Z-10: Eq. 16 vs simulated flow (same accuracy as Z-01)
EQ17_REL_TOL = 1e-8  # Z-11: truncation at t = 25 leaves relative mass < 1e-8 (docs/decisions.md)
MEAN_TOL = 0.01  # Fig 3: means ±0.01 (widened to 3 MC se where that is larger)
L1_TOL = 0.02  # Fig 3: PDF L1 distance < 0.02 (widened to 2x the MC noise floor where that is larger)


def _rows(numbers: pd.DataFrame, quantity: str, method: str | None = None) -> pd.DataFrame:
    sel = numbers[numbers.quantity == quantity]
    return sel if method is None else sel[sel.method == method]


def _par(r) -> str:
    out = []
    for k in ("N", "eps", "lambda1", "lambda2", "eps_lambda"):
        v = getattr(r, k)
        if pd.notna(v):
            out.append(f"{k}={v:g}")
    return ",".join(out)


def _missing(cid: str, scale: str, artifact: str, note: str, what: str) -> ClaimRecord:
    return ClaimRecord(cid, f"no {what} rows in the numbers", "", "not_run", scale, artifact, note)


def _z(mc, th, se) -> np.ndarray:
    """|mc − th| / se, 0 where they are equal (also when se = 0), inf where se = 0 and they differ."""
    d = np.abs(np.asarray(mc, float) - np.asarray(th, float))
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d == 0, 0.0, np.where(se > 0, d / np.where(se > 0, se, 1.0), np.inf))


def _z_verdict(z: np.ndarray) -> str:
    """reproduced: every |z| <= 3; partial: one point in (3, 4] (≈ 0.27 % false alarms per point); else not."""
    z = np.abs(np.asarray(z, float))
    if (z <= Z_SIGMA).all():
        return "reproduced"
    if (z > Z_SIGMA).sum() == 1 and (z <= 4.0).all():
        return "partial"
    return "not_reproduced"


def _pair(numbers: pd.DataFrame, quantity: str, keys=("N", "eps_lambda", "eps", "lambda1", "lambda2")):
    """Theory and simulation rows of ``quantity`` joined on the parameters: columns th, mc, se and the keys."""
    th = _rows(numbers, quantity, "theory")[list(keys) + ["value"]].rename(columns={"value": "th"})
    mc = _rows(numbers, quantity, "simulation")[list(keys) + ["value", "se"]].rename(columns={"value": "mc"})
    return th.fillna(-1).merge(mc.fillna({k: -1 for k in keys}), on=list(keys)).replace(-1, np.nan)


def z01(numbers, scale, artifact, note=""):
    d, lasso = _rows(numbers, "b_max_abs_diff"), _rows(numbers, "prox_lasso_diff")
    if d.empty:
        return _missing("Z-01", scale, artifact, note, "b_max_abs_diff")
    worst, worst_l = d.value.max(), lasso.value.max() if len(lasso) else np.nan
    prox = _rows(numbers, "prox_max_abs_diff").value.max()
    measured = (f"max |b_closed − b_ODE| over {len(d)} cases (incl. λ1 > 0 sticking at 0 and crossing 0): "
                f"{worst:.3g} ({'; '.join(f'{_par(r)}: {r.value:.2g}' for r in d.itertuples())}); proximal Euler "
                f"(dt 1e-3) long-time value vs lasso solution: max {worst_l:.3g}; its trajectory differs by <= "
                f"{prox:.2g} (O(dt), diagnostic)")
    ok = worst <= ODE_TOL and worst_l <= LASSO_TOL
    return ClaimRecord("Z-01", measured, f"max abs diff <= {ODE_TOL:g} (docs/decisions.md); lasso fixed point <= "
                       f"{LASSO_TOL:g}", "reproduced" if ok else "paper_erratum", scale, artifact,
                       note if ok else (note + "; closed form disagrees with the numerical ODE").strip("; "))


def z02(numbers, scale, artifact, note=""):
    sym, printed = _rows(numbers, "error_max_abs_z"), _rows(numbers, "error_max_abs_z_eq7")
    if sym.empty:
        return _missing("Z-02", scale, artifact, note, "error_max_abs_z")
    n_pts = int(_rows(numbers, "error_points").value.sum())
    fmt = lambda df: "; ".join(f"{_par(r)}: {r.value:.3g}" for r in df.itertuples())  # noqa: E731
    measured = (f"{n_pts} (case, t) points, MC population error of the simulated b(t) vs closed form; max |z| "
                f"per case, Eq. 7 as printed: {fmt(printed)}; with the mirror branch for b < −ε: {fmt(sym)}")
    tol = f"|MC − theory| <= {Z_SIGMA:g} σ at every point (σ: binomial, balanced test sample); zero exactly where E = 0"
    if (printed.value <= Z_SIGMA).all():
        return ClaimRecord("Z-02", measured, tol, "reproduced", scale, artifact, note)
    if (sym.value <= Z_SIGMA).all():
        return ClaimRecord("Z-02", measured, tol, "paper_erratum", scale, artifact,
                           (note + "; Eq. 7 as printed gives E = 0 for b < −ε, where the negatives are misclassified "
                            "(reachable under the paper's assumptions when x̄ < −ε_λ, cf. Eq. 11); "
                            "E = ½(1 − e^{ε − |b|}) for |b| > ε agrees with MC").strip("; "))
    return ClaimRecord("Z-02", measured, tol, "not_reproduced", scale, artifact, note)


def z03(numbers, scale, artifact, note=""):
    nu, ratio = _rows(numbers, "nu"), _rows(numbers, "nu_slope_ratio")
    if nu.empty:
        return _missing("Z-03", scale, artifact, note, "nu")
    te, tp = _rows(numbers, "t_eps_rel_diff"), _rows(numbers, "t_eps_rel_diff_printed")
    measured = (f"ν per simulated run ({len(nu)} settings of b(0), λ1, λ2, ε): "
                f"{', '.join(f'{v:.5f}' for v in nu.value)}; fitted slope / ½(1+λ2)(ε − x̄_λ): "
                f"{', '.join(f'{v:.5f}' for v in ratio.value)}; t_ε of Eq. 8 with 1/(1+λ2) vs simulated crossing: "
                f"max rel. diff {te.value.max():.2g}; Eq. 8 as printed: max rel. diff {tp.value.max():.3g} (= λ2, "
                f"Z-D3)")
    ok = (np.abs(nu.value - 1) <= NU_TOL).all() and (np.abs(ratio.value - 1) <= NU_TOL).all() \
        and (te.value <= T_EPS_TOL).all()
    return ClaimRecord("Z-03", measured, f"|ν − 1| <= {NU_TOL:g} and |slope ratio − 1| <= {NU_TOL:g} in every setting "
                       f"(fit window pinned in config); Eq. 8 (corrected) within {T_EPS_TOL:g} relative",
                       "reproduced" if ok else "not_reproduced", scale, artifact, note)


def z04(numbers, scale, artifact, note=""):
    r, nu = _rows(numbers, "avg_slope_ratio"), _rows(numbers, "nu_avg")
    if r.empty:
        return _missing("Z-04", scale, artifact, note, "avg_slope_ratio")
    runs = _rows(numbers, "avg_runs_used").value
    measured = "; ".join(f"{_par(a)}: slope of ⟨⟨E⟩⟩ / (ε_λ/2) = {a.value:.4f} ± {a.se:.4f}, ν = {b.value:.5f}"
                         for a, b in zip(r.itertuples(), nu.itertuples())) + f" ({int(runs.min())}+ runs each)"
    ok = ((np.abs(r.value - 1) <= Z_SIGMA * r.se + NU_TOL).all() and (np.abs(nu.value - 1) <= NU_TOL).all())
    return ClaimRecord("Z-04", measured, f"|ratio − 1| <= {Z_SIGMA:g} se + {NU_TOL:g} (linearisation); |ν − 1| <= "
                       f"{NU_TOL:g}; average over grokking sets (|x̄| < ε_λ), b(0) ~ U(ε + x_min, ε + x_min + 1), "
                       "aligned at t_ε", "reproduced" if ok else "not_reproduced", scale, artifact, note)


def z05(numbers, scale, artifact, note=""):
    mis, draws = _rows(numbers, "eq11_mismatches"), _rows(numbers, "eq11_draws")
    if mis.empty:
        return _missing("Z-05", scale, artifact, note, "eq11_mismatches")
    fr = _pair(numbers, "final_zero_error_fraction")
    z = _z(fr.mc, fr.th, fr.se)
    measured = (f"simulated long-time flows with zero population error vs |x̄| < ε_λ: {int(mis.value.sum())} "
                f"mismatches in {int(draws.value.sum())} flows over {len(mis)} settings; zero-error fraction vs "
                "Eq. 14: " + "; ".join(f"{_par(r)}: {r.mc:.4f} ± {r.se:.4f} vs {r.th:.4f}"
                                       for r in fr.itertuples()))
    tol = f"0 mismatches; fractions within {Z_SIGMA:g} σ"
    if mis.value.sum() > 0:
        return ClaimRecord("Z-05", measured, tol, "paper_erratum", scale, artifact,
                           (note + "; Eq. 11 disagrees with the simulated flows").strip("; "))
    return ClaimRecord("Z-05", measured, tol, "reproduced" if (z <= Z_SIGMA).all() else "partial", scale, artifact,
                       note)


def z06(numbers, scale, artifact, note=""):
    dens = _rows(numbers, "density_integral")
    p = _pair(numbers, "p_grok")
    p = p[p.lambda1.isna()]
    if dens.empty or p.empty:
        return _missing("Z-06", scale, artifact, note, "density_integral/p_grok")
    z = _z(p.mc, p.th, p.se)
    worst = np.abs(dens.value - 1).max()
    measured = (f"∫P_N − 1: {', '.join(f'N={r.N:g}: {r.value - 1:.2g}' for r in dens.itertuples())}; MC vs "
                f"quadrature over {len(p)} (N, ε_λ) points: max |z| = {z.max():.2f}, {(z > Z_SIGMA).sum()} beyond "
                f"{Z_SIGMA:g} σ")
    tol = f"|∫P_N − 1| <= {DENSITY_TOL:g}; MC within {Z_SIGMA:g} σ (partial: one point in (3, 4] σ)"
    if worst > DENSITY_TOL:
        return ClaimRecord("Z-06", measured, tol, "paper_erratum", scale, artifact,
                           (note + "; Eq. 13 is not normalised").strip("; "))
    v = _z_verdict(z)
    return ClaimRecord("Z-06", measured, tol, v if v != "not_reproduced" else "paper_erratum", scale, artifact,
                       note if v != "not_reproduced" else (note + "; Eq. 14 disagrees with MC").strip("; "))


def z07(numbers, scale, artifact, note=""):
    e15 = _rows(numbers, "p_grok_eq15")
    q = _rows(numbers, "p_grok", "theory")
    q = q[(q.N == 2) & q.lambda1.isna()]
    if e15.empty:
        return _missing("Z-07", scale, artifact, note, "p_grok_eq15")
    j = e15.merge(q, on="eps_lambda", suffixes=("_15", "_q"))
    diff = np.abs(j.value_15 - j.value_q).max()
    p04 = j[np.isclose(j.eps_lambda, 0.4)]
    p04s = (f"{float(p04.value_15.iloc[0])!r} (quadrature {float(p04.value_q.iloc[0])!r})" if len(p04)
            else "not computed")
    measured = f"max |Eq. 15 − 2∫_0^ε_λ P_2| over {len(j)} ε_λ = {diff:.3g}; P_grok(N=2, ε_λ=0.4) = {p04s}"
    ok = diff <= EQ15_TOL
    return ClaimRecord("Z-07", measured, f"abs diff <= {EQ15_TOL:g} (docs/decisions.md)",
                       "reproduced" if ok else "paper_erratum",
                       scale, artifact, note if ok else (note + "; Eq. 15 disagrees with Eq. 14").strip("; "))


def z08(numbers, scale, artifact, note=""):
    q = _rows(numbers, "p_grok", "theory")
    q = q[q.lambda1.isna()]
    qc = _rows(numbers, "p_grok_complement", "theory")
    if q.empty:
        return _missing("Z-08", scale, artifact, note, "p_grok")
    src = qc if len(qc) else q.assign(value=1 - q.value)  # 1 − P resolves the values close to 1
    tab = src.pivot_table(index="eps_lambda", columns="N", values="value")
    inc_e = bool((np.diff(tab.values, axis=0) < 0).all())
    inc_n = bool((np.diff(tab.values, axis=1) < 0).all())
    pt = q.pivot_table(index="eps_lambda", columns="N", values="value")
    grid = "; ".join(f"ε_λ={e:g}: " + ", ".join(f"N={n:g} {pt.loc[e, n]:.6f}" for n in pt.columns) for e in pt.index)
    mc = _pair(numbers, "p_grok")
    mc = mc[mc.lambda1.isna()]
    z = _z(mc.mc, mc.th, mc.se) if len(mc) else np.array([np.nan])
    measured = (f"quadrature P_grok: {grid}; increasing in ε_λ: {inc_e}; increasing in N: {inc_n}; "
                f"MC max |z| = {z.max():.2f}")
    ok = inc_e and inc_n
    return ClaimRecord("Z-08", measured, "strictly increasing in N and ε_λ on the grid (compared via 1 − P); "
                       "MC agreement "
                       "scored in Z-06", "reproduced" if ok else "not_reproduced", scale, artifact, note)


def z09(numbers, scale, artifact, note=""):
    p = _pair(numbers, "p_grok")
    p = p[p.lambda1.notna()]
    if p.empty:
        return _missing("Z-09", scale, artifact, note, "small-gap p_grok")
    parts, ok = [], True
    for (N, l1, l2), g in p.groupby(["N", "lambda1", "lambda2"]):
        g = g.sort_values("eps", ascending=False)
        at0 = g[g.eps == 0].iloc[0]
        if l1 > 0:  # L1: P stays > 0 as ε → 0, tending to P(ε_λ = λ1)
            good = at0.th > 0 and at0.mc - 5 * at0.se > 0 and (np.diff(g.th.values) <= 0).all()
        else:  # L2 alone: P → 0 (decreasing with ε, zero at ε = 0)
            good = at0.th == 0 and at0.mc <= Z_SIGMA * at0.se and (np.diff(g.th.values) < 0).all()
        ok &= bool(good)
        parts.append(f"N={N:g} λ1={l1:g} λ2={l2:g}: ε = " + ", ".join(f"{r.eps:g} → {r.th:.4g} (MC {r.mc:.4g} ± "
                                                                       f"{r.se:.2g})" for r in g.itertuples()))
    z = _z(p.mc, p.th, p.se)
    zv = _z_verdict(z)
    measured = "; ".join(parts) + f"; MC vs formula max |z| = {z.max():.2f}"
    tol = ("λ1 > 0: formula > 0 and MC > 5 se at ε = 0 (ε_λ = λ1); λ2 alone: formula decreasing to exactly 0 at ε = 0 "
           f"and MC <= {Z_SIGMA:g} se there; MC within {Z_SIGMA:g} σ (partial: one point in (3, 4] σ)")
    verdict = "not_reproduced" if not ok else zv
    return ClaimRecord("Z-09", measured, tol, verdict, scale, artifact, note)


def z10(numbers, scale, artifact, note=""):
    d, sp = _rows(numbers, "t_grok_max_abs_diff"), _rows(numbers, "t_grok_b0_spread")
    if d.empty:
        return _missing("Z-10", scale, artifact, note, "t_grok_max_abs_diff")
    runs = int(_rows(numbers, "t_grok_runs").value.sum())
    measured = (f"{runs} simulated flows ({len(d)} settings incl. λ1, λ2 > 0, several b(0) per training set): max "
                f"|t_G(sim) − Eq. 16| = {d.value.max():.3g}; max spread of simulated t_G over b(0) = "
                f"{sp.value.max():.3g}")
    ok = d.value.max() <= T_GROK_TOL and sp.value.max() <= T_GROK_TOL
    return ClaimRecord("Z-10", measured, f"both <= {T_GROK_TOL:g} (numerical-flow accuracy, as Z-01)",
                       "reproduced" if ok else "paper_erratum", scale, artifact,
                       note if ok else (note + "; Eq. 16 disagrees with the simulated flow").strip("; "))


def z11(numbers, scale, artifact, note=""):
    integ, e15 = _rows(numbers, "eq17_integral"), _rows(numbers, "eq15_value")
    if integ.empty:
        return _missing("Z-11", scale, artifact, note, "eq17_integral")
    parts, ok_int, ok_pdf = [], True, True
    for r in integ.itertuples():
        e = r.eps_lambda
        sel = lambda q, meth: _rows(numbers, q, meth)[lambda d: np.isclose(d.eps_lambda, e) & (d.N == 2)]  # noqa
        p15 = sel("eq15_value", "theory").value.iloc[0]
        rel = abs(r.value / p15 - 1)
        mt, mm = sel("mean_t_grok", "theory").iloc[0], sel("mean_t_grok", "simulation").iloc[0]
        dt, dm = sel("median_t_grok", "theory").iloc[0], sel("median_t_grok", "simulation").iloc[0]
        l1 = sel("pdf_l1_distance", "simulation").value.iloc[0]
        l0 = sel("pdf_l1_noise_floor", "simulation").value.iloc[0]
        tol_l1 = max(L1_TOL, 2 * l0)
        ok_int &= rel <= EQ17_REL_TOL
        ok_pdf &= (l1 <= tol_l1 and abs(mt.value - mm.value) <= max(MEAN_TOL, Z_SIGMA * mm.se)
                   and abs(dt.value - dm.value) <= max(MEAN_TOL, Z_SIGMA * dm.se))
        parts.append(f"ε_λ={e:g}: ∫Eq.17 = {float(r.value)!r} vs Eq. 15 {float(p15)!r} (rel {rel:.2g}); "
                     f"mean t_G {mt.value:.5f} "
                     f"(MC {mm.value:.5f} ± {mm.se:.4f}); median {dt.value:.5f} (MC {dm.value:.5f} ± {dm.se:.4f}); "
                     f"PDF L1 {l1:.4f} (tol {tol_l1:.3f})")
    tol = (f"integral within {EQ17_REL_TOL:g} relative of Eq. 15; mean/median within max({MEAN_TOL:g}, "
           f"{Z_SIGMA:g} se) of MC; PDF L1 <= max({L1_TOL:g}, 2 × MC noise floor)")
    ok = ok_int and ok_pdf and len(e15) > 0
    return ClaimRecord("Z-11", "; ".join(parts), tol, "reproduced" if ok else "paper_erratum", scale, artifact,
                       note if ok else (note + "; Eq. 17 disagrees with Eq. 15 or with MC of Eq. 16").strip("; "))


def z12(numbers, scale, artifact, note=""):
    mc = _rows(numbers, "mean_t_grok", "simulation")
    if mc.empty:
        return _missing("Z-12", scale, artifact, note, "mean_t_grok")
    tab = mc.pivot_table(index="eps_lambda", columns="N", values="value")
    se = mc.pivot_table(index="eps_lambda", columns="N", values="se")
    # decreasing in N (along columns) and in eps_lambda (along rows, ascending index)
    dn = tab.values[:, :-1] - tab.values[:, 1:]
    sn = np.hypot(se.values[:, :-1], se.values[:, 1:])
    de = tab.values[:-1, :] - tab.values[1:, :]
    s_e = np.hypot(se.values[:-1, :], se.values[1:, :])
    d, s = np.concatenate([dn.ravel(), de.ravel()]), np.concatenate([sn.ravel(), s_e.ravel()])
    grid = "; ".join(f"ε_λ={e:g}: " + ", ".join(f"N={n:g} {tab.loc[e, n]:.4f} ± {se.loc[e, n]:.4f}"
                                                 for n in tab.columns)
                     for e in tab.index)
    measured = f"MC mean t_G: {grid}; smallest decrease / its se: {np.min(d / s):.1f}"
    if (d > Z_SIGMA * s).all():
        verdict = "reproduced"
    elif (d > -Z_SIGMA * s).all():
        verdict = "partial"
    else:
        verdict = "not_reproduced"
    return ClaimRecord("Z-12", measured, f"each decrease in N and in ε_λ beyond {Z_SIGMA:g} combined se (partial: no "
                       f"reversal beyond {Z_SIGMA:g} se)", verdict, scale, artifact, note)


CLAIMS = {f"Z-{i:02d}": f for i, f in enumerate((z01, z02, z03, z04, z05, z06, z07, z08, z09, z10, z11, z12), 1)}
FIGURE_OF = {**{c: "exp1d_dynamics" for c in ("Z-01", "Z-02", "Z-03", "Z-04", "Z-05", "Z-10")},
             **{c: "fig2" for c in ("Z-06", "Z-07", "Z-08", "Z-09")}, "Z-11": "fig3", "Z-12": "fig3"}

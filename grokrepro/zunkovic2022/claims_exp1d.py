"""Evaluators for the 1D exponential model claims of Žunkovič & Ilievski (2022), Z-01 … Z-12
(docs/decisions.md, 1D exponential model).

Each evaluator ``(numbers, scale, artifact, note="") -> ClaimRecord`` reads only the numbers table of its figure
(:mod:`grokrepro.zunkovic2022.exp1d_figures`; :mod:`grokrepro.registry` says which) and returns named checks judged
by the verdict policy (:func:`grokrepro.records.judge`). Tolerances are those of docs/decisions.md (Tolerances
(Žunkovič)) or derived from the Monte Carlo standard errors in the table; each record states the one it used. A
closed form that disagrees with our own simulation or quadrature is ``not_reproduced`` (first of all a possible bug
of ours); only Z-02 can be ``paper_erratum``, through its :class:`~grokrepro.records.Erratum` (Eq. 7's missing
mirror branch, derived in docs/decisions.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro import records
from grokrepro.records import Check, ClaimRecord, Erratum, central

ODE_TOL = 1e-8  # Z-01: closed form vs numerical ODE (docs/decisions.md, Tolerances (Žunkovič))
LASSO_TOL = 1e-10  # Z-D11: proximal scheme's long-time value vs the lasso solution (its exact fixed point)
Z_SIGMA = 3.0  # MC within ±3σ (same)
Z_ONE_POINT = 4.0  # one point in (3, 4] σ makes a comparison partial (≈ 0.27 % false alarms per point)
NU_TOL = 0.01  # Z-03/Z-04: |ν − 1| and |slope ratio − 1|; the fit window's linearisation bias is <= ~1e-3
T_EPS_TOL = 1e-8  # Eq. 8 vs the simulated crossing time (relative)
EQ15_TOL = 1e-10  # Z-07 (same)
DENSITY_TOL = 1e-8  # Z-06: ∫P_N = 1 (quadrature accuracy)
T_GROK_TOL = 1e-8  # Z-10: Eq. 16 vs simulated flow (same accuracy as Z-01)
EQ17_REL_TOL = 1e-8  # Z-11: truncation at t = 25 leaves relative mass < 1e-8 (docs/decisions.md)
MEAN_TOL = 0.01  # Fig 3: means ±0.01 (widened to 3 MC se where that is larger)
L1_TOL = 0.02  # Fig 3: PDF L1 distance < 0.02 (widened to 2x the MC noise floor where that is larger)
# Z-02: where Eq. 7's mirror branch is derived, and the test of our population-error estimator against quadrature.
EQ7_DERIVATION = "docs/decisions.md, 1D exponential model (Eq 7 and its mirror branch)"
EQ7_IMPLEMENTATION_TEST = "tests/unit/test_zunkovic_exp1d.py::test_population_error_estimator_against_quadrature"


def _rows(numbers: pd.DataFrame, quantity: str, method: str | None = None) -> pd.DataFrame:
    return records.select(numbers, quantity, method)


def _par(r) -> str:
    out = []
    for k in ("N", "eps", "lambda1", "lambda2", "eps_lambda"):
        v = getattr(r, k)
        if pd.notna(v):
            out.append(f"{k}={v:g}")
    return ",".join(out)


def _missing(cid: str, scale: str, artifact: str, note: str, what: str) -> ClaimRecord:
    return records.missing(cid, f"no {what} rows in the numbers", scale, artifact, note)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _z(mc, th, se) -> np.ndarray:
    """|mc − th| / se, 0 where they are equal (also when se = 0), inf where se = 0 and they differ."""
    d = np.abs(np.asarray(mc, float) - np.asarray(th, float))
    se = np.asarray(se, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d == 0, 0.0, np.where(se > 0, d / np.where(se > 0, se, 1.0), np.inf))


def _z_checks(z: np.ndarray, what: str, central_check: bool) -> list[Check]:
    """MC vs theory over many points: "every point within 3σ" and the looser "at most one point beyond 3σ, none
    beyond 4σ" (a single point in (3, 4] σ is an expected false alarm at ≈ 0.27 % per point). With
    ``central_check`` the looser one is the central statement, so one such point gives ``partial``."""
    z = np.abs(np.asarray(z, float))
    n_out = int((z > Z_SIGMA).sum())
    meas = f"max |z| {z.max():.2f}, {n_out} of {z.size} beyond {Z_SIGMA:g} σ" if z.size else "no points"
    loose = bool(z.size) and n_out <= 1 and bool((z <= Z_ONE_POINT).all())
    tight = bool(z.size) and n_out == 0
    make = central if central_check else Check
    return [make(f"{what}: at most one point beyond {Z_SIGMA:g} σ, none beyond {Z_ONE_POINT:g} σ", loose, meas,
                 f"<= 1 point in ({Z_SIGMA:g}, {Z_ONE_POINT:g}] σ"),
            Check(f"{what}: every point within {Z_SIGMA:g} σ", tight, meas, f"|z| <= {Z_SIGMA:g}")]


def _pair(numbers: pd.DataFrame, quantity: str, keys=("N", "eps_lambda", "eps", "lambda1", "lambda2")):
    """Theory and simulation rows of ``quantity`` joined on the parameters: columns th, mc, se and the keys."""
    th = _rows(numbers, quantity, "theory")[list(keys) + ["value"]].rename(columns={"value": "th"})
    mc = _rows(numbers, quantity, "simulation")[list(keys) + ["value", "se"]].rename(columns={"value": "mc"})
    return th.fillna(-1).merge(mc.fillna({k: -1 for k in keys}), on=list(keys)).replace(-1, np.nan)


def eq6_bias_trajectory(numbers, scale, artifact, note=""):
    """Z-01: the closed-form bias trajectory b(t) of Eq. 6 equals the numerical ODE (and the λ1 > 0 proximal scheme
    reaches the lasso solution)."""
    d, lasso = _rows(numbers, "b_max_abs_diff"), _rows(numbers, "prox_lasso_diff")
    if d.empty:
        return _missing("Z-01", scale, artifact, note, "b_max_abs_diff")
    worst, worst_l = d.value.max(), lasso.value.max() if len(lasso) else np.nan
    prox = _rows(numbers, "prox_max_abs_diff").value.max()
    measured = (f"max |b_closed − b_ODE| over {len(d)} cases (incl. λ1 > 0 sticking at 0 and crossing 0): "
                f"{worst:.3g} ({'; '.join(f'{_par(r)}: {r.value:.2g}' for r in d.itertuples())}); proximal Euler "
                f"(dt 1e-3) long-time value vs lasso solution: max {worst_l:.3g}; its trajectory differs by <= "
                f"{prox:.2g} (O(dt), diagnostic)")
    checks = [central("closed form equals the numerical ODE", worst <= ODE_TOL, f"max abs diff {worst:.3g}",
                      f"<= {ODE_TOL:g}"),
              Check("proximal scheme reaches the lasso solution", worst_l <= LASSO_TOL, f"max {worst_l:.3g}",
                    f"<= {LASSO_TOL:g}")]
    return records.judge("Z-01", measured, f"max abs diff <= {ODE_TOL:g} (docs/decisions.md); lasso fixed point <= "
                         f"{LASSO_TOL:g}", checks, scale, artifact, note)


def eq7_test_error(numbers, scale, artifact, note=""):
    """Z-02: Eq. 7 as printed gives the Monte Carlo population error of the simulated b(t) within 3σ (paper_erratum
    when only its two-branch form does: the missing mirror branch for b < −ε)."""
    sym, printed = _rows(numbers, "error_max_abs_z"), _rows(numbers, "error_max_abs_z_eq7")
    if sym.empty or printed.empty:
        return _missing("Z-02", scale, artifact, note, "error_max_abs_z/error_max_abs_z_eq7")
    n_pts = int(_rows(numbers, "error_points").value.sum())
    fmt = lambda df: "; ".join(f"{_par(r)}: {r.value:.3g}" for r in df.itertuples())  # noqa: E731
    measured = (f"{n_pts} (case, t) points, MC population error of the simulated b(t) vs closed form; max |z| "
                f"per case, Eq. 7 as printed: {fmt(printed)}; with the mirror branch for b < −ε: {fmt(sym)}")
    tol = f"|MC − theory| <= {Z_SIGMA:g} σ at every point (σ: binomial, balanced test sample); zero exactly where E = 0"
    printed_ok = bool((printed.value <= Z_SIGMA).all())
    sym_ok = bool((sym.value <= Z_SIGMA).all())
    checks = [central("Eq. 7 as printed agrees with MC", printed_ok, f"max |z| {printed.value.max():.3g}",
                      f"<= {Z_SIGMA:g} σ at every point")]
    erratum = Erratum(EQ7_DERIVATION,
                      Check("MC agrees with the two-branch form ½(1 − e^{ε − |b|})", sym_ok,
                            f"max |z| {sym.value.max():.3g}", f"<= {Z_SIGMA:g} σ at every point"),
                      EQ7_IMPLEMENTATION_TEST)
    if not printed_ok and sym_ok:
        note = _join(note, "Eq. 7 as printed gives E = 0 for b < −ε, where the negatives are misclassified "
                           "(reachable under the paper's assumptions when x̄ < −ε_λ, cf. Eq. 11); "
                           "E = ½(1 − e^{ε − |b|}) for |b| > ε agrees with MC")
    return records.judge("Z-02", measured, tol, checks, scale, artifact, note, erratum=erratum)


def eq9_exponent(numbers, scale, artifact, note=""):
    """Z-03: near t_ε a single run's test error vanishes linearly (ν = 1) with the Eq. 9 prefactor, in every
    setting; Eq. 8's t_ε (with the Z-D3 factor) matches the simulated crossing."""
    nu, ratio = _rows(numbers, "nu"), _rows(numbers, "nu_slope_ratio")
    if nu.empty:
        return _missing("Z-03", scale, artifact, note, "nu")
    te, tp = _rows(numbers, "t_eps_rel_diff"), _rows(numbers, "t_eps_rel_diff_printed")
    measured = (f"ν per simulated run ({len(nu)} settings of b(0), λ1, λ2, ε): "
                f"{', '.join(f'{v:.5f}' for v in nu.value)}; fitted slope / ½(1+λ2)(ε − x̄_λ): "
                f"{', '.join(f'{v:.5f}' for v in ratio.value)}; t_ε of Eq. 8 with 1/(1+λ2) vs simulated crossing: "
                f"max rel. diff {te.value.max():.2g}; Eq. 8 as printed: max rel. diff {tp.value.max():.3g} (= λ2, "
                f"Z-D3)")
    dnu, dr = np.abs(nu.value - 1).max(), np.abs(ratio.value - 1).max()
    checks = [central("ν = 1 in every setting", bool((np.abs(nu.value - 1) <= NU_TOL).all()),
                      f"max |ν − 1| {dnu:.2g}", f"<= {NU_TOL:g}"),
              Check("prefactor ½(1+λ2)(ε − x̄_λ)", bool(len(ratio)) and bool((np.abs(ratio.value - 1) <= NU_TOL).all()),
                    f"max |ratio − 1| {dr:.2g}", f"<= {NU_TOL:g}"),
              Check("Eq. 8 t_ε (with 1/(1+λ2)) matches the simulated crossing",
                    bool(len(te)) and bool((te.value <= T_EPS_TOL).all()), f"max rel. diff {te.value.max():.2g}",
                    f"<= {T_EPS_TOL:g}")]
    return records.judge("Z-03", measured, f"|ν − 1| <= {NU_TOL:g} and |slope ratio − 1| <= {NU_TOL:g} in every "
                         f"setting (fit window pinned in config); Eq. 8 (corrected) within {T_EPS_TOL:g} relative",
                         checks, scale, artifact, note)


def eq10_averaged_error(numbers, scale, artifact, note=""):
    """Z-04: the test error averaged over grokking training sets vanishes as (ε_λ/2)(t_ε − t) (Eq. 10)."""
    r, nu = _rows(numbers, "avg_slope_ratio"), _rows(numbers, "nu_avg")
    if r.empty:
        return _missing("Z-04", scale, artifact, note, "avg_slope_ratio")
    runs = _rows(numbers, "avg_runs_used").value
    measured = "; ".join(f"{_par(a)}: slope of ⟨⟨E⟩⟩ / (ε_λ/2) = {a.value:.4f} ± {a.se:.4f}, ν = {b.value:.5f}"
                         for a, b in zip(r.itertuples(), nu.itertuples())) + f" ({int(runs.min())}+ runs each)"
    dev = np.abs(r.value - 1) / (Z_SIGMA * r.se + NU_TOL)
    checks = [central("slope of ⟨⟨E⟩⟩ = ε_λ/2", bool((np.abs(r.value - 1) <= Z_SIGMA * r.se + NU_TOL).all()),
                      f"largest |ratio − 1| / tolerance {dev.max():.2f}", f"<= {Z_SIGMA:g} se + {NU_TOL:g}"),
              Check("⟨⟨E⟩⟩ linear in t_ε − t (ν = 1)", bool(len(nu)) and bool((np.abs(nu.value - 1) <= NU_TOL).all()),
                    f"max |ν − 1| {np.abs(nu.value - 1).max():.2g}", f"<= {NU_TOL:g}")]
    return records.judge("Z-04", measured, f"|ratio − 1| <= {Z_SIGMA:g} se + {NU_TOL:g} (linearisation); |ν − 1| <= "
                         f"{NU_TOL:g}; average over grokking sets (|x̄| < ε_λ), b(0) ~ U(ε + x_min, ε + x_min + 1), "
                         "aligned at t_ε", checks, scale, artifact, note)


def eq11_zero_error_condition(numbers, scale, artifact, note=""):
    """Z-05: a simulated flow ends at zero population error exactly when |x̄| < ε_λ (Eq. 11); the zero-error fraction
    matches Eq. 14."""
    mis, draws = _rows(numbers, "eq11_mismatches"), _rows(numbers, "eq11_draws")
    if mis.empty:
        return _missing("Z-05", scale, artifact, note, "eq11_mismatches")
    fr = _pair(numbers, "final_zero_error_fraction")
    z = _z(fr.mc, fr.th, fr.se)
    measured = (f"simulated long-time flows with zero population error vs |x̄| < ε_λ: {int(mis.value.sum())} "
                f"mismatches in {int(draws.value.sum())} flows over {len(mis)} settings; zero-error fraction vs "
                "Eq. 14: " + "; ".join(f"{_par(r)}: {r.mc:.4f} ± {r.se:.4f} vs {r.th:.4f}"
                                       for r in fr.itertuples()))
    checks = [central("zero final error iff |x̄| < ε_λ", mis.value.sum() == 0,
                      f"{int(mis.value.sum())} mismatches in {int(draws.value.sum())} flows", "0 mismatches"),
              Check(f"zero-error fraction within {Z_SIGMA:g} σ of Eq. 14", bool((z <= Z_SIGMA).all()),
                    f"max |z| {z.max():.2f}" if z.size else "no points", f"<= {Z_SIGMA:g}")]
    return records.judge("Z-05", measured, f"0 mismatches; fractions within {Z_SIGMA:g} σ", checks, scale, artifact,
                         note)


def eq13_14_p_grok_quadrature(numbers, scale, artifact, note=""):
    """Z-06: the density P_N(x̄) of Eq. 13 is normalised and 2∫_0^ε_λ P_N (Eq. 14 by quadrature) matches the Monte
    Carlo grokking probability."""
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
    checks = [*_z_checks(z, "quadrature P_grok vs MC", central_check=True),
              Check("P_N normalised", worst <= DENSITY_TOL, f"max |∫P_N − 1| {worst:.2g}", f"<= {DENSITY_TOL:g}")]
    return records.judge("Z-06", measured, tol, checks, scale, artifact, note)


def eq15_closed_form(numbers, scale, artifact, note=""):
    """Z-07: the N = 2 closed form of Eq. 15 equals the Eq. 14 integral by quadrature (and P_grok(ε_λ = 0.4))."""
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
    checks = [central("Eq. 15 equals the Eq. 14 quadrature", bool(len(j)) and diff <= EQ15_TOL,
                      f"max abs diff {diff:.3g} over {len(j)} ε_λ", f"<= {EQ15_TOL:g}")]
    return records.judge("Z-07", measured, f"abs diff <= {EQ15_TOL:g} (docs/decisions.md)", checks, scale, artifact,
                         note, evidence="derivation")


def fig2_p_grok_trends(numbers, scale, artifact, note=""):
    """Z-08: the 1D grokking probability (quadrature of Eq. 13) increases in N and in ε_λ on the Fig 2 grid."""
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
    checks = [central("increasing in N and in ε_λ", inc_e and inc_n, f"in ε_λ: {inc_e}; in N: {inc_n}",
                      "strictly, on the whole grid")]
    return records.judge("Z-08", measured, "strictly increasing in N and ε_λ on the grid (compared via 1 − P); "
                         "MC agreement scored in Z-06", checks, scale, artifact, note, evidence="derivation")


def small_gap_limit(numbers, scale, artifact, note=""):
    """Z-09: as the gap ε → 0 the 1D grokking probability stays > 0 with λ1 > 0 and vanishes with λ2 alone."""
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
    measured = "; ".join(parts) + f"; MC vs formula max |z| = {z.max():.2f}"
    tol = ("λ1 > 0: formula > 0 and MC > 5 se at ε = 0 (ε_λ = λ1); λ2 alone: formula decreasing to exactly 0 at ε = 0 "
           f"and MC <= {Z_SIGMA:g} se there; MC within {Z_SIGMA:g} σ (partial: one point in (3, 4] σ)")
    checks = [central("λ1 > 0 keeps P > 0 and λ2 alone sends it to 0 as ε → 0", ok,
                      f"{p.groupby(['N', 'lambda1', 'lambda2']).ngroups} (N, λ1, λ2) curves", "every curve"),
              *_z_checks(z, "MC vs formula", central_check=False)]
    return records.judge("Z-09", measured, tol, checks, scale, artifact, note)


def eq16_grokking_time(numbers, scale, artifact, note=""):
    """Z-10: the simulated flows' grokking time equals Eq. 16 and does not depend on b(0)."""
    d, sp = _rows(numbers, "t_grok_max_abs_diff"), _rows(numbers, "t_grok_b0_spread")
    if d.empty:
        return _missing("Z-10", scale, artifact, note, "t_grok_max_abs_diff")
    runs = int(_rows(numbers, "t_grok_runs").value.sum())
    measured = (f"{runs} simulated flows ({len(d)} settings incl. λ1, λ2 > 0, several b(0) per training set): max "
                f"|t_G(sim) − Eq. 16| = {d.value.max():.3g}; max spread of simulated t_G over b(0) = "
                f"{sp.value.max():.3g}")
    checks = [central("Eq. 16 equals the simulated t_G", d.value.max() <= T_GROK_TOL,
                      f"max abs diff {d.value.max():.3g}", f"<= {T_GROK_TOL:g}"),
              Check("t_G independent of b(0)", bool(len(sp)) and sp.value.max() <= T_GROK_TOL,
                    f"max spread {sp.value.max():.3g}", f"<= {T_GROK_TOL:g}")]
    return records.judge("Z-10", measured, f"both <= {T_GROK_TOL:g} (numerical-flow accuracy, as Z-01)", checks,
                         scale, artifact, note)


def eq17_t_grok_pdf(numbers, scale, artifact, note=""):
    """Z-11: the unnormalised N = 2 grokking-time PDF of Eq. 17 integrates to Eq. 15; its mean, median and shape
    match the Monte Carlo of Eq. 16 at ε_λ = 0.4, 0.04, 0.004."""
    integ, e15 = _rows(numbers, "eq17_integral"), _rows(numbers, "eq15_value")
    if integ.empty or e15.empty:
        return _missing("Z-11", scale, artifact, note, "eq17_integral/eq15_value")
    parts, ok_int, ok_mom, ok_pdf, worst_rel, worst_l1 = [], True, True, True, 0.0, 0.0
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
        ok_mom &= (abs(mt.value - mm.value) <= max(MEAN_TOL, Z_SIGMA * mm.se)
                   and abs(dt.value - dm.value) <= max(MEAN_TOL, Z_SIGMA * dm.se))
        ok_pdf &= l1 <= tol_l1
        worst_rel, worst_l1 = max(worst_rel, rel), max(worst_l1, l1 / tol_l1)
        parts.append(f"ε_λ={e:g}: ∫Eq.17 = {float(r.value)!r} vs Eq. 15 {float(p15)!r} (rel {rel:.2g}); "
                     f"mean t_G {mt.value:.5f} "
                     f"(MC {mm.value:.5f} ± {mm.se:.4f}); median {dt.value:.5f} (MC {dm.value:.5f} ± {dm.se:.4f}); "
                     f"PDF L1 {l1:.4f} (tol {tol_l1:.3f})")
    tol = (f"integral within {EQ17_REL_TOL:g} relative of Eq. 15; mean/median within max({MEAN_TOL:g}, "
           f"{Z_SIGMA:g} se) of MC; PDF L1 <= max({L1_TOL:g}, 2 × MC noise floor)")
    checks = [central("∫Eq. 17 equals Eq. 15", bool(ok_int), f"max rel. diff {worst_rel:.2g}", f"<= {EQ17_REL_TOL:g}"),
              Check("mean and median t_G match MC", bool(ok_mom), f"{len(integ)} ε_λ",
                    f"within max({MEAN_TOL:g}, {Z_SIGMA:g} se)"),
              Check("PDF shape matches MC", bool(ok_pdf), f"largest L1 / tolerance {worst_l1:.2f}",
                    f"L1 <= max({L1_TOL:g}, 2 × noise floor)")]
    return records.judge("Z-11", "; ".join(parts), tol, checks, scale, artifact, note)


def fig3_mean_t_grok_trends(numbers, scale, artifact, note=""):
    """Z-12: the Monte Carlo mean grokking time decreases with N and with ε_λ (Fig 3)."""
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
    meas = f"smallest decrease / se {np.min(d / s):.1f}"
    checks = [central("decreasing in N and ε_λ: no reversal", bool((d > -Z_SIGMA * s).all()), meas,
                      f"no increase beyond {Z_SIGMA:g} combined se"),
              Check("every decrease resolved", bool((d > Z_SIGMA * s).all()), meas,
                    f"each decrease beyond {Z_SIGMA:g} combined se")]
    return records.judge("Z-12", measured, f"each decrease in N and in ε_λ beyond {Z_SIGMA:g} combined se (partial: "
                         f"no reversal beyond {Z_SIGMA:g} se)", checks, scale, artifact, note)

"""Figs. 11, 12 and 13 and Table 1 (Sec. 4.3.1, random fixed attention): the numbers behind Z-31 … Z-34
(docs/decisions.md, Fixed attention tensors). Computation in :mod:`grokrepro.zunkovic2022.fa_examples`.

The three builders share the block ``examples`` of their config (a YAML anchor, so all three see the same seeded
test set and the same three tensors: the first three accepted at every λ2 of its grid, in draw order). Each builder
recomputes the sampling (a few seconds) rather than reading another rule's output.

- ``fig11``: per example and λ2 (λ1 = 0: the flow is exact), the test error aligned at t_ε and averaged over
  ``inits`` B(0) ~ N(0, 1), and ν fitted in the window where the average lies between ``fit_min_sites`` test-site
  weights and ``fit_max_error`` (Z-31; ν of λ2 = 0 also enters Eq. 50 in Z-32).
- ``fig12``: per example D_eff (training features), ξ* (test contexts), ε (test features along ŵ) (Z-32).
- ``fig13``: per example and λ2, the t_G = t_ε − t_train of every init, the KDE modes of log10 |t_G| and the spread
  of G's eigenvalues (Z-33); over a larger sample of accepted tensors, the Spearman correlation of each tensor's mean
  t_G with D_eff and with ε (bootstrap SE), and the fraction whose mean t_G grows from λ2 = 0 to ``sample_lambda2``
  (Z-34).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.zunkovic2022 import fa_examples as fx
from grokrepro.zunkovic2022.numbers import make_numbers

SIMULTANEOUS = 1e-3     # |t_G| below this: test and training error vanish together (reported, not dropped)


def _n(quantity, value, method="simulation", se=np.nan, **params):
    return dict(quantity=quantity, method=method, value=float(value), se=float(se), **params)


def _sample(ecfg: dict, n_accept: int = 0):
    """(sampling dict, test bits, test labels) of the shared ``examples`` block."""
    rng = np.random.default_rng(int(ecfg["seed"]))
    xt, yt = fx.test_set(int(ecfg["test_sequences"]), int(ecfg["test_length"]), rng)
    s = fx.sample(n_accept, int(ecfg["d"]), ecfg["lambda2_values"], xt, yt, rng, batch=int(ecfg["batch"]),
                  n_examples=int(ecfg["n_examples"]))
    if len(s["examples"]) < int(ecfg["n_examples"]):
        raise RuntimeError(f"only {len(s['examples'])} examples found in {s['drawn']} draws")
    return s, xt, yt


def _tensor(s, i, xt, yt):
    return fx.Tensor(s["A"][i], s["vl"][i], s["vr"][i], xt, yt)


def _inits(seed: int, example: int, lam_index: int, n: int, D: int) -> np.ndarray:
    """B(0) ~ N(0, 1) of one (tensor, λ2), from its own seeded stream (the same in fig11 and fig13)."""
    return np.random.default_rng([seed, example, lam_index]).standard_normal((n, D))


def _sampling_rows(s, ecfg):
    d = int(ecfg["d"])
    rows = [_n("tensors_tested", s["tested"], d=d), _n("tensors_drawn", s["drawn"], d=d),
            _n("test_sites", int(ecfg["test_sequences"]) * int(ecfg["test_length"]), d=d)]
    for j, l2 in enumerate(ecfg["lambda2_values"]):
        rows.append(_n("examples_accepted_fraction", s["ok"][s["examples"], j].mean(), lambda2=float(l2), d=d))
    return rows


# ------------------------------------------------------------------------------------------------ Fig. 11


def fig11(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy rows (example, λ2, τ, averaged test error and its SE, whether τ is in the fit window) and the numbers of
    Z-31: ν (slope, its regression SE) per example and λ2, with the window and run counts.

    cfg: ``examples`` (the shared sampling block: ``seed``, ``d``, ``lambda2_values``, ``test_sequences`` ×
    ``test_length``, ``batch``, ``n_examples``), ``inits``, ``grid_points`` (log grid on which t_ε is bracketed),
    ``tau_log10`` and ``tau_points`` (the aligned curve), ``fit_min_sites`` and ``fit_max_error`` (the fit window,
    in units of one test site's weight and absolute)."""
    e = cfg["examples"]
    s, xt, yt = _sample(e)
    lam2s = [float(v) for v in e["lambda2_values"]]
    taus = np.logspace(*map(float, cfg["tau_log10"]), int(cfg["tau_points"]))
    n_sites = xt.size
    lo_err, hi_err = float(cfg["fit_min_sites"]) / n_sites, float(cfg["fit_max_error"])
    rows, tidy = _sampling_rows(s, e), []
    for k, i in enumerate(s["examples"]):
        t = _tensor(s, i, xt, yt)
        ext = fx.extreme_sites(t.z_test, t.y_test, t.bits, t.stationary(0.0))
        rows.append(_n("extreme_sites", len(ext), example=k + 1, d=int(e["d"])))
        for j, l2 in enumerate(lam2s):
            p = dict(example=k + 1, lambda1=0.0, lambda2=l2, d=int(e["d"]))
            w0 = _inits(seed, k, j, int(cfg["inits"]), t.D)
            t_eps, t_train, rounds = fx.transition_times(t, l2, w0, int(cfg["grid_points"]), ext)
            ok = np.isfinite(t_eps) & (t_eps > 0)
            E = fx.aligned_errors(t, l2, w0[ok], t_eps[ok], taus)
            mean = E.mean(0)
            se = E.std(0, ddof=1) / np.sqrt(len(E))
            win = (mean >= lo_err) & (mean <= hi_err)
            tw = taus[win]
            nu, nu_se, pts = fx.fit_exponent(taus, np.where(win, mean, np.nan), tw.min() if len(tw) else np.inf,
                                             tw.max() if len(tw) else -np.inf)
            rows += [_n("nu", nu, se=nu_se, **p), _n("fit_points", pts, **p),
                     _n("fit_tau_min", tw.min() if len(tw) else np.nan, **p),
                     _n("fit_tau_max", tw.max() if len(tw) else np.nan, **p),
                     _n("never_zero_test_error_fraction", np.mean(~np.isfinite(t_eps)), **p),
                     _n("zero_at_start_fraction", np.mean(t_eps == 0), **p),
                     _n("t_eps_median", np.median(t_eps[ok]), **p),
                     _n("verification_rounds", rounds, **p), _n("runs", ok.sum(), **p),
                     _n("aligned_test_error_floor", mean[0], se=se[0], tau=taus[0], **p)]
            tidy += [dict(example=k + 1, lambda2=l2, tau=a, test_error=m, se=v, in_fit=bool(w))
                     for a, m, v, w in zip(taus, mean, se, win)]
    return pd.DataFrame(tidy), make_numbers(rows)


def _per_example_axes(tidy: pd.DataFrame):
    """(figure, [(axis, example)]): one panel per own example, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    exs = sorted(tidy.example.unique())
    fig, axes = plt.subplots(1, len(exs), figsize=(3.4 * len(exs), 3.2), squeeze=False)
    return fig, axes[0], list(zip(axes[0], exs))


def plot_fig11(tidy: pd.DataFrame, numbers: pd.DataFrame):
    fig, axes, panels = _per_example_axes(tidy)
    for ax, ex in panels:
        for c, (l2, g) in enumerate(tidy[tidy.example == ex].groupby("lambda2")):
            nu = numbers[(numbers.quantity == "nu") & (numbers.example == ex) & np.isclose(numbers.lambda2, l2)]
            ax.plot(g.tau, g.test_error, color=f"C{c}", label=f"λ2 = {l2:g}, ν = {nu.value.iloc[0]:.2f}")
            w = g[g.in_fit]
            ax.plot(w.tau, w.test_error, color=f"C{c}", lw=3, alpha=0.4)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("t_ε − t")
        ax.set_title(f"own example {ex} (thick: fit window)", fontsize=9)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("⟨⟨test error⟩⟩ aligned at t_ε")
    fig.suptitle("random fixed d = 2 attention, B by exact gradient flow (Fig. 11; Z-31)", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ Fig. 12


def fig12(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy rows (example, class, side, bins, max density) and the Table 1 numbers of Z-32 per example: D_eff, ξ*
    (and its four per-class, per-side slopes), ε (test features; the training features' value as a diagnostic).

    cfg: ``examples`` (the shared sampling block), ``bins_log2`` ([k_min, k_max]: 2^k bins)."""
    e = cfg["examples"]
    s, xt, yt = _sample(e)
    ks = range(int(cfg["bins_log2"][0]), int(cfg["bins_log2"][1]) + 1)
    rows, tidy = _sampling_rows(s, e), []
    for k, i in enumerate(s["examples"]):
        t = _tensor(s, i, xt, yt)
        st = fx.feature_statistics(t, ks)
        p = dict(example=k + 1, d=int(e["d"]))
        rows += [_n(q, st[q], **p) for q in ("D_eff", "xi_star", "xi_left_pos", "xi_right_pos", "xi_left_neg",
                                             "xi_right_neg")]
        rows += [_n("class_separation", st["eps_test"], **p), _n("class_separation_train", st["eps_train"], **p)]
        for c, name in ((1.0, "positive"), (-1.0, "negative")):
            m = t.y_test == c
            for side, v in (("left", t.left), ("right", t.right)):
                nb, dens = fx.max_densities(fx.context_angles(v[m]), ks)
                tidy += [dict(example=k + 1, label=name, side=side, bins=b, max_density=dd) for b, dd in zip(nb, dens)]
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_fig12(tidy: pd.DataFrame, numbers: pd.DataFrame):
    fig, axes, panels = _per_example_axes(tidy)
    for ax, ex in panels:
        for (label, side), g in tidy[tidy.example == ex].groupby(["label", "side"]):
            ax.plot(g.bins, g.max_density, color="k" if label == "positive" else "C1",
                    ls="--" if side == "left" else "-", marker=".", label=f"{label}, {side}")
        xi = numbers[(numbers.quantity == "xi_star") & (numbers.example == ex)].value.iloc[0]
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("number of bins")
        ax.set_title(f"own example {ex}: ξ* = {xi:.2f}", fontsize=9)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("max histogram density of the context angle")
    fig.suptitle("divergence of the context-angle density (Fig. 12; Z-32)", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ Fig. 13


def _t_grok(t, l2, w0, grid_points, ext):
    t_eps, t_train, _ = fx.transition_times(t, l2, w0, grid_points, ext)
    ok = np.isfinite(t_eps) & np.isfinite(t_train) & (t_eps > 0)
    return (t_eps - t_train)[ok], ok


def fig13(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy rows (panel ``t_grok``: every run's t_G per example and λ2; panel ``sample``: per sampled tensor D_eff, ε
    and mean / median t_G at λ2 = 0 and ``sample_lambda2``) and the numbers of Z-33 and Z-34.

    cfg: ``examples`` (the shared sampling block), ``inits`` and ``grid_points`` (as fig11), ``kde_min_rel_height``
    (a KDE mode counts if at least this fraction of the highest), ``sample_tensors`` (the larger sample: the first
    tensors accepted at λ2 = 0), ``sample_inits``, ``sample_lambda2`` (the λ2 compared with 0, for tensors accepted
    at both), ``bootstrap`` (resamples for the correlations' SE)."""
    e = cfg["examples"]
    s, xt, yt = _sample(e, int(cfg["sample_tensors"]))
    lam2s = [float(v) for v in e["lambda2_values"]]
    d = int(e["d"])
    rows, tidy = _sampling_rows(s, e), []
    rows.append(_n("sample_tensors", s["n_main"], d=d))
    for k, i in enumerate(s["examples"]):
        t = _tensor(s, i, xt, yt)
        ext = fx.extreme_sites(t.z_test, t.y_test, t.bits, t.stationary(0.0))
        g = np.linalg.eigvalsh(t.G0)
        ratio, at = fx.largest_gap_ratio(np.unique(np.round(g, 12)))
        p0 = dict(example=k + 1, d=d)
        rows += [_n("g_eig_largest_gap_ratio", ratio, **p0), _n("g_eig_min", g.min(), **p0),
                 _n("g_eig_max", g.max(), **p0)]
        for j, l2 in enumerate(lam2s):
            p = dict(example=k + 1, lambda1=0.0, lambda2=l2, d=d)
            w0 = _inits(seed, k, j, int(cfg["inits"]), t.D)
            tg, ok = _t_grok(t, l2, w0, int(cfg["grid_points"]), ext)
            lt = np.log10(np.maximum(np.abs(tg), 1e-300))
            modes, heights = fx.kde_modes(lt, float(cfg["kde_min_rel_height"]))
            rows += [_n("kde_modes", len(modes), **p), _n("bimodality_coefficient", fx.bimodality_coefficient(lt), **p),
                     _n("simultaneous_fraction", np.mean(np.abs(tg) < SIMULTANEOUS), **p),
                     _n("negative_t_grok_fraction", np.mean(tg < 0), **p),
                     _n("mean_t_grok", tg.mean(), se=tg.std(ddof=1) / np.sqrt(len(tg)), **p),
                     _n("median_t_grok", np.median(tg), **p), _n("runs", len(tg), **p)]
            rows += [_n("kde_mode_log10_t_grok", m, **p) for m in modes]
            tidy += [dict(panel="t_grok", example=k + 1, lambda2=l2, t_grok=v) for v in tg]
    # the larger sample: trends over tensors (λ2 = 0, and sample_lambda2 where accepted)
    l2s = float(cfg["sample_lambda2"])
    j2 = lam2s.index(l2s) if l2s in lam2s else None
    if j2 is None:
        raise ValueError("sample_lambda2 must be one of examples.lambda2_values")
    stats = []
    main = np.flatnonzero(s["ok"][:, 0])[: s["n_main"]]
    for i in main:
        t = _tensor(s, i, xt, yt)
        ext = fx.extreme_sites(t.z_test, t.y_test, t.bits, t.stationary(0.0))
        st = fx.feature_statistics(t)
        rec = dict(panel="sample", tensor=int(i), D_eff=st["D_eff"], eps=st["eps_test"], xi_star=st["xi_star"])
        for jj, l2 in ((0, 0.0), (j2, l2s)):
            if not s["ok"][i, jj]:
                rec[f"mean_t_grok_{jj}"] = rec[f"median_t_grok_{jj}"] = np.nan
                continue
            w0 = _inits(seed, 1000 + int(i), jj, int(cfg["sample_inits"]), t.D)
            tg, _ = _t_grok(t, l2, w0, int(cfg["grid_points"]), ext)
            rec[f"mean_t_grok_{jj}"] = tg.mean() if len(tg) else np.nan
            rec[f"median_t_grok_{jj}"] = np.median(tg) if len(tg) else np.nan
        stats.append(rec)
    st = pd.DataFrame(stats)
    tidy += st.to_dict("records")
    rng = np.random.default_rng([seed, 7])
    reps = int(cfg["bootstrap"])
    good = st[np.isfinite(st.mean_t_grok_0)]
    pz = dict(lambda1=0.0, lambda2=0.0, d=d)
    for q, col in (("spearman_deff_mean_t_grok", "D_eff"), ("spearman_eps_mean_t_grok", "eps")):
        r = fx.spearman(good[col], good.mean_t_grok_0)
        rows.append(_n(q, r, se=fx.bootstrap_se(fx.spearman, good[col], good.mean_t_grok_0, reps=reps, rng=rng), **pz))
    for q, col in (("spearman_deff_median_t_grok", "D_eff"), ("spearman_eps_median_t_grok", "eps")):
        r = fx.spearman(good[col], good.median_t_grok_0)
        rows.append(_n(q, r, se=fx.bootstrap_se(fx.spearman, good[col], good.median_t_grok_0, reps=reps, rng=rng),
                       **pz))
    rows.append(_n("sample_tensors_with_t_grok", len(good), **pz))
    both = st[np.isfinite(st.mean_t_grok_0) & np.isfinite(st[f"mean_t_grok_{j2}"])]
    longer = (both[f"mean_t_grok_{j2}"] > both.mean_t_grok_0).to_numpy(float)
    frac = longer.mean() if len(longer) else np.nan
    pl = dict(lambda1=0.0, lambda2=l2s, d=d)
    rows += [_n("lambda2_longer_t_grok_fraction", frac, se=np.sqrt(frac * (1 - frac) / max(len(longer), 1)), **pl),
             _n("lambda2_compared_tensors", len(longer), **pl)]
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_fig13(tidy: pd.DataFrame, numbers: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tg = tidy[tidy.panel == "t_grok"]
    exs = sorted(tg.example.dropna().unique())
    fig, axes = plt.subplots(1, len(exs) + 2, figsize=(3.1 * (len(exs) + 2), 3.0))
    for ax, ex in zip(axes, exs):
        for c, (l2, g) in enumerate(tg[tg.example == ex].groupby("lambda2")):
            ax.hist(np.log10(np.maximum(np.abs(g.t_grok), 1e-300)), bins=40, density=True, histtype="step",
                    color=f"C{c}", label=f"λ2 = {l2:g}")
        ratio = numbers[(numbers.quantity == "g_eig_largest_gap_ratio") & (numbers.example == ex)].value.iloc[0]
        ax.set_xlabel("log10 |t_G|")
        ax.set_title(f"own example {int(ex)}: G gap ×{ratio:.1f}", fontsize=9)
        ax.legend(fontsize=6)
    axes[0].set_ylabel("PDF")
    sm = tidy[tidy.panel == "sample"]
    for ax, col, lab in ((axes[-2], "D_eff", "D_eff"), (axes[-1], "eps", "class separation ε")):
        ax.scatter(sm[col], sm.mean_t_grok_0, s=8)
        ax.set_yscale("log")
        ax.set_xlabel(lab)
        ax.set_ylabel("mean t_G (λ2 = 0)")
        q = "spearman_deff_mean_t_grok" if col == "D_eff" else "spearman_eps_mean_t_grok"
        r = numbers[numbers.quantity == q]
        ax.set_title(f"sample: Spearman {r.value.iloc[0]:+.2f} ± {r.se.iloc[0]:.2f}", fontsize=9)
    fig.suptitle("t_G of random fixed attention (Fig. 13; Z-33, Z-34)", fontsize=9)
    fig.tight_layout()
    return fig

"""Figs. 14–18 and App. D of Sec. 4.3.2 (the full model) and the spike-revert study, from saved runs
(:mod:`grokrepro.zunkovic2022.fullmodel`, analysis in :mod:`grokrepro.zunkovic2022.fm_analysis`;
docs/decisions.md, Full tensor-network model).

The run ensembles are Snakemake targets of their own (``results/zunkovic2022/fullmodel/<key>.npz``, one per rule
radius K, regularisation and bond dimension d, all at the fidelity the config selects); each figure here reads the
ensembles it needs (:func:`inputs`). Builders ``(runs, cfg) -> (tidy, numbers)``; plots ``(tidy, numbers) -> Figure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from grokrepro.zunkovic2022 import fm_analysis as fa
from grokrepro.zunkovic2022.numbers import make_numbers

REGS = ("none", "L1", "L2")
DEFF_DROP_WINDOW = 20        # Fig. 15: D_eff 20 epochs before t_ε against D_eff at t_ε


def preset(cfg: dict) -> dict:
    """The fidelity preset the config selects (``fidelity`` names one of ``presets``)."""
    name = cfg["fidelity"]
    if name not in cfg["presets"]:
        raise KeyError(f"config key 'zunkovic2022.fullmodel.fidelity' must be one of {sorted(cfg['presets'])}; "
                       f"got {name!r}")
    return cfg["presets"][name]


def key(K: int, reg: str, d: int, revert: bool = False) -> str:
    return f"K{K}_{reg}_d{d}" + ("_revert" if revert else "")


def parse(k: str):
    parts = k.split("_")
    return int(parts[0][1:]), parts[1], int(parts[2][1:]), len(parts) > 3 and parts[3] == "revert"


def ensembles(cfg: dict) -> list[str]:
    """Every run ensemble the figures of this fidelity need."""
    p = preset(cfg)
    keys = [key(1, r, d) for r in REGS for d in p["bond_dims"]]
    keys += [key(K, r, p["appd_bond_dim"]) for K in p["appd_K"] for r in p["appd_regularisations"]]
    keys += [key(1, r, p["appd_bond_dim"]) for r in p["appd_regularisations"]]
    keys.append(key(1, "L1", p["revert_bond_dim"], revert=True))
    keys.append(key(1, "L1", p["revert_bond_dim"]))
    return list(dict.fromkeys(keys))


def settings_for(cfg: dict, k: str, device: str = "cpu", progress: bool = False):
    """The trainer settings of ensemble ``k`` (:func:`grokrepro.zunkovic2022.fullmodel.settings_from`)."""
    from grokrepro.zunkovic2022 import fullmodel

    K, reg, d, revert = parse(k)
    if reg not in cfg["regularisations"]:
        raise KeyError(f"unknown regularisation {reg!r}; known: {sorted(cfg['regularisations'])}")
    p = preset(cfg)
    l1, l2 = cfg["regularisations"][reg]
    probe = d == 3 and K == 1 and not revert
    s = dict(cfg["model"], d=d, K=K, lambda1=float(l1), lambda2=float(l2), seed=int(cfg["seed"]), device=device,
             progress=progress, desc=f"full model {k}", revert=revert,
             **{x: p[x] for x in ("max_epochs", "after_gen", "post_full_every", "test_sequences", "test_length",
                                  "screen_sequences", "screen_length")},
             probe_ids=tuple(range(p["probe_inits"])) if probe else (), probe_every=p["probe_every"] if probe else 0)
    return fullmodel.settings_from(s)


def _legend(ax) -> None:
    """A legend where the panel has labelled artists (a configuration without generalised runs has none)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)


def _n(quantity, value, se=np.nan, method="simulation", **params):
    return dict(quantity=quantity, method=method, value=float(value), se=float(se), **params)


def _params(k: str, cfg: dict) -> dict:
    K, reg, d, _ = parse(k)
    l1, l2 = cfg["regularisations"][reg]
    return dict(K=K, d=d, lambda1=float(l1), lambda2=float(l2))


# ------------------------------------------------------------------------------------------------ Fig. 14


def fig14(runs: dict, cfg: dict):
    """Aligned average test error per (regularisation, d), K = 1; ν with its bootstrap SE and window; the fraction
    of runs that generalised; post-transition error and spike rate (Z-35, Z-36, Z-37)."""
    p = preset(cfg)
    tidy, rows = [], []
    for reg in REGS:
        for d in p["bond_dims"]:
            k = key(1, reg, d)
            r = runs[k]
            par = _params(k, cfg)
            taus, mean, se, n, _ = fa.aligned(r, "test_error", p["max_epochs"])
            nu, nu_se, lo, hi, pts = fa.nu_with_bootstrap(r, p["max_epochs"], int(cfg["seed"]))
            spec_nu, _, spec_hi, _ = fa.fit_nu(taus, mean, 3, n, cap=None)
            gen = fa.generalised(r)
            err, rate, _ = fa.post_transition(r)
            rows += [_n("nu", nu, nu_se, **par), _n("nu_window_lo", lo, **par), _n("nu_window_hi", hi, **par),
                     _n("nu_points", pts, **par), _n("nu_spec_window", spec_nu, **par),
                     _n("nu_spec_window_hi", spec_hi, **par), _n("aligned_error_tau1", mean[1], se[1], **par),
                     _n("inits", len(r.model_ids), **par),
                     _n("generalised_fraction", gen.mean(), np.sqrt(gen.mean() * (1 - gen.mean()) / len(gen)), **par),
                     _n("diverged_fraction", r.diverged.mean(), **par),
                     _n("post_error_mean", *fa.mean_se(err), **par),
                     _n("post_spike_rate", *fa.mean_se(rate), **par),
                     _n("full_eval_fraction", r.full_evaluated.sum() / max(1, np.sum(r.stop_epoch + 1)), **par),
                     _n("steps_per_epoch", fa.steps_per_epoch(r.settings), **par),
                     _n("wall_seconds", r.wall_seconds, **par)]
            keep = np.isfinite(mean) & (n > 0) & (taus >= 1)
            tidy += [dict(reg=reg, d=d, tau=t, error=m, se=s, runs=c) for t, m, s, c in
                     zip(taus[keep], mean[keep], se[keep], n[keep])]
    return pd.DataFrame(tidy), make_numbers(rows)


def _reg_of(numbers_row):
    l1, l2 = numbers_row.lambda1, numbers_row.lambda2
    return "none" if l1 == l2 == 0 else ("L1" if l1 > 0 else "L2")


def plot_fig14(tidy, numbers):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    nu = numbers[numbers.quantity == "nu"]
    for ax, reg in zip(axes, REGS):
        t = tidy[tidy.reg == reg] if len(tidy) else tidy
        for i, (d, g) in enumerate(t.groupby("d") if len(t) else []):
            row = nu[(nu.d == d) & (nu.apply(_reg_of, axis=1) == reg)]
            v = float(row.value.iloc[0]) if len(row) else np.nan
            ax.plot(g.tau, g.error, color=f"C{i}", label=f"d = {d}, ν = {v:.2f}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("t_ε − t (epochs)")
        ax.set_title(f"{reg} (paper ν ≈ {dict(none=2.5, L1=0.7, L2=0.9)[reg]})", fontsize=9)
        _legend(ax)
    axes[0].set_ylabel("⟨test error⟩ aligned at t_ε")
    fig.suptitle("Full model, aligned average test error (Fig. 14; Z-35, Z-36)", fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ Fig. 15


def fig15(runs: dict, cfg: dict):
    """Average D_eff of the left contexts aligned at t_ε per (regularisation, d); its drop over the last
    ``DEFF_DROP_WINDOW`` epochs before t_ε (paired over runs); post-transition D_eff (Z-38)."""
    p = preset(cfg)
    tidy, rows = [], []
    for reg in REGS:
        post_all = []
        for d in p["bond_dims"]:
            k = key(1, reg, d)
            r = runs[k]
            par = _params(k, cfg)
            taus, mean, se, n, vals = fa.aligned(r, "test_entropy", p["max_epochs"])
            w = DEFF_DROP_WINDOW
            drop = vals[:, w] - vals[:, 0] if vals.shape[1] > w else np.array([])
            _, _, post = fa.post_transition(r)
            post_all.append(post)
            init = np.exp(r.logs["test_entropy"][:, 0])
            rows += [_n("deff_drop_before_t_eps", *fa.mean_se(drop), **par),
                     _n("deff_at_t_eps", *fa.mean_se(vals[:, 0]) if len(vals) else (np.nan, np.nan), **par),
                     _n("deff_post", *fa.mean_se(post), **par), _n("deff_initial", *fa.mean_se(init), **par),
                     _n("bond_dim_bound", d, **par)]
            keep = np.isfinite(mean) & (n > 0)
            tidy += [dict(reg=reg, d=d, tau=t, deff=m, se=s) for t, m, s in zip(taus[keep], mean[keep], se[keep])]
        par = dict(K=1, lambda1=float(cfg["regularisations"][reg][0]), lambda2=float(cfg["regularisations"][reg][1]))
        rows.append(_n("deff_post_pooled", *fa.mean_se(np.concatenate(post_all)), **par))
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_fig15(tidy, numbers):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
    for ax, reg in zip(axes, REGS):
        t = tidy[tidy.reg == reg] if len(tidy) else tidy
        for i, (d, g) in enumerate(t.groupby("d") if len(t) else []):
            g = g[g.tau <= 200]
            ax.plot(-g.tau, g.deff, color=f"C{i}", label=f"d = {d}")
        ax.axvline(0, color="k", lw=0.6, ls=":")
        ax.set_xlabel("t − t_ε (epochs)")
        ax.set_title(reg, fontsize=9)
        _legend(ax)
    axes[0].set_ylabel("⟨D_eff⟩ of left contexts")
    fig.suptitle("Full model, effective dimension aligned at t_ε (Fig. 15; Z-38)", fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ Figs. 16–17


def _single_pool(runs, cfg):
    p = preset(cfg)
    return [(reg, runs[key(1, reg, 3)]) for reg in REGS if 3 in p["bond_dims"]]


def fig16(runs: dict, cfg: dict):
    """d = 3 runs: training-loss spikes against steps of D_eff (Z-39): |ΔD_eff| at spike epochs vs the other epochs
    (Mann–Whitney AUC), the fraction of spikes that are D_eff steps (above the 95th percentile of the other epochs'
    steps); one example run (the probed run with the largest D_eff step at a spike) with its feature snapshots."""
    rows, tidy = [], []
    at, other, best = [], [], None
    for reg, r in _single_pool(runs, cfg):
        models = np.flatnonzero(~r.diverged)
        a, o = fa.deff_steps(r, models)
        at.append(a)
        other.append(o)
        for m in r.probes:
            j = int(np.flatnonzero(r.model_ids == m)[0])
            sp = fa.spikes_of(r, j)
            D = np.exp(r.logs["test_entropy"][j])
            for t in sp:
                if 1 <= t < len(D) - 1 and np.isfinite(D[t + 1]) and np.isfinite(D[t - 1]):
                    step = abs(D[t + 1] - D[t - 1])
                    if best is None or step > best[0]:
                        best = (step, reg, r, j, int(m), int(t))
    at, other = np.concatenate(at) if at else np.array([]), np.concatenate(other) if other else np.array([])
    A, A_se = fa.auc(at, other)
    q95 = np.quantile(other, 0.95) if len(other) else np.nan
    frac = np.mean(at > q95) if len(at) else np.nan
    rows += [_n("spike_deff_step_auc", A, A_se, K=1, d=3), _n("spikes_total", len(at), K=1, d=3),
             _n("other_epochs_total", len(other), K=1, d=3),
             _n("spike_deff_step_fraction", frac, np.sqrt(frac * (1 - frac) / max(len(at), 1)), K=1, d=3),
             _n("median_step_at_spikes", np.median(at) if len(at) else np.nan, K=1, d=3),
             _n("median_step_elsewhere", np.median(other) if len(other) else np.nan, K=1, d=3)]
    if best is not None:
        tidy = _example(best[2], best[3], best[4], best[1], best[5], "fig16")
    return pd.DataFrame(tidy), make_numbers(rows)


def _example(r, j, m, reg, t_mark, panel):
    """Tidy rows of one run: the curves, and 2-D PCA projections of its probed left contexts at up to 6 epochs
    around ``t_mark``."""
    rows = []
    stop = int(r.stop_epoch[j])
    for t in range(stop + 1):
        rows.append(dict(panel="curve", reg=reg, model=m, epoch=t, deff=float(np.exp(r.logs["test_entropy"][j, t])),
                         train_loss=float(r.logs["train_loss"][j, t]), test_error=float(r.logs["test_error"][j, t])))
    snaps, epochs = r.probes.get(m, (np.zeros((0,)), np.array([])))
    if len(epochs):
        want = [0, t_mark - 20, t_mark - 2, t_mark + 2, t_mark + 20, int(epochs[-1])]
        picks = sorted({int(np.argmin(np.abs(epochs - w))) for w in want})
        for i in picks:
            x = snaps[i] - snaps[i].mean(0)
            u, s_, vt = np.linalg.svd(x, full_matrices=False)
            proj = x @ vt[:2].T
            rows += [dict(panel="scatter", reg=reg, model=m, epoch=int(epochs[i]), pc1=a, pc2=b) for a, b in proj]
    for row in rows:
        row["figure"] = panel
    return rows


def fig17(runs: dict, cfg: dict):
    """d = 3 runs (Z-40): epochs with structured features (D_eff at or below the median D_eff of zero-test-error
    epochs) while the test error is ≥ 0.1, and epochs with < 1 % test error while D_eff is at least the median
    initial D_eff (no apparent structure); counts of runs showing each, one example run."""
    pool = _single_pool(runs, cfg)
    zero, init = [], []
    for _, r in pool:
        D = np.exp(r.logs["test_entropy"])
        e = r.logs["test_error"]
        zero.append(D[np.isfinite(e) & (e == 0)])
        init.append(D[:, 0])
    zero = np.concatenate(zero) if zero else np.array([])
    init = np.concatenate(init) if init else np.array([])
    d_struct = float(np.median(zero)) if len(zero) else np.nan
    d_init = float(np.median(init)) if len(init) else np.nan
    n_a = n_b = n_runs = 0
    example = None
    for reg, r in pool:
        D = np.exp(r.logs["test_entropy"])
        e = r.logs["test_error"]
        with np.errstate(invalid="ignore"):
            a = (D <= d_struct) & (e >= 0.1)
            b = (D >= d_init) & (e < 0.01)
        n_a += int(a.any(1).sum())
        n_b += int(b.any(1).sum())
        n_runs += len(D)
        for m in r.probes:
            j = int(np.flatnonzero(r.model_ids == m)[0])
            if example is None and a[j].any() and fa.generalised(r)[j]:
                example = (r, j, int(m), reg, int(np.flatnonzero(a[j])[0]))
    rows = [_n("deff_structured_threshold", d_struct, K=1, d=3), _n("deff_initial_median", d_init, K=1, d=3),
            _n("runs_structured_high_error", n_a, K=1, d=3), _n("runs_generalised_unstructured", n_b, K=1, d=3),
            _n("runs", n_runs, K=1, d=3)]
    tidy = _example(*example, "fig17") if example else []
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_single(tidy, numbers, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(11, 5))
    if not len(tidy):
        fig.text(0.5, 0.5, "no example run at this fidelity", ha="center")
        return fig
    c = tidy[tidy.panel == "curve"]
    sc = tidy[tidy.panel == "scatter"]
    epochs = sorted(sc.epoch.unique()) if len(sc) else []
    for i, (col, lab, log) in enumerate((("deff", "D_eff", False), ("train_loss", "training loss", True),
                                         ("test_error", "test error", True))):
        ax = fig.add_subplot(3, 2, 2 * i + 1)
        ax.plot(c.epoch, c[col], lw=0.8)
        for e in epochs:
            ax.axvline(e, color="grey", lw=0.5, ls=":")
        if log:
            ax.set_yscale("log")
        ax.set_ylabel(lab, fontsize=8)
    ax.set_xlabel("epoch")
    for i, e in enumerate(epochs[:6]):
        ax = fig.add_subplot(3, 6, 6 * (i // 3) + 4 + i % 3)
        g = sc[sc.epoch == e]
        ax.scatter(g.pc1, g.pc2, s=2)
        ax.set_title(f"epoch {e}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{title} (run {int(c.model.iloc[0])}, {c.reg.iloc[0]}, d = 3)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_fig16(tidy, numbers):
    return plot_single(tidy, numbers, "Loss spike against a step of D_eff (Fig. 16; Z-39)")


def plot_fig17(tidy, numbers):
    return plot_single(tidy, numbers, "Structure without generalisation (Fig. 17; Z-40)")


# ------------------------------------------------------------------------------------------------ Fig. 18


def fig18(runs: dict, cfg: dict):
    """t_G = gen_epoch − train_epoch and t_ε = gen_epoch per (regularisation, d), K = 1: means, medians, SEs and the
    histograms (Z-41, Z-42)."""
    p = preset(cfg)
    tidy, rows = [], []
    for reg in REGS:
        pooled_tg, pooled_te, pooled_gen = [], [], []
        for d in p["bond_dims"]:
            k = key(1, reg, d)
            r = runs[k]
            par = _params(k, cfg)
            gen = fa.generalised(r)
            tg = r.t_grok[gen].astype(float)
            te = r.gen_epoch[gen].astype(float)
            pooled_tg.append(tg)
            pooled_te.append(te)
            pooled_gen.append(gen)
            rows += [_n("mean_t_grok", *fa.mean_se(tg), **par),
                     _n("median_t_grok", np.median(tg) if len(tg) else np.nan, **par),
                     _n("mean_t_eps", *fa.mean_se(te), **par),
                     _n("generalised_fraction", gen.mean(), np.sqrt(gen.mean() * (1 - gen.mean()) / len(gen)), **par)]
            tidy += [dict(reg=reg, d=d, t_grok=a, t_eps=b) for a, b in zip(tg, te)]
        par = dict(K=1, lambda1=float(cfg["regularisations"][reg][0]), lambda2=float(cfg["regularisations"][reg][1]))
        g = np.concatenate(pooled_gen)
        rows += [_n("mean_t_grok_pooled", *fa.mean_se(np.concatenate(pooled_tg)), **par),
                 _n("mean_t_eps_pooled", *fa.mean_se(np.concatenate(pooled_te)), **par),
                 _n("generalised_fraction_pooled", g.mean(), np.sqrt(g.mean() * (1 - g.mean()) / len(g)), **par)]
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_fig18(tidy, numbers):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12, 5.5))
    for j, reg in enumerate(REGS):
        t = tidy[tidy.reg == reg] if len(tidy) else tidy
        for i, (d, g) in enumerate(t.groupby("d") if len(t) else []):
            for row, col in ((0, "t_grok"), (1, "t_eps")):
                axes[row, j].hist(g[col], bins=20, density=True, histtype="step", color=f"C{i}", label=f"d = {d}")
        axes[0, j].set_title(reg, fontsize=9)
        axes[0, j].set_xlabel("t_G (epochs)")
        axes[1, j].set_xlabel("t_ε (epochs)")
        _legend(axes[0, j])
    axes[0, 0].set_ylabel("PDF")
    axes[1, 0].set_ylabel("PDF")
    fig.suptitle("Full model, grokking-time (top) and generalisation-time (bottom) PDFs (Fig. 18; Z-41, Z-42)",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ App. D


def appD(runs: dict, cfg: dict):
    """K = 1, 2, 3 at one bond dimension: ν, mean t_G and the generalised fraction per (K, regularisation) (Z-43)."""
    p = preset(cfg)
    d = p["appd_bond_dim"]
    rows, tidy = [], []
    for K in [1, *p["appd_K"]]:
        for reg in p["appd_regularisations"]:
            k = key(K, reg, d)
            r = runs[k]
            par = _params(k, cfg)
            nu, nu_se, lo, hi, pts = fa.nu_with_bootstrap(r, p["max_epochs"], int(cfg["seed"]))
            gen = fa.generalised(r)
            tg = r.t_grok[gen].astype(float)
            rows += [_n("nu", nu, nu_se, **par), _n("nu_points", pts, **par), _n("mean_t_grok", *fa.mean_se(tg), **par),
                     _n("median_t_grok", np.median(tg) if len(tg) else np.nan, **par),
                     _n("generalised_fraction", gen.mean(), np.sqrt(gen.mean() * (1 - gen.mean()) / len(gen)), **par),
                     _n("inits", len(gen), **par)]
            taus, mean, se, n, _ = fa.aligned(r, "test_error", p["max_epochs"])
            keep = np.isfinite(mean) & (n > 0) & (taus >= 1)
            tidy += [dict(K=K, reg=reg, tau=t, error=m) for t, m in zip(taus[keep], mean[keep])]
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_appD(tidy, numbers):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for (K, reg), g in (tidy.groupby(["K", "reg"]) if len(tidy) else []):
        axes[0].plot(g.tau, g.error, label=f"K = {K}, {reg}", ls="-" if reg == "none" else "--")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("t_ε − t (epochs)")
    axes[0].set_ylabel("⟨test error⟩ aligned")
    _legend(axes[0])
    t = numbers[numbers.quantity == "mean_t_grok"]
    for reg, g in t.groupby(t.apply(_reg_of, axis=1)):
        axes[1].errorbar(g.K, g.value, yerr=g.se, marker="o", capsize=2, label=reg)
    axes[1].set_xlabel("rule radius K")
    axes[1].set_ylabel("mean t_G (epochs)")
    _legend(axes[1])
    fig.suptitle("K-local rules, rule 30 applied K times (App. D; Z-43)", fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ spike revert


def spike_revert(runs: dict, cfg: dict):
    """Our finding, not a paper claim: the same L1 inits trained with and without the spike-revert tool
    (:mod:`grokrepro.spikes`, revert only when D_eff rose): t_G, t_ε, generalised fraction, post-transition test
    error and spike counts, paired by init."""
    p = preset(cfg)
    d = p["revert_bond_dim"]
    base, rev = runs[key(1, "L1", d)], runs[key(1, "L1", d, revert=True)]
    assert np.array_equal(base.model_ids, rev.model_ids)
    rows, tidy = [], []
    for name, r in (("off", base), ("on", rev)):
        gen = fa.generalised(r)
        err, rate, _ = fa.post_transition(r)
        spikes = np.array([len(fa.spikes_of(r, m)) for m in range(len(r.model_ids))])
        par = dict(K=1, d=d, lambda1=float(cfg["regularisations"]["L1"][0]), lambda2=0.0,
                   revert=1.0 if name == "on" else 0.0)
        rows += [_n("generalised_fraction", gen.mean(), np.sqrt(gen.mean() * (1 - gen.mean()) / len(gen)), **par),
                 _n("mean_t_grok", *fa.mean_se(r.t_grok[gen]), **par),
                 _n("mean_t_eps", *fa.mean_se(r.gen_epoch[gen].astype(float)), **par),
                 _n("post_error_mean", *fa.mean_se(err), **par), _n("post_spike_rate", *fa.mean_se(rate), **par),
                 _n("spikes_per_run", *fa.mean_se(spikes), **par),
                 _n("reverts_per_run", *fa.mean_se(r.reverts.astype(float)), **par)]
        tidy += [dict(revert=name, model=int(m), generalised=bool(g), t_grok=float(tg), post_error=float(e),
                      spikes=int(s)) for m, g, tg, e, s in zip(r.model_ids, gen, r.t_grok, err, spikes)]
    both = fa.generalised(base) & fa.generalised(rev)
    dt = (rev.t_grok - base.t_grok)[both]
    rows.append(_n("paired_t_grok_difference", *fa.mean_se(dt), K=1, d=d))
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_spike_revert(tidy, numbers):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    for i, (col, lab) in enumerate((("t_grok", "t_G (epochs)"), ("post_error", "post-transition test error"),
                                    ("spikes", "loss spikes per run"))):
        data = [tidy[(tidy.revert == k) & np.isfinite(tidy[col].astype(float))][col] for k in ("off", "on")]
        axes[i].boxplot(data, tick_labels=["revert off", "revert on"])
        axes[i].set_ylabel(lab, fontsize=8)
    fig.suptitle("Spike-revert (revert only if D_eff rose) on the same L1 inits: our finding, not a paper claim",
                 fontsize=9)
    fig.tight_layout()
    return fig


@dataclass(frozen=True)
class Figure:
    builder: Callable
    plot: Callable
    needs: Callable            # cfg -> ensemble keys it reads


def _k1(cfg):
    p = preset(cfg)
    return [key(1, r, d) for r in REGS for d in p["bond_dims"]]


def _d3(cfg):
    return [key(1, r, 3) for r in REGS] if 3 in preset(cfg)["bond_dims"] else []


def _appd(cfg):
    p = preset(cfg)
    return [key(K, r, p["appd_bond_dim"]) for K in [1, *p["appd_K"]] for r in p["appd_regularisations"]]


def _revert(cfg):
    d = preset(cfg)["revert_bond_dim"]
    return [key(1, "L1", d), key(1, "L1", d, revert=True)]


FIGURES = {
    "fig14": Figure(fig14, plot_fig14, _k1),
    "fig15": Figure(fig15, plot_fig15, _k1),
    "fig16": Figure(fig16, plot_fig16, _d3),
    "fig17": Figure(fig17, plot_fig17, _d3),
    "fig18": Figure(fig18, plot_fig18, _k1),
    "appD": Figure(appD, plot_appD, _appd),
    "spike_revert": Figure(spike_revert, plot_spike_revert, _revert),
}
# what a run ensemble's rule hashes (editing the analysis or the plots does not retrain) ...
RUN_SOURCES = ("zunkovic2022/automata.py", "zunkovic2022/fullmodel.py", "spikes.py")
# ... and what a figure's rule hashes
SOURCES = (*RUN_SOURCES, "zunkovic2022/fm_analysis.py", "zunkovic2022/fm_figures.py", "zunkovic2022/numbers.py")


def inputs(figure: str, cfg: dict) -> list[str]:
    return [f"results/zunkovic2022/fullmodel/{k}.npz" for k in FIGURES[figure].needs(cfg)]


def build(figure: str, paths: list[str], cfg: dict):
    from grokrepro.zunkovic2022.fullmodel import Runs

    if figure not in FIGURES:
        raise KeyError(f"unknown full-model figure {figure!r}; known: {', '.join(FIGURES)}")
    runs = {p.rsplit("/", 1)[-1].removesuffix(".npz"): Runs.load(p) for p in paths}
    entry = FIGURES[figure]
    tidy, numbers = entry.builder(runs, cfg)
    return tidy, numbers, entry.plot(tidy, numbers)

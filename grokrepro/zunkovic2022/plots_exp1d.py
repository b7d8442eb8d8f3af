"""Plots of the 1D exponential model figures (Žunkovič & Ilievski 2022, Sec. 3.1): each function takes the tidy table
and the numbers of :mod:`grokrepro.zunkovic2022.exp1d_figures` and returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

# paper styles (Figs 2-3): N = 2 dashed blue, 5 dotted orange, 10 full green
STYLE = {2: dict(color="tab:blue", ls="--"), 5: dict(color="tab:orange", ls=":"), 10: dict(color="tab:green", ls="-")}
MARKER = {2: "o", 5: "s", 10: "^"}


def _style(N) -> dict:
    return STYLE.get(int(N), dict(color="k", ls="-"))


def plot_dynamics(tidy: pd.DataFrame, numbers: pd.DataFrame):
    """Six panels: b(t) closed form vs ODE (Z-01), E(t) Eq. 7 vs MC (Z-02), E near t_ε per run (Z-03), ⟨⟨E⟩⟩ vs
    (ε_λ/2)(t_ε − t) (Z-04), final population error vs x̄/ε_λ (Z-05), simulated t_G vs Eq. 16 (Z-10)."""
    fig, ax = plt.subplots(2, 3, figsize=(15, 8.5))
    ax = ax.ravel()
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    d = tidy[tidy.panel == "b"]
    for i, g in d.groupby("case"):
        th, sim = g[g.method == "theory"], g[g.method == "simulation"]
        ax[0].plot(th.x, th.y, color=colors[i % 10], lw=1.2, label=th.label.iloc[0])
        ax[0].plot(sim.x[::12], sim.y[::12], "o", ms=3, color=colors[i % 10])
    ax[0].set(xlabel="t", ylabel="b(t)", title="Eq. 6 (lines) vs numerical ODE (markers)")
    ax[0].legend(fontsize=6)
    d = tidy[tidy.panel == "E"]
    for i, g in d.groupby("case"):
        th, sim = g[g.method == "theory"], g[g.method == "simulation"]
        ax[1].plot(th.x, th.y, color=colors[i % 10], lw=1.2, label=th.label.iloc[0])
        ax[1].errorbar(sim.x, sim.y, yerr=3 * sim.se, fmt="o", ms=3, color=colors[i % 10], label=sim.label.iloc[0])
    ax[1].set(xlabel="t", ylabel="E(t)", title="Eq. 7 as printed (lines) vs MC ±3σ (markers)")
    ax[1].legend(fontsize=6)
    d = tidy[tidy.panel == "nu"]
    for i, g in d.groupby("case"):
        ax[2].loglog(g.x, g.y, "-", color=colors[i % 10], label=g.label.iloc[0])
    ax[2].set(xlabel="t_ε − t", ylabel="E", title="single runs near t_ε (fit window)")
    ax[2].legend(fontsize=6)
    d = tidy[tidy.panel == "avg"]
    for i, g in d.groupby("case"):
        th, sim = g[g.method == "theory"], g[g.method == "simulation"]
        ax[3].loglog(sim.x, sim.y, "o", ms=3, color=colors[i % 10], label=sim.label.iloc[0])
        ax[3].loglog(th.x, th.y, "-", color=colors[i % 10], lw=0.8)
    ax[3].set(xlabel="t_ε − t", ylabel="⟨⟨E⟩⟩", title="aligned average (markers) vs (ε_λ/2)(t_ε − t) (lines)")
    ax[3].legend(fontsize=6)
    d = tidy[tidy.panel == "final"]
    for i, g in d.groupby("case"):
        ax[4].plot(g.x, g.y, ".", ms=2, color=colors[i % 10], label=g.label.iloc[0])
    for x in (-1, 1):
        ax[4].axvline(x, color="k", lw=0.6, ls="--")
    ax[4].set(xlabel="x̄ / ε_λ", ylabel="E(t → ∞)", title="Eq. 11: zero final error iff |x̄| < ε_λ")
    ax[4].legend(fontsize=6)
    d = tidy[tidy.panel == "t_grok"]
    for i, g in d.groupby("case"):
        ax[5].plot(g.x, g.y, "o", ms=3, color=colors[i % 10], label=g.label.iloc[0])
    if len(d):
        lim = [0, float(np.nanmax(d[["x", "y"]].values)) * 1.05]
        ax[5].plot(lim, lim, "k-", lw=0.6)
    ax[5].set(xlabel="t_G (Eq. 16)", ylabel="t_G (simulated flow)", title="grokking time, several b(0) per set")
    ax[5].legend(fontsize=6)
    fig.tight_layout()
    return fig


def plot_fig2(tidy: pd.DataFrame, numbers: pd.DataFrame):
    """Fig 2: P_grok vs ε_λ for N = 2, 5, 10 (quadrature lines, MC markers ±3σ); right: the small-gap limit (Z-09)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    for N, g in tidy[tidy.curve == "fine"].groupby("N"):
        a.plot(g.eps_lambda, g.p_grok, label=f"N = {N:g}", **_style(N))
    for N, g in tidy[tidy.curve == "grid"].groupby("N"):
        a.errorbar(g.eps_lambda, g.p_grok, yerr=3 * g.se, fmt=MARKER.get(int(N), "o"), ms=4,
                   color=_style(N)["color"], label=f"MC N = {N:g}")
    a.set(xlabel="ε_λ", ylabel="grokking probability", title="Fig. 2 (Eq. 14; MC ±3σ)")
    a.legend(fontsize=8)
    for name, g in tidy[tidy.curve.str.startswith("small_gap")].groupby(["curve", "N"]):
        lab = f"{'L1' if name[0].endswith('l1') else 'L2'} (λ=0.15), N={name[1]:g}"
        g = g[g.eps > 0]
        b.errorbar(g.eps, g.p_grok, yerr=3 * g.se, fmt=MARKER.get(int(name[1]), "o") + ("-" if "l1" in name[0] else
                                                                                      "--"),
                   ms=4, color=_style(name[1])["color"], label=lab)
    b.set(xscale="log", xlabel="gap ε", ylabel="grokking probability (MC)", title="small-gap limit: L1 vs L2")
    b.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_fig3(tidy: pd.DataFrame, numbers: pd.DataFrame):
    """Fig 3: t_G densities for N = 2, 5, 10 at ε_λ = 0.4, 0.04, 0.004 (Eq. 17 line for N = 2; MC histograms)."""
    eps = sorted(tidy.eps_lambda.unique(), reverse=True)
    fig, ax = plt.subplots(1, len(eps), figsize=(5 * len(eps), 4), squeeze=False)
    for a, e in zip(ax[0], eps):
        g = tidy[np.isclose(tidy.eps_lambda, e)]
        th = g[g.method == "theory"]
        a.plot(th.t, th.density, color="k", lw=1.0, label="N = 2, Eq. 17")
        for N, h in g[g.method == "simulation"].groupby("N"):
            a.errorbar(h.t, h.density, yerr=3 * h.se, fmt=MARKER.get(int(N), "o"), ms=2.5, alpha=0.8,
                       color=_style(N)["color"], label=f"N = {N:g}, MC")
            a.plot(h.t, h.density, lw=0.8, **_style(N))
        a.set(xlabel="t_G", ylabel="PDF", title=f"ε_λ = {e:g}")
        a.legend(fontsize=8)
    fig.tight_layout()
    return fig

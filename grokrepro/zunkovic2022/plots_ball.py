"""Figures of the ball model: the exponents (Eqs. 23, 50), Fig 5 (P_grok) and Fig 6 (t_G PDF). Each function takes
the tidy table and numbers of its builder in :mod:`grokrepro.zunkovic2022.ball_figures` and returns a Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from grokrepro.records import select  # noqa: E402


def plot_exponent(tidy: pd.DataFrame, numbers: pd.DataFrame) -> plt.Figure:
    """Left: cap mass M(h) of the ξ-densities (quadrature); right: median fitted ν vs D (markers: simulation, lines:
    (D+1−2ξ)/2; ξ = NaN is the uniform ball with the closed-form cap error)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    cap = tidy[tidy.kind == "cap_mass"]
    for (D, xi), g in cap.groupby(["D", "xi"]):
        a.loglog(g.x, g.value, lw=1, label=f"D={D:g}, ξ={xi:g}" if D == cap.D.max() else None)
    a.set(xlabel="cap height h", ylabel="test error M(h)", title="cap error, ξ-densities")
    a.legend(fontsize=7)
    sim = select(numbers, "nu", "simulation")
    for xi, g in sim.groupby(sim.xi.fillna(-1)):
        g = g.sort_values("D")
        lab = "uniform (closed form)" if xi < 0 else f"ξ={xi:g}"
        b.errorbar(g.D, g.value, yerr=g.se, fmt="o", ms=4, label=lab)
        b.plot(g.D, (g.D + 1 - 2 * max(xi, 0)) / 2, "k-", lw=0.6)
    b.set(xlabel="D", ylabel="median fitted ν", title="ν vs D (lines: (D+1−2ξ)/2)")
    b.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_fig5(tidy: pd.DataFrame, numbers: pd.DataFrame) -> plt.Figure:
    """Four panels like the paper: MC P_grok vs D, λ2, N, ε (others at the defaults), binomial se as error bars."""
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    for ax, var in zip(axes, ("D", "lambda2", "N", "eps")):
        g = tidy[(tidy.panel == var)].sort_values(var)
        x = g[var].to_numpy(dtype=float)
        if var == "lambda2":
            x = np.where(x == 0, 1e-3, x)
            ax.set_xscale("log")
            ax.set_xlabel("λ2 (0 drawn at 1e-3)")
        else:
            ax.set_xlabel({"eps": "ε"}.get(var, var))
        ax.errorbar(x, g.p, yerr=g.se, fmt="o-", ms=4)
        ax.set(ylabel="P_grok", ylim=(-0.02, 1.02))
    fig.suptitle("Ball model grokking probability (definition-level MC; defaults D=10, λ2=0.1, N=10, ε=1.01)")
    fig.tight_layout()
    return fig


def plot_fig6(tidy: pd.DataFrame, numbers: pd.DataFrame) -> plt.Figure:
    """Top row, the paper's Fig 6 (theory): fast PDF (Eq. 43, lines) and the delta (Eq. 47, bar height = weight) for
    the panels varying D, λ2, ε. Bottom row, the simulated gradient flows of the same settings: histograms of
    log10 t_G (fraction of runs per bin), with Eq. 47 (dashed) and the geometric slow time of Z-D6 (dotted)."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 7.5))
    groups = {"D": [(2, 0.01, 2.0), (3, 0.01, 2.0), (5, 0.01, 2.0), (10, 0.01, 2.0)],
              "λ2": [(5, 0.001, 2.0), (5, 0.01, 2.0), (5, 0.1, 2.0)],
              "ε": [(5, 0.01, 1.5), (5, 0.01, 2.0), (5, 0.01, 3.0)]}
    for k, (name, sets) in enumerate(groups.items()):
        top, bottom = axes[0, k], axes[1, k]
        for i, (D, l2, e) in enumerate(sets):
            m = (tidy.D == D) & np.isclose(tidy.lambda2, l2) & np.isclose(tidy.eps, e)
            col, lab = f"C{i}", f"D={D}, λ2={l2:g}, ε={e:g}"
            pdf = tidy[m & (tidy.kind == "fast_pdf")]
            top.plot(pdf.t, pdf.value, color=col, label=lab)
            dl = tidy[m & (tidy.kind == "delta")]
            top.vlines(dl.t, 0, dl.value, color=col, lw=3)
            s = tidy[m & (tidy.kind == "sim_t_grok")]
            t = s.t.to_numpy(float)
            t = t[np.isfinite(t) & (t > 0)]
            if len(t):
                bottom.hist(np.log10(t), bins=40, histtype="step", color=col, label=lab,
                            weights=np.full(len(t), 1 / len(t)))
            for dl_t in dl.t:
                bottom.axvline(np.log10(dl_t), color=col, ls="--", lw=1)
            geo = np.log(e ** 2 / (e ** 2 - 1)) / (2 * (l2 + 1 / (D + 2)))
            bottom.axvline(np.log10(geo), color=col, ls=":", lw=1)
        top.set(xlabel="t_G", ylabel="PDF / delta weight", title=f"theory, varying {name}", yscale="log",
                ylim=(1e-3, None))
        top.legend(fontsize=7)
        bottom.set(xlabel="log10 t_G (simulated flows)", ylabel="fraction of runs",
                   title=f"simulation, varying {name} (-- Eq. 47, : geometric)")
        bottom.legend(fontsize=7)
    fig.tight_layout()
    return fig

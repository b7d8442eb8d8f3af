"""Figures of the microscopic side of Liu et al. (Figs 2, 3, 4a-c, 5, 9, 10, 12, 17, 18).

Each function takes the tables its figure rule wrote and returns a matplotlib Figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from grokrepro.liu2022.fraction import median_rqi_steps  # noqa: E402


def _diag(ax):
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)


def fig2(runs: pd.DataFrame, emb: pd.DataFrame) -> plt.Figure:
    """One memorising and one generalising run per task (first run of each regime; settings before the recipe grid),
    symbols labelled; with a recipe grid, a last panel shows each cell's generalised fraction per task."""
    grid = runs[runs.group == "grid"] if "group" in runs else runs.iloc[:0]
    fig, axes = plt.subplots(1, 5 if len(grid) else 4, figsize=(17.5 if len(grid) else 14, 3.6),
                             constrained_layout=True)
    col = 0
    for task in ("addition", "modular_addition"):
        for regime in ("memorising", "generalising"):
            ax = axes[col]
            col += 1
            sel = runs[(runs.task == task) & (runs.regime == regime)]
            if sel.empty:
                ax.set_title(f"{task}: no {regime} run", fontsize=8)
                continue
            r = sel.iloc[0]
            e = emb[(emb.task == task) & (emb.setting == r.setting) & (emb.seed == r.seed)]
            ax.scatter(e.x, e.y, c=e.symbol, cmap="viridis", s=30)
            for s in e.itertuples():
                ax.annotate(str(s.symbol), (s.x, s.y), fontsize=7, xytext=(2, 2), textcoords="offset points")
            recipe = f"lr {r.lr_repr:g}/{r.lr_decoder:g}, wd {r.wd_decoder:g}"
            if "init_scale" in r:
                recipe += f", init {r.init_scale:g}, fraction {r.train_fraction:g}"
            ax.set_title(f"{task}, {regime} ({getattr(r, 'group', 'settings')}, seed {r.seed})\n{recipe}\n"
                         f"RQI {r.rqi:.2f}, circle residual {r.circle_residual:.2f}, mod order {r.mod_order}",
                         fontsize=7)
            ax.set_aspect("equal", adjustable="datalim")
    if len(grid):
        ax = axes[-1]
        cells = grid.drop_duplicates("cell").sort_values("cell")
        frac = grid.assign(gen=grid.regime == "generalising").groupby(["task", "cell"]).gen.mean()
        x = np.arange(len(cells))
        for i, task in enumerate(("addition", "modular_addition")):
            ax.bar(x + (i - 0.5) * 0.4, [frac.get((task, c), np.nan) for c in cells.cell], 0.4, label=task)
        ax.set_xticks(x, [f"{c.lr_repr:g}/{c.lr_decoder:g}\nwd {c.wd_decoder:g} s {c.init_scale:g}\nf {c.train_fraction:g}"
                          for c in cells.itertuples()], fontsize=5)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("generalised fraction of seeds")
        ax.set_title("recipe grid (lr_repr/lr_decoder, wd, init s, fraction f)", fontsize=7)
        ax.legend(fontsize=6)
    fig.suptitle("Liu et al. Fig 2: 2D embeddings, p = 11", fontsize=10)
    return fig


def fig3(runs: pd.DataFrame) -> plt.Figure:
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), constrained_layout=True)
    for ax, (x, y, xl, yl) in zip(axes, (("fraction", "acc", "training fraction", "Acc"),
                                         ("fraction", "pred_acc", "training fraction", "predicted Acc (Âcc)"),
                                         ("pred_acc", "acc", "Âcc", "Acc"))):
        ax.scatter(runs[x], runs[y], c=runs.seed, cmap="tab10", vmin=0, vmax=9, s=18)
        _diag(ax)
        ax.set_xlabel(xl)
        ax.set_ylabel(yl)
    fig.suptitle("Liu et al. Fig 3: accuracy vs predicted accuracy (train_add, 5,000 steps; colour = seed)",
                 fontsize=10)
    return fig


def fig4a(curve: pd.DataFrame, numbers: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 3.6), constrained_layout=True)
    ax.plot(curve.fraction, curve.p_linear, "o-", ms=3)
    xc = numbers.set_index("quantity").value.get("crossing_fraction", np.nan)
    ax.axhline(0.5, color="grey", lw=0.6)
    ax.axvline(xc, color="C3", lw=0.8, label=f"0.5 crossing: {xc:.3f}")
    ax.axvline(0.4, color="k", ls=":", lw=0.8, label="paper r_c = 0.4")
    ax.set_xlabel("training fraction n / 55")
    ax.set_ylabel("P(nullity = 2)")
    ax.legend(fontsize=8)
    ax.set_title("Liu et al. Fig 4a: probability the training set fixes the linear structure", fontsize=9)
    return fig


def fig4b(runs: pd.DataFrame, budget: int) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 3.6), constrained_layout=True)
    never = runs.rqi_step.isna()
    steps = runs.rqi_step.astype("Float64").fillna(budget * 1.3).to_numpy(float)
    ax.scatter(runs.fraction[~never], steps[~never], c="C0", s=18, label="steps to RQI > 0.95")
    ax.scatter(runs.fraction[never], steps[never], marker="x", c="C3", s=18, label="never (within budget)")
    med = median_rqi_steps(runs, by="fraction")
    ax.plot(med.index, med.replace(np.inf, np.nan), "b-", lw=1, label="median over seeds")
    ax.set_yscale("log")
    ax.axhline(budget, color="grey", lw=0.6)
    ax.set_xlabel("training fraction")
    ax.set_ylabel("steps")
    ax.legend(fontsize=7)
    ax.set_title("Liu et al. Fig 4b: steps to RQI > 0.95 (budget %d)" % budget, fontsize=9)
    return fig


def fig4c(eff: pd.DataFrame, fig4d_tidy: pd.DataFrame) -> plt.Figure:
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), constrained_layout=True)
    cmap = plt.get_cmap("viridis")
    emb = eff[eff.symbol >= 0]
    for sym, g in emb.groupby("symbol"):
        axes[0].plot(g.step, g.value, color=cmap(sym / 9), lw=1)
    axes[0].set_title("effective theory (code form, L-D4)", fontsize=9)
    nn = fig4d_tidy[fig4d_tidy.quantity == "embedding_normalised"]
    for sym, g in nn.groupby("symbol"):
        axes[1].plot(g.step, g.value, color=cmap(sym / 9), lw=1)
    axes[1].set_title("network (Fig 4d run), normalised", fontsize=9)
    loss = eff[eff.symbol == -1]
    axes[2].semilogy(loss.step, loss.value)
    axes[2].set_title("effective loss l0", fontsize=9)
    for ax in axes:
        ax.set_xlabel("step")
    fig.suptitle("Liu et al. Fig 4c: effective-theory trajectories from the network's initial embedding", fontsize=10)
    return fig


def fig5(table: pd.DataFrame, numbers: pd.DataFrame) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for norm, style in (("paper", "o-"), ("code", "s-")):
        t = table[table.normalisation == norm]
        axes[0].plot(t.fraction, t.median_lambda3, style, ms=3, label=f"median λ3 ({norm})")
        axes[1].plot(t.fraction, t.median_n_h, style, ms=3, label=f"median n_h ({norm})")
    t = table[table.normalisation == "code"]
    ax0b = axes[0].twinx()
    ax0b.plot(t.fraction, t.zero_fraction, "k:", label="P(λ3 = 0)")
    ax0b.set_ylabel("P(λ3 = 0)")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("training fraction")
    axes[0].legend(fontsize=7, loc="upper left")
    nn = numbers[numbers.quantity == "nn_median_rqi_step"]
    axes[1].plot(nn.n_train.astype(float) / 55, nn.value, "k^-", label="network: median steps to RQI > 0.95")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("training fraction")
    axes[1].set_ylabel("steps")
    axes[1].legend(fontsize=7)
    fig.suptitle("Liu et al. Fig 5: grokking rate λ3 and predicted steps n_h = 1/(λ3 η)", fontsize=10)
    return fig


def fig9(table: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 3.4), constrained_layout=True)
    ax.bar(table.k, table.n_nullity2 / table.n_subsets)
    ax.set_xlabel("samples k (of 21)")
    ax.set_ylabel("fraction of k-subsets with nullity 2")
    ex = table[table.n_nullity2 > 0]
    if len(ex):
        ax.set_title(f"Liu et al. Fig 9 (p = 6): smallest k = {int(ex.k.min())}\ne.g. {ex.example.iloc[0]}",
                     fontsize=8)
    return fig


def fig10(runs: pd.DataFrame) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for ax, (real, ideal, name) in zip(axes, (("rqi", "ideal_rqi", "RQI"), ("pred_acc", "ideal_acc", "Âcc"))):
        ax.scatter(runs.fraction, runs[real], s=16, label=f"{name} (trained)")
        ax.scatter(runs.fraction, runs[ideal], s=16, marker="x", label=f"ideal {name}")
        ax.set_xlabel("training fraction")
        ax.legend(fontsize=8)
    fig.suptitle("Liu et al. Fig 10: real vs ideal quantities (App E bounds)", fontsize=10)
    return fig


def fig12(runs: pd.DataFrame, emb: pd.DataFrame) -> plt.Figure:
    groups = list(runs.groupby(["lr_repr", "lr_decoder"], sort=False))
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.4), constrained_layout=True)
    for ax, ((lr_r, lr_d), g) in zip(np.atleast_1d(axes), groups):
        e = emb[(emb.lr_repr == lr_r) & (emb.lr_decoder == lr_d)]
        for s, es in e.groupby("seed"):
            ax.scatter(es.embedding_normalised, np.full(len(es), s), c=es.symbol, cmap="viridis", s=25)
        ax.set_xlabel("normalised embedding")
        ax.set_ylabel("seed")
        ax.set_title(f"η_repr {lr_r:g}, η_dec {lr_d:g}: mean RQI {g.rqi.mean():.2f}", fontsize=9)
    fig.suptitle("Liu et al. Figs 11-12: p = 4 representations on the App E training set", fontsize=10)
    return fig


def fig17(proj: pd.DataFrame, title: str) -> plt.Figure:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4), constrained_layout=True)
    for ax, (a, b) in zip(axes, ((1, 3), (1, 2))):
        ax.scatter(proj[f"pc{a}"], proj[f"pc{b}"], c=proj.element, cmap="tab10", s=40)
        for r in proj.itertuples():
            ax.annotate(str(r.element), (getattr(r, f"pc{a}"), getattr(r, f"pc{b}")), fontsize=8)
        ax.set_xlabel(f"PC{a}")
        ax.set_ylabel(f"PC{b}")
        ax.set_aspect("equal", adjustable="datalim")
    fig.suptitle(title, fontsize=9)
    return fig


def fig18(runs: pd.DataFrame, budget: int) -> plt.Figure:
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), constrained_layout=True)
    axes[0].scatter(runs.fraction, runs.final_rqi, s=12)
    axes[0].plot(*zip(*runs.groupby("fraction").final_rqi.max().items()), "b-", label="max over seeds")
    axes[0].set_ylabel("RQI")
    steps = runs.rqi_step.astype("Float64").fillna(budget * 1.3).to_numpy(float)
    axes[1].scatter(runs.fraction, steps, s=12)
    mins = runs.groupby("fraction").rqi_step.apply(lambda s: s.astype("Float64").min())
    axes[1].plot(mins.index, mins.astype("Float64").to_numpy(float, na_value=np.nan), "b-", label="min over seeds")
    axes[1].set_yscale("log")
    axes[1].set_ylabel("steps to RQI > 0.95 (above budget: never)")
    axes[2].scatter(runs.fraction, runs.acc, s=12, label="Acc")
    axes[2].scatter(runs.fraction, runs.pred_acc, s=12, marker="x", label="Âcc")
    axes[2].set_ylabel("accuracy")
    axes[3].scatter(runs.acc, runs.pred_acc, s=12)
    _diag(axes[3])
    axes[3].set_xlabel("Acc")
    axes[3].set_ylabel("Âcc")
    for ax in axes[:3]:
        ax.set_xlabel("training fraction")
        ax.legend(fontsize=7)
    fig.suptitle("Liu et al. Fig 18: S3 against training fraction", fontsize=10)
    return fig

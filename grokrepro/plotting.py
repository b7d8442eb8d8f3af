"""Figures. Each function takes the tidy tables a figure rule wrote and returns a matplotlib Figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from grokrepro.liu2022.phases import CODES, COLOURS, PHASES  # noqa: E402

_ORDER = list(PHASES) + ["val_only"]
_CMAP = ListedColormap([np.array(COLOURS[p]) / 255 for p in _ORDER])


def _tick(value: float, log: bool) -> str:
    return f"{np.log10(value):.2f}".rstrip("0").rstrip(".") if log else f"{value:g}"


def _phase_image(ax, grid: pd.DataFrame, cfg: dict, title: str, diff: np.ndarray | None = None):
    """One phase map: x increasing to the right; y increasing upward for Fig 6a's representation lr (the paper's
    "top left" is slow decoder / fast representation), downward for weight decay, batch size and init scale."""
    from grokrepro.liu2022.panels import AXIS_LABELS, is_log

    xlog, ylog = is_log(cfg["x"]), is_log(cfg["y"])
    origin = "lower" if cfg["y"]["param"] == "lr_repr" else "upper"
    codes = grid.map(lambda p: _ORDER.index(p) if isinstance(p, str) else np.nan).to_numpy(float)
    ax.imshow(codes, cmap=_CMAP, vmin=-0.5, vmax=len(_ORDER) - 0.5, aspect="auto", interpolation="nearest",
              origin=origin)
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xticklabels([_tick(v, xlog) for v in grid.columns], rotation=90, fontsize=7)
    ax.set_yticks(range(grid.shape[0]))
    ax.set_yticklabels([_tick(v, ylog) for v in grid.index], fontsize=7)
    ax.set_xlabel(("log10 " if xlog else "") + AXIS_LABELS[cfg["x"]["param"]])
    ax.set_ylabel(("log10 " if ylog else "") + AXIS_LABELS[cfg["y"]["param"]])
    ax.set_title(title, fontsize=9)
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            p = grid.iat[r, c]
            if isinstance(p, str):
                colour = "white" if p in ("memorization", "confusion") else "black"
                ax.text(c, r, CODES[p], ha="center", va="center", fontsize=6, color=colour)
            if diff is not None and diff[r, c]:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="red", lw=1.5))


def _legend(fig, grids=()):
    """The four phases, and "val only" (V: validation reached the threshold, training never did) when a map has it."""
    handles = [Patch(color=np.array(COLOURS[p]) / 255, label=p) for p in PHASES]
    if any((g == "val_only").to_numpy().any() for g in grids):
        handles.append(Patch(color=np.array(COLOURS["val_only"]) / 255, label="val only (V; none of the four)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)


def phase_maps(merged: pd.DataFrame, cfg: dict, title: str) -> plt.Figure:
    """With the authors' data: our map, theirs, and the cells that differ (ours boxed in red on a blank grid);
    without: one map per loss (App G: regression and classification)."""
    from grokrepro.liu2022.fig6 import phase_grid
    from grokrepro.liu2022.panels import LOSS_NAMES

    if "ref_phase" in merged:
        ours, ref = phase_grid(merged, cfg), phase_grid(merged, cfg, "ref_phase")
        diff = (ours != ref).to_numpy()
        only_diff = ours.where(ours != ref)
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), constrained_layout=True)
        _phase_image(axes[0], ours, cfg, f"{title}: this run", diff)
        _phase_image(axes[1], ref, cfg, f"{title}: authors' data")
        _phase_image(axes[2], only_diff, cfg, f"cells that differ: {int(diff.sum())} of {diff.size} "
                                              f"(agreement {1 - diff.mean():.1%}); our phase shown", diff)
        grids = [ours, ref]
    else:
        losses = list(dict.fromkeys(merged.loss))
        fig, axes = plt.subplots(1, len(losses), figsize=(5.5 * len(losses), 4.6), constrained_layout=True,
                                 squeeze=False)
        grids = [phase_grid(merged[merged.loss == loss], cfg) for loss in losses]
        for ax, loss, grid in zip(axes[0], losses, grids):
            _phase_image(ax, grid, cfg, f"{title}: {LOSS_NAMES[loss]}")
    _legend(fig, grids)
    return fig


def seed_maps(merged: list[pd.DataFrame], cfg: dict, title: str) -> plt.Figure:
    """One map per seed (paper seed first), cells differing from the authors' data boxed in red."""
    from grokrepro.liu2022.fig6 import phase_grid

    fig, axes = plt.subplots(1, len(merged), figsize=(5.2 * len(merged), 4.6), constrained_layout=True,
                             squeeze=False)
    grids = []
    for ax, m in zip(axes[0], merged):
        ours = phase_grid(m, cfg)
        grids.append(ours)
        diff = (ours != phase_grid(m, cfg, "ref_phase")).to_numpy() if "ref_phase" in m else None
        extra = f", agreement {1 - diff.mean():.1%}" if diff is not None else ""
        seed = int(m.seed.iloc[0])
        tag = " (paper's seed)" if seed == int(cfg["seed"]) else ""
        _phase_image(ax, ours, cfg, f"{title}: seed {seed}{tag}{extra}", diff)
    _legend(fig, grids)
    return fig


def fig4d(tidy: pd.DataFrame, numbers: pd.DataFrame) -> plt.Figure:
    """Normalised 1D embeddings over steps, with accuracies and RQI, and the milestone steps marked."""
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    emb = tidy[tidy.quantity == "embedding_normalised"]
    cmap = plt.get_cmap("viridis")
    for sym, g in emb.groupby("symbol"):
        a0.plot(g.step, g.value, color=cmap(sym / 9), lw=1, label=str(sym))
    a0.set_xlabel("step")
    a0.set_ylabel("normalised embedding (E - mean) / std")
    a0.legend(title="symbol", fontsize=6, ncol=2)
    for q, style in (("acc_train", "-"), ("acc_val", "--"), ("rqi", ":")):
        g = tidy[tidy.quantity == q]
        a1.plot(g.step, g.value, style, label={"acc_train": "train accuracy", "acc_val": "validation accuracy",
                                               "rqi": "RQI"}[q])
    num = numbers.set_index("quantity")["value"]
    for q, colour in (("iter_train", "C0"), ("iter_test", "C1"), ("iter_rqi", "C2")):
        v = num.get(q)
        if v is not None and np.isfinite(v):
            for ax in (a0, a1):
                ax.axvline(v, color=colour, lw=0.8, alpha=0.6)
    a1.set_xlabel("step")
    a1.set_ylabel("accuracy / RQI")
    a1.set_ylim(-0.02, 1.02)
    a1.legend(fontsize=8)
    a1.set_title(f"train>=0.9 at {num.get('iter_train'):.0f}, val>=0.9 at {num.get('iter_test'):.0f}, "
                 f"RQI>0.95 at {num.get('iter_rqi'):.0f}", fontsize=8)
    fig.suptitle("Liu et al. Fig 4d: train_add default run (p=10, n=45, seed 58)", fontsize=10)
    return fig

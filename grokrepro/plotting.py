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


def _phase_image(ax, grid: pd.DataFrame, title: str, diff: np.ndarray | None = None):
    codes = grid.map(lambda p: _ORDER.index(p) if isinstance(p, str) else np.nan).to_numpy(float)
    ax.imshow(codes, cmap=_CMAP, vmin=-0.5, vmax=len(_ORDER) - 0.5, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xticklabels([f"{np.log10(v):.1f}" for v in grid.columns], rotation=90, fontsize=7)
    ax.set_yticks(range(grid.shape[0]))
    ax.set_yticklabels([f"{v:g}" for v in grid.index], fontsize=7)
    ax.set_xlabel("log10 decoder learning rate")
    ax.set_ylabel("decoder weight decay")
    ax.set_title(title, fontsize=9)
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            p = grid.iat[r, c]
            if isinstance(p, str):
                colour = "white" if p in ("memorization", "confusion") else "black"
                ax.text(c, r, CODES[p], ha="center", va="center", fontsize=6, color=colour)
            if diff is not None and diff[r, c]:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="red", lw=1.5))


def phase_diagram(merged: pd.DataFrame, title: str) -> plt.Figure:
    """Our map, the authors' map and the cells that differ (red boxes), weight decay increasing downward."""
    ours = merged.pivot_table(index="weight_decay", columns="lr_decoder", values="phase", aggfunc="first")
    ref = merged.pivot_table(index="weight_decay", columns="lr_decoder", values="ref_phase", aggfunc="first")
    diff = (ours != ref).to_numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    agree = 1 - diff.mean()
    _phase_image(axes[0], ours, f"{title}: this run (differences boxed; agreement {agree:.1%})", diff)
    _phase_image(axes[1], ref, f"{title}: authors' data (spec §5.2)")
    handles = [Patch(color=np.array(COLOURS[p]) / 255, label=p) for p in PHASES]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8)
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

"""Table 1 of Liu et al. (2022): the four learning phases, and comparison with the authors' phase-diagram data.

Decisions: docs/decisions.md (Phase classifier, L-D11). A run is classified from the first steps at which train
and validation accuracy reach the threshold (missing = not reached within the budget):

| phase             | train reached | val reached | val step - train step |
|-------------------|---------------|-------------|-----------------------|
| comprehension (C) | yes           | yes         | < gap (10^3)          |
| grokking (G)      | yes           | yes         | >= gap                |
| memorization (M)  | yes           | no          |                       |
| confusion (X)     | no            | no          |                       |

``mode="paper"`` labels "val reached, train not" as V (reported separately); ``mode="authors"`` reproduces the
authors' indicator-sum classifier, which calls that case and a gap of exactly 10^3 comprehension, and counts a step
equal to budget - 1 as not reached (their sentinel).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

PHASES = ("comprehension", "grokking", "memorization", "confusion")
CODES = {"comprehension": "C", "grokking": "G", "memorization": "M", "confusion": "X", "val_only": "V"}
COLOURS = {  # the authors' RGB (docs/decisions.md, Phase classifier)
    "comprehension": (160, 218, 57),
    "grokking": (253, 231, 37),
    "memorization": (70, 50, 126),
    "confusion": (30, 30, 30),
    "val_only": (200, 80, 80),
}
MODES = ("paper", "authors")
SENTINEL_OFFSET = 1  # the authors store budget - 1 for "never reached"


def classify(train_step, val_step, *, budget: int = 100_000, gap: int = 1000, mode: str = "paper") -> np.ndarray:
    """Phase names for arrays of first-threshold steps (NaN / NA / None = not reached). Returns an object array."""
    if mode not in MODES:
        raise ValueError(f"unknown phase-classifier mode {mode!r}; allowed: {', '.join(MODES)}")
    tr = pd.to_numeric(pd.Series(np.asarray(train_step, dtype=object).ravel()), errors="coerce").to_numpy(float)
    va = pd.to_numeric(pd.Series(np.asarray(val_step, dtype=object).ravel()), errors="coerce").to_numpy(float)
    limit = budget - SENTINEL_OFFSET if mode == "authors" else budget
    t_ok = np.isfinite(tr) & (tr < limit)
    v_ok = np.isfinite(va) & (va < limit)
    d = va - tr
    out = np.empty(tr.shape, dtype=object)
    out[~t_ok & ~v_ok] = "confusion"
    out[t_ok & ~v_ok] = "memorization"
    both = t_ok & v_ok
    if mode == "paper":
        out[both & (d < gap)] = "comprehension"
        out[both & (d >= gap)] = "grokking"
        out[~t_ok & v_ok] = "val_only"
    else:
        out[both & (d > gap)] = "grokking"
        out[both & (d <= gap)] = "comprehension"
        out[~t_ok & v_ok] = "comprehension"
    return out.reshape(np.shape(train_step))


def load_reference(path: str | Path, *, budget: int = 100_000) -> pd.DataFrame:
    """The authors' Fig 6 data (docs/decisions.md, Reference data) as one row per cell.

    Columns: ``i, j`` (grid indices along h5 axes 0 and 1), the two axis values, ``train_step``, ``val_step``
    (missing where the file holds the 99999 sentinel).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"reference data file not found: {path} (config key 'reference_dir')")
    with h5py.File(path, "r") as f:
        keys = set(f.keys())
        if "repr_lr" in keys:
            ax0, ax1 = ("lr_decoder", f["decoder_lr"][:]), ("lr_repr", f["repr_lr"][:])
        else:
            ax0, ax1 = ("lr_decoder", f["learning_rate"][:]), ("weight_decay", f["weight_decay"][:])
        train, val = f["train_steps"][:], f["test_steps"][:]
    ii, jj = np.meshgrid(np.arange(len(ax0[1])), np.arange(len(ax1[1])), indexing="ij")
    sentinel = budget - SENTINEL_OFFSET

    def steps(a):
        return pd.array([int(v) if v != sentinel else pd.NA for v in a.ravel()], dtype="Int64")

    return pd.DataFrame(
        {
            "i": ii.ravel(),
            "j": jj.ravel(),
            ax0[0]: ax0[1][ii.ravel()].astype(float),
            ax1[0]: ax1[1][jj.ravel()].astype(float),
            "train_step": steps(train),
            "val_step": steps(val),
        }
    )


def phase_counts(phases) -> dict[str, int]:
    values = list(np.asarray(phases, dtype=object).ravel())
    counts = {p: values.count(p) for p in PHASES}
    counts["val_only"] = values.count("val_only")
    return counts


def phase_grid(df: pd.DataFrame, row: str, col: str, value: str = "phase") -> pd.DataFrame:
    """Pivot a one-row-per-run table into a (row values x col values) grid."""
    return df.pivot_table(index=row, columns=col, values=value, aggfunc="first")


def neighbours(grid: np.ndarray, r: int, c: int):
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        rr, cc = r + dr, c + dc
        if 0 <= rr < grid.shape[0] and 0 <= cc < grid.shape[1]:
            yield grid[rr, cc]


def corner_structure(grid: np.ndarray) -> dict[str, object]:
    """The L-22 checks on a (weight decay ascending x learning rate ascending) phase grid.

    ``high_lr_low_wd`` / ``high_lr_high_wd``: the corner cells' phases; ``grokking_touches_*``: whether some G cell
    has a C (resp. M) 4-neighbour; ``cm_contacts``: direct C-M adjacencies (fewer means G separates them more).
    """
    g = np.asarray(grid, dtype=object)
    touches_c = touches_m = False
    cm = 0
    for r in range(g.shape[0]):
        for c in range(g.shape[1]):
            nb = list(neighbours(g, r, c))
            if g[r, c] == "grokking":
                touches_c |= "comprehension" in nb
                touches_m |= "memorization" in nb
            if g[r, c] == "comprehension":
                cm += sum(n == "memorization" for n in nb)
    return {
        "high_lr_low_wd": g[0, -1],
        "high_lr_high_wd": g[-1, -1],
        "grokking_touches_comprehension": touches_c,
        "grokking_touches_memorization": touches_m,
        "cm_contacts": cm,
    }

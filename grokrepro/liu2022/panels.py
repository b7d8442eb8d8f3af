"""Phase-diagram panels of Liu et al. (2022): Fig 6a-d and App G Figs 13-15, each trained as one batched program.

A panel is a grid over two swept hyper-parameters (``x`` and ``y``, any of :data:`SWEEPABLE`), every other
hyper-parameter fixed, one seed and one or more losses. Config block (see config/config.yaml and
docs/decisions.md, Fig 6 grids and anchors, App G grids)::

    task, losses, n_train, fixed: {RunSpec field: value}, x: axis, y: axis, steps, quick_subset: {x_index, y_index},
    seed (the paper's), robustness_seeds, exact_batches

where an axis is ``{param, log10_start, log10_stop, num}`` (the authors' 10^linspace grids) or ``{param, values}``.
Training is split from comparison and plotting (``fig6.py``) so a paper-scale training job is not invalidated by an
edit to how its results are read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grokrepro.config import log_grid
from grokrepro.liu2022 import phases
from grokrepro.train import RunSpec, TrainSettings, train_batched

SWEEPABLE = ("lr_decoder", "lr_repr", "wd_decoder", "wd_repr", "init_scale", "batch_size")
INT_PARAMS = ("batch_size",)
AXIS_LABELS = {
    "lr_decoder": "decoder learning rate",
    "lr_repr": "representation learning rate",
    "wd_decoder": "decoder weight decay",
    "wd_repr": "representation weight decay",
    "init_scale": "embedding init scale s",
    "batch_size": "batch size",
}
LOSS_NAMES = {"mse": "regression", "ce": "classification", "ce_softmax_mean": "classification"}
RUN_COLUMNS = ["loss", "seed", "lr_decoder", "lr_repr", "wd_decoder", "wd_repr", "init_scale", "batch_size",
               "train_step", "val_step", "phase", "diverged", "last_step"]


def is_log(axis: dict) -> bool:
    return "values" not in axis


def axis_values(axis: dict) -> np.ndarray:
    """The full axis (before any quick sub-grid)."""
    return np.asarray(axis["values"], dtype=float) if "values" in axis else log_grid(axis)


def grid(cfg: dict, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """(x values, y values) of the panel at this scale; quick scale keeps ``quick_subset`` indices."""
    xs, ys = axis_values(cfg["x"]), axis_values(cfg["y"])
    if scale == "quick":
        xs, ys = xs[cfg["quick_subset"]["x_index"]], ys[cfg["quick_subset"]["y_index"]]
    return xs, ys


def seeds(cfg: dict) -> list[int]:
    """The paper's seed first, then the robustness seeds."""
    return [int(cfg["seed"])] + [int(s) for s in cfg.get("robustness_seeds", []) if int(s) != int(cfg["seed"])]


def _value(param: str, v: float):
    return int(round(v)) if param in INT_PARAMS else float(v)


def panel_runs(cfg: dict, scale: str, seed: int) -> list[RunSpec]:
    """One RunSpec per cell, x outer and y inner."""
    xs, ys = grid(cfg, scale)
    xp, yp = cfg["x"]["param"], cfg["y"]["param"]
    base = dict(seed=int(seed), n_train=int(cfg["n_train"]), **cfg.get("fixed", {}))
    return [RunSpec(**{**base, xp: _value(xp, x), yp: _value(yp, y)}) for x in xs for y in ys]


def run_panel(cfg: dict, phase_cfg: dict, scale: str, seed: int, *, device="cpu", progress=True,
              desc: str = "panel", checkpoint_dir: str | Path | None = None, checkpoint_every_s: float = 600.0,
              checkpoint_key: str = "", runs: list[RunSpec] | None = None) -> pd.DataFrame:
    """Train every cell of the panel for every loss (one batched program per loss). One row per run
    (``RUN_COLUMNS``); steps are missing where the threshold was not reached within ``steps``.

    With ``checkpoint_dir`` each loss's training is saved there (``<loss>.pt``) every ``checkpoint_every_s`` seconds
    and resumed from it by a later call (see ``TrainSettings.checkpoint``); the caller deletes the folder once the
    table is written. ``attrs["resumed_from"]`` maps each resumed loss to the steps it resumed at. ``runs``: train
    these instead of the panel's grid (a few of its cells, say)."""
    steps = int(cfg["steps"])
    runs = panel_runs(cfg, scale, seed) if runs is None else runs
    parts, resumed = [], {}
    for loss in cfg["losses"]:
        settings = TrainSettings(
            task=cfg["task"], loss=loss, flavour="notebook", steps=steps, acc_threshold=phase_cfg["acc_threshold"],
            stop_when_decided=True, device=device, progress=progress, desc=f"{desc} {loss} seed {seed}",
            exact_batches=bool(cfg.get("exact_batches", True)),
            checkpoint=str(Path(checkpoint_dir) / f"{loss}.pt") if checkpoint_dir else "",
            checkpoint_every_s=checkpoint_every_s, checkpoint_key=checkpoint_key,
        )
        res = train_batched(runs, settings)
        if res.resumed_from:
            resumed[loss] = list(res.resumed_from)
        s = res.summary
        df = s[[c for c in RUN_COLUMNS if c in s.columns]].copy()
        df.insert(0, "loss", loss)
        parts.append(df)
    df = pd.concat(parts, ignore_index=True)
    df["phase"] = phases.classify(df.train_step, df.val_step, budget=steps, gap=phase_cfg["gap"],
                                  mode=phase_cfg["mode"])
    df = df[RUN_COLUMNS].copy()
    df.attrs["resumed_from"] = resumed
    return df


def contrast_cfg(cfg: dict) -> dict:
    """The panel restricted to ``cfg['contrast']`` cells (indices into the full axes) with its ``fixed`` overrides:
    L-21's re-run of the Fig 6d anchors under the S3 notebook's own defaults. Same cells at both scales."""
    c = cfg["contrast"]
    xs, ys = axis_values(cfg["x"])[c["x_index"]], axis_values(cfg["y"])[c["y_index"]]
    out = {k: v for k, v in cfg.items() if k not in ("contrast", "robustness_seeds")}
    out.update(fixed={**cfg.get("fixed", {}), **c["fixed"]}, x={"param": cfg["x"]["param"], "values": xs.tolist()},
               y={"param": cfg["y"]["param"], "values": ys.tolist()},
               quick_subset={"x_index": list(range(len(xs))), "y_index": list(range(len(ys)))})
    return out

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
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022.tasks import make_task
from grokrepro.train import RunSpec, TrainSettings, train_batched

TASKS = ("addition", "modular_addition")
RUN_COLUMNS = ["task", "setting", "lr_repr", "lr_decoder", "wd_decoder", "seed", "n_train", "acc_train", "acc_val",
               "regime", "rqi", "circle_residual", "max_gap", "mod_order"]


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


def run(cfg: dict, *, device: str = "cpu", progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train both tasks x decoder lrs x seeds. Returns (per-run table, tidy embeddings: task, lr_decoder, seed,
    symbol, x, y)."""
    p = int(cfg["p"])
    runs, emb_rows = [], []
    for task_name in TASKS:
        task = make_task(task_name, p, 2)
        n_train = int(round(cfg["train_fraction"] * task.n_samples))
        specs = [RunSpec(seed=int(s), n_train=n_train, lr_repr=float(lr_r), lr_decoder=float(lr_d),
                         wd_decoder=float(wd), batch_size=int(cfg["batch_size"]))
                 for lr_r, lr_d, wd in cfg["settings"] for s in cfg["seeds"]]
        steps = int(cfg["steps"])
        settings = TrainSettings(task=task_name, p=p, embed_dim=2, flavour="train_add", steps=steps,
                                 stop_when_decided=False, record_steps=(steps - 1,), record_embeddings=True,
                                 device=device, progress=progress, desc=f"liu2022 fig2 {task_name}")
        res = train_batched(specs, settings)
        final = res.embeddings[-1]  # (K, p, 2)
        quads = torch.tensor(rqi_mod.parallelograms(p))
        rq = rqi_mod.rqi(torch.tensor(final), quads).numpy()
        for k, spec in enumerate(specs):
            s = res.summary.iloc[k]
            pts = final[k].astype(np.float64)
            centre, resid = circle_fit(pts)
            generalises = s.final_acc_train >= 0.9 and s.final_acc_val >= 0.9
            regime = "generalising" if generalises else ("memorising" if s.final_acc_train >= 0.9 else "neither")
            runs.append(dict(task=task_name, setting=k // len(cfg["seeds"]), lr_repr=spec.lr_repr,
                             lr_decoder=spec.lr_decoder, wd_decoder=spec.wd_decoder, seed=spec.seed, n_train=n_train,
                             acc_train=s.final_acc_train, acc_val=s.final_acc_val, regime=regime, rqi=rq[k],
                             circle_residual=resid, max_gap=max_gap(pts, centre, p),
                             mod_order=int(mod_order(pts, centre, p))))
            for sym in range(p):
                emb_rows.append(dict(task=task_name, setting=k // len(cfg["seeds"]), seed=spec.seed, symbol=sym,
                                     x=pts[sym, 0], y=pts[sym, 1]))
    return pd.DataFrame(runs, columns=RUN_COLUMNS), pd.DataFrame(emb_rows)


def numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (task, regime): run count, median RQI, median circle residual, fraction ordered mod p."""
    rows = []
    for (task, regime), g in runs.groupby(["task", "regime"]):
        for q, v in (("n_runs", len(g)), ("median_rqi", g.rqi.median()),
                     ("median_circle_residual", g.circle_residual.median()),
                     ("median_max_gap", g.max_gap.median()),
                     ("fraction_mod_order", g.mod_order.mean())):
            rows.append(dict(quantity=q, value=float(v), method="measured", task=task, regime=regime))
    return pd.DataFrame(rows, columns=["quantity", "value", "method", "task", "regime"])

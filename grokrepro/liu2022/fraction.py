"""Liu et al. Figs 3, 4b, 5b and 10: ``train_add`` runs against the training-set size (docs/decisions.md,
Smaller experiments).

One batched job trains n ∈ {5, 10, ..., 50, 54} x seeds {0, 1, 2} with the ``train_add`` defaults (the authors'
``produce_figure_data.py`` runs) for the Fig 4b budget of 10^4 steps. The Fig 3 / Fig 10 quantities are read at the
end of the first 5,000 steps (a 5,000-step ``train_add`` run is exactly the first 5,000 steps of a longer one): Acc
on the full dataset, the realised parallelograms, Âcc (Eq 12-13), and the ideal RQ̄I / Ac̄c of App E.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022 import theory
from grokrepro.liu2022.tasks import addition_task, split_mask
from grokrepro.train import RunSpec, TrainSettings, train_batched

RUN_COLUMNS = ["n_train", "fraction", "seed", "train_step", "val_step", "rqi_step", "acc", "acc_train", "acc_val",
               "rqi", "pred_acc", "ideal_rqi", "ideal_acc", "nullity", "final_rqi", "final_acc"]


def run_sweep(cfg: dict, *, device: str = "cpu", progress: bool = True) -> pd.DataFrame:
    """Train every (n, seed) of ``cfg`` as one batched job; one row per run (``RUN_COLUMNS``).

    ``acc``..``nullity`` are at step ``fig3_steps - 1`` (Fig 3, Fig 10); ``*_step`` and ``final_*`` use the whole
    budget ``steps`` (Fig 4b). Steps are missing where the threshold was never reached.
    """
    p = int(cfg["p"])
    task = addition_task(p)
    steps, fig3_step = int(cfg["steps"]), int(cfg["fig3_steps"]) - 1
    if not 0 <= fig3_step < steps:
        raise ValueError(f"config key 'fig3_steps' must be in 1..steps ({steps}); got {cfg['fig3_steps']}")
    specs = [RunSpec(seed=int(s), n_train=int(n), lr_repr=cfg["lr_repr"], lr_decoder=cfg["lr_decoder"],
                     batch_size=int(cfg["batch_size"]))
             for n in cfg["n_train"] for s in cfg["seeds"]]
    settings = TrainSettings(
        task="addition", p=p, flavour="train_add", steps=steps, track_rqi=True, stop_when_decided=False,
        record_steps=(fig3_step, steps - 1), record_embeddings=True, rqi_tolerance=cfg["rqi_tolerance"],
        rqi_threshold=cfg["rqi_threshold"], device=device, progress=progress, desc="liu2022 fraction sweep",
    )
    res = train_batched(specs, settings)
    hist = res.history.set_index(["model", "step"])
    quads = torch.tensor(rqi_mod.parallelograms(p))
    emb3 = torch.tensor(res.embeddings[list(res.record_steps).index(fig3_step)])  # (K, p, 1)
    realised = (rqi_mod.parallelogram_defects(emb3, quads) < cfg["rqi_tolerance"]).numpy()
    rows = []
    for k, spec in enumerate(specs):
        s = res.summary.iloc[k]
        h3, hf = hist.loc[(k, fig3_step)], hist.loc[(k, steps - 1)]
        mask = split_mask(task, spec.seed, spec.n_train, "train_add")
        rows.append(dict(
            n_train=spec.n_train, fraction=spec.n_train / task.n_samples, seed=spec.seed,
            train_step=s.train_step, val_step=s.val_step, rqi_step=s.rqi_step,
            acc=h3.acc_all, acc_train=h3.acc_train, acc_val=h3.acc_val, rqi=h3.rqi,
            pred_acc=theory.predicted_accuracy(mask, realised[k], p),
            ideal_rqi=theory.ideal_rqi(mask, p), ideal_acc=theory.ideal_accuracy(mask, p),
            nullity=int(theory.nullity(mask[None], p)[0]), final_rqi=hf.rqi, final_acc=hf.acc_all,
        ))
    df = pd.DataFrame(rows, columns=RUN_COLUMNS)
    for c in ("train_step", "val_step", "rqi_step"):
        df[c] = df[c].astype("Int64")
    return df


def _row(quantity, value, method="measured", n_train=pd.NA, seed=pd.NA) -> dict:
    return dict(quantity=quantity, value=float(value) if value is not pd.NA else np.nan, method=method,
                n_train=n_train, seed=seed)


NUMBER_COLUMNS = ["quantity", "value", "method", "n_train", "seed"]


def _numbers(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=NUMBER_COLUMNS)
    df["n_train"] = df["n_train"].astype("Int64")
    df["seed"] = df["seed"].astype("Int64")
    return df


def fig3_numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """L-09 / L-10: every run's Acc and Âcc, the diagonal exceptions, and the Acc-vs-Âcc summary statistics."""
    rows = []
    for r in runs.itertuples():
        rows += [_row("acc", r.acc, n_train=r.n_train, seed=r.seed),
                 _row("pred_acc", r.pred_acc, n_train=r.n_train, seed=r.seed)]
    eps = 1e-12
    below_acc = runs.acc < runs.fraction - eps
    below_pred = runs.pred_acc < runs.fraction - eps
    unfit = runs.acc_train < 1.0
    gap = (runs.acc - runs.pred_acc).abs()
    top = gap.sort_values(ascending=False).index[:2]
    rows += [
        _row("n_runs", len(runs)),
        _row("acc_below_diagonal", below_acc.sum()),
        _row("acc_below_diagonal_fit", (below_acc & ~unfit).sum()),
        _row("pred_acc_below_diagonal", below_pred.sum()),
        _row("train_not_fit", unfit.sum()),
        _row("mean_abs_acc_minus_pred_acc", gap.mean()),
        _row("within_0.02", (gap <= 0.02 + eps).sum()),
        _row("within_0.05", (gap <= 0.05 + eps).sum()),
        _row("acc_ge_pred_acc", (runs.acc >= runs.pred_acc - eps).sum()),
    ]
    for rank, i in enumerate(top, 1):
        rows.append(_row(f"largest_gap_{rank}", gap[i], n_train=runs.n_train[i], seed=runs.seed[i]))
    return _numbers(rows)


def median_rqi_steps(runs: pd.DataFrame, by: str = "n_train") -> pd.Series:
    """Median over seeds of the steps to RQI > 0.95 per ``by``, "never" counted as +inf (the paper's median line):
    +inf where half or more of the seeds never reach it."""
    return runs.groupby(by).rqi_step.apply(
        lambda s: float(np.median(s.astype("Float64").fillna(np.inf).to_numpy(float))))


def fig4b_numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """L-04: per-seed steps to RQI > 0.95 (missing = never within the budget) and per-n medians."""
    rows = [_row("rqi_step", r.rqi_step if not pd.isna(r.rqi_step) else np.nan, n_train=r.n_train, seed=r.seed)
            for r in runs.itertuples()]
    medians = median_rqi_steps(runs)
    for n, g in runs.groupby("n_train"):
        rows.append(_row("n_seeds_reached", g.rqi_step.notna().sum(), n_train=n))
        med = medians[n]
        rows.append(_row("median_rqi_step", med if np.isfinite(med) else np.nan, n_train=n))
    return _numbers(rows)


def fig10_numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """L-33: real vs ideal RQI and predicted accuracy (App E bounds), one entry per run."""
    eps = 1e-12
    rows = []
    for r in runs.itertuples():
        for q in ("rqi", "ideal_rqi", "pred_acc", "ideal_acc"):
            rows.append(_row(q, getattr(r, q), n_train=r.n_train, seed=r.seed))
    ok_rqi = runs.rqi <= runs.ideal_rqi + eps
    ok_acc = runs.pred_acc <= runs.ideal_acc + eps
    full = runs[runs.ideal_rqi >= 1 - eps]
    rows += [
        _row("n_runs", len(runs)),
        _row("rqi_le_ideal_fraction", ok_rqi.mean()),
        _row("pred_acc_le_ideal_fraction", ok_acc.mean()),
        _row("smallest_n_ideal_rqi_one_in_runs", full.n_train.min() if len(full) else np.nan),
    ]
    return _numbers(rows)

"""Liu et al. (2022) Fig 18 / L-40: S3 against the training fraction (App H.2; the S3 task and its group algebra are
in :mod:`grokrepro.liu2022.s3`).

:func:`run_fraction_sweep` and :func:`fraction_numbers`: RQI, steps to RQI > 0.95, accuracy on the full 36-sample
dataset (Acc) and the predicted accuracy Âcc against the training fraction n/36. Paper: the steps to RQI > 0.95
diverge below r_c ≈ 0.5, and Âcc ≤ Acc (Âcc is a lower bound).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from grokrepro.liu2022.s3 import N_SAMPLES, int_or_na, s3_predicted_accuracy, s3_realised, train_mask_of, \
    train_settings
from grokrepro.train import RunSpec, train_batched

RUN_COLUMNS = ["n_train", "fraction", "seed", "rqi_step", "train_step", "val_step", "final_rqi", "acc", "pred_acc"]
FRACTION_NUMBER_COLUMNS = ["quantity", "value", "n_train", "fraction", "method"]


def run_fraction_sweep(cfg: dict, *, device="cpu", progress=True) -> tuple[pd.DataFrame, np.ndarray]:
    """Train every (n_train, seed) of the Fig 18 grid in one :func:`train_batched` call.

    cfg keys: n_train (list), seeds (list), steps, lr_repr, lr_decoder, weight_decay, init_scale, rqi_tolerance,
    rqi_threshold. Returns (per-run table with ``RUN_COLUMNS``, final embeddings (K, 6, 9) in the table's row order).

    ``acc`` is the accuracy on the full 36 samples at the final step, (n·acc_train + (36 − n)·acc_val)/36;
    ``pred_acc`` is Âcc of the final embeddings; ``rqi_step`` is NA when RQI > threshold was never reached.
    """
    steps = int(cfg["steps"])
    n_list = [int(n) for n in cfg["n_train"]]
    seeds = [int(s) for s in cfg["seeds"]]
    for n in n_list:
        if not 1 <= n <= N_SAMPLES:
            raise ValueError(f"n_train must be in 1..{N_SAMPLES}, got {n}")
    runs = [
        RunSpec(seed=s, n_train=n, lr_repr=float(cfg["lr_repr"]), lr_decoder=float(cfg["lr_decoder"]),
                wd_decoder=float(cfg["weight_decay"]), init_scale=float(cfg["init_scale"]))
        for n in n_list
        for s in seeds
    ]
    res = train_batched(runs, train_settings(cfg, steps, (steps - 1,), device, progress, "liu2022 fig18 (S3)"))
    final = res.embeddings[-1]  # (K, 6, 9)
    s = res.summary
    n = s.n_train.to_numpy(int)
    acc_train = s.final_acc_train.to_numpy(float)
    acc_val = np.where(n < N_SAMPLES, s.final_acc_val.to_numpy(float), 0.0)
    acc = np.rint(n * acc_train + (N_SAMPLES - n) * acc_val) / N_SAMPLES  # a count of the 36 samples (NaN stays)
    realised = s3_realised(final, float(cfg.get("rqi_tolerance", 0.5)))
    pred = np.array([s3_predicted_accuracy(train_mask_of(seed, nn), realised[k])
                     for k, (seed, nn) in enumerate(zip(s.seed.to_numpy(int), n))])
    df = pd.DataFrame({
        "n_train": n,
        "fraction": n / N_SAMPLES,
        "seed": s.seed.to_numpy(int),
        "rqi_step": pd.array([int_or_na(v) for v in s.rqi_step], dtype="Int64"),
        "train_step": pd.array([int_or_na(v) for v in s.train_step], dtype="Int64"),
        "val_step": pd.array([int_or_na(v) for v in s.val_step], dtype="Int64"),
        "final_rqi": s.final_rqi.to_numpy(float),
        "acc": acc,
        "pred_acc": pred,
    })
    return df[RUN_COLUMNS], final


def fraction_numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """Numbers of Fig 18 / L-40 from :func:`run_fraction_sweep`'s table (``FRACTION_NUMBER_COLUMNS``).

    Per n_train: rqi_step_min (the paper's blue "min" line; NaN when no seed reaches RQI > 0.95),
    rqi_step_median (never-reached counted as +inf; NaN when that is the median), n_seeds, n_seeds_reached,
    final_rqi_max (the paper's blue "max" line), final_rqi_mean, acc_mean, pred_acc_mean, acc_min, pred_acc_min,
    pred_acc_le_acc_fraction. Overall (n_train NA): n_runs, pred_acc_le_acc_count, pred_acc_le_acc_fraction,
    pred_acc_minus_acc_max, r_c_estimate (smallest grid fraction from which on every grid fraction has more than half
    of its seeds reaching RQI > 0.95; NaN when the largest does not), largest_fraction_none_reached, and the paper's
    r_c ≈ 0.5 (method ``paper``).
    """
    rows: list[dict] = []

    def add(q, v, n=pd.NA, method="measured"):
        rows.append(dict(quantity=q, value=float(v) if v is not None and not pd.isna(v) else np.nan,
                         n_train=n, fraction=(n / N_SAMPLES) if n is not pd.NA else np.nan, method=method))

    le = pd.Series(runs.pred_acc.to_numpy(float) <= runs.acc.to_numpy(float) + 1e-12, index=runs.index)
    majority = {}
    for n, g in runs.groupby("n_train", sort=True):
        n = int(n)
        steps = g.rqi_step.astype("Float64").to_numpy(float, na_value=np.inf)
        reached = np.isfinite(steps)
        med = float(np.median(steps))
        add("rqi_step_min", steps.min() if reached.any() else np.nan, n)
        add("rqi_step_median", med if math.isfinite(med) else np.nan, n)
        add("n_seeds", len(g), n)
        add("n_seeds_reached", reached.sum(), n)
        add("final_rqi_max", g.final_rqi.max(), n)
        add("final_rqi_mean", g.final_rqi.mean(), n)
        add("acc_mean", g.acc.mean(), n)
        add("acc_min", g.acc.min(), n)
        add("pred_acc_mean", g.pred_acc.mean(), n)
        add("pred_acc_min", g.pred_acc.min(), n)
        add("pred_acc_le_acc_fraction", le[g.index].mean(), n)
        majority[n] = (reached.sum() > len(g) / 2, reached.any())
    add("n_runs", len(runs))
    add("pred_acc_le_acc_count", le.sum())
    add("pred_acc_le_acc_fraction", le.mean() if len(le) else np.nan)
    add("pred_acc_minus_acc_max", (runs.pred_acc - runs.acc).max())
    ns = sorted(majority)
    r_c = np.nan
    for i in range(len(ns) - 1, -1, -1):
        if not majority[ns[i]][0]:
            break
        r_c = ns[i] / N_SAMPLES
    add("r_c_estimate", r_c, method="majority_of_seeds_reach_rqi")
    none = [n for n in ns if not majority[n][1]]
    add("largest_fraction_none_reached", max(none) / N_SAMPLES if none else np.nan)
    add("r_c_estimate", 0.5, method="paper")
    out = pd.DataFrame(rows, columns=FRACTION_NUMBER_COLUMNS)
    out["n_train"] = out["n_train"].astype("Int64")
    return out

"""Liu et al. Figs 11-12 / L-35: the p = 4 representation hierarchy (App E; our [Choice]: docs/decisions.md,
Smaller experiments).

The App E training set D = {(0,2), (1,1), (0,3), (1,2), (1,3), (2,2)} fixes all three parallelograms of p = 4
((0,3)-(1,2), (0,2)-(1,1), (1,3)-(2,2)). Seeds 0-9, ``train_add`` recipe, 5,000 steps, two learning-rate settings
(η_repr, η_dec) = (1e-3, 1e-2) ("fast decoder") and (1e-2, 1e-3). The paper's claim: the slower decoder realises
more parallelograms (higher RQI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022.tasks import addition_task
from grokrepro.train import RunSpec, TrainSettings, train_batched

RUN_COLUMNS = ["lr_repr", "lr_decoder", "seed", "acc_train", "rqi", "n_parallelograms", "realised"]


def sample_ids(p: int, pairs: list) -> tuple[int, ...]:
    """Sample indices of the unordered pairs ``pairs`` in :func:`addition_task` order (KeyError names a bad pair)."""
    index = {tuple(pq): k for k, pq in enumerate(addition_task(p).pairs.tolist())}
    out = []
    for a, b in pairs:
        key = (min(a, b), max(a, b))
        if key not in index:
            raise ValueError(f"config key 'liu2022.fig12.train_set': pair {[a, b]} is not a sample of p = {p}")
        out.append(index[key])
    return tuple(out)


def run(cfg: dict, *, device: str = "cpu", progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All settings x seeds as one batch. Returns (per-run table, tidy final normalised embeddings)."""
    p = int(cfg["p"])
    train_set = sample_ids(p, cfg["train_set"])
    specs = [RunSpec(seed=int(s), n_train=len(train_set), lr_repr=float(lr_r), lr_decoder=float(lr_d))
             for lr_r, lr_d in cfg["learning_rates"] for s in cfg["seeds"]]
    steps = int(cfg["steps"])
    settings = TrainSettings(task="addition", p=p, flavour="train_add", steps=steps, stop_when_decided=False,
                             record_steps=(steps - 1,), record_embeddings=True, train_set=train_set,
                             rqi_tolerance=cfg["rqi_tolerance"], device=device, progress=progress,
                             desc="liu2022 fig12")
    res = train_batched(specs, settings)
    final = torch.tensor(res.embeddings[-1])  # (K, p, 1)
    quads = torch.tensor(rqi_mod.parallelograms(p))
    ok = (rqi_mod.parallelogram_defects(final, quads) < cfg["rqi_tolerance"]).numpy()
    norm = rqi_mod.normalise(final).numpy()[..., 0]
    names = [f"({i},{n})-({j},{m})" for i, n, j, m in quads.tolist()]
    runs, emb = [], []
    for k, spec in enumerate(specs):
        s = res.summary.iloc[k]
        runs.append(dict(lr_repr=spec.lr_repr, lr_decoder=spec.lr_decoder, seed=spec.seed,
                         acc_train=s.final_acc_train, rqi=float(ok[k].mean()), n_parallelograms=int(ok[k].sum()),
                         realised=" ".join(nm for nm, o in zip(names, ok[k]) if o)))
        for sym in range(p):
            emb.append(dict(lr_repr=spec.lr_repr, lr_decoder=spec.lr_decoder, seed=spec.seed, symbol=sym,
                            embedding_normalised=float(norm[k, sym])))
    return pd.DataFrame(runs, columns=RUN_COLUMNS), pd.DataFrame(emb)


def numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """Per setting: mean RQI, its seed-to-seed standard error, train-fit fraction, histogram of parallelogram counts."""
    rows = []
    for (lr_r, lr_d), g in runs.groupby(["lr_repr", "lr_decoder"], sort=False):
        base = dict(method="measured", lr_repr=lr_r, lr_decoder=lr_d)
        rows.append(dict(quantity="mean_rqi", value=g.rqi.mean(), stderr=g.rqi.std(ddof=1) / np.sqrt(len(g)), **base))
        rows.append(dict(quantity="fraction_train_fit", value=(g.acc_train >= 1.0).mean(), stderr=np.nan, **base))
        for c in range(4):
            rows.append(dict(quantity=f"runs_with_{c}_parallelograms", value=float((g.n_parallelograms == c).sum()),
                             stderr=np.nan, **base))
    return pd.DataFrame(rows, columns=["quantity", "value", "stderr", "method", "lr_repr", "lr_decoder"])

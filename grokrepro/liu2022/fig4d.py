"""Liu et al. Fig 4d / claim L-05: the ``train_add`` default run and its milestones (docs/decisions.md,
Toy model; Tolerances (Liu)).

p = 10, 1D embeddings, 45 training samples, seed 58, lr 1e-3 (embeddings) / 1e-4 (decoder), 5,000 steps, MSE,
``train_add`` flavour (per-step minibatch permutation, validation accuracy before the update: L-D12, L-D13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022.rqi import normalise
from grokrepro.train import RunSpec, TrainSettings, train_batched

NUMBER_COLUMNS = ["quantity", "value", "stderr", "method", "seed", "n_train", "step"]


def run(cfg: dict, *, device: str = "cpu", progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train the default run. Returns (tidy trajectory table, numbers table).

    Tidy table columns: ``step, quantity, symbol, value`` with quantity in embedding_normalised (one row per
    symbol 0..9), acc_train, acc_val, rqi, loss_train.
    """
    steps = int(cfg["steps"])
    record = tuple(sorted(set(range(0, steps, int(cfg["record_every"]))) | set(cfg["loss_steps"]) | {steps - 1}))
    spec = RunSpec(seed=cfg["seed"], n_train=cfg["n_train"], lr_repr=cfg["lr_repr"], lr_decoder=cfg["lr_decoder"])
    settings = TrainSettings(
        flavour="train_add", steps=steps, track_rqi=True, stop_when_decided=False, record_steps=record,
        record_embeddings=True, rqi_tolerance=cfg["rqi_tolerance"], rqi_threshold=cfg["rqi_threshold"],
        device=device, progress=progress, desc="liu2022 fig4d",
    )
    res = train_batched([spec], settings)
    emb = torch.tensor(res.embeddings[:, 0])  # (n_records, p, 1)
    emb_n = normalise(emb).numpy()[..., 0]
    rows = []
    for r, step in enumerate(res.record_steps):
        for sym in range(emb_n.shape[1]):
            rows.append((int(step), "embedding_normalised", sym, float(emb_n[r, sym])))
    hist = res.history.set_index("step")
    for q in ("acc_train", "acc_val", "rqi", "loss_train"):
        for step, v in hist[q].items():
            rows.append((int(step), q, pd.NA, float(v)))
    tidy = pd.DataFrame(rows, columns=["step", "quantity", "symbol", "value"])
    tidy["symbol"] = tidy["symbol"].astype("Int64")

    s = res.summary.iloc[0]
    final = emb_n[-1]
    order = np.argsort(final)
    monotone = bool(np.array_equal(order, np.arange(10)) or np.array_equal(order, np.arange(10)[::-1]))
    gaps = np.diff(np.sort(final))
    numbers = [
        ("iter_train", s.train_step, "measured", pd.NA),
        ("iter_test", s.val_step, "measured", pd.NA),
        ("iter_rqi", s.rqi_step, "measured", pd.NA),
        ("final_acc_train", s.final_acc_train, "measured", steps - 1),
        ("final_acc_test", s.final_acc_val, "measured", steps - 1),
        ("final_rqi", s.final_rqi, "measured", steps - 1),
        ("final_order_monotone", float(monotone), "measured", steps - 1),
        ("final_spacing_cv", float(gaps.std() / gaps.mean()), "measured", steps - 1),
    ]
    for step in cfg["loss_steps"]:
        numbers.append(("loss_train", float(hist.loc[step, "loss_train"]), "measured", step))
    out = pd.DataFrame(
        [dict(quantity=q, value=(float(v) if not pd.isna(v) else np.nan), stderr=np.nan, method=m,
              seed=cfg["seed"], n_train=cfg["n_train"], step=st) for q, v, m, st in numbers],
        columns=NUMBER_COLUMNS,
    )
    out["step"] = out["step"].astype("Int64")
    return tidy, out

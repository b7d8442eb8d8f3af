"""Liu et al. Fig 6 phase diagrams: the batched sweep and the cell-by-cell comparison with the authors' data.

Spec §5. Issue scope so far: panel 6b (addition regression, decoder lr x decoder weight decay, notebook flavour).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.config import log_grid
from grokrepro.liu2022 import phases
from grokrepro.train import RunSpec, TrainSettings, log_record_steps, train_batched

RUN_COLUMNS = ["lr_decoder", "lr_repr", "weight_decay", "seed", "train_step", "val_step", "phase"]
NUMBER_COLUMNS = ["quantity", "value", "stderr", "method", "lr_decoder", "weight_decay"]


def grid(cfg: dict, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """(decoder learning rates, weight decays) of the panel at this scale."""
    lrs = log_grid(cfg["lr_decoder"])
    wds = np.asarray(cfg["weight_decay"], dtype=float)
    if scale == "quick":
        lrs = lrs[cfg["quick_subset"]["lr_index"]]
        wds = wds[cfg["quick_subset"]["weight_decay_index"]]
    return lrs, wds


def run_fig6b(cfg: dict, phase_cfg: dict, scale: str, *, device="cpu", progress=True) -> pd.DataFrame:
    """Train every cell of the 6b grid as one batch. One row per run (``RUN_COLUMNS``)."""
    lrs, wds = grid(cfg, scale)
    steps = int(cfg["steps"])
    runs = [
        RunSpec(seed=cfg["seed"], n_train=cfg["n_train"], lr_repr=cfg["lr_repr"], lr_decoder=float(lr),
                wd_decoder=float(wd))
        for lr in lrs
        for wd in wds
    ]
    settings = TrainSettings(
        task="addition", loss="mse", flavour="notebook", steps=steps, acc_threshold=phase_cfg["acc_threshold"],
        stop_when_decided=True, record_steps=log_record_steps(steps, cfg["record_per_decade"]), device=device,
        progress=progress, desc="liu2022 fig6b",
    )
    res = train_batched(runs, settings)
    s = res.summary
    df = pd.DataFrame({
        "lr_decoder": s.lr_decoder, "lr_repr": s.lr_repr, "weight_decay": s.wd_decoder, "seed": s.seed,
        "train_step": s.train_step, "val_step": s.val_step,
    })
    df["phase"] = phases.classify(df.train_step, df.val_step, budget=steps, gap=phase_cfg["gap"],
                                  mode=phase_cfg["mode"])
    return df[RUN_COLUMNS]


def _key(lr, wd) -> tuple[float, float]:
    return (round(float(np.log10(lr)), 3), float(wd))


def compare(ours: pd.DataFrame, reference: pd.DataFrame, cfg: dict, phase_cfg: dict, budget: int,
            ref_budget: int = 100_000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cell-by-cell comparison with the authors' map on the cells we ran.

    The reference is classified with the same rules but its own 10^5 budget; at quick scale the budgets differ
    and the agreement measures how far the short run gets. Returns (merged table, numbers table).
    """
    ref = reference.copy()
    ref["phase"] = phases.classify(ref.train_step, ref.val_step, budget=ref_budget, gap=phase_cfg["gap"],
                                   mode=phase_cfg["mode"])
    ref_idx = {_key(r.lr_decoder, r.weight_decay): r for r in ref.itertuples()}
    rows = []
    for r in ours.itertuples():
        k = _key(r.lr_decoder, r.weight_decay)
        if k not in ref_idx:
            raise KeyError(f"cell lr={r.lr_decoder:g}, wd={r.weight_decay:g} is not in the reference grid")
        rr = ref_idx[k]
        rows.append(dict(lr_decoder=r.lr_decoder, weight_decay=r.weight_decay, train_step=r.train_step,
                         val_step=r.val_step, phase=r.phase, ref_train_step=rr.train_step,
                         ref_val_step=rr.val_step, ref_phase=rr.phase))
    merged = pd.DataFrame(rows)
    for col in ("train_step", "val_step", "ref_train_step", "ref_val_step"):
        merged[col] = pd.array([pd.NA if pd.isna(v) else int(v) for v in merged[col]], dtype="Int64")
    merged["agree"] = merged.phase == merged.ref_phase
    nums = []

    def add(q, v, method, lr=np.nan, wd=np.nan, stderr=np.nan):
        nums.append(dict(quantity=q, value=float(v) if v is not pd.NA and v is not None else np.nan,
                         stderr=stderr, method=method, lr_decoder=lr, weight_decay=wd))

    n = len(merged)
    agree = merged.agree.mean()
    add("agreement_fraction", agree, "vs_authors_data")
    add("n_cells", n, "measured")
    for method, col in (("measured", "phase"), ("authors_data", "ref_phase")):
        counts = phases.phase_counts(merged[col])
        for ph, c in counts.items():
            add(f"count_{ph}", c, method)
    for method, tcol, vcol, pcol in (("measured", "train_step", "val_step", "phase"),
                                     ("authors_data", "ref_train_step", "ref_val_step", "ref_phase")):
        g = merged[merged[pcol] == "grokking"]
        gaps = (g[vcol] - g[tcol]).astype("Float64").to_numpy(float, na_value=np.nan)
        gaps = pd.Series(gaps)
        for q, v in (("grokking_gap_min", gaps.min()), ("grokking_gap_median", gaps.median()),
                     ("grokking_gap_max", gaps.max())):
            add(q, v if len(gaps) else np.nan, method)
        vals = pd.Series(merged[vcol].astype("Float64").to_numpy(float, na_value=np.nan))
        if vals.notna().any():
            best = merged.loc[vals.idxmin()]
            add("fastest_val_step", vals.min(), method, best.lr_decoder, best.weight_decay)
    for lg, wd in cfg["anchors"]:
        sel = merged[(np.round(np.log10(merged.lr_decoder), 3) == round(lg, 3)) & (merged.weight_decay == wd)]
        if sel.empty:
            continue
        r = sel.iloc[0]
        for method, tcol, vcol in (("measured", "train_step", "val_step"),
                                   ("authors_data", "ref_train_step", "ref_val_step")):
            add("anchor_train_step", np.nan if pd.isna(r[tcol]) else r[tcol], method, r.lr_decoder, wd)
            add("anchor_val_step", np.nan if pd.isna(r[vcol]) else r[vcol], method, r.lr_decoder, wd)
    wds = sorted(merged.weight_decay.unique())
    lrs = sorted(merged.lr_decoder.unique())
    for method, col in (("measured", "phase"), ("authors_data", "ref_phase")):
        g = merged.pivot_table(index="weight_decay", columns="lr_decoder", values=col, aggfunc="first")
        cs = phases.corner_structure(g.loc[wds, lrs].to_numpy())
        add("corner_high_lr_low_wd_is_memorization", cs["high_lr_low_wd"] == "memorization", method)
        add("corner_high_lr_high_wd_is_confusion", cs["high_lr_high_wd"] == "confusion", method)
        add("grokking_touches_comprehension", cs["grokking_touches_comprehension"], method)
        add("grokking_touches_memorization", cs["grokking_touches_memorization"], method)
        add("comprehension_memorization_contacts", cs["cm_contacts"], method)
    return merged, pd.DataFrame(nums, columns=NUMBER_COLUMNS)

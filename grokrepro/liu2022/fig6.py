"""Reading phase-diagram panels: cell-by-cell comparison with the authors' data, map structure, robustness over seeds.

Decisions: docs/decisions.md (Fig 6 grids and anchors, Fig 6 reference maps, App G grids). Every function takes
the run table of :func:`grokrepro.liu2022.panels.run_panel` (one row per run) and returns tidy tables; the numbers
table (``NUMBER_COLUMNS``) is what the claim evaluators read. ``method`` says where a number comes from:
``measured`` (our runs), ``authors_data`` (their h5 file), ``vs_authors_data`` (a comparison of the two);
``paper_seed`` marks the paper's seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.liu2022 import panels, phases, tasks
from grokrepro.train import TrainSettings

ROBUSTNESS_SEEDS_ASKED = 3  # issue #4: every panel repeated with three further seeds (paper scale)
NUMBER_COLUMNS = ["panel", "loss", "seed", "paper_seed", "quantity", "value", "method", "x", "y"]


def _key(value: float, log: bool) -> float:
    return round(float(np.log10(value)), 3) if log else round(float(value), 6)


def _steps(col) -> pd.Series:
    return pd.Series(pd.array([pd.NA if pd.isna(v) else int(v) for v in col], dtype="Int64"))


def reference_table(reference: pd.DataFrame, cfg: dict, phase_cfg: dict, ref_budget: int = 100_000) -> pd.DataFrame:
    """The authors' cells keyed like ours, classified with the same rules under our budget: their 10^5 at paper
    scale; at quick scale a step they reached only after our budget counts as not reached, so both sides are
    read the same way (their step columns keep the original numbers)."""
    ref = reference.rename(columns={"weight_decay": "wd_decoder"}).copy()
    ref["phase"] = phases.classify(ref.train_step, ref.val_step, budget=min(ref_budget, int(cfg["steps"])),
                                   gap=phase_cfg["gap"], mode=phase_cfg["mode"])
    return ref


def merge(ours: pd.DataFrame, cfg: dict, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per cell: loss, seed, x, y (the panel's parameters), our steps and phase, and, with a reference,
    the authors' steps and phase and whether they agree. Raises KeyError for a cell missing from the reference."""
    xp, yp = cfg["x"]["param"], cfg["y"]["param"]
    out = ours[["loss", "seed", xp, yp, "train_step", "val_step", "phase"]].copy()
    if reference is None:
        return out.reset_index(drop=True)
    xlog, ylog = panels.is_log(cfg["x"]), panels.is_log(cfg["y"])
    idx = {(_key(r[xp], xlog), _key(r[yp], ylog)): r for _, r in reference.iterrows()}
    ref_rows = []
    for _, r in out.iterrows():
        k = (_key(r[xp], xlog), _key(r[yp], ylog))
        if k not in idx:
            raise KeyError(f"cell {xp}={r[xp]:g}, {yp}={r[yp]:g} is not in the reference grid")
        rr = idx[k]
        ref_rows.append((rr.train_step, rr.val_step, rr.phase))
    out["ref_train_step"] = _steps([t for t, _, _ in ref_rows])
    out["ref_val_step"] = _steps([v for _, v, _ in ref_rows])
    out["ref_phase"] = [p for _, _, p in ref_rows]
    out["agree"] = out.phase == out.ref_phase
    for col in ("train_step", "val_step"):
        out[col] = _steps(out[col])
    return out.reset_index(drop=True)


def phase_grid(merged: pd.DataFrame, cfg: dict, col: str = "phase") -> pd.DataFrame:
    """(y ascending) x (x ascending) grid of one loss's phases."""
    return merged.pivot_table(index=cfg["y"]["param"], columns=cfg["x"]["param"], values=col, aggfunc="first")


def goldilocks(grid: pd.DataFrame) -> dict[str, float]:
    """L-14 structure of a Fig 6a grid (rows: representation lr, columns: decoder lr), in log10(repr/dec) units:
    the share of repr <= dec cells that are M, the largest ratio of an M cell, the C ratio range, and the largest
    decoder lr and smallest ratio of a G cell; ``monotone_columns``: decoder lrs along which the phases run
    M -> C -> G as the representation lr grows."""
    lr_repr, lr_dec = np.log10(grid.index.to_numpy(float)), np.log10(grid.columns.to_numpy(float))
    ratio = lr_repr[:, None] - lr_dec[None, :]
    g = grid.to_numpy(object)
    below = ratio <= 1e-9
    out = {"share_M_where_repr_le_dec": float(np.mean(g[below] == "memorization")) if below.any() else np.nan}
    for code, name in (("M", "memorization"), ("C", "comprehension"), ("G", "grokking")):
        sel = g == name
        out[f"{code}_ratio_min"] = float(ratio[sel].min()) if sel.any() else np.nan
        out[f"{code}_ratio_max"] = float(ratio[sel].max()) if sel.any() else np.nan
    sel = g == "grokking"
    out["G_lr_decoder_max"] = float(10 ** lr_dec[np.nonzero(sel)[1]].max()) if sel.any() else np.nan
    rank = {"memorization": 0, "comprehension": 1, "grokking": 2}
    mono = 0
    for c in range(g.shape[1]):
        seq = [rank.get(p, -1) for p in g[:, c]]
        mono += int(all(a <= b for a, b in zip(seq, seq[1:])) and -1 not in seq)
    out["monotone_columns"] = float(mono)
    out["n_columns"] = float(g.shape[1])
    return out


def row_shares(merged: pd.DataFrame, cfg: dict) -> list[dict]:
    """Per loss and y row: the share of each phase over all x and over the smaller-x half (App G claims)."""
    xp, yp = cfg["x"]["param"], cfg["y"]["param"]
    xs = np.sort(merged[xp].unique())
    small = xs[: (len(xs) + 1) // 2]
    rows = []
    for (loss, y), g in merged.groupby(["loss", yp]):
        for scope, sub in (("all_x", g), ("small_x", g[g[xp].isin(small)])):
            for ph in phases.PHASES:
                rows.append(dict(loss=loss, quantity=f"share_{ph}", value=float((sub.phase == ph).mean()),
                                 method=scope, y=float(y)))
    return rows


def structure_numbers(merged: pd.DataFrame, cfg: dict, panel: str, seed: int, paper_seed: bool) -> pd.DataFrame:
    """The numbers of one seed's panel: counts, grokking gaps, fastest validation, anchors, corner / band structure,
    and (with a reference) the agreement and the authors' side of each number."""
    xp, yp = cfg["x"]["param"], cfg["y"]["param"]
    has_ref = "ref_phase" in merged
    rows: list[dict] = []

    def add(loss, q, v, method, x=np.nan, y=np.nan):
        v = np.nan if v is None or v is pd.NA else v
        rows.append(dict(loss=loss, quantity=q, value=float(v), method=method, x=float(x), y=float(y)))

    for loss, m in merged.groupby("loss", sort=False):
        sides = [("measured", "train_step", "val_step", "phase")]
        if has_ref:
            sides.append(("authors_data", "ref_train_step", "ref_val_step", "ref_phase"))
            add(loss, "agreement_fraction", m.agree.mean(), "vs_authors_data")
        add(loss, "n_cells", len(m), "measured")
        for method, tcol, vcol, pcol in sides:
            for ph, c in phases.phase_counts(m[pcol]).items():
                add(loss, f"count_{ph}", c, method)
            g = m[m[pcol] == "grokking"]
            gaps = pd.Series((g[vcol] - g[tcol]).astype("Float64").to_numpy(float, na_value=np.nan))
            for q, f in (("grokking_gap_min", gaps.min), ("grokking_gap_median", gaps.median),
                         ("grokking_gap_max", gaps.max)):
                add(loss, q, f() if len(gaps) else np.nan, method)
            vals = pd.Series(m[vcol].astype("Float64").to_numpy(float, na_value=np.nan), index=m.index)
            if vals.notna().any():
                best = m.loc[vals.idxmin()]
                add(loss, "fastest_val_step", vals.min(), method, best[xp], best[yp])
            grid = phase_grid(m, cfg, pcol)
            if yp == "wd_decoder":
                cs = phases.corner_structure(grid.to_numpy())
                add(loss, "corner_high_lr_low_wd_is_memorization", cs["high_lr_low_wd"] == "memorization", method)
                add(loss, "corner_high_lr_high_wd_is_confusion", cs["high_lr_high_wd"] == "confusion", method)
                add(loss, "grokking_touches_comprehension", cs["grokking_touches_comprehension"], method)
                add(loss, "grokking_touches_memorization", cs["grokking_touches_memorization"], method)
                add(loss, "comprehension_memorization_contacts", cs["cm_contacts"], method)
            if yp == "lr_repr" and xp == "lr_decoder":
                for q, v in goldilocks(grid).items():
                    add(loss, q, v, method)
        xlog, ylog = panels.is_log(cfg["x"]), panels.is_log(cfg["y"])
        for ax, ay in cfg.get("anchors", []):
            at = [_key(x, xlog) == round(ax, 3) and _key(y, ylog) == round(ay, 3) for x, y in zip(m[xp], m[yp])]
            sel = m[at]
            if sel.empty:
                continue
            r = sel.iloc[0]
            for method, tcol, vcol, _ in sides:
                add(loss, "anchor_train_step", r[tcol], method, r[xp], r[yp])
                add(loss, "anchor_val_step", r[vcol], method, r[xp], r[yp])
    if not has_ref:
        for r in row_shares(merged, cfg):
            add(r["loss"], r["quantity"], r["value"], r["method"], np.nan, r["y"])
    df = pd.DataFrame(rows)
    df.insert(0, "panel", panel)
    df.insert(2, "seed", int(seed))
    df.insert(3, "paper_seed", bool(paper_seed))
    return df[NUMBER_COLUMNS]


def contrast_numbers(contrast_runs: pd.DataFrame, cfg: dict, panel: str) -> pd.DataFrame:
    """L-21's contrast cells (the notebook's init 0.1 and L1 1e-3): their steps, method ``notebook_defaults``."""
    xp, yp = cfg["x"]["param"], cfg["y"]["param"]
    rows = []
    for _, r in contrast_runs.iterrows():
        for q, col in (("anchor_train_step", "train_step"), ("anchor_val_step", "val_step")):
            v = r[col]
            rows.append(dict(panel=panel, loss=r.loss, seed=int(r.seed), paper_seed=True, quantity=q,
                             value=np.nan if pd.isna(v) else float(v), method="notebook_defaults", x=float(r[xp]),
                             y=float(r[yp])))
    return pd.DataFrame(rows, columns=NUMBER_COLUMNS)


def val_ceiling(task_name: str, seed: int, n_train: int, loss: str) -> tuple[float, list[int]]:
    """The highest validation accuracy a panel run with this seed's train/validation split can reach, and the
    labels that occur only in validation.

    The split is drawn exactly as the trainer draws it (notebook flavour, the trainer's default output size: the
    regression split depends on it through the notebook's unused template draw). A validation sample whose label
    never occurs in training asks for a regression template or a class that no training step pulls the decoder
    towards, so it stays wrong; the ceiling is the share of validation samples whose label is seen in training."""
    task = tasks.make_task(task_name)
    train = tasks.split_mask(task, int(seed), int(n_train), "notebook", loss=loss, d_out=TrainSettings().d_out)
    seen = set(task.labels[train].tolist())
    val = task.labels[~train]
    if not len(val):
        return 1.0, []
    return float(np.mean([lab in seen for lab in val])), sorted({int(lab) for lab in val if lab not in seen})


def split_numbers(cfg: dict, panel: str, seed: int, paper_seed: bool, acc_threshold: float) -> pd.DataFrame:
    """Per loss: ``val_accuracy_ceiling`` (:func:`val_ceiling`), ``split_feasible`` (1 when the ceiling reaches
    the accuracy threshold, else no cell of this seed can be C or G, whatever the dynamics) and one
    ``label_only_in_validation`` row per such label (method ``split``)."""
    rows = []
    for loss in cfg["losses"]:
        ceiling, only_val = val_ceiling(cfg["task"], seed, cfg["n_train"], loss)
        base = dict(panel=panel, loss=loss, seed=int(seed), paper_seed=bool(paper_seed), method="split", x=np.nan,
                    y=np.nan)
        rows.append({**base, "quantity": "val_accuracy_ceiling", "value": ceiling})
        rows.append({**base, "quantity": "split_feasible", "value": float(ceiling >= acc_threshold)})
        rows += [{**base, "quantity": "label_only_in_validation", "value": float(lab)} for lab in only_val]
    return pd.DataFrame(rows, columns=NUMBER_COLUMNS)


def infeasible_seeds(numbers: pd.DataFrame) -> dict[int, str]:
    """{seed: why} for the seeds whose split caps validation accuracy below the threshold in some panel of
    ``numbers`` (rows of :func:`split_numbers`); the paper's seed is never listed."""
    s = numbers[(numbers.method == "split") & ~numbers.paper_seed.astype(bool)]
    s = s.drop_duplicates(subset=["panel", "loss", "seed", "quantity", "value"])
    out = {}
    for seed, g in s.groupby("seed", sort=True):
        bad = g[(g.quantity == "split_feasible") & (g.value == 0)]
        why = []
        for (panel, loss), _ in bad.groupby(["panel", "loss"], sort=True):
            h = g[(g.panel == panel) & (g.loss == loss)]
            labels = ", ".join(f"{v:.0f}" for v in h[h.quantity == "label_only_in_validation"].value)
            ceiling = float(h[h.quantity == "val_accuracy_ceiling"].value.iloc[0])
            why.append(f"{panel}: labels {labels} only in validation, accuracy ceiling {ceiling:.2f}")
        if why:
            out[int(seed)] = f"seed {int(seed)} ({'; '.join(why)})"
    return out


def robustness(runs: list[pd.DataFrame], cfg: dict, reference: pd.DataFrame | None, panel: str,
               paper_seed: int, acc_threshold: float | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-cell phase frequencies over seeds, and every seed's numbers plus agreement summaries.

    Returns (cells: one row per (loss, cell) with ``n_<phase>`` counts, the modal phase, the paper seed's phase,
    the authors' phase and the share of seeds in it; numbers: :func:`structure_numbers` of every seed, then the
    summary rows ``cells_all_seeds_agree``, ``modal_agreement_fraction``, ``modal_tie_fraction`` and
    ``modal_tie_with_ref_fraction`` (method ``robustness``)). A cell whose most frequent phases tie (2 of 4 seeds
    each, or three seeds in three phases) has no single modal phase: ``modal_phase`` names the tied ones joined by
    "|", ``modal_agreement_fraction`` counts only cells with a unique mode equal to the authors' phase, and the tie
    rows say how many cells tie and in how many of them the authors' phase is among the tied (no phase order
    decides a tie, which would favour whichever phase comes first). With ``acc_threshold`` every seed's
    :func:`split_numbers` are added."""
    xp, yp = cfg["x"]["param"], cfg["y"]["param"]
    merged = [merge(r, cfg, reference) for r in runs]
    nums = [structure_numbers(m, cfg, panel, int(m.seed.iloc[0]), int(m.seed.iloc[0]) == paper_seed)
            for m in merged]
    if acc_threshold is not None:
        nums += [split_numbers(cfg, panel, int(m.seed.iloc[0]), int(m.seed.iloc[0]) == paper_seed, acc_threshold)
                 for m in merged]
    allm = pd.concat(merged, ignore_index=True)
    rows = []
    for (loss, x, y), g in allm.groupby(["loss", xp, yp], sort=True):
        counts = {ph: int((g.phase == ph).sum()) for ph in phases.PHASES + ("val_only",)}
        most = max(counts.values())
        top = [k for k, v in counts.items() if v == most]
        row = dict(loss=loss, **{xp: x, yp: y}, n_seeds=len(g), **{f"n_{k}": v for k, v in counts.items()},
                   modal_phase="|".join(top), modal_tied=len(top) > 1,
                   paper_seed_phase=g.phase[g.seed == paper_seed].iloc[0] if (g.seed == paper_seed).any() else None)
        if reference is not None:
            row["ref_phase"] = g.ref_phase.iloc[0]
            row["ref_among_modal"] = row["ref_phase"] in top
            row["share_in_ref_phase"] = float((g.phase == g.ref_phase.iloc[0]).mean())
        rows.append(row)
    cells = pd.DataFrame(rows)
    summary = []
    for loss, c in cells.groupby("loss", sort=False):
        n_ph = c[[f"n_{k}" for k in phases.PHASES + ("val_only",)]]
        summary.append(dict(loss=loss, quantity="cells_all_seeds_agree", value=float((n_ph.max(axis=1) ==
                                                                                     c.n_seeds).mean())))
        summary.append(dict(loss=loss, quantity="n_seeds", value=float(c.n_seeds.max())))
        if reference is not None:
            summary.append(dict(loss=loss, quantity="modal_agreement_fraction",
                                value=float((~c.modal_tied & c.ref_among_modal).mean())))
            summary.append(dict(loss=loss, quantity="modal_tie_fraction", value=float(c.modal_tied.mean())))
            summary.append(dict(loss=loss, quantity="modal_tie_with_ref_fraction",
                                value=float((c.modal_tied & c.ref_among_modal).mean())))
    summ = pd.DataFrame(summary)
    summ = summ.assign(panel=panel, seed=-1, paper_seed=False, method="robustness", x=np.nan, y=np.nan)
    return cells, pd.concat(nums + [summ[NUMBER_COLUMNS]], ignore_index=True)[NUMBER_COLUMNS]


def robustness_markdown(numbers: pd.DataFrame) -> str:
    """The scorecard's robustness section: per panel and seed, the phase counts and the agreement with the
    authors' map; per panel, the share of cells on which all seeds agree and the modal phase's agreement."""
    lines = ["## Phase diagrams over seeds (robustness, issue #4)", "",
             "Each Fig 6 panel trained with the paper's seed and the robustness seeds; agreement is the share of "
             "cells in the authors' phase (their data are one seed, the paper's). \"val only\": validation accuracy "
             "reached the threshold but training accuracy never did (no phase of the paper's four). Ceiling: the "
             "highest validation accuracy the seed's train/validation split allows (a label seen only in validation "
             "stays wrong); below the accuracy threshold no cell can be C or G, and the claim verdicts do not count "
             "that seed.", "",
             "| panel | seed | C | G | M | X | val only | agreement with the authors' map | ceiling |",
             "|---|---|---|---|---|---|---|---|---|"]
    nums = numbers[numbers.method != "robustness"].drop_duplicates(subset=["panel", "loss", "seed", "quantity",
                                                                         "method", "x", "y"])
    summary = []
    for panel, g in nums.groupby("panel", sort=True):
        seeds = sorted(g.seed.unique(), key=lambda s: (not g[g.seed == s].paper_seed.iloc[0], s))
        for s in seeds:
            m = g[(g.seed == s) & (g.method == "measured")].drop_duplicates("quantity").set_index("quantity").value
            a = g[(g.seed == s) & (g.quantity == "agreement_fraction")].value
            tag = " (paper)" if g[g.seed == s].paper_seed.iloc[0] else ""
            c = g[(g.seed == s) & (g.quantity == "val_accuracy_ceiling")].value
            lines.append(f"| {panel} | {s}{tag} | " + " | ".join(f"{m.get(f'count_{p}', np.nan):.0f}"
                                                               for p in phases.PHASES + ("val_only",))
                         + (f" | {a.iloc[0]:.1%}" if len(a) else " | –")
                         + (f" | {c.min():.2f} |" if len(c) else " | – |"))
        r = numbers[(numbers.panel == panel) & (numbers.method == "robustness")].set_index("quantity").value
        if len(r):
            summary.append(f"| {panel} | {r.get('n_seeds', np.nan):.0f} | {r.get('cells_all_seeds_agree', np.nan):.1%} "
                           f"| {r.get('modal_agreement_fraction', np.nan):.1%} "
                           f"| {r.get('modal_tie_fraction', np.nan):.1%} "
                           f"| {r.get('modal_tie_with_ref_fraction', np.nan):.1%} |")
    if summary:
        lines += ["", "A cell's modal phase is the phase most of its seeds land in; where two or more phases tie "
                      "(2 of 4 seeds each, or three seeds in three phases) the cell has none and counts separately.",
                  "", "| panel | seeds | cells on which all seeds agree | unique modal phase in the authors' phase "
                      "| cells with tied modal phases | tied, the authors' phase among them |",
                  "|---|---|---|---|---|---|"] + summary
    asked = ROBUSTNESS_SEEDS_ASKED + 1
    short = {p: int(n) for p, n in nums.groupby("panel").seed.nunique().items() if n < asked}
    if short:
        lines += ["", f"Pending: the issue asks for {asked} seeds per panel (the paper's and "
                      f"{ROBUSTNESS_SEEDS_ASKED} robustness seeds); "
                  + ", ".join(f"{p} has {n}" for p, n in sorted(short.items()))
                  + ". Their map verdicts say how many seeds they rest on."]
    return "\n".join(lines) + "\n"

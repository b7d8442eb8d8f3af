"""Evaluators of the transformer claims of Liu et al. (issue #22): L-24 (Fig 7 left), L-25 (Fig 7 centre), L-26 and
L-27 (Fig 7 right), L-28 (Figs 1, 21), L-29 (Fig 22). Numbers in (:mod:`grokrepro.liu2022.transformer_figures`), a
:class:`grokrepro.records.ClaimRecord` out, by the verdict policy: named checks, one of them the paper's central
statement. The thresholds are ours where the paper gives none ([Choice], docs/decisions.md, Transformer); each is
written in the record's tolerance field.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from grokrepro import records
from grokrepro.liu2022.transformer_figures import PHASE_INDEX
from grokrepro.records import Check, central

PHASE_OF = {v: k for k, v in PHASE_INDEX.items()}
MOST = 0.75             # L-24: "most seeds": at least three in four of the generalising seeds
PEAK_OFFSET_MAX = 0.5   # L-24: exp(S) peaks within half the generalisation time of it (median over seeds)
GENERALISED_MIN = 0.5   # L-24: at least half the seeds generalise (else the statement is not tested)
FAST_STEPS = 1000       # L-25: the paper's "below 10^3 steps"
ORDER_MIN = 0.9         # L-28: a circle ordered mod p (1: exactly in the order k f mod p)
RADIAL_CV_MAX = 0.35    # L-28: a ring, not a disc: radial std / mean at most this
FEW_PCS = 6             # L-29: "the first few" PCs
ACC_FULL = 0.99         # L-29: ">= 99 % accuracy"


def _v(numbers: pd.DataFrame, quantity: str, **where) -> float:
    return records.value(numbers, quantity, **where)


def _steps(x: float) -> str:
    return f"{x:.0f}" if math.isfinite(x) else "never"


def _fidelity_note(numbers: pd.DataFrame, note: str) -> str:
    """The scorecard note names the model size (the fidelity changes the architecture)."""
    size = (f"model: {_v(numbers, 'n_layers'):.0f} layer(s), d_model {_v(numbers, 'd_model'):.0f}, p "
            f"{_v(numbers, 'p'):.0f}; budget {_v(numbers, 'steps'):.0f} steps")
    return "; ".join(x for x in (note, size) if x)


def fig7_left_effdim(numbers, scale, artifact, note=""):
    """L-24: exp(S) of the embeddings rises until generalisation and falls sharply after (over seeds)."""
    if records.select(numbers, "frac_rise_and_fall").empty:
        return records.missing("L-24", "no Fig 7 left summary in the numbers", scale, artifact, note)
    n, n_gen = _v(numbers, "seeds"), _v(numbers, "seeds_generalised")
    both, rise, fall = (_v(numbers, q) for q in ("frac_rise_and_fall", "frac_rise_before_gen", "frac_fall_after_gen"))
    offset = _v(numbers, "median_peak_offset")
    per = records.select(numbers, "effdim_at_gen")
    start = records.select(numbers, "effdim_start").set_index("seed").value
    peak = records.select(numbers, "effdim_peak_before_gen").set_index("seed").value
    end = records.select(numbers, "effdim_end").set_index("seed").value
    med = (lambda s: float(np.median(s.loc[per.seed].astype(float))) if len(per) else np.nan)
    measured = (f"{n_gen:.0f} of {n:.0f} seeds generalise; exp(S) median start {med(start):.2f}, at generalisation "
                f"{float(np.median(per.value)) if len(per) else np.nan:.2f}, peak before it {med(peak):.2f}, end "
                f"{med(end):.2f}; rise before and fall after generalisation in {both:.0%} of generalising seeds (rise "
                f"{rise:.0%}, fall {fall:.0%}); median peak offset {offset:+.2f} x val_step")
    checks = [
        central("exp(S) rises, then falls after generalisation", math.isfinite(both) and both >= MOST, f"{both:.0%}",
                f">= {MOST:.0%} of generalising seeds: max exp(S) up to val_step > exp(S)(0) and exp(S)(end) < "
                "exp(S)(val_step)"),
        Check("the peak sits at generalisation (rises until it)",
              math.isfinite(offset) and abs(offset) <= PEAK_OFFSET_MAX, f"{offset:+.2f}",
              f"|median (peak step - val_step) / val_step| <= {PEAK_OFFSET_MAX}"),
        Check("most seeds generalise", n > 0 and n_gen / n >= GENERALISED_MIN, f"{n_gen:.0f} / {n:.0f}",
              f">= {GENERALISED_MIN:.0%}"),
    ]
    return records.judge("L-24", measured, f"most = {MOST:.0%}; peak offset <= {PEAK_OFFSET_MAX}", checks, scale,
                         artifact, _fidelity_note(numbers, note))


def fig7_centre_dropout(numbers, scale, artifact, note=""):
    """L-25: enough decoder dropout brings the time to generalise below 10^3 steps and removes the train-val delay."""
    t = records.select(numbers, "t_gen_median")
    if t.empty:
        return records.missing("L-25", "no Fig 7 centre steps in the numbers", scale, artifact, note)
    gap = _v(numbers, "gap")
    rates = sorted(t.dropout.astype(float).unique())
    tg = {r: _v(numbers, "t_gen_median", dropout=r) for r in rates}
    dl = {r: _v(numbers, "delay_median", dropout=r) for r in rates}
    shown = ", ".join(f"{r:g}: {_steps(tg[r])} (delay {_steps(dl[r])})" for r in rates)
    measured = f"median steps to generalise (train-val delay) by decoder dropout: {shown}"
    good = [r for r in rates if r > 0 and tg[r] < FAST_STEPS and dl[r] < gap]
    zero = rates[0] if rates and rates[0] == 0 else None
    fastest = min((tg[r] for r in rates if r > 0), default=np.inf)
    checks = [
        central("some dropout generalises in < 10^3 steps with no train-val delay", bool(good),
                ", ".join(f"{r:g}" for r in good) or "none",
                f"median t_gen < {FAST_STEPS} and median delay < gap ({gap:.0f} steps) at some dropout > 0"),
        Check("without dropout there is a delay (grokking or none)", zero is not None and dl[zero] >= gap,
              f"delay {_steps(dl[zero])}" if zero is not None else "dropout 0 not run", f">= gap ({gap:.0f} steps)"),
        Check("dropout speeds generalisation up", zero is not None and fastest < tg[zero],
              f"{_steps(fastest)} vs {_steps(tg[zero]) if zero is not None else 'n/a'}",
              "the fastest dropout > 0's median t_gen < dropout 0's"),
    ]
    return records.judge("L-25", measured, f"< {FAST_STEPS} steps; delay < gap ({gap:.0f})", checks, scale, artifact,
                         _fidelity_note(numbers, note))


def _cells(numbers: pd.DataFrame) -> pd.DataFrame:
    ph = records.select(numbers, "cell_phase_code")[["i", "j", "lr_decoder", "wd_decoder", "value"]]
    ph = ph.assign(phase=ph.value.astype(int).map(PHASE_OF)).drop(columns="value")
    va = records.select(numbers, "cell_val_step")[["i", "j", "value"]].rename(columns={"value": "t_gen"})
    out = ph.merge(va, on=["i", "j"])
    out["t_gen"] = out.t_gen.astype(float).fillna(np.inf)
    return out.astype({"i": int, "j": int})


def fig7_right_weight_decay(numbers, scale, artifact, note=""):
    """L-26: a non-zero decoder weight decay shortens the time to generalise (per decoder lr, the best wd > 0 against
    wd 0; never = infinite)."""
    cells = _cells(numbers) if not records.select(numbers, "cell_phase_code").empty else None
    if cells is None or not (cells.wd_decoder == 0).any() or not (cells.wd_decoder > 0).any():
        return records.missing("L-26", "no Fig 7 right cells at wd 0 and wd > 0", scale, artifact, note)
    cols, faster = [], 0
    for j, g in cells.groupby("j"):
        t0 = float(g.t_gen[g.wd_decoder == 0].min())
        tw = float(g.t_gen[g.wd_decoder > 0].min())
        if not (math.isfinite(t0) or math.isfinite(tw)):
            continue
        cols.append(f"lr {g.lr_decoder.iloc[0]:.1e}: wd 0 {_steps(t0)}, best wd > 0 {_steps(tw)}")
        faster += tw < t0
    n_cols = len(cols)
    gen0 = int(np.isfinite(cells.t_gen[cells.wd_decoder == 0]).sum())
    genw = int(np.isfinite(cells.t_gen[cells.wd_decoder > 0]).sum())
    measured = f"steps to generalise per decoder lr: {'; '.join(cols) or 'no cell generalises'}"
    checks = [
        central("wd > 0 generalises sooner than wd 0", n_cols > 0 and faster > n_cols / 2, f"{faster} of {n_cols}",
                "in more than half the lr columns where some cell generalises (never = infinite)"),
        Check("wd 0 generalises less often", gen0 * (cells.wd_decoder > 0).sum() < genw * (cells.wd_decoder == 0).sum()
              or (gen0 == 0 and genw > 0), f"wd 0: {gen0} of {int((cells.wd_decoder == 0).sum())} cells; wd > 0: "
              f"{genw} of {int((cells.wd_decoder > 0).sum())}", "a smaller fraction of wd-0 cells generalise"),
    ]
    return records.judge("L-26", measured, "majority of lr columns", checks, scale, artifact,
                         _fidelity_note(numbers, note))


def _neighbour_counts(cells: pd.DataFrame, phase: str) -> dict[str, int]:
    """For each other phase, how many ``phase`` cells have a 4-neighbour of it."""
    grid = {(r.i, r.j): r.phase for r in cells.itertuples()}
    out: dict[str, int] = {}
    for (i, j), ph in grid.items():
        if ph != phase:
            continue
        seen = {grid.get((i + di, j + dj)) for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1))} - {None, phase}
        for other in seen:
            out[other] = out.get(other, 0) + 1
    return out


def fig7_right_adjacency(numbers, scale, artifact, note=""):
    """L-27: in the decoder lr x wd plane the grokking cells border memorization rather than comprehension."""
    if records.select(numbers, "cell_phase_code").empty:
        return records.missing("L-27", "no Fig 7 right cells in the numbers", scale, artifact, note)
    cells = _cells(numbers)
    counts = cells.phase.value_counts().to_dict()
    nb = _neighbour_counts(cells, "grokking")
    gm, gc = nb.get("memorization", 0), nb.get("comprehension", 0)
    shown = ", ".join(f"{k} {counts.get(k, 0)}" for k in ("comprehension", "grokking", "memorization", "confusion",
                                                          "val_only"))
    measured = (f"{cells.i.nunique()} x {cells.j.nunique()} cells: {shown}; grokking cells with a memorization "
                f"neighbour {gm}, with a comprehension neighbour {gc}")
    checks = [
        central("grokking borders memorization rather than comprehension", gm > gc, f"G-M {gm}, G-C {gc}",
                "more grokking cells with a 4-neighbour in M than in C"),
        Check("grokking present", counts.get("grokking", 0) > 0, f"{counts.get('grokking', 0)}", ">= 1 cell"),
        Check("memorization present", counts.get("memorization", 0) > 0, f"{counts.get('memorization', 0)}",
              ">= 1 cell"),
    ]
    return records.judge("L-27", measured, "neighbour counts on the grid", checks, scale, artifact,
                         _fidelity_note(numbers, note))


def fig1_circle(numbers, scale, artifact, note=""):
    """L-28: no structure before generalisation; a ring ordered mod p at generalisation; the initial embeddings on
    the final PCs already show partial structure."""
    if records.select(numbers, "order_null99").empty:
        return records.missing("L-28", "no Fig 1 circle statistics in the numbers", scale, artifact, note)
    null = _v(numbers, "order_null99")
    o = {lab: _v(numbers, "order", label=lab, basis="current") for lab in ("start", "fit", "gen", "end")}
    cv = {lab: _v(numbers, "radial_cv", label=lab, basis="current") for lab in ("gen", "end")}
    init_final = _v(numbers, "order", label="start", basis="final")
    st = {lab: _v(numbers, "snapshot_step", label=lab) for lab in ("fit", "gen")}
    fit_before = math.isfinite(st["fit"]) and math.isfinite(st["gen"]) and st["fit"] < st["gen"]
    measured = (f"circle order (1: ordered mod p; permutation null 99 % {null:.2f}) in the current top-2 PCs: start "
                f"{o['start']:.2f}, fit (step {_steps(st['fit'])}) {o['fit']:.2f}, generalisation (step "
                f"{_steps(st['gen'])}) {o['gen']:.2f} (radial cv {cv['gen']:.2f}), end {o['end']:.2f} (radial cv "
                f"{cv['end']:.2f}); initial embeddings on the final PCs {init_final:.2f}")
    checks = [
        central("a ring ordered mod p at generalisation", math.isfinite(o["gen"]) and o["gen"] >= ORDER_MIN
                and cv["gen"] <= RADIAL_CV_MAX, f"order {o['gen']:.2f}, radial cv {cv['gen']:.2f}",
                f"order >= {ORDER_MIN}, radial cv <= {RADIAL_CV_MAX}"),
        Check("no structure before generalisation", fit_before and math.isfinite(o["fit"]) and o["fit"] <= null,
              f"order at fit {o['fit']:.2f}" if fit_before else "training fits no earlier than validation",
              f"<= the null's 99th percentile ({null:.2f}), at a fit step before generalisation"),
        Check("initial embeddings on the final PCs show partial structure",
              math.isfinite(init_final) and init_final > null,
              f"{init_final:.2f}", f"> the null's 99th percentile ({null:.2f})"),
    ]
    return records.judge("L-28", measured, f"order >= {ORDER_MIN}; radial cv <= {RADIAL_CV_MAX}; null 99th percentile",
                         checks, scale, artifact, _fidelity_note(numbers, note))


def fig22_reconstruction(numbers, scale, artifact, note=""):
    """L-29: the first few final-time PCs reach >= 99 % accuracy and beat the current-time top PCs (before the end,
    where the two bases differ)."""
    if records.select(numbers, "recon_acc").empty:
        return records.missing("L-29", "no Fig 22 reconstruction accuracies in the numbers", scale, artifact, note)
    n99 = {(lab, b): _v(numbers, "n99", label=lab, basis=b) for lab in ("fit", "gen", "end")
           for b in ("current", "final")}
    acc = records.select(numbers, "recon_acc")
    gains = {}
    for lab in ("fit", "gen"):
        a = acc[acc.label == lab]
        if a.empty:
            continue
        cur = a[a.basis == "current"].set_index("n").value.astype(float)
        fin = a[a.basis == "final"].set_index("n").value.astype(float)
        few = [n for n in cur.index if n <= FEW_PCS]
        gains[lab] = float((fin.loc[few] - cur.loc[few]).mean())
    shown = "; ".join(f"{lab}: n99 current {_steps(n99[(lab, 'current')])}, final {_steps(n99[(lab, 'final')])}"
                      for lab in ("fit", "gen", "end"))
    gain_txt = ", ".join(f"{k} {v:+.3f}" for k, v in gains.items()) or "n/a"
    measured = (f"smallest n of top-n PCs with accuracy >= {ACC_FULL:.0%} (all pairs): {shown}; mean accuracy gain of "
                f"final- over current-time PCs for n <= {FEW_PCS}: {gain_txt}")
    end_final = n99[("end", "final")]
    checks = [
        central(f"the first few final PCs reach >= {ACC_FULL:.0%}", math.isfinite(end_final) and end_final <= FEW_PCS,
                f"n = {_steps(end_final)}", f"n <= {FEW_PCS} at the end of training"),
        Check("final-time PCs beat current-time PCs", "gen" in gains and gains["gen"] > 0,
              f"{gains.get('gen', float('nan')):+.3f} at generalisation",
              f"mean accuracy gain over n <= {FEW_PCS} > 0"),
    ]
    return records.judge("L-29", measured, f"n <= {FEW_PCS}; accuracy >= {ACC_FULL:.0%}", checks, scale, artifact,
                         _fidelity_note(numbers, note))

"""Evaluator of Liu et al. Fig 2 (L-42): the geometry of 2D toy embeddings at p = 11, read from
``results/liu2022/fig2_numbers.csv`` (:func:`grokrepro.liu2022.fig2.numbers`).

Operational tests (docs/decisions.md, Tolerances (Liu) and Smaller experiments, [Choice]): a "lattice" is a median
RQI of at least :data:`LATTICE_RQI`; a "circle" is a median relative radial residual below :data:`CIRCLE_RESIDUAL`,
a median largest angular gap below :data:`CIRCLE_GAP` x 2π/p, and the symbols ordered k * g mod p in at least
:data:`ORDERED_SHARE` of the runs. The paper's central statement needs generalising runs of both tasks: with none,
it cannot be confirmed and the claim is ``not_reproduced``; the recipe grid's outcome is written into the record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro import records

LATTICE_RQI = 0.9           # [Choice] Fig 2: "lattice" = at least 90 % of the 95 parallelograms realised
CIRCLE_RESIDUAL = 0.1       # [Choice] Fig 2: "circle" = radial spread below 10 % of the radius
CIRCLE_GAP = 2.0            # [Choice] ... with no angular gap of two spacings (2 x 2π/p) or more (not a short arc)
ORDERED_SHARE = 0.5         # [Choice] ... and the symbols ordered k * g mod p in at least half the runs
TASK_NAMES = {"addition": "addition", "modular_addition": "modular addition"}


def _grid_summary(numbers: pd.DataFrame) -> str:
    """The recipe grid's outcome per task: cells with a generalising run, and the best cell's recipe."""
    grid = records.select(numbers, "generalised_fraction", "grid")
    if grid.empty:
        return "recipe grid: not run"
    runs = records.select(numbers, "n_runs", "grid")
    parts = []
    for task, name in TASK_NAMES.items():
        g = grid[grid.task == task]
        if g.empty:
            parts.append(f"{name}: no cells")
            continue
        n = runs[runs.task == task].set_index("cell").value
        best = g.loc[g.value.idxmax()]
        text = f"{name}: {int((g.value > 0).sum())} of {len(g)} cells with a generalising run"
        if best.value > 0:
            seeds = n.get(best.cell, np.nan)
            text += (f" (best {best.value * seeds:.0f}/{seeds:.0f} seeds at lr_repr {best.lr_repr:g}, lr_decoder "
                     f"{best.lr_decoder:g}, wd {best.wd_decoder:g}, init {best.init_scale:g}, fraction "
                     f"{best.train_fraction:g})")
        parts.append(text)
    return "recipe grid: " + "; ".join(parts)


def fig2_embedding_geometry(numbers, scale, artifact, note=""):
    """L-42: generalising 2D runs form a lattice (addition) and a circle (modular addition); memorising runs neither."""
    if numbers is None or records.select(numbers, "n_runs", "measured").empty:
        return records.missing("L-42", "no Fig 2 run counts (n_runs, method measured) in the numbers", scale,
                               artifact, note)

    def get(quantity, task, regime):
        return records.value(numbers, quantity, "measured", task=task, regime=regime)

    counts = {(t, r): get("n_runs", t, r) for t in TASK_NAMES for r in ("generalising", "memorising")}
    counts = {k: (0.0 if np.isnan(x) else x) for k, x in counts.items()}
    add_g, mod_g = get("median_rqi", "addition", "generalising"), get("median_circle_residual", "modular_addition",
                                                                      "generalising")
    mod_g_order = get("fraction_mod_order", "modular_addition", "generalising")
    mod_g_gap = get("median_max_gap", "modular_addition", "generalising")
    add_m, mod_m = get("median_rqi", "addition", "memorising"), get("median_circle_residual", "modular_addition",
                                                                    "memorising")
    mod_m_order = get("fraction_mod_order", "modular_addition", "memorising")

    add_gen, mod_gen = counts[("addition", "generalising")], counts[("modular_addition", "generalising")]
    lattice = add_gen > 0 and add_g >= LATTICE_RQI
    circle = (mod_gen > 0 and mod_g < CIRCLE_RESIDUAL and mod_g_gap < CIRCLE_GAP and mod_g_order >= ORDERED_SHARE)
    neither = (counts[("addition", "memorising")] > 0 and add_m < LATTICE_RQI
               and counts[("modular_addition", "memorising")] > 0
               and (mod_m >= CIRCLE_RESIDUAL or mod_m_order < ORDERED_SHARE))
    grid = _grid_summary(numbers)
    checks = [
        records.central(
            "generalising runs: addition a lattice, modular addition a circle", lattice and circle,
            f"generalising runs: addition {add_gen:.0f} (median RQI {add_g:.3f}), modular {mod_gen:.0f} (circle "
            f"residual {mod_g:.3f}, largest gap {mod_g_gap:.2f} x 2pi/p, ordered {mod_g_order:.0%})",
            f"both tasks generalise; RQI >= {LATTICE_RQI}; residual < {CIRCLE_RESIDUAL}, gap < {CIRCLE_GAP:g}, "
            f"ordered >= {ORDERED_SHARE:.0%}"),
        records.Check(
            "memorising runs show neither", neither,
            f"memorising: addition RQI {add_m:.3f}; modular residual {mod_m:.3f}, ordered {mod_m_order:.0%}",
            f"RQI < {LATTICE_RQI}; residual >= {CIRCLE_RESIDUAL} or ordered < {ORDERED_SHARE:.0%}"),
    ]
    measured = (f"runs (generalising/memorising): addition {add_gen:.0f}/{counts[('addition', 'memorising')]:.0f}, "
                f"modular {mod_gen:.0f}/{counts[('modular_addition', 'memorising')]:.0f}; median RQI addition "
                f"generalising {add_g:.3f}, memorising {add_m:.3f}; modular circle residual generalising {mod_g:.3f} "
                f"(ordered mod p: {mod_g_order:.0%}, median largest gap {mod_g_gap:.2f} x 2pi/p), memorising "
                f"{mod_m:.3f} (ordered {mod_m_order:.0%}); {grid}")
    tolerance = (f"lattice: median RQI >= {LATTICE_RQI}; circle: median relative radial residual < {CIRCLE_RESIDUAL}, "
                 f"largest angular gap < {CIRCLE_GAP:g} x 2pi/p, ordered k*g mod p in >= half the runs; no generalising "
                 "run of a task fails the central statement [Choice]")
    return records.judge("L-42", measured, tolerance, checks, scale, artifact, note)

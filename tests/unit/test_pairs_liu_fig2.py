"""L-42 (Liu et al. Fig 2): the pass/fail pair of its evaluator, and the recipe grid's rows in the Fig 2 numbers.

The published Fig 2 numbers have generalising addition runs from the recipe grid that form no lattice and no
generalising modular-addition run: the pass doctoring replaces the generalising rows by runs with a lattice
(addition) and a circle (modular addition) and a grid cell that generalises; the fail doctoring keeps those runs but makes the generalising addition an ordered arc with RQI 0.05
(what the grid's generalising addition runs look like), which breaks the central statement.
"""


import numpy as np
import pandas as pd
import pytest

from grokrepro import records
from grokrepro.liu2022 import claims_fig2, fig2

from pairs import assert_pair, judge, published



def _regime_rows(task, regime, n, rqi, residual, gap, order):
    return [dict(quantity=q, value=v, method="measured", task=task, regime=regime)
            for q, v in (("n_runs", n), ("median_rqi", rqi), ("median_circle_residual", residual),
                         ("median_max_gap", gap), ("fraction_mod_order", order))]


def _grid_rows(task, fraction):
    recipe = dict(lr_repr=0.03, lr_decoder=1e-4, wd_decoder=0.0, init_scale=1.0, train_fraction=0.9)
    return [dict(quantity=q, value=v, method="grid", task=task, cell=0, **recipe)
            for q, v in (("generalised_fraction", fraction), ("median_acc_val", 1.0), ("n_runs", 2))]


def make_pass(df):
    """Generalising runs of both tasks: addition a lattice (RQI 0.95), modular addition an ordered circle."""
    rows = (_regime_rows("addition", "generalising", 2, 0.95, 0.4, 2.5, 0.0)
            + _regime_rows("modular_addition", "generalising", 2, 0.1, 0.05, 1.1, 1.0)
            + _grid_rows("addition", 1.0) + _grid_rows("modular_addition", 1.0))
    keep = ~((df.regime == "generalising") | (df.method == "grid")) if "regime" in df else slice(None)
    return pd.concat([df[keep], pd.DataFrame(rows)], ignore_index=True)


def make_fail(df):
    """As :func:`make_pass`, but the generalising addition runs are an ordered arc, not a lattice (RQI 0.05)."""
    df = make_pass(df)
    rows = records.select(df, "median_rqi", "measured", task="addition", regime="generalising").index
    df.loc[rows, "value"] = 0.05
    return df


PAIRS = {"L-42": (make_pass, make_fail)}


@pytest.mark.parametrize("claim_id", sorted(PAIRS))
def test_pass_and_fail(claim_id):
    assert_pair(claim_id, PAIRS[claim_id], published(claim_id))


def test_published_runs_are_not_reproduced():
    """The published generalising addition runs are arcs (no lattice) and no modular-addition run generalises: the
    central statement fails, whatever the secondary check."""
    rec = judge("L-42", published("L-42"))
    assert rec.verdict == "not_reproduced"
    assert {c.name: c.passed for c in rec.checks} == {
        "generalising runs: addition a lattice, modular addition a circle": False,
        "memorising runs show neither": True}
    assert "recipe grid: addition: 5 of 12 cells with a generalising run" in rec.measured_value


def test_no_generalising_run_is_not_reproduced():
    df = published("L-42")
    df = df[~((df.regime == "generalising") | (df.method == "grid"))]
    rec = judge("L-42", df)
    assert rec.verdict == "not_reproduced" and "recipe grid: not run" in rec.measured_value


def test_only_one_task_generalising_is_not_reproduced():
    """A lattice for addition without any generalising modular-addition run does not confirm the claim."""
    df = make_pass(published("L-42"))
    df = df[~((df.task == "modular_addition") & (df.regime == "generalising"))]
    assert judge("L-42", df).verdict == "not_reproduced"


def test_missing_numbers_are_not_run():
    assert claims_fig2.fig2_embedding_geometry(None, "paper", "").verdict == "not_run"
    empty = pd.DataFrame(columns=["quantity", "value", "method", "task", "regime"])
    assert claims_fig2.fig2_embedding_geometry(empty, "paper", "").verdict == "not_run"


# ------------------------------------------------------------------------------------------------ the grid rows


def _runs():
    """A tiny runs table: one setting (2 seeds) and two grid cells (2 seeds each) per task."""
    rows = []
    base = dict(wd_decoder=0.0, init_scale=1.0, n_train=53, rqi=0.1, circle_residual=0.3, max_gap=2.0, mod_order=0)
    for task in fig2.TASKS:
        for seed in (0, 1):
            rows.append(dict(base, task=task, group="settings", setting=0, cell=0, lr_repr=1e-3, lr_decoder=1e-4,
                             train_fraction=0.8, seed=seed, acc_train=1.0, acc_val=0.2, regime="memorising"))
        for cell, lr in enumerate((3e-2, 1e-1)):
            for seed in (0, 1):
                gen = task == "addition" and cell == 1 and seed == 0
                rows.append(dict(base, task=task, group="grid", setting=1 + cell, cell=cell, lr_repr=lr,
                                 lr_decoder=1e-5, train_fraction=0.9, seed=seed, acc_train=1.0,
                                 acc_val=1.0 if gen else 0.5, regime="generalising" if gen else "memorising",
                                 rqi=0.07 if gen else 0.1))
    return pd.DataFrame(rows, columns=fig2.RUN_COLUMNS)


def test_numbers_write_one_generalised_fraction_per_grid_cell_and_task():
    nums = fig2.numbers(_runs())
    assert list(nums.columns) == fig2.NUMBER_COLUMNS
    grid = records.select(nums, "generalised_fraction", "grid")
    assert len(grid) == 4  # 2 cells x 2 tasks
    assert records.value(nums, "generalised_fraction", "grid", task="addition", cell=1) == 0.5
    assert records.value(nums, "generalised_fraction", "grid", task="addition", cell=0) == 0.0
    assert records.value(nums, "generalised_fraction", "grid", task="modular_addition", cell=1) == 0.0
    cell1 = grid[(grid.task == "addition") & (grid.cell == 1)].iloc[0]
    assert (cell1.lr_repr, cell1.lr_decoder, cell1.train_fraction, cell1.init_scale) == (0.1, 1e-5, 0.9, 1.0)
    assert records.value(nums, "n_runs", "grid", task="addition", cell=1) == 2
    assert records.value(nums, "median_acc_val", "grid", task="addition", cell=1) == 0.75
    # the settings' own rows, and the per-regime geometry pooled over settings and grid
    assert records.value(nums, "generalised_fraction", "settings", task="addition", cell=0) == 0.0
    assert records.value(nums, "n_runs", "measured", task="addition", regime="generalising") == 1
    assert records.value(nums, "n_runs", "measured", task="addition", regime="memorising") == 5
    assert records.value(nums, "median_rqi", "measured", task="addition", regime="generalising") == 0.07
    # the evaluator names the grid's outcome
    rec = claims_fig2.fig2_embedding_geometry(nums, "paper", "")
    assert rec.verdict == "not_reproduced"
    assert "addition: 1 of 2 cells with a generalising run (best 1/2 seeds at lr_repr 0.1" in rec.measured_value
    assert "modular addition: 0 of 2 cells" in rec.measured_value


def test_numbers_read_a_runs_table_from_before_the_grid():
    old = _runs()
    old = old[old.group == "settings"].drop(columns=["group", "cell", "init_scale", "train_fraction"])
    nums = fig2.numbers(old)
    assert records.select(nums, "generalised_fraction", "grid").empty
    assert records.value(nums, "n_runs", "measured", task="addition", regime="memorising") == 2
    assert records.value(nums, "generalised_fraction", "settings", task="addition", cell=0) == 0.0


def test_grid_cells_are_the_product_of_the_axes():
    grid = dict(lr_repr=[1e-2, 1e-1], lr_decoder=[1e-5], wd_decoder=[0.0, 1.0], init_scale=[1.0],
                train_fraction=[0.8, 0.9], seeds=[0])
    cells = fig2.grid_cells(grid)
    assert len(cells) == 8
    assert cells[0] == dict(lr_repr=1e-2, lr_decoder=1e-5, wd_decoder=0.0, init_scale=1.0, train_fraction=0.8)
    assert cells[1]["train_fraction"] == 0.9 and cells[2]["wd_decoder"] == 1.0 and cells[4]["lr_repr"] == 1e-1
    assert fig2.grid_cells(None) == []


def test_run_trains_the_grid_as_extra_groups():
    """A few steps of the real builder: settings and grid runs in one table, grid runs keyed by their own setting."""
    cfg = dict(p=11, train_fraction=0.8, seeds=[0], settings=[[1e-3, 1e-4, 0.0]], steps=3, batch_size=45,
               grid=dict(lr_repr=[3e-2], lr_decoder=[1e-5, 1e-4], wd_decoder=[0.0], init_scale=[0.5],
                         train_fraction=[0.9], seeds=[0, 1]))
    runs, emb = fig2.run(cfg, progress=False)
    assert len(runs) == 2 * (1 + 2 * 2)
    grid = runs[runs.group == "grid"]
    assert sorted(grid.setting.unique()) == [1, 2] and sorted(grid.cell.unique()) == [0, 1]
    assert (grid.n_train == 59).all() and (grid.init_scale == 0.5).all()
    assert (runs[runs.group == "settings"].n_train == 53).all()
    assert len(emb) == len(runs) * 11
    assert emb.groupby(["task", "setting", "seed"]).size().eq(11).all()
    nums = fig2.numbers(runs)
    assert len(records.select(nums, "generalised_fraction", "grid")) == 4
    assert np.isfinite(nums.value).all()

"""Pass/fail pairs for the transformer claims of Liu et al. (issue #22: L-24 ... L-29), and the partial cases.

The numbers are built here, in the shapes the builders write (tests/unit/test_liu_transformer_figures.py checks the
builders themselves): a pass table and a fail table per claim, independent of any run."""

import numpy as np
import pandas as pd

from grokrepro.liu2022 import claims_transformer as ct
from grokrepro.liu2022 import transformer_figures as txf

from pairs import assert_pair

CONFIG = dict(steps=3000, eval_every=50, gap=500, threshold=0.9, d_model=64, n_layers=1, p=53)


def _nums(rows) -> pd.DataFrame:
    rows = [txf._row(q, v, method="config") for q, v in CONFIG.items()] + rows
    return pd.DataFrame(rows).reindex(columns=txf.NUMBER_COLUMNS)


def _effdim(curves: dict[int, tuple[list[float], float]], every=50) -> pd.DataFrame:
    """Fig 7 left numbers from exp(S) curves: seed -> (values at steps 0, every, 2 every, ..., val_step or nan)."""
    frames = []
    for seed, (values, va) in curves.items():
        steps = np.arange(len(values)) * every
        frames.append(pd.DataFrame(dict(seed=seed, step=steps, eff_dim=values, val_step=va, train_step=every)))
    tidy = pd.concat(frames, ignore_index=True)
    return _nums(txf.effdim_numbers(tidy))


HUMP = [34.0, 35.0, 35.5, 36.0, 35.0, 33.0, 31.0]    # peak at step 150 = the generalisation step
FLAT_RISE = [34.0, 34.5, 35.0, 35.5, 36.0, 36.5, 37.0]  # rises all along


def test_l24_effective_dimension_passes_and_fails():
    good = _effdim({s: (HUMP, 150.0) for s in range(4)})
    assert ct.fig7_left_effdim(good, "cpu", "a").verdict == "reproduced"
    rising = _effdim({s: (FLAT_RISE, 150.0) for s in range(4)})
    assert ct.fig7_left_effdim(rising, "cpu", "a").verdict == "not_reproduced"
    early_peak = [34.0, 36.0, 35.5, 35.0, 34.5, 33.0, 31.0, 30.0, 29.0]  # peak at 50, generalisation at 300
    rec = ct.fig7_left_effdim(_effdim({s: (early_peak, 300.0) for s in range(4)}), "cpu", "a")
    assert rec.verdict == "partial" and [c.name for c in rec.failed] == ["the peak sits at generalisation (rises "
                                                                          "until it)"]
    # three in four seeds never generalise: the hump holds on the one that does, but the claim is thinly tested
    few = _effdim({0: (HUMP, 150.0), 1: (HUMP, np.nan), 2: (HUMP, np.nan), 3: (HUMP, np.nan)})
    assert ct.fig7_left_effdim(few, "cpu", "a").verdict == "partial"
    assert ct.fig7_left_effdim(_nums([]), "cpu", "a").verdict == "not_run"


def _dropout(table: dict[float, tuple[float, float]]) -> pd.DataFrame:
    """dropout -> (median t_gen, median delay)."""
    rows = [txf._row("seeds", 2, method="config")]
    for r, (t, d) in table.items():
        rows += [txf._row("t_gen_median", t, dropout=r), txf._row("delay_median", d, dropout=r)]
    return _nums(rows)


def test_l25_dropout_passes_and_fails():
    good = _dropout({0.0: (1400, 1200), 0.3: (800, 300), 0.5: (600, 200)})
    assert ct.fig7_centre_dropout(good, "cpu", "a").verdict == "reproduced"
    slow = _dropout({0.0: (1400, 1200), 0.3: (1100, 700), 0.5: (np.inf, np.inf)})
    assert ct.fig7_centre_dropout(slow, "cpu", "a").verdict == "not_reproduced"
    no_delay_anyway = _dropout({0.0: (500, 300), 0.3: (450, 250)})
    assert ct.fig7_centre_dropout(no_delay_anyway, "cpu", "a").verdict == "partial"
    slower = _dropout({0.0: (600, 550), 0.3: (800, 300)})  # the delay goes, but generalisation comes later
    rec = ct.fig7_centre_dropout(slower, "cpu", "a")
    assert rec.verdict == "partial" and [c.name for c in rec.failed] == ["dropout speeds generalisation up"]
    # the secondary check reads every dropout, not only those that pass the central one
    faster_with_delay = ct.fig7_centre_dropout(slow, "cpu", "a")
    assert "dropout speeds generalisation up" not in [c.name for c in faster_with_delay.failed]
    assert ct.fig7_centre_dropout(_nums([]), "cpu", "a").verdict == "not_run"


def _plane(layout: list[str], t_gen: dict | None = None, wds=(0.0, 0.3, 1.0, 3.0)) -> pd.DataFrame:
    """Fig 7 right numbers: row i = weight decay ascending, column j = lr ascending; G/C cells generalise at the
    given (i, j) -> step (default 1500 for G, 400 for C), M/X never."""
    code = {"C": "comprehension", "G": "grokking", "M": "memorization", "X": "confusion"}
    rows = []
    for i, line in enumerate(layout):
        for j, ch in enumerate(line):
            keys = dict(lr_decoder=10.0 ** (-3.5 + 0.5 * j), wd_decoder=wds[i], i=i, j=j)
            t = (t_gen or {}).get((i, j), {"G": 1500.0, "C": 400.0}.get(ch, np.nan))
            rows += [txf._row("cell_phase_code", txf.PHASE_INDEX[code[ch]], **keys),
                     txf._row("cell_val_step", t, **keys), txf._row("cell_train_step", 200.0, **keys)]
    return _nums(rows)


PLANE = ["MMMX",   # wd 0: memorises everywhere
         "MGGX",   # wd 0.3
         "MGCX",   # wd 1
         "MGCX"]   # wd 3


def test_l26_weight_decay_passes_and_fails():
    assert ct.fig7_right_weight_decay(_plane(PLANE), "cpu", "a").verdict == "reproduced"
    # wd 0 generalises first in every column where anything does
    fast0 = _plane(["MCCX", "MGGX", "MGGX", "MGGX"])
    assert ct.fig7_right_weight_decay(fast0, "cpu", "a").verdict == "not_reproduced"
    # wd > 0 is faster in most columns, but wd 0 generalises as often
    mixed = _plane(["MGGX", "MCCX", "MMGX", "MMMX"], t_gen={(0, 1): 2000.0, (0, 2): 2000.0})
    assert ct.fig7_right_weight_decay(mixed, "cpu", "a").verdict == "partial"
    assert ct.fig7_right_weight_decay(_nums([]), "cpu", "a").verdict == "not_run"


def test_l27_grokking_next_to_memorization_passes_and_fails():
    assert ct.fig7_right_adjacency(_plane(PLANE), "cpu", "a").verdict == "reproduced"
    between = _plane(["CCCX", "CGCX", "CCCX", "MMMX"])  # grokking surrounded by comprehension
    assert ct.fig7_right_adjacency(between, "cpu", "a").verdict == "not_reproduced"
    no_m = _plane(["XGGX", "XGGX", "CGCX", "CGCX"])  # no memorization at all: G-M 0 = G-C ... fails centrally
    assert ct.fig7_right_adjacency(no_m, "cpu", "a").verdict == "not_reproduced"
    assert ct.fig7_right_adjacency(_nums([]), "cpu", "a").verdict == "not_run"


def _circle(order_gen=0.97, cv_gen=0.1, order_fit=0.3, init_final=0.6, null=0.4, fit=200, gen=1500):
    rows = [txf._row("order_null99", null), txf._row("snapshot_step", 0, label="start"),
            txf._row("snapshot_step", fit, label="fit"), txf._row("snapshot_step", gen, label="gen"),
            txf._row("snapshot_step", 3000, label="end")]
    for label, o, cv in (("start", 0.3, 0.5), ("fit", order_fit, 0.5), ("gen", order_gen, cv_gen),
                         ("end", 0.99, 0.05)):
        rows += [txf._row("order", o, label=label, basis="current"), txf._row("radial_cv", cv, label=label,
                                                                              basis="current")]
    rows.append(txf._row("order", init_final, label="start", basis="final"))
    return _nums(rows)


def test_l28_circle_passes_and_fails():
    assert ct.fig1_circle(_circle(), "cpu", "a").verdict == "reproduced"
    assert ct.fig1_circle(_circle(order_gen=0.5), "cpu", "a").verdict == "not_reproduced"
    assert ct.fig1_circle(_circle(cv_gen=0.6), "cpu", "a").verdict == "not_reproduced"  # a disc, not a ring
    assert ct.fig1_circle(_circle(order_fit=0.8), "cpu", "a").verdict == "partial"  # structure before generalising
    assert ct.fig1_circle(_circle(init_final=0.35), "cpu", "a").verdict == "partial"
    assert ct.fig1_circle(_nums([]), "cpu", "a").verdict == "not_run"


def _recon(end_final: list[float], gen_current: list[float], gen_final: list[float]) -> pd.DataFrame:
    rows = []
    for label, basis, accs in (("end", "final", end_final), ("end", "current", end_final),
                               ("gen", "current", gen_current), ("gen", "final", gen_final)):
        for n, a in enumerate(accs, start=1):
            rows.append(txf._row("recon_acc", a, label=label, basis=basis, n=n))
        ok = [n for n, a in enumerate(accs, start=1) if a >= 0.99]
        rows.append(txf._row("n99", min(ok) if ok else np.inf, label=label, basis=basis))
    return _nums(rows)


RISE = [0.1, 0.5, 0.9, 0.995, 1.0, 1.0, 1.0, 1.0]
SLOW = [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99]


def test_l29_reconstruction_passes_and_fails():
    assert ct.fig22_reconstruction(_recon(RISE, SLOW, RISE), "cpu", "a").verdict == "reproduced"
    assert ct.fig22_reconstruction(_recon(SLOW, SLOW, RISE), "cpu", "a").verdict == "not_reproduced"
    assert ct.fig22_reconstruction(_recon(RISE, RISE, SLOW), "cpu", "a").verdict == "partial"
    assert ct.fig22_reconstruction(_nums([]), "cpu", "a").verdict == "not_run"


PAIRS = {
    "L-24": (lambda df: _effdim({s: (HUMP, 150.0) for s in range(4)}),
             lambda df: _effdim({s: (FLAT_RISE, 150.0) for s in range(4)})),
    "L-25": (lambda df: _dropout({0.0: (1400, 1200), 0.3: (800, 300)}),
             lambda df: _dropout({0.0: (1400, 1200), 0.3: (1100, 700)})),
    "L-26": (lambda df: _plane(PLANE), lambda df: _plane(["MCCX", "MGGX", "MGGX", "MGGX"])),
    "L-27": (lambda df: _plane(PLANE), lambda df: _plane(["CCCX", "CGCX", "CCCX", "MMMX"])),
    "L-28": (lambda df: _circle(), lambda df: _circle(order_gen=0.5)),
    "L-29": (lambda df: _recon(RISE, SLOW, RISE), lambda df: _recon(SLOW, SLOW, RISE)),
}


def test_pass_and_fail():
    for claim_id, pair in PAIRS.items():
        assert_pair(claim_id, pair, pd.DataFrame(), scale="cpu")


def test_the_note_names_the_model_size():
    note = ct.fig1_circle(_circle(), "cpu", "a", "cpu note").note
    assert "d_model 64" in note and "cpu note" in note

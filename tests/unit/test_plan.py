"""The plan `make reproduce` prints: costs from recorded provenance, resumed jobs estimated from their panel's other
seeds, the total and the wall-clock estimate (the Snakemake side is tested in tests/workflow/test_plan_command.py)."""

import pandas as pd
import pytest

from grokrepro import plan


def test_paper_costs_come_from_the_committed_snapshot():
    costs = plan.recorded_costs("paper")
    assert costs["results/liu2022/runs/fig6b_seed58_provenance.json"] == pytest.approx(4532.22)
    assert costs["results/zunkovic2022/fig5_provenance.json"] == pytest.approx(51.74)
    # fig6c seed 4 resumed at step 62 250 and recorded 1534 s for its last process: estimated from seeds 6 and 1
    # (seed 7 resumed too), the median of 6967.53 and 3681.83
    assert costs["results/liu2022/runs/fig6c_seed4_provenance.json"] == pytest.approx((6967.53 + 3681.83) / 2)
    # fig14 resumed and no other seed of it exists: its recorded time is a lower bound (negative)
    assert costs["results/liu2022/runs/fig14_seed58_provenance.json"] == pytest.approx(-1615.47)


def test_render_lists_jobs_longest_first_with_the_total():
    rows = pd.DataFrame({"job": ["liu2022/fig4d", "liu2022/runs/fig6b_seed58", "liu2022/runs/fig14_seed58"],
                         "rule": ["liu2022_fig4d", "liu2022_panel_train", "liu2022_panel_train"],
                         "estimate_s": [10.9, 4532.2, 1615.5], "lower_bound": [False, False, True]})
    summary = dict(scale="paper", cores=2, jobs=5, timed_jobs=3, other_jobs=2, unknown=0,
                   job_seconds=6164.6, wall_s=4532.2)
    text = plan.render(rows, summary)
    lines = text.splitlines()
    assert lines[0].startswith("Plan (paper scale, 2 cores): 5 jobs")
    assert "fig6b_seed58" in lines[1] and "1.3 h" in lines[1]
    assert "fig14_seed58" in lines[2] and ">= 27 min" in lines[2]
    assert "(2 plot, claim and report jobs)" in text
    assert "Total 1.7 h of job time; estimated 1.3 h wall-clock on 2 cores" in text
    assert "SCALE=quick" in text


def test_nothing_to_do():
    rows = pd.DataFrame({"job": [], "rule": [], "estimate_s": [], "lower_bound": []})
    text = plan.render(rows, dict(scale="quick", cores=2, jobs=0, timed_jobs=0, other_jobs=0, unknown=0,
                                  job_seconds=0.0, wall_s=0.0))
    assert "Nothing to do" in text


def test_quick_costs_table_covers_the_quick_training_jobs():
    table = pd.read_csv(plan.QUICK_COSTS)
    assert table.columns.tolist() == ["output", "wall_clock_s", "device"]
    assert "results/liu2022/runs/fig6b_seed58_provenance.json" in set(table.output)
    assert (table.wall_clock_s > 0).all()

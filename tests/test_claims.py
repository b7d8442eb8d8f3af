import numpy as np
import pandas as pd
import pytest

from grokrepro import claims
from grokrepro.liu2022 import claims as liu


def test_registry_lists_every_claim_of_both_specs():
    reg = claims.registry()
    assert reg.claim_id.is_unique
    assert reg.claim_id.tolist() == [f"L-{i:02d}" for i in range(1, 43)] + [f"Z-{i:02d}" for i in range(1, 45)]
    assert set(reg.paper) == {"liu2022", "zunkovic2022"}
    assert (reg.statement.str.len() > 0).all() and (reg.paper_value.str.len() > 0).all()


def test_gather_needs_one_record_per_claim():
    rows = [pd.DataFrame([claims.not_run(c, "quick").row()]) for c in claims.claim_ids()]
    table = claims.gather(rows)
    assert table.columns.tolist() == claims.COLUMNS and len(table) == 86
    assert set(table.verdict) == {"not_run"}
    with pytest.raises(ValueError, match="without a record"):
        claims.gather(rows[1:])
    with pytest.raises(ValueError, match="duplicate"):
        claims.gather(rows + rows[:1])
    md = claims.scorecard_markdown(table)
    assert "| not_run | 86 |" in md and "L-42" in md and "Z-44" in md


def test_records_refuse_unknown_ids_and_verdicts():
    with pytest.raises(KeyError, match="L-99"):
        claims.not_run("L-99", "paper")
    with pytest.raises(ValueError, match="verdict"):
        claims.ClaimRecord("L-02", "", "", "maybe", "paper", "")


def test_table1_claim_on_the_authors_data(reference_dir):
    rec = liu.l02_table1(str(reference_dir), "paper")
    assert rec.verdict == "reproduced", rec.measured_value
    assert "data_add_r.h5: C17 G60 M60 X39" in rec.measured_value


def _numbers(agree, anchors):
    rows = [dict(quantity="agreement_fraction", value=agree, method="vs_authors_data"),
            dict(quantity="n_cells", value=176, method="measured")]
    for (lr, wd), (m, r) in anchors.items():
        for q, a, b in (("anchor_train_step", m[0], r[0]), ("anchor_val_step", m[1], r[1])):
            rows.append(dict(quantity=q, value=a, method="measured", lr_decoder=lr, weight_decay=wd))
            rows.append(dict(quantity=q, value=b, method="authors_data", lr_decoder=lr, weight_decay=wd))
    for p in ("comprehension", "grokking", "memorization", "confusion"):
        rows += [dict(quantity=f"count_{p}", value=1, method=m) for m in ("measured", "authors_data")]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("agree, verdict", [(0.97, "reproduced"), (0.9, "partial"), (0.5, "not_reproduced")])
def test_map_verdict_follows_the_spec_tolerance(agree, verdict):
    assert liu.l16_map(_numbers(agree, {}), "paper", "x").verdict == verdict


@pytest.mark.parametrize("measured, verdict", [((854, 923), "reproduced"), ((870, 923), "partial"),
                                                ((854, np.nan), "not_reproduced"), ((900, 1000), "not_reproduced")])
def test_anchor_verdict_follows_the_spec_tolerance(measured, verdict):
    rec = liu.l17_anchors(_numbers(1.0, {(2.51e-4, 0): (measured, (854, 923))}), "paper", "x")
    assert rec.verdict == verdict, rec.measured_value


@pytest.mark.parametrize("losses, verdict", [([0.9, 0.4, 0.1], "reproduced"), ([0.9, 0.95, 0.1], "not_reproduced")])
def test_loss_claim_needs_a_strict_decrease(losses, verdict):
    numbers = pd.DataFrame(dict(quantity="loss_train", value=losses, step=[0, 1000, 2000]))
    assert liu.l06_losses(numbers, "paper", "x").verdict == verdict

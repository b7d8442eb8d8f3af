import pandas as pd
import pytest

from grokrepro import claims
from grokrepro.liu2022 import claims as liu


def test_registry_lists_every_claim_of_both_papers():
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
    rec = liu.table1_classifier(None, "paper", reference_dir=str(reference_dir))
    assert rec.verdict == "reproduced", rec.measured_value
    assert "data_add_r.h5: C17 G60 M60 X39" in rec.measured_value


@pytest.mark.parametrize("losses, verdict", [([0.9, 0.4, 0.1], "reproduced"), ([0.9, 0.95, 0.1], "not_reproduced")])
def test_loss_claim_needs_a_strict_decrease(losses, verdict):
    numbers = pd.DataFrame(dict(quantity="loss_train", value=losses, step=[0, 1000, 2000]))
    assert liu.default_run_loss_decreases(numbers, "paper", "x").verdict == verdict

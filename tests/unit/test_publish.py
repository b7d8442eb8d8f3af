"""``grokrepro.publish --partial``: a snapshot refreshed while some paper-scale runs are pending."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from grokrepro import claims, io, publish
from grokrepro.records import central, judge


def _results(tmp_path):
    res = tmp_path / "results"
    (res / "claims").mkdir(parents=True)
    (res / "liu2022").mkdir()
    io.write_json({"figure": "fig6b", "scale": "paper"}, res / "liu2022" / "fig6b_provenance.json")
    ran = judge("L-16", "seed 58: agreement 0.983", ">= 95 %", [central("agreement", True)], "paper", "fig6b.pdf")
    stale = claims.not_run("L-36", "paper")  # written before App G's evaluator landed
    assert "not implemented yet" in stale.note
    for rec in (ran, stale):
        io.write_csv(pd.DataFrame([rec.row()]), res / "claims" / f"{rec.claim_id}.csv")
    return res


def test_partial_publish_marks_implemented_claims_pending_not_unimplemented(tmp_path):
    res = _results(tmp_path)
    publish.publish(res, tmp_path / "published", partial=True)
    table = pd.read_csv(tmp_path / "published" / "claims.csv", keep_default_na=False).set_index("claim_id")
    assert sorted(table.index) == sorted(claims.claim_ids())
    assert table.loc["L-16", "verdict"] == "reproduced"
    for cid in ("L-36", "L-37", "L-14", "L-24"):  # implemented, not run here: pending (L-36's stale record is dropped)
        assert table.loc[cid, "verdict"] == "not_run" and table.loc[cid, "note"] == publish.PENDING, cid
    assert json.loads((tmp_path / "published" / "provenance.json").read_text())["partial"] is True


@pytest.mark.parametrize("cid, expected", [("L-01", True), ("L-14", True), ("L-38", True), ("Z-44", True),
                                           ("L-24", True), ("Z-40", True), ("L-30", True), ("L-27", True)])
def test_implemented_follows_the_evaluators(cid, expected):
    assert claims.implemented(cid) is expected


def test_publish_takes_the_full_model_at_cpu_fidelity_and_nothing_else_below_paper_scale(tmp_path):
    """The Žunkovič full model may be published at its in-between `cpu` fidelity (its records say so); any other
    figure at a scale other than paper is refused, naming it."""
    res = _results(tmp_path)
    (res / "zunkovic2022" / "fullmodel").mkdir(parents=True)
    io.write_json({"figure": "zunkovic2022/fig14", "scale": "cpu"}, res / "zunkovic2022" / "fig14_provenance.json")
    io.write_json({"figure": "zunkovic2022/fullmodel/K1_none_d3", "scale": "cpu"},
                  res / "zunkovic2022" / "fullmodel" / "K1_none_d3_provenance.json")
    publish.publish(res, tmp_path / "published", partial=True)
    assert (tmp_path / "published" / "zunkovic2022" / "fullmodel" / "K1_none_d3_provenance.json").exists()
    io.write_json({"figure": "zunkovic2022/fig5", "scale": "cpu"}, res / "zunkovic2022" / "fig5_provenance.json")
    with pytest.raises(SystemExit, match="zunkovic2022/fig5"):
        publish.publish(res, tmp_path / "published2", partial=True)

"""The written verdict policy (grokrepro.records.policy_verdict): named checks, one of them the paper's central
statement; paper_erratum only with a derivation, an independent check and a tested implementation."""

import numpy as np
import pandas as pd
import pytest

from grokrepro import records
from grokrepro.records import Check, Erratum, central, judge, policy_verdict


def _checks(central_ok: bool, *secondary: bool):
    return [central("the paper's statement", central_ok), *(Check(f"side {i}", ok) for i, ok in enumerate(secondary))]


@pytest.mark.parametrize("central_ok, secondary, verdict", [
    (True, (), "reproduced"),
    (True, (True, True), "reproduced"),
    (True, (True, False), "partial"),
    (False, (True, True), "not_reproduced"),
    (False, (), "not_reproduced"),
    (False, (False,), "not_reproduced"),
])
def test_policy_follows_the_central_statement(central_ok, secondary, verdict):
    assert policy_verdict(_checks(central_ok, *secondary)) == verdict


def test_policy_needs_exactly_one_central_check():
    assert policy_verdict([]) == "not_run"
    with pytest.raises(ValueError, match="exactly one"):
        policy_verdict([Check("a", True), Check("b", True)])
    with pytest.raises(ValueError, match="exactly one"):
        policy_verdict([central("a", True), central("b", True)])


def _erratum(independent_ok=True, derivation="Z-D3", test="tests/unit/test_x.py::test_y"):
    return Erratum(derivation, Check("MC agrees with the corrected form", independent_ok), test)


def test_paper_erratum_needs_derivation_independent_check_and_test():
    failing = _checks(False, True)
    assert policy_verdict(failing, _erratum()) == "paper_erratum"
    assert policy_verdict(failing, _erratum(independent_ok=False)) == "not_reproduced"
    assert policy_verdict(failing, _erratum(derivation="")) == "not_reproduced"
    assert policy_verdict(failing, _erratum(test="")) == "not_reproduced"
    # a secondary check failing as well: the corrected form does not carry the claim either
    assert policy_verdict(_checks(False, False), _erratum()) == "not_reproduced"
    # the printed form holds: no erratum, whatever is attached
    assert policy_verdict(_checks(True, True), _erratum()) == "reproduced"


def test_records_take_their_verdict_from_the_policy():
    rec = judge("L-03", "m", "t", _checks(True, False), "paper", "x.pdf")
    assert rec.verdict == "partial"
    row = rec.row()
    assert (row["checks_passed"], row["checks_total"], row["failed_checks"], row["evidence"]) == (1, 2, "side 0",
                                                                                                  "our runs")
    assert judge("L-03", "m", "t", _checks(False, True), "paper", "x").row()["failed_checks"] == \
        "central: the paper's statement"
    with pytest.raises(ValueError, match="does not follow"):
        records.ClaimRecord("L-03", "m", "t", "reproduced", "paper", "x", checks=tuple(_checks(False)))
    with pytest.raises(ValueError, match="evidence"):
        judge("L-03", "m", "t", _checks(True), "paper", "x", evidence="hearsay")
    with pytest.raises(ValueError, match="at least one check"):
        judge("L-03", "m", "t", [], "paper", "x")
    erratum = judge("Z-02", "m", "t", _checks(False, True), "paper", "x", erratum=_erratum())
    assert erratum.verdict == "paper_erratum" and "derivation: Z-D3" in erratum.row()["note"]


def test_missing_inputs_are_not_run():
    rec = records.missing("L-03", "no crossing row", "quick")
    assert rec.verdict == "not_run" and rec.row()["checks_total"] == 0


NUMBERS = pd.DataFrame(dict(quantity=["a", "a", "a", "b", "b", "c"], method=["m", "n", "m", "m", "m", "m"],
                            value=[1.0, 2.0, 1.0, 3.0, 4.0, 5.0], N=[2, 2, 2, 2.0, 5.0, np.nan],
                            lambda2=[0.1, 0.1, 0.1, np.inf, np.inf, 0.3]))


def test_value_reads_one_quantity():
    assert records.value(NUMBERS, "a", "m") == 1.0  # two identical rows (one figure file read twice) are one value
    assert records.value(NUMBERS, "b", N=5) == 4.0
    assert records.value(NUMBERS, "b", lambda2=np.inf, N=2) == 3.0
    assert records.value(NUMBERS, "c", N=None) == 5.0
    assert records.value(NUMBERS, "c", lambda2=0.1 + 0.2) == 5.0  # 0.30000000000000004 matches 0.3
    assert np.isnan(records.value(NUMBERS, "nothing"))
    assert records.value(NUMBERS, "nothing", default=-1.0) == -1.0
    with pytest.raises(ValueError, match="different values"):
        records.value(NUMBERS, "a")
    with pytest.raises(KeyError, match="no column"):
        records.value(NUMBERS, "a", seed=0)
    assert len(records.select(NUMBERS, "b")) == 2

"""Pass/fail pairs for the Sec. 4 teacher and tensor-network map claims Z-26 … Z-28: numbers built in-test by the
fig8 builder at quick config (well under a second), doctored so that every check passes must give ``reproduced``,
doctored so that the paper's central statement breaks, ``not_reproduced``."""

import functools
from pathlib import Path

import numpy as np
import pytest
import yaml

from grokrepro import records, registry
from grokrepro.config import for_scale
from grokrepro.zunkovic2022 import tn_figures

from pairs import assert_pair, edit, judge as _judge, same, setv

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ("Z-26", "Z-27", "Z-28")


@functools.lru_cache(maxsize=1)
def _quick_numbers():
    cfg = for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["zunkovic2022"]["fig8"], "quick")
    return tn_figures.fig8(cfg, int(cfg["seed"]))[1]


def judge(claim_id, numbers):
    return _judge(claim_id, numbers, "quick")


def quick_numbers():
    return _quick_numbers().copy()


PAIRS = {
    # the table no longer equals the XOR form at one neighbourhood
    "Z-26": (same, edit("truth_table_mismatches_xor", 1, "simulation")),
    # the d = 3 map returns a vector of the wrong dimension
    "Z-27": (same, edit("feature_dim", 17, "simulation", d=3, M=6)),
    # a ninth distinct feature appears at M = 8
    "Z-28": (same, edit("distinct_features", 9, "simulation", d=4, M=8)),
}


def test_pairs_cover_the_tn_claims():
    assert set(PAIRS) == set(CLAIMS)
    assert {c.claim_id for c in registry.implemented() if c.evaluator.__module__.endswith("claims_tn")} == set(CLAIMS)


@pytest.mark.parametrize("claim_id", sorted(PAIRS))
def test_pass_and_fail(claim_id):
    assert_pair(claim_id, PAIRS[claim_id], quick_numbers(), "quick")
    assert judge(claim_id, PAIRS[claim_id][0](quick_numbers())).evidence == "derivation"


@pytest.mark.parametrize("claim_id, quantity, value, where", [
    ("Z-26", "bulk_locality_mismatches", 3, dict(K=2)),
    ("Z-27", "perceptron_identity_max_abs_diff", 1e-3, dict(d=5, M=10)),
    ("Z-28", "ls_test_errors", 5, dict(d=4, M=3)),
])
def test_secondary_failures_are_partial(claim_id, quantity, value, where):
    rec = judge(claim_id, setv(quick_numbers(), quantity, value, "simulation", **where))
    assert rec.verdict == "partial" and len(rec.failed) == 1 and not rec.failed[0].central


def test_separability_margin_zero_fails_the_central_check():
    rec = judge("Z-28", setv(quick_numbers(), "margin", 0.0, "simulation", d=4, M=6))
    assert rec.verdict == "not_reproduced"


def test_missing_rows_are_not_run():
    empty = quick_numbers().iloc[:0]
    for cid in CLAIMS:
        assert judge(cid, empty).verdict == "not_run"
    assert np.isfinite(records.value(quick_numbers(), "margin", "theory", d=4))

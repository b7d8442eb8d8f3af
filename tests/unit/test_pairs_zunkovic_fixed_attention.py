"""Pass/fail pairs for the fixed-attention claims Z-29 and Z-30: numbers built in-test by the fig9 builder and a
reduced fig10 builder (a few seconds), doctored so that every check passes must give ``reproduced``, doctored so that
the paper's central statement breaks, ``not_reproduced``.

Z-29's own quick numbers are the failing case: the measured jump is 1/8, not the paper's 1/4 (the record's verdict
at both scales)."""

import functools
from pathlib import Path

import numpy as np
import pytest
import yaml

from grokrepro import records, registry
from grokrepro.config import for_scale
from grokrepro.zunkovic2022 import fa_figures

from pairs import assert_pair, judge as _judge, same, setv

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ("Z-29", "Z-30")


def _cfg(fig):
    return for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["zunkovic2022"][fig], "quick")


@functools.lru_cache(maxsize=2)
def _quick_numbers(fig):
    cfg = _cfg(fig)
    if fig == "fig10":                     # fewer tensors and test sequences: the pairs doctor the orderings anyway
        cfg = dict(cfg, tensors=400, test_sequences=4)
    return getattr(fa_figures, fig)(cfg, int(cfg["seed"]))[1]


def numbers_of(claim_id):
    return _quick_numbers({"Z-29": "fig9", "Z-30": "fig10"}[claim_id]).copy()


def judge(claim_id, numbers):
    return _judge(claim_id, numbers, "quick")


def jump_of_a_quarter(df):
    """The paper's Fig. 9: the aligned error sits at 1/4 right up to t_ε."""
    df = setv(df, "aligned_error_jump", 0.25, "simulation")
    return setv(df, "aligned_test_error", 0.25, "simulation")


def l1_rises_first(df):
    """A small L1 strength raises P_G over λ = 0 (paired, beyond 2 SE), and L1 ≥ L2 holds everywhere."""
    df = setv(df, "pgrok_minus_unregularised", 0.01, "simulation", se=0.002, lambda1=1e-4, lambda2=0.0)
    p0 = records.value(df, "pgrok_attention", "simulation", lambda1=0.0, lambda2=0.0)
    df = setv(df, "pgrok_attention", p0 + 0.01, "simulation", lambda1=1e-4, lambda2=0.0)
    for lam in records.select(df, "pgrok_l1_minus_l2", "simulation").lambda1:
        df = setv(df, "pgrok_l1_minus_l2", 0.005, "simulation", se=0.002, lambda1=lam)
    return df


def l2_beats_l1(df):
    """At λ = 1e-3 the paired L1 − L2 difference is −0.02 ± 0.003: L2 gives the larger P_G."""
    return setv(l1_rises_first(df), "pgrok_l1_minus_l2", -0.02, "simulation", se=0.003, lambda1=1e-3)


PAIRS = {
    # pass: the aligned error at 1/4 up to t_ε; fail: the measured numbers themselves (jump 1/8)
    "Z-29": (jump_of_a_quarter, same),
    # pass: L1 ≥ L2, L2 monotone, L1 rises then falls; fail: L2 beats L1 at one strength
    "Z-30": (l1_rises_first, l2_beats_l1),
}


def test_pairs_cover_the_fixed_attention_claims():
    assert set(PAIRS) == set(CLAIMS)
    assert {c.claim_id for c in registry.implemented()
            if c.evaluator.__module__.endswith("claims_fixed_attention")} == set(CLAIMS)


@pytest.mark.parametrize("claim_id", sorted(PAIRS))
def test_pass_and_fail(claim_id):
    assert_pair(claim_id, PAIRS[claim_id], numbers_of(claim_id), "quick")


def test_z29_measured_jump_is_one_neighbourhood():
    """The builder's numbers: the jump is 1/8 within the sampled neighbourhood weights, first order, exact flow."""
    df = numbers_of("Z-29")
    jumps = records.select(df, "aligned_error_jump", "simulation").value
    assert np.all(np.abs(jumps - 0.125) < 0.01)
    rec = judge("Z-29", df)
    assert [c.name for c in rec.failed] == ["averaged test error jumps by 1/4 at t_ε"]


@pytest.mark.parametrize("claim_id, edit", [
    # a continuous approach: the aligned error at τ = 1e-3 is half its value at 1e-8
    ("Z-29", lambda df: setv(jump_of_a_quarter(df), "aligned_test_error", 0.12, "simulation", tau=1e-3)),
    # L2 rises beyond 2 SE between 1e-3 and 1e-2
    ("Z-30", lambda df: setv(l1_rises_first(df), "pgrok_attention", 0.2, "simulation", se=0.005, lambda1=0.0,
                             lambda2=1e-2)),
    # no L1 rise
    ("Z-30", lambda df: setv(l1_rises_first(df), "pgrok_minus_unregularised", -0.001, "simulation", se=0.002,
                             lambda1=1e-4, lambda2=0.0)),
    # the sampler's rejected fraction far from 1 − 1/√2
    ("Z-30", lambda df: setv(l1_rises_first(df), "rejected_fraction", 0.5, "simulation")),
])
def test_secondary_failures_are_partial(claim_id, edit):
    rec = judge(claim_id, edit(numbers_of(claim_id)))
    assert rec.verdict == "partial" and len(rec.failed) == 1 and not rec.failed[0].central, rec.checks


def test_missing_rows_are_not_run():
    for cid in CLAIMS:
        assert judge(cid, numbers_of(cid).iloc[:0]).verdict == "not_run"

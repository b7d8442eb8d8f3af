"""Helpers of the pass/fail test pairs (tests/unit/test_pairs_*.py): every implemented claim's evaluator is fed numbers
that must pass and numbers that must fail. Each pairs file defines ``PAIRS = {claim_id: (make_pass, make_fail)}``,
functions from a numbers table to a doctored copy; tests/unit/test_registry.py checks that no claim lacks a pair."""

from pathlib import Path

import pandas as pd

from grokrepro import records, registry

PUBLISHED = Path(__file__).resolve().parents[1] / "results" / "published"


def published(claim_id: str) -> pd.DataFrame:
    """The committed paper-scale numbers the claim reads (stacked in the registry's order)."""
    c = registry.get(claim_id)
    return pd.concat([pd.read_csv(PUBLISHED / p.removeprefix("results/")) for p in c.numbers], ignore_index=True)


def judge(claim_id: str, numbers, scale: str = "paper", **kw):
    """The claim's record from ``numbers`` by its registry evaluator."""
    c = registry.get(claim_id)
    return c.evaluator(numbers, scale, c.artifact, "", **kw)


def setv(df: pd.DataFrame, quantity: str, value, method=None, se=None, **where) -> pd.DataFrame:
    """A copy of ``df`` with ``value`` (and ``se``, when given) in every row of ``quantity`` at ``where`` (at least
    one row)."""
    rows = records.select(df, quantity, method, **where).index
    assert len(rows), (quantity, method, where)
    df = df.copy()
    df.loc[rows, "value"] = value
    if se is not None:
        df.loc[rows, "se"] = se
    return df


def same(df: pd.DataFrame) -> pd.DataFrame:
    return df


def edit(quantity: str, value, method=None, **where):
    """A doctoring that sets one quantity (see :func:`setv`)."""
    return lambda df: setv(df, quantity, value, method, **where)


def assert_pair(claim_id: str, pair, base: pd.DataFrame, scale: str = "paper", **kw) -> None:
    """``make_pass(base)`` is reproduced; ``make_fail(base)`` is not_reproduced (its central check fails)."""
    make_pass, make_fail = pair
    good = judge(claim_id, make_pass(base.copy()), scale, **kw)
    assert good.verdict == "reproduced", (claim_id, good.measured_value, [c.name for c in good.failed])
    bad = judge(claim_id, make_fail(base.copy()), scale, **kw)
    assert bad.verdict == "not_reproduced", (claim_id, bad.measured_value, [c.name for c in bad.failed])
    assert any(c.central for c in bad.failed), claim_id

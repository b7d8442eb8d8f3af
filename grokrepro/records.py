"""Claim records, the leaf of the claim layer: the verdict policy, named checks, :class:`ClaimRecord`, the
claim-ID table (text) and the one helper that reads a quantity from a numbers table.

Nothing here imports another ``grokrepro`` module, so every evaluator (``grokrepro.<paper>.claims*``) can import it
and :mod:`grokrepro.registry` (which imports the evaluators) sits above them all.

The verdict policy (README, "How a verdict is reached"; :func:`policy_verdict`):

- an evaluator returns **named checks** (what, measured, tolerance, pass/fail); exactly one is marked as the
  paper's **central statement**;
- ``reproduced``: every check holds;
- ``partial``: the central statement holds and a secondary check fails (for claims judged over seeds: it holds for
  the paper's seed and not for most seeds);
- ``not_reproduced``: the central statement fails;
- ``paper_erratum``: only where a derivation shows the paper's printed formula or number wrong, an independent check
  agrees with the corrected form, and our implementation passes a test against an independent method (an
  :class:`Erratum` names all three); a disagreement between two of *our* implementations is ``not_reproduced``;
- ``not_run``: no evaluator yet, or its inputs are missing (no checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

VERDICTS = ("reproduced", "partial", "not_reproduced", "paper_erratum", "not_run")
EVIDENCE = ("our runs", "authors' data", "derivation")
COLUMNS = ["claim_id", "paper", "figure", "statement", "paper_value", "measured_value", "tolerance", "verdict",
           "checks_passed", "checks_total", "failed_checks", "evidence", "scale", "artifact", "note"]


def registry() -> pd.DataFrame:
    """The text of every claim of both papers: claim_id, paper, figure, statement, paper_value, issue."""
    with resources.files("grokrepro.data").joinpath("claims_registry.csv").open() as f:
        return pd.read_csv(f, dtype={"issue": int}, keep_default_na=False)


def claim_ids() -> list[str]:
    return registry().claim_id.tolist()


# ------------------------------------------------------------------------------------------------ the policy


@dataclass(frozen=True)
class Check:
    """One named check of a claim: ``passed`` is whether ``measured`` is within ``tolerance``."""

    name: str
    passed: bool
    measured: str = ""
    tolerance: str = ""
    central: bool = False

    def __post_init__(self):
        if not self.name:
            raise ValueError("a check needs a name")
        object.__setattr__(self, "passed", bool(self.passed))


def central(name: str, passed: bool, measured: str = "", tolerance: str = "") -> Check:
    """The check of the paper's central statement."""
    return Check(name, passed, measured, tolerance, central=True)


@dataclass(frozen=True)
class Erratum:
    """What a ``paper_erratum`` verdict needs: the written derivation, an independent check that agrees with the
    corrected form, and the test (pytest node ID) of our implementation against an independent method."""

    derivation: str
    independent_check: Check
    implementation_test: str

    def established(self) -> bool:
        return bool(self.derivation and self.implementation_test and self.independent_check.passed)


def policy_verdict(checks, erratum: Erratum | None = None) -> str:
    """The verdict that named checks give under the written policy (module docstring)."""
    checks = tuple(checks)
    if not checks:
        return "not_run"
    centrals = [c for c in checks if c.central]
    if len(centrals) != 1:
        raise ValueError(f"exactly one check must be the central statement; got {len(centrals)}: "
                         f"{[c.name for c in centrals]}")
    secondary_ok = all(c.passed for c in checks if not c.central)
    if not centrals[0].passed:
        return "paper_erratum" if erratum is not None and erratum.established() and secondary_ok else \
            "not_reproduced"
    return "reproduced" if secondary_ok else "partial"


# ------------------------------------------------------------------------------------------------ the record


@dataclass(frozen=True)
class ClaimRecord:
    """One claim's row of the scorecard. Build it with :func:`judge` (verdict by the policy) or :func:`missing`."""

    claim_id: str
    measured_value: str
    tolerance: str
    verdict: str
    scale: str
    artifact: str
    note: str = ""
    checks: tuple = ()
    evidence: str = "our runs"
    erratum: Erratum | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}; got {self.verdict!r}")
        object.__setattr__(self, "checks", tuple(self.checks))
        if self.evidence not in EVIDENCE:
            raise ValueError(f"evidence must be one of {', '.join(EVIDENCE)}; got {self.evidence!r}")
        expected = policy_verdict(self.checks, self.erratum)
        if self.verdict != expected:
            raise ValueError(f"{self.claim_id}: verdict {self.verdict!r} does not follow from its checks "
                             f"(the policy gives {expected!r}); build records with records.judge")

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def row(self) -> dict:
        reg = registry().set_index("claim_id")
        if self.claim_id not in reg.index:
            raise KeyError(f"unknown claim ID {self.claim_id!r}; see grokrepro/data/claims_registry.csv")
        r = reg.loc[self.claim_id]
        failed = "; ".join(("central: " if c.central else "") + c.name for c in self.failed)
        note = self.note
        if self.verdict == "paper_erratum" and self.erratum is not None:
            e = self.erratum
            note = "; ".join(x for x in (note, f"derivation: {e.derivation}; independent check: "
                                         f"{e.independent_check.name} ({e.independent_check.measured}); "
                                         f"implementation tested by {e.implementation_test}") if x)
        d = dict(claim_id=self.claim_id, measured_value=self.measured_value, tolerance=self.tolerance,
                 verdict=self.verdict, checks_passed=sum(c.passed for c in self.checks),
                 checks_total=len(self.checks), failed_checks=failed,
                 evidence=self.evidence if self.checks else "", scale=self.scale, artifact=self.artifact, note=note,
                 paper=r.paper, figure=r.figure, statement=r.statement, paper_value=r.paper_value)
        return {c: d[c] for c in COLUMNS}


def judge(claim_id: str, measured: str, tolerance: str, checks, scale: str, artifact: str, note: str = "", *,
          evidence: str = "our runs", erratum: Erratum | None = None) -> ClaimRecord:
    """A record whose verdict is the policy's verdict of ``checks``."""
    checks = tuple(checks)
    if not checks:
        raise ValueError(f"{claim_id}: a judged record needs at least one check")
    return ClaimRecord(claim_id, measured, tolerance, policy_verdict(checks, erratum), scale, artifact, note,
                       checks, evidence, erratum)


def missing(claim_id: str, what: str, scale: str, artifact: str = "", note: str = "") -> ClaimRecord:
    """``not_run``: the inputs the evaluator needs are not in its numbers (``what`` says which)."""
    return ClaimRecord(claim_id, what, "", "not_run", scale, artifact, note)


def not_run(claim_id: str, scale: str) -> ClaimRecord:
    """``not_run`` for a claim whose issue has not landed."""
    reg = registry().set_index("claim_id")
    if claim_id not in reg.index:
        raise KeyError(f"unknown claim ID {claim_id!r}; see grokrepro/data/claims_registry.csv")
    return ClaimRecord(claim_id, "", "", "not_run", scale, "",
                       f"not implemented yet (issue #{reg.loc[claim_id, 'issue']})")


# ------------------------------------------------------------------------------------------------ numbers lookup


def select(numbers: pd.DataFrame, quantity: str, method: str | None = None, **where) -> pd.DataFrame:
    """Rows of ``quantity`` (and ``method``, when given) whose columns equal ``where``.

    Matching: ``None`` or NaN matches NaN; a number matches within a relative 1e-9 (so 0.1 from a CSV matches 0.1,
    and inf matches inf); anything else (strings, booleans) matches by equality.
    """
    m = numbers.quantity == quantity
    if method is not None:
        m &= numbers.method == method
    for k, v in where.items():
        if k not in numbers.columns:
            raise KeyError(f"numbers have no column {k!r}; columns: {list(numbers.columns)}")
        col = numbers[k]
        if v is None or (isinstance(v, float) and np.isnan(v)):
            m &= col.isna()
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            c = pd.to_numeric(col, errors="coerce").astype(float)
            m &= np.isclose(c, float(v), rtol=1e-9, atol=0) | ((c == float(v)) & np.isinf(c))
        else:
            m &= col == v
    return numbers[m]


def value(numbers: pd.DataFrame, quantity: str, method: str | None = None, *, default: float = np.nan,
          **where) -> float:
    """The value of ``quantity`` at ``where`` (see :func:`select`): ``default`` (NaN) when there is no such row, so a
    check on it fails rather than the job; ValueError when several rows hold different values."""
    sel = select(numbers, quantity, method, **where)
    if sel.empty:
        return default
    vals = sel.value.astype(float).to_numpy()
    if len(vals) > 1 and not np.all((vals == vals[0]) | (np.isnan(vals) & np.isnan(vals[0]))):
        raise ValueError(f"{len(vals)} different values of {quantity!r} (method {method}) at {where}: "
                         f"{vals.tolist()[:5]}; narrow the selection")
    return float(vals[0])

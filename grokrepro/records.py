"""Claim records, the leaf of the claim layer: the registry of claim IDs, the verdict vocabulary and
:class:`ClaimRecord`. Evaluators (``grokrepro.<paper>.claims*``) import from here, and :mod:`grokrepro.claims` (the
scorecard, which calls the evaluators) re-exports it, so no evaluator imports back up the module that calls it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from importlib import resources

import pandas as pd

VERDICTS = ("reproduced", "partial", "not_reproduced", "paper_erratum", "not_run")
COLUMNS = ["claim_id", "paper", "figure", "statement", "paper_value", "measured_value", "tolerance", "verdict",
           "scale", "artifact", "note"]


def registry() -> pd.DataFrame:
    """All claim IDs of both papers: claim_id, paper, figure, statement, paper_value, issue."""
    with resources.files("grokrepro.data").joinpath("claims_registry.csv").open() as f:
        return pd.read_csv(f, dtype={"issue": int}, keep_default_na=False)


def claim_ids() -> list[str]:
    return registry().claim_id.tolist()


@dataclass(frozen=True)
class ClaimRecord:
    claim_id: str
    measured_value: str
    tolerance: str
    verdict: str
    scale: str
    artifact: str
    note: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}; got {self.verdict!r}")

    def row(self) -> dict:
        reg = registry().set_index("claim_id")
        if self.claim_id not in reg.index:
            raise KeyError(f"unknown claim ID {self.claim_id!r}; see grokrepro/data/claims_registry.csv")
        r = reg.loc[self.claim_id]
        d = asdict(self)
        d.update(paper=r.paper, figure=r.figure, statement=r.statement, paper_value=r.paper_value)
        return {c: d[c] for c in COLUMNS}


def not_run(claim_id: str, scale: str) -> ClaimRecord:
    reg = registry().set_index("claim_id")
    if claim_id not in reg.index:
        raise KeyError(f"unknown claim ID {claim_id!r}; see grokrepro/data/claims_registry.csv")
    return ClaimRecord(claim_id, "", "", "not_run", scale, "",
                       f"not implemented yet (issue #{reg.loc[claim_id, 'issue']})")

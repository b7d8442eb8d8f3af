"""The claim scorecard: one record per claim ID of the two papers, gathered into ``claims.csv`` and ``CLAIMS.md``.

The registry (``grokrepro/data/claims_registry.csv``) holds every claim ID with the paper's statement and value;
the decisions and tolerances behind them are in docs/decisions.md. A claim's evaluator (``grokrepro.<paper>.claims``)
turns a figure's numbers into a :class:`ClaimRecord`; a claim whose issue has not landed is recorded as ``not_run``.
"""

from __future__ import annotations

import pandas as pd

from grokrepro.records import COLUMNS, VERDICTS, ClaimRecord, claim_ids, not_run, registry

__all__ = ["COLUMNS", "VERDICTS", "ClaimRecord", "claim_ids", "not_run", "registry", "gather", "scorecard_markdown",
           "evaluate", "implemented"]


def implemented(claim_id: str) -> bool:
    """Whether the claim has an evaluator (else it is ``not_run`` until its issue lands)."""
    from grokrepro import registry as wiring

    return wiring.get(claim_id).evaluator is not None


def gather(records: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per registry claim, in registry order; raises if a claim is missing or duplicated."""
    df = pd.concat(records, ignore_index=True) if records else pd.DataFrame(columns=COLUMNS)
    dup = df.claim_id[df.claim_id.duplicated()].tolist()
    if dup:
        raise ValueError(f"duplicate claim records: {dup}")
    ids = claim_ids()
    missing = sorted(set(ids) - set(df.claim_id))
    if missing:
        raise ValueError(f"claims without a record: {missing}")
    return df.set_index("claim_id").loc[ids].reset_index()[COLUMNS]


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def scorecard_markdown(df: pd.DataFrame, sections: list[str] = ()) -> str:
    """A readable scorecard: verdict counts, one table per paper, then any extra ``sections`` (markdown)."""
    lines = ["# Claim scorecard", ""]
    scales = sorted(set(df.scale[df.verdict != "not_run"])) or ["-"]
    lines.append(f"Scale of the run: {', '.join(scales)}. Generated from `results/claims.csv`.")
    lines.append("")
    counts = df.verdict.value_counts()
    lines.append("| verdict | claims |")
    lines.append("|---|---|")
    for v in VERDICTS:
        lines.append(f"| {v} | {int(counts.get(v, 0))} |")
    lines += ["", "Verdicts follow the written policy (README, \"How a verdict is reached\"): each claim has named checks, one "
              "of them the paper's central statement; `checks` counts those that hold, and a verdict other than "
              "`reproduced` names the checks that failed."]
    for paper, title in (("liu2022", "Liu et al. (2022), Towards Understanding Grokking"),
                         ("zunkovic2022", "Žunkovič & Ilievski (2022), Grokking phase transitions")):
        sub = df[df.paper == paper]
        lines += ["", f"## {title}", "",
                  "| claim | figure | the paper says | we measured | tolerance | verdict | checks | evidence | artifact "
                  "| note |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in sub.itertuples():
            verdict = f"**{r.verdict}**"
            if r.verdict != "reproduced" and str(r.failed_checks):
                verdict += f" (failed: {r.failed_checks})"
            checks = f"{r.checks_passed}/{r.checks_total}" if str(r.checks_total) not in ("", "0") else "-"
            lines.append("| " + " | ".join(_cell(x) for x in (r.claim_id, r.figure, r.paper_value, r.measured_value,
                                                                 r.tolerance, verdict, checks, r.evidence or "-",
                                                                 r.artifact, r.note)) + " |")
    for sec in sections:
        lines += ["", sec.rstrip("\n")]
    return "\n".join(lines) + "\n"


def _config_value(cfg: dict, path: str, claim_id: str):
    node = cfg
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"config has no {path!r} (needed by {claim_id}; see grokrepro/registry.py)")
        node = node[part]
    return node


def scale_of(claim_id: str, cfg: dict, scale: str) -> str:
    """The scale a claim's record names: the run's ``scale``, or for a claim with a fidelity of its own (the full
    model, :attr:`grokrepro.registry.Claim.fidelity`) the fidelity the config selects (quick, cpu or paper)."""
    from grokrepro import registry

    path = registry.get(claim_id).fidelity
    return str(_config_value(cfg, path, claim_id)) if path else scale


def options(claim_id: str, cfg: dict) -> dict:
    """The evaluator's keyword arguments that the registry reads from the (scale-resolved) config."""
    from grokrepro import registry

    return {key: _config_value(cfg, path, claim_id) for key, path in registry.get(claim_id).options.items()}


def evaluate(claim_id: str, scale: str, *, numbers: list[str] | str = (), reference_dir: str | None = None,
             cfg: dict | None = None, opts: dict | None = None):
    """The record of one claim (:mod:`grokrepro.registry` names its evaluator), or ``not_run`` where none exists yet.

    ``numbers``: the numbers CSVs it reads (stacked); ``reference_dir``: where the authors' files are (L-02);
    ``opts``: the evaluator's options (e.g. the primary λ3 normalisation of L-12), else read from ``cfg``, the
    scale-resolved config (:func:`options`).
    """
    from grokrepro import registry

    entry = registry.get(claim_id)
    if entry.evaluator is None:
        return not_run(claim_id, scale)
    paths = [numbers] if isinstance(numbers, str) else list(numbers)
    table = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True) if paths else None
    kwargs = dict(opts) if opts is not None else options(claim_id, cfg or {})
    if entry.reference:
        kwargs["reference_dir"] = reference_dir
    note = entry.quick if scale == "quick" else (entry.cpu if scale == "cpu" else "")
    return entry.evaluator(table, scale, entry.artifact, note, **kwargs)

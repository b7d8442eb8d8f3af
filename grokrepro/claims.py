"""The claim scorecard: one record per claim ID of the two papers, gathered into ``claims.csv`` and ``CLAIMS.md``.

The registry (``grokrepro/data/claims_registry.csv``) holds every claim ID with the paper's statement and value;
the decisions and tolerances behind them are in docs/decisions.md. A claim's evaluator (``grokrepro.<paper>.claims``)
turns a figure's numbers into a :class:`ClaimRecord`; a claim whose issue has not landed is recorded as ``not_run``.
"""

from __future__ import annotations

import functools

import pandas as pd

from grokrepro.records import COLUMNS, VERDICTS, ClaimRecord, claim_ids, not_run, registry

__all__ = ["COLUMNS", "VERDICTS", "ClaimRecord", "claim_ids", "not_run", "registry", "gather", "scorecard_markdown",
           "evaluate", "implemented"]


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
    for paper, title in (("liu2022", "Liu et al. (2022), Towards Understanding Grokking"),
                         ("zunkovic2022", "Žunkovič & Ilievski (2022), Grokking phase transitions")):
        sub = df[df.paper == paper]
        lines += ["", f"## {title}", "",
                  "| claim | figure | the paper says | we measured | tolerance | verdict | artifact | note |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in sub.itertuples():
            lines.append("| " + " | ".join(_cell(x) for x in (r.claim_id, r.figure, r.paper_value, r.measured_value,
                                                                 r.tolerance, f"**{r.verdict}**", r.artifact,
                                                                 r.note)) + " |")
    for sec in sections:
        lines += ["", sec.rstrip("\n")]
    return "\n".join(lines) + "\n"


PHASE_CLAIMS = tuple(f"L-{i}" for i in range(14, 24)) + ("L-36", "L-37", "L-38")


def _liu_evaluators() -> dict:
    """Liu et al. claim ID -> evaluator ``f(numbers, scale, artifact, note, **options)`` (L-01 and L-02 aside)."""
    from grokrepro.liu2022 import claims as liu
    from grokrepro.liu2022 import claims_micro as micro
    from grokrepro.liu2022 import claims_phase as phase

    evaluators = {"L-05": liu.l05_default_run, "L-06": liu.l06_losses, "L-22": phase.l22_corners,
                  "L-23": phase.l23_gaps, "L-36": phase.l36_batch, "L-37": phase.l37_init, "L-38": phase.l38_repr_wd,
                  "L-03": micro.l03_fig4a, "L-04": micro.l04_fig4b,
                  "L-07": micro.l07_fig4c, "L-08": micro.l08_default_split, "L-09": micro.l09_fig3,
                  "L-10": micro.l10_fig3c, "L-11": micro.l11_lambda3, "L-12": micro.l12_predicted_steps,
                  "L-13": micro.l13_conservation, "L-33": micro.l33_ideal, "L-34": micro.l34_curriculum,
                  "L-35": micro.l35_hierarchy, "L-39": micro.l39_hexagon, "L-40": micro.l40_s3_fraction,
                  "L-42": micro.l42_fig2}
    for ids, f in ((("L-14", "L-16", "L-18", "L-20"), phase.map_claim),
                   (("L-15", "L-17", "L-19", "L-21"), phase.anchor_claim)):
        evaluators.update({c: functools.partial(f, c) for c in ids})
    return evaluators


def implemented(claim_id: str) -> bool:
    """Whether the claim has an evaluator (else it is ``not_run`` until its issue lands)."""
    from grokrepro.zunkovic2022 import figures

    return claim_id in ("L-01", "L-02") or claim_id in _liu_evaluators() or claim_id in figures.claims()


def evaluate(claim_id: str, inputs: dict, scale: str, *, phase_cfg: dict | None = None,
             options: dict | None = None):
    """The record of one claim: its evaluator's verdict, or ``not_run`` where none exists yet.

    ``inputs``: the rule's named inputs (``numbers``: one or more figures' numbers CSVs, read and stacked;
    ``reference``: the authors' files). ``options``: per-claim keyword arguments (e.g. the primary λ3
    normalisation of L-12).
    """
    from pathlib import Path

    from grokrepro.liu2022 import claims as liu
    from grokrepro.liu2022 import claims_micro as micro

    phase_cfg, options = phase_cfg or {}, options or {}
    if claim_id.startswith("Z-"):
        return _evaluate_zunkovic(claim_id, inputs, scale)
    if claim_id == "L-02":
        reference_dir = str(Path(list(inputs["reference"])[0]).parent)
        return liu.l02_table1(reference_dir, scale, gap=phase_cfg.get("gap", 1000))
    if claim_id == "L-01":
        from grokrepro.liu2022.micro import setup_counts

        return micro.l01_setup(setup_counts(), scale, "grokrepro/liu2022/micro.py (counted from the task code)")
    evaluators = _liu_evaluators()
    if claim_id not in evaluators:
        return not_run(claim_id, scale)
    paths = inputs["numbers"]
    paths = [paths] if isinstance(paths, str) else list(paths)
    numbers = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    artifact = paths[0].replace("_robustness_numbers.csv", "_numbers.csv").replace("_numbers.csv", ".pdf")
    notes = []
    if scale == "quick" and claim_id in PHASE_CLAIMS:
        notes.append("quick scale: sub-grid and 10^4-step budget (late grokking reads as M), not comparable to the "
                     "paper")
    elif scale == "quick" and claim_id in micro.QUICK_REDUCED:
        notes.append(f"quick scale: {micro.QUICK_REDUCED[claim_id]}")
    return evaluators[claim_id](numbers, scale, artifact, "; ".join(notes), **options.get(claim_id, {}))


def _evaluate_zunkovic(claim_id: str, inputs: dict, scale: str):
    """A Žunkovič claim from its figure's numbers (``grokrepro.zunkovic2022.figures``), or ``not_run``."""
    from grokrepro.zunkovic2022 import figures

    evaluators = figures.claims()
    if claim_id not in evaluators:
        return not_run(claim_id, scale)
    path = inputs["numbers"]
    numbers = pd.read_csv(path)
    note = "quick scale: fewer Monte Carlo draws and runs (tolerances scale with their standard errors)" \
        if scale == "quick" else ""
    return evaluators[claim_id](numbers, scale, path.replace("_numbers.csv", ".pdf"), note)

"""Refresh ``results/published/`` from a paper-scale run: ``python -m grokrepro.publish results dest [--partial]``.

Copies the scorecard, every figure's pdf/png/csv/numbers, the run tables (``runs/``) and the provenance, mirroring
the layout. Refuses a quick-scale run, so the snapshot always holds paper-scale numbers. A complete run is required
unless ``--partial``: then the scorecard is gathered from the claim records the run produced (``results/claims/``),
every other claim is recorded ``not_run`` with the reason, and the provenance is collected from the per-figure
records that exist. This is how a snapshot is refreshed while some paper-scale runs are still pending.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import pandas as pd

from grokrepro import claims as claims_mod
from grokrepro import io, report
from grokrepro.liu2022.fig6 import robustness_markdown

PATTERNS = ("*.pdf", "*.png", "*.csv", "*.md", "*_provenance.json", "runs/*.csv", "runs/*_provenance.json",
            "fullmodel/*_provenance.json")
# the Žunkovič full model and Liu's MNIST and transformer figures may be published at their in-between `cpu` fidelity
# (their records say so); nothing else. Exact figure names, and the full model's run folder as a prefix.
CPU_FIDELITY_FIGURES = frozenset({
    "liu2022/fig8a", "liu2022/fig8b", "liu2022/fig19", "liu2022/fig20",
    "liu2022/fig7_left", "liu2022/fig7_centre", "liu2022/fig7_right", "liu2022/tx_run", "liu2022/fig1",
    "liu2022/fig21", "liu2022/fig22",
    "zunkovic2022/fig14", "zunkovic2022/fig15", "zunkovic2022/fig16", "zunkovic2022/fig17", "zunkovic2022/fig18",
    "zunkovic2022/appD", "zunkovic2022/spike_revert"})
CPU_FIDELITY_PREFIX = "zunkovic2022/fullmodel/"


def cpu_fidelity_allowed(figure: str) -> bool:
    return figure in CPU_FIDELITY_FIGURES or figure.startswith(CPU_FIDELITY_PREFIX)


PENDING = "paper-scale run pending: its inputs were not produced in the published run"


def robustness_sections(results: Path) -> list[str]:
    """The scorecard's extra section: the Fig 6 robustness table, from the run's (or snapshot's) numbers files."""
    robust = [pd.read_csv(f) for f in sorted(results.glob("liu2022/*_robustness_numbers.csv"))]
    return [robustness_markdown(pd.concat(robust, ignore_index=True))] if robust else []


def _partial_scorecard(results: Path) -> None:
    records = [pd.read_csv(f, keep_default_na=False) for f in sorted((results / "claims").glob("*.csv"))]
    # a not_run record written before its claim's evaluator landed is stale: the claim is pending, not unimplemented
    records = [r for r in records if not (r.verdict.iloc[0] == "not_run" and claims_mod.implemented(r.claim_id.iloc[0]))]
    have = {r.claim_id.iloc[0] for r in records}
    for cid in claims_mod.claim_ids():
        if cid not in have:
            rec = claims_mod.not_run(cid, "paper")
            if claims_mod.implemented(cid):  # else the record says which issue will implement it
                rec = dataclasses.replace(rec, note=PENDING)
            records.append(pd.DataFrame([rec.row()]))
    table = claims_mod.gather(records)
    io.write_csv(table, results / "claims.csv")
    io.write_text(claims_mod.scorecard_markdown(table, robustness_sections(results)), results / "CLAIMS.md")
    figures = {}
    for f in sorted(results.glob("*/**/*_provenance.json")):
        rec = json.loads(f.read_text())
        figures[rec["figure"]] = rec
    io.write_json({"figures": figures, "partial": True}, results / "provenance.json")


def publish(results: Path, dest: Path, partial: bool = False) -> list[Path]:
    if partial:
        _partial_scorecard(results)
    prov_path = results / "provenance.json"
    claims_path = results / "claims.csv"
    for p in (prov_path, claims_path, results / "CLAIMS.md"):
        if not p.exists():
            raise SystemExit(f"publish: {p} is missing; run `make reproduce` first (or pass --partial)")
    prov = json.loads(prov_path.read_text())
    off = sorted({f"{k} ({f['scale']})" for k, f in prov["figures"].items()
                  if f["scale"] != "paper" and not (f["scale"] == "cpu" and cpu_fidelity_allowed(k))})
    if off:
        raise SystemExit(f"publish: the run in {results} is not paper scale: {', '.join(off[:5])}")
    claims = pd.read_csv(claims_path, keep_default_na=False)
    if sorted(claims.claim_id) != sorted(claims_mod.claim_ids()):
        raise SystemExit("publish: results/claims.csv does not list every claim ID")
    copied = []
    for paper_dir in sorted(p for p in results.iterdir() if p.is_dir() and p.name in ("liu2022", "zunkovic2022")):
        for pattern in PATTERNS:
            for f in sorted(paper_dir.glob(pattern)):
                copied.append(f.relative_to(results))
    copied += [Path("claims.csv"), Path("CLAIMS.md"), Path("provenance.json")]
    for rel in copied:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(results / rel, dest / rel)
    report.build(dest, dest / "REPORT.md")  # links relative to the snapshot
    return copied + [Path("REPORT.md")]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src, dst = (Path(a) for a in args[:2])
    for rel in publish(src, dst, partial="--partial" in sys.argv[1:]):
        print(f"published {dst / rel}")

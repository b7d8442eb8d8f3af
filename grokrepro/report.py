"""``REPORT.md``: the reproduction report, generated from the scorecard (issue #6).

Per paper, the ML Reproducibility Challenge headings (scope of the claims, methodology, results, what was easy, what
was difficult): the prose comes from ``grokrepro/data/report_text.yaml``; the results section is the claim table with
the exact command for each figure, the numbers it should produce (this run's measured values) and its cost on CPU
and GPU (wall-clock from the provenance records), then the errata found and the figures inline.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

PAPERS = ("liu2022", "zunkovic2022")
NOT_MEASURED = "not measured (no GPU in the published run)"


def _text() -> dict:
    with resources.files("grokrepro.data").joinpath("report_text.yaml").open() as f:
        return yaml.safe_load(f)


def _figure_of(artifact: str) -> tuple[str, str] | None:
    """(paper, figure) from an artifact path such as ``results/liu2022/fig6b.pdf``."""
    m = re.fullmatch(r"results/(liu2022|zunkovic2022)/([A-Za-z0-9_]+)\.pdf", artifact or "")
    return (m.group(1), m.group(2)) if m else None


def _cost(provenance: dict, paper: str, figure: str) -> tuple[str, str]:
    """(CPU cost, GPU cost) of a figure: the wall-clock of every provenance record behind it (its training jobs,
    one per seed, or the figure job itself)."""
    base = figure.removesuffix("_robustness")
    recs = [r for k, r in provenance.items()
            if k == f"{paper}/{base}" or k.startswith(f"{paper}/{base}_seed") or
            (base == "fig6d" and k == f"{paper}/fig6d_contrast")]
    if not recs and base in ("fig3", "fig4b", "fig10"):
        recs = [r for k, r in provenance.items() if k == f"{paper}/fraction_sweep"]
    for r in list(recs):  # a full-model figure: the run ensembles it reads are its training jobs
        for path in r.get("ensembles", {}):
            key = f"{paper}/fullmodel/{Path(path).stem}"
            if key in provenance:
                recs.append(provenance[key])
    cpu = [r for r in recs if not str(r.get("device", "")).startswith("cuda")]
    gpu = [r for r in recs if str(r.get("device", "")).startswith("cuda")]

    def fmt(rs):
        total = sum(float(r["wall_clock_s"]) for r in rs)
        jobs = f" ({len(rs)} jobs)" if len(rs) > 1 else ""
        return f"{total:,.0f} s{jobs}" if total >= 10 else f"{total:.1f} s{jobs}"

    return (fmt(cpu) if cpu else "-"), (fmt(gpu) if gpu else NOT_MEASURED)


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(claims: pd.DataFrame, provenance: dict, errata: dict[str, str] | None = None,
             figures_dir: Path | None = None) -> str:
    """The report. ``claims``: the scorecard table; ``provenance``: figure -> record (``provenance.json``'s
    ``figures``); ``errata``: paper -> markdown of its errata page; ``figures_dir``: where the PNGs are (relative
    links are written from the report's folder, which is ``figures_dir``)."""
    text, errata = _text(), errata or {}
    counts = claims.verdict.value_counts()
    scale = ", ".join(sorted(set(claims.scale[claims.verdict != "not_run"]))) or "-"
    lines = ["# grokrepro reproduction report", "",
             f"Generated from the scorecard (`claims.csv`, scale: {scale}) and the provenance records by "
             "`snakemake results/REPORT.md`; the prose is in `grokrepro/data/report_text.yaml`. "
             + ", ".join(f"{int(counts.get(v, 0))} {v}" for v in ("reproduced", "partial", "not_reproduced",
                                                                     "paper_erratum", "not_run")) + ".", ""]
    for paper in PAPERS:
        t = text[paper]
        sub = claims[claims.paper == paper]
        lines += [f"## {t['title']}", "", "### Scope of the claims", "", t["scope"], "", "### Methodology", "",
                  t["methodology"], "", "### Results", "",
                  "| claim | the paper says | we measured (expected output) | verdict | command | cost, CPU | cost, GPU |",
                  "|---|---|---|---|---|---|---|"]
        shown = []
        for r in sub.itertuples():
            fig = _figure_of(r.artifact)
            if r.verdict == "not_run":
                cmd, cpu, gpu = f"`snakemake --cores all results/claims/{r.claim_id}.csv`", "-", "-"
            elif fig:
                cmd = f"`snakemake --cores all results/{fig[0]}/{fig[1]}.pdf`"
                if r.scale == "cpu":  # an in-between fidelity: the overlay that selects it
                    from grokrepro import registry

                    overlay = registry.CPU_OVERLAYS[registry.get(r.claim_id).fidelity]
                    cmd = (f"`snakemake --cores all results/{fig[0]}/{fig[1]}.pdf --configfile config/config.yaml "
                           f"{overlay}`")
                cpu, gpu = _cost(provenance, *fig)
                if fig not in shown:
                    shown.append(fig)
            else:
                cmd, cpu, gpu = f"`snakemake --cores all results/claims/{r.claim_id}.csv`", "seconds", "-"
            measured = r.measured_value if r.verdict != "not_run" else r.note
            verdict = f"**{r.verdict}**"
            failed = str(getattr(r, "failed_checks", "") or "")
            if r.verdict != "reproduced" and failed:
                verdict += f" (failed: {failed})"
            lines.append("| " + " | ".join(_cell(x) for x in (r.claim_id, r.paper_value, measured,
                                                                 verdict, cmd, cpu, gpu)) + " |")
        lines += ["", "### What was easy", "", t["easy"], "", "### What was difficult", "", t["difficult"], "",
                  "### Errata found", ""]
        found = sub[sub.verdict == "paper_erratum"]
        if paper in errata:
            body = errata[paper].split("\n", 1)[1] if errata[paper].startswith("# ") else errata[paper]
            lines += [body.replace("\n## ", "\n#### ").strip(), ""]
        elif len(found):
            lines += [f"- {r.claim_id}: {r.measured_value}" for r in found.itertuples()] + [""]
        else:
            lines += ["No claim of this paper was scored `paper_erratum` in this run; the project's decisions on "
                      "typos and code-vs-paper differences are in docs/decisions.md and config comments.", ""]
        lines += ["### Figures", ""]
        for paper_, fig in shown:
            png = Path(paper_) / f"{fig}.png"
            if figures_dir is None or (figures_dir / png).exists():
                lines += [f"![{paper_} {fig}]({png.as_posix()})", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def build(results: Path, out: Path) -> None:
    """REPORT.md for the run (or published snapshot) in ``results``."""
    from grokrepro import io

    claims = pd.read_csv(results / "claims.csv", keep_default_na=False)
    prov = json.loads((results / "provenance.json").read_text()).get("figures", {})
    errata = {}
    for paper in PAPERS:
        page = results / paper / "errata.md"
        if page.exists():
            errata[paper] = page.read_text()
    io.write_text(markdown(claims, prov, errata, figures_dir=out.parent), out)

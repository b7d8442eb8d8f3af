"""What a run will do and roughly how long it will take, printed before it starts (``make reproduce`` calls this).

The jobs come from Snakemake itself (``--summary``: every output with its rule and whether it is pending), so a
resumed run shows only what is left. A job's cost is the wall-clock its provenance file recorded the last time it ran:

- paper scale: ``results/published/`` (the committed paper-scale snapshot, one CPU core per training job);
- quick scale: ``grokrepro/data/quick_costs.csv`` (the provenance of a quick run on 2 cores, recorded with
  ``python -m grokrepro.plan --record-quick DIR/results``).

A job whose last run resumed from a checkpoint recorded only its last process; it is estimated by the median of the
other seeds of the same panel. Jobs without a recorded cost (plots, claims, gathering) are counted, at a few seconds
each. The estimate for the whole run is max(sum / cores, longest job): training jobs are independent, so cores share
them out, but no job runs faster than its own recorded time.

    python -m grokrepro.plan [--scale quick] [--cores N] [TARGET ...]
"""

from __future__ import annotations

import argparse
import io as _io
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pandas as pd

from grokrepro import config as gconfig

ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = ROOT / "results" / "published"
QUICK_COSTS = Path(__file__).resolve().parent / "data" / "quick_costs.csv"
SMALL_JOB_S = 3.0  # a plot or claim job: interpreter start, imports, a few reads and writes
PROVENANCE = "_provenance.json"


def _snakemake(scale: str, *args) -> str:
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), *args, "--config",
           f"scale={scale}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        raise SystemExit(f"plan: snakemake could not build the job list: {' '.join(lines[-3:])}")
    return proc.stdout


def pending_outputs(scale: str, targets=()) -> pd.DataFrame:
    """Snakemake's summary (output_file, rule, status, plan) of the outputs the run would make."""
    table = pd.read_csv(_io.StringIO(_snakemake(scale, *targets, "--summary")), sep="\t", dtype=str,
                        keep_default_na=False)
    return table[table["plan"] != "no update"]


def pending_jobs(scale: str, targets=()) -> dict[str, int]:
    """Jobs per rule that the run would execute (Snakemake's dry-run job table; the target rule ``all`` left out)."""
    counts = {}
    for line in _snakemake(scale, *targets, "--dry-run", "--quiet", "rules").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "all", "job"):
            counts[parts[0]] = int(parts[1])
    return counts


def _wall(path: Path) -> tuple[float, bool] | None:
    if not path.exists():
        return None
    record = json.loads(path.read_text())
    if record.get("scale", "paper") not in ("paper", "quick"):
        return None  # a job published at another fidelity (the full model's `cpu`) says nothing of its paper cost
    wall = record.get("wall_clock_s")
    return (float(wall), bool(record.get("resumed_from"))) if wall is not None else None


def recorded_costs(scale: str) -> dict[str, float]:
    """Seconds per provenance output (path under results/), from the snapshot or the quick-cost table; a negative
    value is a lower bound (a resumed job with no other seed to go by)."""
    if scale == "quick":
        if not QUICK_COSTS.exists():
            return {}
        table = pd.read_csv(QUICK_COSTS)
        return dict(zip(table.output, table.wall_clock_s.astype(float)))
    costs, resumed = {}, {}
    for path in PUBLISHED.rglob(f"*{PROVENANCE}"):
        rel = "results/" + str(path.relative_to(PUBLISHED))
        got = _wall(path)
        if got:
            (resumed if got[1] else costs)[rel] = got[0]
    fresh = dict(costs)
    for rel, wall in resumed.items():  # a resumed job recorded its last process only: use the panel's other seeds
        panel = Path(rel).name.split("_seed")[0]
        others = [w for r, w in fresh.items() if "/runs/" in r and Path(r).name.split("_seed")[0] == panel]
        costs[rel] = statistics.median(others) if others else -wall  # negative: a lower bound
    return costs


def plan(scale: str, cores: int, targets=()) -> tuple[pd.DataFrame, dict]:
    """One row per pending job that records its cost (``job``, ``rule``, ``estimate_s``; NaN where nothing was
    recorded), and a summary: other jobs, total job-seconds, the estimated wall-clock on ``cores`` cores."""
    pending = pending_outputs(scale, targets)
    jobs = pending_jobs(scale, targets)
    costs = recorded_costs(scale)
    prov = pending[pending.output_file.str.endswith(PROVENANCE)]
    rows = pd.DataFrame({
        "job": [f.removeprefix("results/").removesuffix(PROVENANCE) for f in prov.output_file],
        "rule": prov.rule.tolist(),
        "estimate_s": [costs.get(f, float("nan")) for f in prov.output_file],
    })
    n_other = max(0, sum(jobs.values()) - len(rows))
    rows["lower_bound"] = rows.estimate_s < 0
    rows["estimate_s"] = rows.estimate_s.abs()
    total = float(rows.estimate_s.fillna(0).sum()) + SMALL_JOB_S * n_other
    longest = float(rows.estimate_s.max()) if rows.estimate_s.notna().any() else 0.0
    summary = dict(scale=scale, cores=cores, jobs=len(rows) + n_other, timed_jobs=len(rows), other_jobs=n_other,
                   unknown=int(rows.estimate_s.isna().sum()), job_seconds=total,
                   wall_s=max(total / max(cores, 1), longest))
    return rows, summary


def _hms(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "not recorded"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def render(rows: pd.DataFrame, summary: dict) -> str:
    scale, cores = summary["scale"], summary["cores"]
    source = ("the committed paper-scale snapshot (results/published/, one CPU core per job)" if scale == "paper"
              else "a quick run on 2 CPU cores (grokrepro/data/quick_costs.csv)")
    out = [f"Plan ({scale} scale, {cores} cores): {summary['jobs']} jobs to run; costs as recorded by {source}."]
    if rows.empty and summary["other_jobs"] == 0:
        return "\n".join(out + ["Nothing to do: every output is up to date."])
    for job, est, low in sorted(zip(rows.job, rows.estimate_s, rows.lower_bound),
                                key=lambda t: -(t[1] if t[1] == t[1] else 0)):
        out.append(f"  {job:<40} {('>= ' if low else '') + _hms(est):>14}")
    out.append(f"  {'(' + str(summary['other_jobs']) + ' plot, claim and report jobs)':<40} "
               f"{_hms(SMALL_JOB_S * summary['other_jobs']):>14}")
    caveats = [f"{summary['unknown']} job(s) without a recorded cost not included"] if summary["unknown"] else []
    if rows.lower_bound.any():
        caveats.append(">=: the job resumed from a checkpoint last time and recorded its last process only")
    out.append(f"Total {_hms(summary['job_seconds'])} of job time; estimated {_hms(summary['wall_s'])} wall-clock on "
               f"{cores} cores" + (f" ({'; '.join(caveats)})" if caveats else "") + ".")
    if scale == "paper":
        out.append("Other fidelities: `make reproduce SCALE=quick` (the same rules on small grids and budgets, about "
                   "16 min on 2 cores), or one figure: `.venv/bin/snakemake --cores all results/liu2022/fig4d.pdf`.")
    out.append("Interrupted? Run the same command again: finished jobs are kept and training jobs resume from their "
               "checkpoints.")
    return "\n".join(out)


def record_quick(results: Path) -> pd.DataFrame:
    """The quick-cost table from a finished quick run's provenance files (``results`` is that run's results/)."""
    rows = []
    for path in sorted(Path(results).rglob(f"*{PROVENANCE}")):
        record = json.loads(path.read_text())
        if record.get("scale") != "quick" or record.get("wall_clock_s") is None:
            continue
        rows.append(dict(output="results/" + str(path.relative_to(results)), wall_clock_s=record["wall_clock_s"],
                         device=record.get("device", "")))
    if not rows:
        raise SystemExit(f"plan: no quick-scale provenance files under {results}")
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="paper", help=f"one of {', '.join(gconfig.SCALES)}")
    parser.add_argument("--cores", default="all", help="cores Snakemake will use ('all': this machine's)")
    parser.add_argument("--record-quick", metavar="RESULTS", help="write the quick-cost table from a quick run")
    parser.add_argument("targets", nargs="*")
    args = parser.parse_args(argv)
    if args.record_quick:
        from grokrepro import io

        io.write_csv(record_quick(Path(args.record_quick)), QUICK_COSTS)
        print(f"wrote {QUICK_COSTS}")
        return 0
    if args.scale not in gconfig.SCALES:
        parser.error(f"--scale must be one of {', '.join(gconfig.SCALES)}; got {args.scale!r}")
    cores = (os.cpu_count() or 1) if args.cores == "all" else int(args.cores)
    rows, summary = plan(args.scale, cores, args.targets)
    print(render(rows, summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Liu phase-diagram panel (Fig 6a-d, App G): train every cell of one seed as one batched program; one row per run.

A job killed part-way (a session or a SLURM time limit) resumes from its checkpoint folder when run again with the
same config and sources; the folder goes once the table is written."""
import shutil
from pathlib import Path

import torch

from grokrepro import io
from grokrepro.liu2022 import panels
from grokrepro.provenance import Stopwatch
from grokrepro.train import resolve_device

# Resuming keeps the killed run's log and appends to it.
resuming = bool(snakemake.params.checkpoint_dir) and any(Path(snakemake.params.checkpoint_dir).glob("*.pt"))
io.job_stderr(snakemake.log[0], append=resuming, echo=snakemake.params.progress)
torch.set_num_threads(snakemake.threads)
clock, p = Stopwatch(), snakemake.params
device = resolve_device(p.device)
runs = panels.run_panel(p.cfg, p.phases, p.scale, p.seed, device=str(device), progress=p.progress, desc=p.name,
                        checkpoint_dir=p.checkpoint_dir or None, checkpoint_every_s=60.0 * p.checkpoint_minutes,
                        checkpoint_key=p.src)
io.write_csv(runs, snakemake.output.runs)
record = clock.record(figure=f"liu2022/{p.name}", config=dict(p.cfg, seed=p.seed), device=device, scale=p.scale)
if runs.attrs.get("resumed_from"):
    # wall_clock_s is this process's time only; the steps before these were trained by earlier, killed processes.
    record["resumed_from"] = runs.attrs["resumed_from"]
io.write_json(record, snakemake.output.provenance)
if p.checkpoint_dir:
    shutil.rmtree(p.checkpoint_dir, ignore_errors=True)

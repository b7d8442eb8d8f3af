"""Liu phase-diagram panel (Fig 6a-d, App G): train every cell of one seed as one batched program; one row per run."""
import sys

import torch

from grokrepro import io
from grokrepro.liu2022 import panels
from grokrepro.provenance import Stopwatch
from grokrepro.train import resolve_device

sys.stderr = open(snakemake.log[0], "w")
torch.set_num_threads(snakemake.threads)
clock, p = Stopwatch(), snakemake.params
device = resolve_device(p.device)
runs = panels.run_panel(p.cfg, p.phases, p.scale, p.seed, device=str(device), progress=p.progress, desc=p.name)
io.write_csv(runs, snakemake.output.runs)
io.write_json(clock.record(figure=f"liu2022/{p.name}", config=dict(p.cfg, seed=p.seed), device=device,
                           scale=p.scale), snakemake.output.provenance)

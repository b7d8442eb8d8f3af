"""Liu Fig 6b: train the whole decoder-lr x weight-decay grid as one batch; one row per run."""
import sys

import torch

from grokrepro import io
from grokrepro.liu2022 import fig6
from grokrepro.provenance import Stopwatch
from grokrepro.train import resolve_device

sys.stderr = open(snakemake.log[0], "w")
torch.set_num_threads(snakemake.threads)
clock, p = Stopwatch(), snakemake.params
device = resolve_device(p.device)
runs = fig6.run_fig6b(p.cfg, p.phases, p.scale, device=str(device), progress=p.progress)
io.write_csv(runs, snakemake.output.runs)
io.write_json(clock.record(figure="liu2022/fig6b", config=p.cfg, device=device, scale=p.scale),
              snakemake.output.provenance)

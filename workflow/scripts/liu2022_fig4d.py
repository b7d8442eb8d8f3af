"""Liu Fig 4d: train the default run, write its trajectories, milestones and figure."""

import torch

from grokrepro import io, plotting
from grokrepro.liu2022 import fig4d
from grokrepro.provenance import Stopwatch
from grokrepro.train import resolve_device

io.job_stderr(snakemake.log[0], echo=snakemake.params.progress)
torch.set_num_threads(snakemake.threads)
clock, p = Stopwatch(), snakemake.params
device = resolve_device(p.device)
tidy, numbers = fig4d.run(p.cfg, device=str(device), progress=p.progress)
io.write_csv(tidy, snakemake.output.csv)
io.write_csv(numbers, snakemake.output.numbers)
io.save_figure(plotting.fig4d(tidy, numbers), [snakemake.output.pdf, snakemake.output.png])
io.write_json(clock.record(figure="liu2022/fig4d", config=p.cfg, device=device, scale=p.scale),
              snakemake.output.provenance)

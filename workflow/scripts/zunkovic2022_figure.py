"""Žunkovič & Ilievski solvable-model figures: <figure>.csv (tidy), _numbers.csv, .pdf/.png and provenance."""

import torch

from grokrepro import io
from grokrepro.provenance import Stopwatch
from grokrepro.zunkovic2022 import figures

io.job_stderr(snakemake.log[0])
clock, p, out = Stopwatch(), snakemake.params, snakemake.output
tidy, numbers, fig = figures.build(p.figure, p.cfg, int(p.cfg["seed"]))
io.write_csv(tidy, out.csv)
io.write_csv(numbers, out.numbers)
io.save_figure(fig, [out.pdf, out.png])
io.write_json(clock.record(figure=f"zunkovic2022/{p.figure}", config=p.cfg, device=torch.device("cpu"),
                           scale=p.scale), out.provenance)

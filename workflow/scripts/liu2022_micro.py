"""Liu et al. figures of the registry (Figs 2, 3, 4a-c, 5, 9, 10, 12, 17, 18; MNIST Figs 8a, 8b, 19, 20): one entry each.

Every rule that runs this script writes <figure>.csv (tidy data), <figure>_numbers.csv, .pdf/.png and a provenance
record; ``params.figure`` names the entry of :data:`grokrepro.liu2022.figures.FIGURES` (its builder and plot).
"""

import torch

from grokrepro import io
from grokrepro.liu2022 import figures
from grokrepro.provenance import Stopwatch
from grokrepro.train import resolve_device

io.job_stderr(snakemake.log[0], echo=snakemake.params.progress)
torch.set_num_threads(snakemake.threads)
clock, p = Stopwatch(), snakemake.params
device = resolve_device(p.device)
inputs = {name: getattr(snakemake.input, name) for name in figures.FIGURES[p.figure].inputs}
tidy, numbers, fig = figures.build(p.figure, p.cfg, inputs, device=str(device), progress=p.progress)
out = snakemake.output
io.write_csv(tidy, out.csv)
if numbers is not None:
    io.write_csv(numbers, out.numbers)
if fig is not None:
    io.save_figure(fig, [out.pdf, out.png])
extra = figures.provenance_extra(p.figure, p.cfg)  # MNIST: its fidelity is the record's scale, and its data source
io.write_json(clock.record(figure=f"liu2022/{p.figure}", config=p.cfg, device=device,
                           scale=extra.get("fidelity", p.scale), **extra), out.provenance)

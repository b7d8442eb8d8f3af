"""A full-model figure (Figs. 14-18, App. D, the spike-revert study) from its run ensembles: <figure>.csv (tidy),
_numbers.csv, .pdf/.png and provenance (the fidelity is the record's scale)."""

import json

import numpy as np
import torch

from grokrepro import io
from grokrepro.provenance import Stopwatch
from grokrepro.zunkovic2022 import fm_figures

io.job_stderr(snakemake.log[0])
clock, p, out = Stopwatch(), snakemake.params, snakemake.output
fig_name = snakemake.wildcards.fig
tidy, numbers, fig = fm_figures.build(fig_name, list(snakemake.input), p.cfg)
io.write_csv(tidy, out.csv)
io.write_csv(numbers, out.numbers)
io.save_figure(fig, [out.pdf, out.png])
record = clock.record(figure=f"zunkovic2022/{fig_name}", config=p.cfg, device=torch.device("cpu"), scale=p.fidelity)
# the device that trained the ensembles (this job only reads them)
record["device"] = "; ".join(sorted({json.loads(str(np.load(f)["settings"])).get("device_description", "?")
                                     for f in snakemake.input}))
# each ensemble: its training wall-clock and the commit that trained it
record["ensembles"] = {f: dict(wall_clock_s=round(float(np.load(f)["wall_seconds"]), 2),
                               commit=json.loads(str(np.load(f)["settings"])).get("commit", "?"))
                       for f in snakemake.input}
io.write_json(record, out.provenance)

"""One full-model run ensemble (Sec. 4.3.2): every initialisation of one (K, regularisation, d) trained as one batch;
results/zunkovic2022/fullmodel/<ensemble>.npz (written atomically) and its provenance."""

import torch

from grokrepro import io
from grokrepro.provenance import Stopwatch, device_description, git_commit
from grokrepro.train import resolve_device
from grokrepro.zunkovic2022 import fm_figures, fullmodel

io.job_stderr(snakemake.log[0])
clock, p = Stopwatch(), snakemake.params
torch.set_num_threads(snakemake.threads)
dev = resolve_device(p.device)
settings = fm_figures.settings_for(p.cfg, snakemake.wildcards.ensemble, device=str(dev), progress=p.progress)
runs = fullmodel.train(settings, range(int(fm_figures.preset(p.cfg)["inits"])))
runs.settings["fidelity"] = p.fidelity
runs.settings["device_description"] = device_description(dev)
runs.settings["commit"] = git_commit()
runs.save(snakemake.output.runs)
record = clock.record(figure=f"zunkovic2022/fullmodel/{snakemake.wildcards.ensemble}", config=runs.settings,
                      device=dev, scale=p.fidelity)
record.update(inits=len(runs.model_ids), generalised=int((runs.gen_epoch >= 1).sum()),
              training_wall_clock_s=round(runs.wall_seconds, 2))
io.write_json(record, snakemake.output.provenance)

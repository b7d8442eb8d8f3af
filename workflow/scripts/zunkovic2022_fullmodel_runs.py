"""One full-model run ensemble (Sec. 4.3.2): every initialisation of one (K, regularisation, d) trained as one batch;
results/zunkovic2022/fullmodel/<ensemble>.npz (written atomically)."""

import torch

from grokrepro import io
from grokrepro.provenance import device_description, git_commit
from grokrepro.train import resolve_device
from grokrepro.zunkovic2022 import fm_figures, fullmodel

io.job_stderr(snakemake.log[0])
p = snakemake.params
torch.set_num_threads(snakemake.threads)
dev = resolve_device(p.device)
settings = fm_figures.settings_for(p.cfg, snakemake.wildcards.ensemble, device=str(dev), progress=p.progress)
runs = fullmodel.train(settings, range(int(fm_figures.preset(p.cfg)["inits"])))
runs.settings["fidelity"] = p.fidelity
runs.settings["device_description"] = device_description(dev)
runs.settings["commit"] = git_commit()
runs.save(snakemake.output[0])

"""Per-model-step time of the batched transformer trainer against a plain per-run loop of the same model (issue #22).

Both run here, side by side, on the same device and threads: the loop (``grokrepro.liu2022.transformer.
train_reference``: an ``nn.Module`` + ``torch.optim.AdamW`` with two parameter groups, one run after the other) and the
batched trainer (``transformer.train_batched``, all K runs as one tensor program). Runs are cells of the Fig 7 right
plane (seed 0, decoder lr x decoder wd, embedding lr 1e-3 and wd 0), full batch, evaluated on the whole training and
validation sets at step 0 and every ``--eval-every`` steps, as in the pipeline. The architecture is a fidelity's
(``--fidelity``: quick d_model 32, cpu d_model 64, paper 2 layers d_model 256). The tests check that both give the
same numbers (tests/unit/test_liu_transformer.py). Prints a table of ratios; timings never enter the tests.

    python bench/transformer_speed.py [--steps 100] [--ks 1 16] [--threads 2] [--fidelity cpu] [--json F]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import torch

from side_by_side import ratio_table, timed

from grokrepro import config
from grokrepro.io import write_json
from grokrepro.memory import keep_freed_memory
from grokrepro.liu2022 import transformer_figures as txf
from grokrepro.liu2022.transformer import TrainSettings, TransformerRun, train_batched, train_reference
from grokrepro.provenance import ROOT, device_description, versions
from grokrepro.train import resolve_device


def cells(k: int) -> list[TransformerRun]:
    """K cells of the paper's 7 x 7 plane (decoder lr 1e-4..1e-2 x decoder wd {0, ..., 10}), cycled."""
    grid = itertools.cycle(itertools.product([0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0], np.logspace(-4, -2, 7)))
    return [TransformerRun(seed=0, lr_decoder=float(lr), wd_decoder=float(wd)) for wd, lr in itertools.islice(grid, k)]


def time_batched(runs, mcfg, s) -> float:
    return timed(s.device, lambda: train_batched(runs[:2], mcfg, TrainSettings(steps=3, eval_every=3, progress=False,
                                                                              device=s.device)),
                 lambda: train_batched(runs, mcfg, s))


def time_loop(runs, mcfg, s) -> float:
    return timed(s.device, lambda: train_reference(runs[0], mcfg, TrainSettings(steps=3, eval_every=3, progress=False,
                                                                              device=s.device)),
                 lambda: [train_reference(r, mcfg, s) for r in runs])


def measure(ks, steps: int, eval_every: int, fidelity: str, device: str) -> dict:
    """The side-by-side table for each K in ``ks`` at a fidelity's architecture on ``device`` (also the GPU run's)."""
    block = config.for_scale(config.load(ROOT / "config" / "config.yaml")["liu2022"]["transformer"], "paper")
    block = {**block, "fidelity": fidelity}
    mcfg = txf.model_config(block)
    s = TrainSettings(steps=steps, eval_every=eval_every, progress=False, device=device)
    arch = txf.preset(block)["arch"]
    print(f"device: {device_description(torch.device(device))}; threads {torch.get_num_threads()}; {fidelity} "
          f"architecture {arch}; steps per run: {steps}; evaluation every {eval_every}")
    rows = ratio_table(ks, steps, lambda k: time_loop(cells(k), mcfg, s), lambda k: time_batched(cells(k), mcfg, s))
    return dict(device=device_description(torch.device(device)), threads=torch.get_num_threads(), fidelity=fidelity,
                architecture=arch, steps=steps, eval_every=eval_every, rows=rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--ks", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--fidelity", default="cpu", choices=["quick", "cpu", "paper"])
    ap.add_argument("--device", default="cpu", help="cpu, cuda or auto: both sides train there")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default="", help="also write the results to this file")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    keep_freed_memory()     # what the batched trainer does on its first call; here so that both sides share it
    res = measure(a.ks, a.steps, a.eval_every, a.fidelity, str(resolve_device(a.device)))
    if a.json:
        write_json(dict(res, versions=versions()), a.json)


if __name__ == "__main__":
    main()

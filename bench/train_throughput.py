"""Per-model-step time of the batched trainer against a plain per-model PyTorch loop of the same model.

Both run here, side by side, on the same device and threads: the loop (``grokrepro.reference_loop.train_one``:
nn.Module + torch.optim.AdamW, the authors' notebook procedure) trains each of the K models in turn; the batched
trainer trains all K at once. Models are Fig 6b cells (seed 58, decoder lr x weight decay), no early stopping.
Prints a table of ratios; timings never enter the tests.

    python bench/train_throughput.py [--steps 50] [--ks 1 64 697] [--device cpu] [--threads 2]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import torch

from grokrepro.io import write_json
from grokrepro.provenance import device_description, versions
from grokrepro.reference_loop import train_one
from grokrepro.train import RunSpec, TrainSettings, resolve_device, train_batched


def cells(k: int) -> list[RunSpec]:
    lrs = 10 ** np.linspace(-5, -2, 16)
    grid = itertools.cycle(itertools.product(lrs, range(11)))
    return [RunSpec(seed=58, lr_decoder=float(lr), wd_decoder=float(wd)) for lr, wd in itertools.islice(grid, k)]


def time_batched(runs, steps, device) -> float:
    cfg = TrainSettings(steps=steps, stop_when_decided=False, device=device, progress=False)
    train_batched(runs[:2], TrainSettings(steps=5, device=device, progress=False))  # warm-up
    t = time.perf_counter()
    train_batched(runs, cfg)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def time_loop(runs, steps, device) -> float:
    train_one(steps=5, device=device)  # warm-up
    t = time.perf_counter()
    for r in runs:
        train_one(seed=r.seed, lr_decoder=r.lr_decoder, wd_decoder=r.wd_decoder, steps=steps, device=device)
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--ks", type=int, nargs="+", default=[1, 64, 697])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    rows = []
    print(f"device: {device_description(device)}; steps per model: {args.steps}")
    print("| K | loop us/model-step | batched us/model-step | speed-up |")
    print("|---|---|---|---|")
    for k in args.ks:
        runs = cells(k)
        loop = time_loop(runs, args.steps, str(device)) / (k * args.steps) * 1e6
        batched = time_batched(runs, args.steps, str(device)) / (k * args.steps) * 1e6
        rows.append(dict(K=k, loop_us=loop, batched_us=batched, speedup=loop / batched))
        print(f"| {k} | {loop:.0f} | {batched:.0f} | {loop / batched:.1f}x |", flush=True)
    if args.json:
        write_json(dict(device=device_description(device), versions=versions(), steps=args.steps, rows=rows),
                   args.json)


if __name__ == "__main__":
    main()

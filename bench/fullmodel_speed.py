"""Per-initialisation training time of the batched full tensor-network trainer (Sec. 4.3.2) against a plain
per-initialisation loop, side by side on the same device and threads.

The loop (``grokrepro.zunkovic2022.fullmodel.train_reference``: one ``nn.Module`` and ``torch.optim.Adam`` per
initialisation, the same data stream) trains each of the K inits in turn; the batched trainer
(``fullmodel.train``) trains all K at once. Training only (8 Adam steps per epoch): the batched side's evaluation is
switched off (a 1-sequence screening set, no full test pass), so both sides do the same work. The tests check that
both give the same losses (tests/unit/test_zunkovic_fullmodel.py). The two sides alternate ``--repeats`` times and
each repeat gives one ratio (this shared machine drifts by tens of per cent over minutes; a ratio of two adjacent
timings does not): the table shows the median ratio and the range. Timings never enter the tests.

    python bench/fullmodel_speed.py [--epochs 3] [--inits 100] [--dims 3 10] [--repeats 3] [--device cpu] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from grokrepro.io import write_json
from grokrepro.memory import keep_freed_memory
from grokrepro.provenance import device_description, versions
from grokrepro.train import resolve_device
from grokrepro.zunkovic2022 import fullmodel as fm


def settings(d: int, epochs: int, device: str) -> fm.Settings:
    return fm.Settings(d=d, lambda1=1e-3, max_epochs=epochs - 1, screen_sequences=1, screen_length=12,
                       full_below=-1.0, device=device, seed=20221026)


def time_batched(d, inits, epochs, device) -> float:
    fm.train(settings(d, 1, device), range(2))                       # warm-up
    t = time.perf_counter()
    fm.train(settings(d, epochs, device), range(inits))
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def time_loop(d, inits, epochs, device) -> float:
    s = settings(d, epochs, device)
    fm.train_reference(s, 0, 1)                                         # warm-up
    t = time.perf_counter()
    for m in range(inits):
        fm.train_reference(s, m, epochs)
    return time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--inits", type=int, default=100)
    ap.add_argument("--dims", type=int, nargs="+", default=[3, 10])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default="")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    keep_freed_memory()     # what fm.train does on its first call; set here so that every timing (loop too) shares it
    dev = str(resolve_device(a.device))
    if dev == "cuda":
        raise SystemExit("the per-init reference loop runs on CPU only (train_reference); use --device cpu")
    rows = []
    print(f"{'d':>3} {'inits':>6} {'epochs':>6} {'loop s/init-epoch':>18} {'batched s/init-epoch':>21} "
          f"{'speed-up (median, range)':>26}")
    for d in a.dims:
        loops, batcheds = [], []
        for _ in range(a.repeats):
            loops.append(time_loop(d, a.inits, a.epochs, dev) / (a.inits * a.epochs))
            batcheds.append(time_batched(d, a.inits, a.epochs, dev) / (a.inits * a.epochs))
        ratios = np.array(loops) / np.array(batcheds)
        loop, batched, ratio = float(np.median(loops)), float(np.median(batcheds)), float(np.median(ratios))
        rows.append(dict(d=d, inits=a.inits, epochs=a.epochs, repeats=a.repeats, loop_s_per_init_epoch=loop,
                         batched_s_per_init_epoch=batched, speedup=ratio, speedup_min=float(ratios.min()),
                         speedup_max=float(ratios.max()), speedups=ratios.round(2).tolist()))
        print(f"{d:>3} {a.inits:>6} {a.epochs:>6} {loop:>18.4f} {batched:>21.5f} "
              f"{ratio:>8.1f}x ({ratios.min():.1f}-{ratios.max():.1f}x)", flush=True)
    if a.json:
        write_json(dict(device=device_description(torch.device(dev)), threads=a.threads, versions=versions(),
                        rows=rows), a.json)


if __name__ == "__main__":
    main()

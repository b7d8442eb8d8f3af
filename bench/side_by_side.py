"""What the side-by-side bench scripts share (bench/mnist_speed.py, bench/transformer_speed.py): time one call after a
warm-up, with the device synchronised around it, and print the table of per-model-step ratios."""

from __future__ import annotations

import time
from typing import Callable

import torch


def timed(device: str, warm_up: Callable[[], object], work: Callable[[], object]) -> float:
    """Seconds ``work()`` takes after ``warm_up()`` (CUDA synchronised before and after)."""
    warm_up()
    if device == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    work()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def ratio_table(ks, steps: int, loop_seconds: Callable[[int], float], batched_seconds: Callable[[int], float]) -> list:
    """For each K: the per-run loop's and the batched trainer's milliseconds per model-step and their ratio, printed as
    a Markdown table row by row; returns the rows."""
    print("| K | loop ms/model-step | batched ms/model-step | speed-up |")
    print("|---|---|---|---|")
    rows = []
    for k in ks:
        loop = loop_seconds(k) / (k * steps) * 1e3
        batched = batched_seconds(k) / (k * steps) * 1e3
        rows.append(dict(K=k, loop_ms=loop, batched_ms=batched, speedup=loop / batched))
        print(f"| {k} | {loop:.2f} | {batched:.2f} | {loop / batched:.2f}x |", flush=True)
    return rows

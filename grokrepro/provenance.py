"""Provenance beside every result: commit, config, package versions, device, wall-clock."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path

import torch

PACKAGES = ("torch", "numpy", "pandas", "snakemake", "matplotlib", "scipy", "h5py", "mpmath", "mlxtend")
ROOT = Path(__file__).resolve().parent.parent


def git_commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True)
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        # a copy of the tree without git (the GPU run's machine): the commit it was copied from, if given
        return os.environ.get("GROKREPRO_COMMIT") or "unknown"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def device_description(device: torch.device) -> str:
    if device.type == "cuda":
        tf32 = ", TF32 matmul" if torch.backends.cuda.matmul.allow_tf32 else ""
        return f"cuda: {torch.cuda.get_device_name(device)}{tf32}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"cpu: {cpu}, torch threads {torch.get_num_threads()}"


class Stopwatch:
    def __init__(self):
        self.start = time.time()

    def record(self, *, figure: str, config: dict, device: torch.device, scale: str, **extra) -> dict:
        """The provenance record; ``extra``: fields a figure adds (e.g. MNIST's fidelity and data source)."""
        return dict(figure=figure, scale=scale, **extra, commit=git_commit(), config=config, versions=versions(),
                    device=device_description(device), wall_clock_s=round(time.time() - self.start, 2),
                    finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

"""Shared test helpers. Two tiers: ``tests/unit`` (grokrepro without Snakemake; ``make test-fast``) and
``tests/workflow`` (Snakemake subprocesses, quick-scale runs, SLURM, benches; every test there is marked ``slow``)."""

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = ROOT / "data" / "reference" / "liu2022"   # the authors' Fig 6 files, vendored with the project
CONFIG = ROOT / "config" / "config.yaml"
SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile")]
QUICK = ["--config", "scale=quick", "progress=false", "threads=1"]

# Tests and pipeline do the same arithmetic: the pipeline's default is 2 threads.
torch.set_num_threads(2)


def pytest_collection_modifyitems(config, items):
    """Every workflow test is slow (a Snakemake subprocess at least); unit tests opt in with the marker."""
    workflow = ROOT / "tests" / "workflow"
    for item in items:
        if workflow in Path(item.fspath).parents:
            item.add_marker(pytest.mark.slow)


def snakemake_command(workdir, *args, configfile=None) -> list[str]:
    """The one Snakemake command line of the tests: this repository's Snakefile, run in ``workdir``, with
    ``configfile`` (one path or a list merged in order; default config/config.yaml)."""
    files = configfile if isinstance(configfile, (list, tuple)) else [configfile or CONFIG]
    return SNAKEMAKE + ["--directory", str(workdir), "--configfile", *map(str, files), *map(str, args)]


def run_snakemake(workdir, *args, configfile=None, **kw) -> subprocess.CompletedProcess:
    """Run :func:`snakemake_command` to the end, output captured as text."""
    return subprocess.run(snakemake_command(workdir, *args, configfile=configfile), capture_output=True, text=True,
                          **kw)


def numerics_platform() -> str:
    """The CPU vendor as /proc/cpuinfo names it (``AuthenticAMD``, ``GenuineIntel``; ``unknown`` elsewhere).

    Batched training is deterministic on one machine, but not across CPU vendors: MKL's batched products of narrow
    matrices round differently on an Intel AVX-512 CPU than on an AMD EPYC, and a chaotic cell near a phase boundary
    or a seed near an RQI jump then ends elsewhere (measured 2026-11-30: a quick Fig 6b cell's step 1548 -> 1949, two
    of Fig 12's ten RQIs). So the exact regressions of trained numbers keep one baseline per vendor."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR


def zunkovic_cfg(figure: str, scale: str = "quick") -> dict:
    """A Žunkovič figure's config block from config/config.yaml, resolved for ``scale`` (tests and pipeline use the
    same settings)."""
    from grokrepro import config as gconfig

    cfg = gconfig.load(CONFIG)
    return gconfig.for_scale(cfg, scale)["zunkovic2022"][figure]

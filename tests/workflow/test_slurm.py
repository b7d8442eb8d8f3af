"""The workflow on a real SLURM scheduler (issue #6): a single-node slurmctld/slurmd/munge started on this machine,
the quick-scale Fig 6b and its claims submitted through profiles/slurm, and the numbers compared with a local run
of the same targets, byte for byte. Skipped, with the reason, where SLURM cannot be installed or started.

The local run goes side by side with the SLURM run (one thread each, the same arithmetic). Fig 6b is cut to its
six anchor cells for 3,000 steps (an overlay written by the test), so the test costs the executor's polling and a
few seconds of training, not a quick Fig 6b (~1 minute more).
"""

import subprocess

import pytest
import yaml

import slurm_local
from conftest import ROOT, snakemake_command

TIMEOUT_S = 360
# Fig 6b's run table, figure and claims, and a Žunkovič figure and claim.
TARGETS = ["results/liu2022/runs/fig6b_seed58.csv", "results/zunkovic2022/perceptron_numbers.csv",
           "results/claims/Z-44.csv", "results/liu2022/fig6b_numbers.csv", "results/claims/L-16.csv",
           "results/claims/L-17.csv"]
# Fig 6b's anchor cells (columns 5, 7, 10; rows 0, 5) for 3,000 steps: the claims still read every anchor.
SMALL_FIG6B = {"liu2022": {"fig6b": {"steps": {"paper": 100000, "quick": 3000},
                                     "quick_subset": {"x_index": [5, 7, 10], "y_index": [0, 5]}}}}


@pytest.fixture(scope="module")
def slurm():
    try:
        pids = slurm_local.start()
    except slurm_local.Unavailable as err:
        pytest.skip(f"no local SLURM: {err}")
    yield pids
    slurm_local.stop(pids)


def test_quick_fig6b_through_slurm_equals_a_local_run(slurm, tmp_path):
    targets = TARGETS
    small = tmp_path / "small_fig6b.yaml"
    small.write_text(yaml.safe_dump(SMALL_FIG6B))
    configfile = [ROOT / "config" / "config.yaml", ROOT / "config" / "overlays" / "paper_seed_only.yaml", small]
    config = ["--config", "scale=quick", "progress=false", "threads=1"]
    on_slurm = snakemake_command(tmp_path / "slurm", "--profile", ROOT / "profiles" / "slurm", "--jobs", "2",
                                 "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
                                 "--slurm-keep-successful-logs", "--slurm-logdir", tmp_path / "slurm_logs", *targets,
                                 *config, configfile=configfile)
    local = snakemake_command(tmp_path / "local", "--cores", "1", *targets, *config, configfile=configfile)
    procs = {name: subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for name, cmd in (("slurm", on_slurm), ("local", local))}
    logs = {}
    for name, proc in procs.items():
        try:
            logs[name] = proc.communicate(timeout=TIMEOUT_S)[0]
        except subprocess.TimeoutExpired:  # the executor can hang on a broken status command: kill, don't wait
            for p in procs.values():
                p.kill()
                p.communicate()  # reap and close the pipes (no ResourceWarning leaking into later tests)
            pytest.fail(f"the {name} run took longer than {TIMEOUT_S} s")
        assert proc.returncode == 0, f"{name} run failed:\n{logs[name][-4000:]}"
    # the training jobs really went through the scheduler: the executor keeps one log per SLURM job
    jobs = list((tmp_path / "slurm_logs").rglob("*.log"))
    for rule in ("liu2022_panel_train", "zunkovic2022_perceptron"):
        assert any(rule in str(p) for p in jobs), [str(p) for p in jobs]
    for target in targets:
        a, b = (tmp_path / d / target for d in ("slurm", "local"))
        assert a.read_bytes() == b.read_bytes(), f"{target} differs between the SLURM and the local run"

"""Resumable, deterministic, and strict about bad input (issue #6).

1. A quick-scale run killed with SIGKILL partway, unlocked and rerun, ends with the same files as an uninterrupted
   run, and the jobs that had finished before the kill are not redone.
2. The same targets run twice from scratch give byte-identical tables (a torch training run and Monte Carlo ones).
3. Each bad input stops the run with a one-line error naming the problem, a non-zero exit, and no output.
"""

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

import pytest
import torch
import yaml

from conftest import QUICK, ROOT, run_snakemake, snakemake_command

# Cheap quick-scale jobs, run one at a time (--cores 1) so a kill lands between finished and pending ones.
RESUME_TARGETS = [f"results/zunkovic2022/{f}_numbers.csv" for f in ("perceptron", "fig2", "fig6", "fig5")]


_snakemake = run_snakemake


def _finished(log: Path) -> list[str]:
    """Targets whose job Snakemake has recorded as finished (its log line), i.e. outputs, benchmark and metadata
    all written; a job killed after writing some outputs but before that is incomplete and is rightly redone."""
    text = log.read_text() if log.exists() else ""
    return [t for t in RESUME_TARGETS
            if f"(Rule: zunkovic2022_{Path(t).name.removesuffix('_numbers.csv')})" in text]


def _files(results: Path) -> dict[str, bytes]:
    """Every table and numbers file a run left (figures carry timestamps in metadata and are not compared)."""
    return {str(p.relative_to(results)): p.read_bytes() for p in sorted(results.rglob("*.csv"))
            if "benchmarks" not in p.parts}


def test_killed_run_resumes_to_the_same_result_without_redoing_finished_jobs(tmp_path):
    straight = _snakemake(tmp_path / "straight", "--cores", "1", *RESUME_TARGETS, *QUICK)
    assert straight.returncode == 0, straight.stderr[-3000:]

    work = tmp_path / "killed"
    cmd = snakemake_command(work, "--cores", "1", *RESUME_TARGETS, *QUICK)
    log = tmp_path / "killed.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if len(_finished(log)) >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed; the targets are too cheap"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {t: (work / t).stat().st_mtime_ns for t in _finished(log)}
    assert 2 <= len(finished) < len(RESUME_TARGETS)
    # no half-written outputs: every table present is whole (atomic writes), finished job or not
    for t in RESUME_TARGETS:
        if (work / t).exists():
            assert (work / t).read_text().endswith("\n")

    unlock = _snakemake(work, "--unlock", *QUICK)
    assert unlock.returncode == 0, unlock.stderr[-2000:]
    resumed = _snakemake(work, "--cores", "1", "--rerun-incomplete", *RESUME_TARGETS, *QUICK)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for t, mtime in finished.items():
        assert (work / t).stat().st_mtime_ns == mtime, f"{t} was redone after the restart"
    assert _files(work / "results") == _files(tmp_path / "straight" / "results")


def test_same_targets_twice_from_scratch_are_byte_identical(tmp_path):
    targets = ["results/liu2022/fig4d.csv", "results/liu2022/fig4d_numbers.csv",
               "results/zunkovic2022/perceptron_numbers.csv", "results/zunkovic2022/fig6_numbers.csv"]
    for name in ("a", "b"):
        proc = _snakemake(tmp_path / name, "--cores", "2", *targets, *QUICK)
        assert proc.returncode == 0, proc.stderr[-3000:]
    a, b = _files(tmp_path / "a" / "results"), _files(tmp_path / "b" / "results")
    assert set(a) >= {t.removeprefix("results/") for t in targets if t.endswith(".csv")}
    assert a == b


def _config_with(tmp_path, edit):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    edit(cfg)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


BAD_INPUTS = {
    "unknown scale": (dict(config=["scale=huge"]), ["scale", "paper", "quick"]),
    "negative learning rate": (dict(edit=lambda c: c["liu2022"]["fig6b"]["fixed"].update(lr_repr=-1e-3)),
                               ["liu2022.fig6b", "lr_repr"]),
    "non-numeric learning rate": (dict(edit=lambda c: c["liu2022"]["fig4d"].update(lr_decoder="fast")),
                                  ["liu2022.fig4d.lr_decoder", "fast"]),
    "empty grid": (dict(edit=lambda c: c["liu2022"]["fig6b"]["y"].update(values=[])),
                   ["liu2022.fig6b.y.values", "non-empty"]),
    "unknown claim ID": (dict(target="results/claims/Z-99.csv"), ["Z-99"]),
    "missing reference file": (dict(config=["reference_dir=/nonexistent/reference"], target="results/claims/L-02.csv"),
                               ["reference_dir", "/nonexistent/reference"]),
    "read-only results directory": (dict(read_only=True), ["results", "read-only"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_with_one_line_and_writes_nothing(tmp_path, case):
    spec, words = BAD_INPUTS[case]
    work = tmp_path / "work"
    work.mkdir()
    results = work / "results"
    if spec.get("read_only"):
        results.mkdir()
        results.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    configfile = _config_with(tmp_path, spec["edit"]) if "edit" in spec else None
    target = spec.get("target", "results/zunkovic2022/perceptron_numbers.csv")
    proc = _snakemake(work, "--cores", "1", target, "--config", "progress=false", *spec.get("config", []),
                      configfile=configfile)
    try:
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out[-2000:]
        lines = [line for line in out.splitlines() if all(w in line for w in words)]
        assert lines, f"no single line names {words}:\n{out[-2000:]}"
        left = [p for p in results.rglob("*")] if results.exists() else []
        assert not left, f"partial output left behind: {left}"
    finally:
        if results.exists():
            results.chmod(stat.S_IRWXU)


@pytest.mark.skipif(torch.cuda.is_available(), reason="device=cuda is valid on a machine with a GPU")
def test_a_bad_value_on_a_rerun_keeps_what_the_previous_run_built(tmp_path):
    """Build a figure, rerun it with values that a job would only fail on (no GPU for device=cuda, no authors' data
    under reference_dir): each rerun stops before any job with one line naming the key, and the figure built before
    is still there, unchanged (Snakemake removes a job's old outputs before it runs it)."""
    target = "results/liu2022/fig4a.pdf"   # a job of a second: what is tested is the rerun, not the training
    built = _snakemake(tmp_path, "--cores", "1", target, *QUICK)
    assert built.returncode == 0, built.stderr[-3000:]
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "results").rglob("*") if p.is_file()}
    assert tmp_path / target in before
    for bad, words in ((["device=cuda"], ["device", "cuda", "no CUDA GPU"]),
                       (["reference_dir=/nonexistent/reference"], ["reference_dir", "/nonexistent/reference"])):
        proc = _snakemake(tmp_path, "--cores", "1", target, *QUICK, *bad)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out[-2000:]
        assert [line for line in out.splitlines() if all(w in line for w in words)], out[-2000:]
        assert "Traceback" not in out, out[-2000:]
        after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (tmp_path / "results").rglob("*") if p.is_file()}
        assert after == before, f"{bad}: outputs changed"


def test_killed_panel_job_resumes_from_its_checkpoint(tmp_path):
    """A phase-diagram job killed part-way through its training (a session or SLURM time limit) and run again resumes
    from its checkpoint instead of step 0, ends with the table of an uninterrupted job byte for byte, says so in its
    log and provenance, and removes the checkpoint folder."""
    def small(cfg):  # 8 cells of Fig 6b for 3,000 steps: a few seconds
        cfg["liu2022"]["fig6b"].update(steps={"paper": 100000, "quick": 3000},
                                       quick_subset={"x_index": [0, 5, 8, 15], "y_index": [0, 4]})
    configfile = _config_with(tmp_path, small)
    target = "results/liu2022/runs/fig6b_seed58.csv"
    straight = _snakemake(tmp_path / "straight", "--cores", "1", target, *QUICK, "checkpoint_minutes=0",
                          configfile=configfile)
    assert straight.returncode == 0, straight.stderr[-3000:]

    work = tmp_path / "killed"
    ckpt = work / "results/liu2022/runs/checkpoints/fig6b_seed58/mse.pt"
    cmd = snakemake_command(work, "--cores", "1", target, *QUICK, "checkpoint_minutes=0.0001",
                            configfile=configfile)  # a save at every check (50 steps)
    with (tmp_path / "killed.log").open("w") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not ckpt.exists():
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the job finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert ckpt.exists() and not (work / target).exists()

    assert _snakemake(work, "--unlock", *QUICK, configfile=configfile).returncode == 0
    resumed = _snakemake(work, "--cores", "1", "--rerun-incomplete", target, *QUICK, "checkpoint_minutes=0.0001",
                         configfile=configfile)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    log = (work / "results/logs/liu2022/fig6b_seed58.log").read_text()
    assert "resumed from" in log
    prov = yaml.safe_load((work / target.replace(".csv", "_provenance.json")).read_text())
    assert 0 < prov["resumed_from"]["mse"][0] < 3000
    assert not ckpt.parent.exists()
    assert (work / target).read_bytes() == (tmp_path / "straight" / target).read_bytes()

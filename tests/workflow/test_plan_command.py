"""`python -m grokrepro.plan` (what `make reproduce` prints first) asks Snakemake for the pending jobs: a fresh
directory lists every job with its recorded cost, a finished target drops out, and a bad target is one line."""

import subprocess
import sys

from conftest import run_snakemake


def _plan(cwd, *args):
    return subprocess.run([sys.executable, "-m", "grokrepro.plan", *args], cwd=cwd, capture_output=True, text=True)


def test_plan_of_the_whole_quick_dag(tmp_path):
    proc = _plan(tmp_path, "--scale", "quick", "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert out.startswith("Plan (quick scale, 2 cores):")
    for job in ("liu2022/runs/fig6b_seed58", "liu2022/runs/fig6b_seed1", "liu2022/fig4d", "zunkovic2022/fig5"):
        assert job in out, job
    assert "not recorded" not in out  # every quick training job has a recorded cost
    assert "Total" in out and "wall-clock on 2 cores" in out


def test_a_built_target_drops_out_of_the_plan(tmp_path):
    target = "results/liu2022/fig4a.pdf"   # a job of a second (fig4d would train for ~15 s)
    before = _plan(tmp_path, "--scale", "quick", "--cores", "1", target)
    assert before.returncode == 0 and "liu2022/fig4a " in before.stdout, before.stdout + before.stderr[-2000:]
    built = run_snakemake(tmp_path, "--cores", "1", target, "--config", "scale=quick")  # the plan's own config
    assert built.returncode == 0, built.stderr[-2000:]
    after = _plan(tmp_path, "--scale", "quick", "--cores", "1", target)
    assert after.returncode == 0 and "Nothing to do" in after.stdout, after.stdout


def test_unknown_target_is_one_line(tmp_path):
    proc = _plan(tmp_path, "--scale", "quick", "results/liu2022/fig99.pdf")
    assert proc.returncode != 0
    assert "fig99" in proc.stderr and "Traceback" not in proc.stderr

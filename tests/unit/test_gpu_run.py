"""grokrepro.gpu_run (issue #23): the check's verdict and tolerance, the wheels list, the command end to end on CPU
with tiny budgets (quick scale), resuming after a cut-off target, and the merge into a published snapshot."""

import json
import shutil
import tarfile
import time

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import ROOT
from grokrepro import gpu_run, provenance


def _cells(**over):
    row = dict(phase_cpu="grokking", phase_device="grokking", train_step_cpu=100.0, train_step_device=100.0,
               val_step_cpu=2000.0, val_step_device=2000.0)
    row.update(over)
    return pd.DataFrame([row])


def test_check_passes_equal_cells_and_differences_within_the_tolerance():
    assert gpu_run.check_verdict(_cells(), 50)["passed"]
    v = gpu_run.check_verdict(_cells(val_step_device=2050.0), 50)
    assert v["passed"] and v["max_step_difference"] == 50.0
    assert gpu_run.check_verdict(_cells(val_step_cpu=np.nan, val_step_device=np.nan, phase_cpu="memorization",
                                        phase_device="memorization"), 50)["passed"]


@pytest.mark.parametrize("over,problem", [
    (dict(phase_device="memorization"), "phase memorization on the device"),
    (dict(val_step_device=2100.0), "val_step 2100 on the device, 2000 on the CPU (tolerance 50)"),
    (dict(train_step_device=np.nan), "train_step reached on one side only"),
])
def test_check_fails_a_phase_change_a_step_beyond_the_tolerance_and_a_threshold_reached_on_one_side(over, problem):
    v = gpu_run.check_verdict(_cells(**over), 50)
    assert not v["passed"]
    assert any(problem in p for p in v["problems"])


def test_rounding_tolerance_is_the_largest_shift_and_at_least_one_check_interval():
    base = pd.DataFrame(dict(train_step=[100.0, 200.0], val_step=[1000.0, np.nan]))
    assert gpu_run.rounding_tolerance(base, base, 50) == 50
    nudged = pd.DataFrame(dict(train_step=[150.0, 200.0], val_step=[1300.0, 5000.0]))   # NaN vs 5000: not a shift
    assert gpu_run.rounding_tolerance(base, nudged, 50) == 300


def test_carried_wheels_leave_out_torch_the_tests_and_the_large_packages_the_gpu_image_has():
    freeze = "torch==2.13.0+cpu\nnumpy==2.4.6\nsnakemake==9.27.1\nmlxtend==0.25.0\npytest==9.2.0\n" \
             "-e git+https://x#egg=grokrepro\nscikit_learn==1.9.1\nconnection_pool==0.0.3\n"
    assert gpu_run.carried_requirements(freeze) == ["snakemake==9.27.1", "mlxtend==0.25.0", "connection_pool==0.0.3"]


def test_targets_are_figures_with_the_claims_that_read_them():
    assert gpu_run.claims_of("liu2022/fig8b") == ["L-31"]
    assert gpu_run.target_files("liu2022/fig7_right") == ["results/liu2022/fig7_right.pdf", "results/claims/L-26.csv",
                                                           "results/claims/L-27.csv"]
    assert sum(len(gpu_run.claims_of(f)) for f in gpu_run.PRIORITY) >= 17    # Fig 21 is read by no claim


@pytest.mark.parametrize("args,message", [
    (["--budget", "0"], "--budget must be positive"),
    (["--budget", "5", "--device", "tpu"], "--device must be one of auto, cpu, cuda"),
    (["--budget", "5", "--targets", "liu2022/fig99"], "--targets: unknown figure(s) ['liu2022/fig99']"),
    (["--budget", "5", "--panels", "fig8b"], "--panels must be Fig 6 panels"),
])
def test_bad_arguments_are_named_and_leave_no_output(tmp_path, capsys, args, message):
    out = tmp_path / "gpu"
    assert gpu_run.main(["run", "--out", str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_git_commit_falls_back_to_the_commit_the_tree_was_copied_from(monkeypatch):
    def no_git(*a, **k):
        raise OSError("no git")

    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    monkeypatch.setenv("GROKREPRO_COMMIT", "abc123")
    assert provenance.git_commit() == "abc123"
    monkeypatch.delenv("GROKREPRO_COMMIT")
    assert provenance.git_commit() == "unknown"


def test_trainer_benches_past_the_deadline_are_skipped_not_run():
    assert gpu_run.stage_trainers("quick", torch.device("cpu"), 2, 2, deadline=time.time() - 1) == \
        dict(skipped=["mnist", "transformer"])


def _run(out, budget, *extra):
    return gpu_run.main(["run", "--budget", str(budget), "--device", "cpu", "--scale", "quick", "--check-cells", "2",
                         "--check-steps", "200", "--bench-steps", "100", "--loop-cells", "1", "--panels", "fig6b",
                         "--targets", "liu2022/fig19", "--cores", "1", "--threads", "1", "--mnist-steps", "2",
                         "--tx-steps", "2", "--out", str(out), *extra])


@pytest.mark.slow
def test_the_gpu_run_end_to_end_on_cpu_resumes_a_cut_target_and_merges_into_a_snapshot(tmp_path):
    out, copy = tmp_path / "gpu", tmp_path / "OUT"
    # first call: the check and the bench; then the target, cut off after a second
    assert _run(out, 300, "--stages", "check", "bench") == 0
    state = json.loads((out / "state.json").read_text())
    assert state["check"]["passed"] and state["check"]["fp32"]["cells"] >= 2          # 2 cells x the losses
    assert state["check"]["rounding_tolerance_steps"] >= 50
    bench = state["bench"]
    assert bench["panels"]["fig6b"]["runs"] > 0 and bench["speedup_fig6b"] > 0
    assert bench["adam_floor"]["floor_s_per_model_step"] > 0 and "extrapolation" in bench["loop"]["method"]
    trainers = state["trainers"]                  # issues #21 and #22's side-by-side benches on the device
    assert [r["K"] for r in trainers["mnist"]["rows"]] == [64] and trainers["mnist"]["steps"] == 2
    assert [r["K"] for r in trainers["transformer"]["rows"]] == [16] and trainers["transformer"]["fidelity"] == "quick"
    assert all(r["speedup"] > 0 for t in ("mnist", "transformer") for r in trainers[t]["rows"])
    assert trainers["skipped"] == []
    gpu_run.stage_targets(out, state, ["liu2022/fig19"], "cpu", 1, "quick", deadline=time.time() + 1, min_left=0)
    assert state["targets"]["liu2022/fig19"]["status"] == "stopped"
    gpu_run._save_state(out, state)
    # second call: check and bench are kept, the target finishes, and the archive lands in --copy-to
    assert _run(out, 300, "--copy-to", str(copy)) == 0
    state2 = json.loads((out / "state.json").read_text())
    assert state2["check"] == state["check"] and state2["bench"] == state["bench"] and len(state2["calls"]) == 2
    assert state2["trainers"] == state["trainers"]
    assert state2["targets"]["liu2022/fig19"]["status"] == "done"
    with tarfile.open(copy / gpu_run.ARCHIVE) as tar:
        names = set(tar.getnames())
    assert {"gpu_run.json", "results/liu2022/fig19_numbers.csv", "results/liu2022/fig19.pdf",
            "results/liu2022/fig19_provenance.json", "results/claims/L-41.csv"} <= names
    assert not any(n.startswith("results/logs") for n in names)
    summary = json.loads((copy / "gpu_run.json").read_text())
    assert summary["device"].startswith("cpu") and summary["scale"] == "quick" and summary["versions"]["torch"]
    # a third call on a "fresh machine" (another --out) continues from the archive: nothing is trained again
    fresh = tmp_path / "fresh"
    assert _run(fresh, 300, "--resume", str(copy / gpu_run.ARCHIVE)) == 0
    state3 = json.loads((fresh / "state.json").read_text())
    assert state3["check"] == state["check"] and len(state3["calls"]) == 3
    assert state3["targets"]["liu2022/fig19"] == state2["targets"]["liu2022/fig19"]
    assert (fresh / "work" / "results" / "liu2022" / "fig19_numbers.csv").is_file()

    # merge: refused into the snapshot at quick scale; taken with allow_quick into a copy of it
    pub = tmp_path / "published"
    shutil.copytree(ROOT / "results" / "published", pub)
    with pytest.raises(gpu_run.GpuRunError, match="quick-scale run"):
        gpu_run.merge(copy / gpu_run.ARCHIVE, pub)
    before = pd.read_csv(pub / "claims.csv", keep_default_na=False)
    res = gpu_run.merge(copy / gpu_run.ARCHIVE, pub, allow_quick=True)
    assert res["claims"] == ["L-41"] and "liu2022/fig19_numbers.csv" in res["copied"]
    after = pd.read_csv(pub / "claims.csv", keep_default_na=False)
    assert len(after) == len(before) and list(after.claim_id) == list(before.claim_id)
    assert after.set_index("claim_id").loc["L-41", "scale"] == "quick"
    others = after.claim_id != "L-41"
    pd.testing.assert_frame_equal(after[others].reset_index(drop=True), before[others].reset_index(drop=True))
    prov = json.loads((pub / "provenance.json").read_text())["figures"]["liu2022/fig19"]
    assert prov["device"].startswith("cpu")
    assert (pub / "liu2022" / "fig19_numbers.csv").read_bytes() == \
        (out / "work" / "results" / "liu2022" / "fig19_numbers.csv").read_bytes()
    assert json.loads((pub / "gpu_run.json").read_text())["check"]["passed"]

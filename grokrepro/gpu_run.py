"""The GPU run (issue #23): one prepared command for a lent GPU, within a wall-clock budget, resumable.

    python -m grokrepro.gpu_run run --budget 480 [--device auto] [--out results/gpu_run] [--stages check bench targets]
    python -m grokrepro.gpu_run merge results/gpu_run/gpu_run.tar.gz [--published results/published]

``make gpu-run BUDGET=480`` runs the first (after installing the wheels ``make gpu-wheels`` put in ``.whl/``, where a
package is missing); ``make publish-gpu ARCHIVE=...`` the second. Stages, in order, each skipped once done (the state
is ``<out>/state.json``, so a second call continues where the first stopped):

1. ``check``: a few toy cells of Fig 6b trained on the device and on the CPU with the same seeds. The tolerance is
   measured, not assumed: the same cells are trained again on the CPU with the embedding init scale moved by one
   float32 ulp, and the largest threshold-step shift that this rounding-level change causes (at least one check
   interval) is what the device may differ by. Passed when every cell's phase agrees and every threshold step is
   within that tolerance. On CUDA the device side runs twice, TF32 off and on; TF32 is used for the targets only
   when its run passes the same check.
2. ``bench``: the four Fig 6 panels at ``--bench-steps`` (10^5: issue #4's budget), each one batched program on the
   device, against a per-run loop (``reference_loop.train_one``) on ``--loop-cells`` cells of Fig 6b on the same
   device, whose mean time times the panel's cell count estimates the loop's panel (stated as an extrapolation).
   Per model-step time is set against the optimiser's memory-traffic floor: Adam reads and writes about seven
   arrays of the parameters' size a step, at the device's copy bandwidth measured here. Then issues #21 and #22's
   side-by-side benches on the device (``trainers``): 64 MNIST MLPs (``--mnist-steps``) and 16 paper-architecture
   transformer runs (``--tx-steps``), each batched against its per-model loop.
3. ``targets``: paper-scale Snakemake targets in :data:`PRIORITY` order (the figures whose published fidelity is
   furthest below paper scale first), each with the claim records that read it, run by Snakemake in
   ``<out>/work`` (``device`` as given, progress off). A target that the budget cuts off is finished by the next
   call (Snakemake keeps what completed; the toy panels also checkpoint inside a run).

Everything produced goes into ``<out>/gpu_run.tar.gz``: ``gpu_run.json`` (the check, the bench, the targets, the
device, versions, commit) and the target outputs under ``results/``. ``merge`` copies those into the published
snapshot and re-gathers its scorecard; each claim record names its scale and each provenance record the device.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from grokrepro import io
from grokrepro.config import for_scale
from grokrepro.provenance import ROOT, device_description, git_commit, versions
from grokrepro.reference_loop import synchronize, time_cells

STAGES = ("check", "bench", "targets")
# Paper-scale targets, furthest below paper scale in the published snapshot first (bench/README.md, GPU run):
# MNIST's Fig 8b (published: 8 x 8 cells, <= 2 x 10^4 steps; paper 20 x 20, 10^5), the transformer's lr x wd plane
# (published: 1 layer, d_model 64, 4 x 4; paper 2 layers, d_model 256, 7 x 7), the full tensor-network model
# (published: 64 inits, d <= 10, <= 1000 epochs; paper ~1000 inits, d to 40, <= 7000 epochs), then the rest.
PRIORITY = ("liu2022/fig8b", "liu2022/fig7_right", "zunkovic2022/fig14", "liu2022/fig20", "liu2022/fig7_left",
            "liu2022/fig7_centre", "liu2022/fig1", "liu2022/fig21", "liu2022/fig22", "zunkovic2022/fig18",
            "zunkovic2022/fig15", "zunkovic2022/fig16", "zunkovic2022/fig17", "zunkovic2022/appD", "liu2022/fig8a")
ARCHIVE = "gpu_run.tar.gz"
CHECK_PANEL = "fig6b"


class GpuRunError(RuntimeError):
    pass


# ------------------------------------------------------------------------------------------------ check


def check_verdict(cells: pd.DataFrame, tolerance: int) -> dict:
    """Compare the device's cells with the CPU's. ``cells``: one row per (cell, loss) with ``phase_cpu``,
    ``phase_device``, ``train_step_cpu``/``_device``, ``val_step_cpu``/``_device`` (NaN: not reached).
    Passed when every phase agrees and every threshold step is reached on both or on neither and within
    ``tolerance`` steps."""
    bad = []
    for i, r in cells.iterrows():
        if r.phase_cpu != r.phase_device:
            bad.append(f"cell {i}: phase {r.phase_device} on the device, {r.phase_cpu} on the CPU")
        for k in ("train_step", "val_step"):
            a, b = r[f"{k}_cpu"], r[f"{k}_device"]
            if pd.isna(a) != pd.isna(b):
                bad.append(f"cell {i}: {k} reached on one side only")
            elif not pd.isna(a) and abs(float(a) - float(b)) > tolerance:
                bad.append(f"cell {i}: {k} {b:.0f} on the device, {a:.0f} on the CPU (tolerance {tolerance})")
    diffs = [abs(float(r[f"{k}_cpu"]) - float(r[f"{k}_device"])) for _, r in cells.iterrows()
             for k in ("train_step", "val_step") if not (pd.isna(r[f"{k}_cpu"]) or pd.isna(r[f"{k}_device"]))]
    return dict(passed=not bad, problems=bad, tolerance_steps=int(tolerance),
                max_step_difference=float(max(diffs)) if diffs else 0.0, cells=int(len(cells)))


def rounding_tolerance(base: pd.DataFrame, nudged: pd.DataFrame, interval: int) -> int:
    """The largest threshold-step shift between two CPU trainings that differ by one ulp of the init scale (at least
    one check interval, the steps' resolution)."""
    shift = 0.0
    for k in ("train_step", "val_step"):
        a, b = base[k].to_numpy(float), nudged[k].to_numpy(float)
        both = ~(np.isnan(a) | np.isnan(b))
        if both.any():
            shift = max(shift, float(np.abs(a[both] - b[both]).max()))
    return int(max(interval, shift))


def _check_cells(cfg: dict, scale: str, n: int, steps: int):
    from grokrepro.liu2022 import panels

    runs = panels.panel_runs(dict(cfg, steps=steps), scale, int(cfg["seed"]))
    pick = np.linspace(0, len(runs) - 1, max(1, n)).round().astype(int)
    return [runs[i] for i in sorted(set(pick))]


def _train_cells(runs, cfg: dict, phase_cfg: dict, steps: int, device: str) -> pd.DataFrame:
    from grokrepro.liu2022 import panels

    df = panels.run_panel(dict(cfg, steps=steps), phase_cfg, "paper", int(cfg["seed"]), device=device,
                          progress=False, runs=list(runs))
    out = df[["loss", "train_step", "val_step", "phase"]].copy()
    out[["train_step", "val_step"]] = out[["train_step", "val_step"]].astype(float)
    return out


def stage_check(liu: dict, scale: str, device: torch.device, n_cells: int, steps: int) -> dict:
    from dataclasses import replace

    from grokrepro.train import TrainSettings

    cfg, phase_cfg = liu[CHECK_PANEL], liu["phases"]
    runs = _check_cells(cfg, scale, n_cells, steps)
    cpu = _train_cells(runs, cfg, phase_cfg, steps, "cpu")
    nudged_runs = [replace(r, init_scale=float(np.nextafter(np.float32(r.init_scale), np.float32(np.inf))))
                   for r in runs]
    nudged = _train_cells(nudged_runs, cfg, phase_cfg, steps, "cpu")
    tol = rounding_tolerance(cpu, nudged, TrainSettings().check_every)
    out = dict(panel=CHECK_PANEL, steps=steps, runs=[r.__dict__ for r in runs], rounding_tolerance_steps=tol,
               rounding_tolerance_method="largest threshold-step shift between CPU runs whose init scale differs by "
                                         "one float32 ulp, at least one check interval")
    modes = [("fp32", False)] + ([("tf32", True)] if device.type == "cuda" else [])
    for name, tf32 in modes:
        _set_tf32(tf32)
        dev = _train_cells(runs, cfg, phase_cfg, steps, str(device))
        cells = cpu.add_suffix("_cpu").join(dev.add_suffix("_device"))
        out[name] = check_verdict(cells, tol)
    _set_tf32(False)
    out["passed"] = out["fp32"]["passed"]
    out["tf32_for_targets"] = bool(out.get("tf32", {}).get("passed", False))
    return out


def _set_tf32(on: bool) -> None:
    torch.backends.cuda.matmul.allow_tf32 = on
    torch.backends.cudnn.allow_tf32 = on


# ------------------------------------------------------------------------------------------------ bench


def copy_bandwidth(device: torch.device, mbytes: int = 256, repeats: int = 5) -> float:
    """Bytes per second of a device-to-device copy (read + write counted), the best of ``repeats``."""
    n = mbytes * (1 << 20) // 4
    a = torch.empty(n, dtype=torch.float32, device=device).fill_(1.0)
    b = torch.empty_like(a)
    best = float("inf")
    for _ in range(repeats + 1):
        synchronize(device)
        t = time.perf_counter()
        b.copy_(a)
        synchronize(device)
        best = min(best, time.perf_counter() - t)
    return 2 * a.numel() * 4 / best


def params_per_model(cfg: dict, seed: int) -> int:
    """Trainable parameters of one toy model of a panel (embeddings and decoder)."""
    from grokrepro.liu2022.tasks import init_run, make_task

    task = make_task(cfg["task"], 10, 1)
    init = init_run(task, seed=seed, n_train=int(cfg["n_train"]), flavour="notebook", loss=cfg["losses"][0],
                    d_out=30)
    return int(init.embeddings.numel() + sum(w.numel() for w in init.weights) + sum(b.numel() for b in init.biases))


def stage_bench(liu: dict, scale: str, device: torch.device, steps: int, loop_cells: int, names,
                deadline: float = float("inf")) -> dict:
    """Panels and loop cells are started only before ``deadline`` (those left out are listed); the first loop cell
    always runs, so that the ratio exists."""
    from grokrepro.liu2022 import panels

    out = dict(steps=steps, panels={}, skipped_panels=[])
    panels.run_panel(dict(liu[CHECK_PANEL], steps=5), liu["phases"], scale, 58, device=str(device), progress=False)
    for name in names:
        if time.time() > deadline:
            out["skipped_panels"].append(name)
            continue
        cfg = dict(liu[name], steps=steps)
        synchronize(device)
        t = time.perf_counter()
        runs = panels.run_panel(cfg, liu["phases"], scale, int(cfg["seed"]), device=str(device), progress=False)
        synchronize(device)
        dt = time.perf_counter() - t
        model_steps = float(runs.last_step.fillna(steps).clip(lower=1).sum())
        out["panels"][name] = dict(seconds=dt, runs=int(len(runs)), model_steps=model_steps,
                                   s_per_model_step=dt / model_steps)
    out["all_panels_s"] = float(sum(p["seconds"] for p in out["panels"].values()))
    cfg = dict(liu[CHECK_PANEL], steps=steps)
    cells = panels.panel_runs(cfg, scale, int(cfg["seed"]))
    pick = np.linspace(0, len(cells) - 1, max(1, loop_cells)).round().astype(int)
    times = time_cells([cells[i] for i in pick], steps, str(device), deadline)
    per_run = float(np.mean(times))
    n_loss = len(cfg["losses"])
    loop_panel = per_run * len(cells) * n_loss
    batched = out["panels"].get(CHECK_PANEL, {}).get("seconds", float("nan"))
    bw = copy_bandwidth(device)
    n_params = params_per_model(liu[CHECK_PANEL], int(liu[CHECK_PANEL]["seed"]))
    floor = 7 * n_params * 4 / bw
    per_step = out["panels"].get(CHECK_PANEL, {}).get("s_per_model_step", float("nan"))
    out.update(loop=dict(cells=[int(i) for i in pick[:len(times)]], seconds=times, mean_s_per_run=per_run,
                         panel_estimate_s=loop_panel,
                         method=f"mean of {len(times)} per-run loop trainings of {CHECK_PANEL} cells (one loss) x "
                                f"{len(cells)} cells x {n_loss} loss(es): an extrapolation"),
               speedup_fig6b=loop_panel / batched if batched == batched else float("nan"),
               adam_floor=dict(params_per_model=n_params, copy_bandwidth_GBps=bw / 1e9,
                               floor_s_per_model_step=floor, measured_s_per_model_step=per_step,
                               measured_over_floor=per_step / floor))
    return out


def stage_trainers(scale: str, device: torch.device, mnist_steps: int, tx_steps: int,
                   deadline: float = float("inf")) -> dict:
    """Issues #21 and #22's side-by-side benches on the device: the batched MNIST trainer at 64 models and the batched
    transformer at 16 runs (the paper architecture; quick's at quick scale) against their per-model loops
    (bench/mnist_speed.py, bench/transformer_speed.py; evaluated as there: MNIST at the start and the end, the
    transformer also half-way). Each is started only before ``deadline``."""
    if str(ROOT / "bench") not in sys.path:
        sys.path.insert(0, str(ROOT / "bench"))
    import mnist_speed
    import transformer_speed

    out, dev = dict(skipped=[]), str(device)
    for name, measure in (("mnist", lambda: mnist_speed.measure([64], mnist_steps, mnist_steps, dev)),
                          ("transformer", lambda: transformer_speed.measure(
                              [16], tx_steps, max(1, tx_steps // 2), "paper" if scale == "paper" else "quick", dev))):
        if time.time() > deadline:
            out["skipped"].append(name)
            continue
        out[name] = measure()
    return out


# ------------------------------------------------------------------------------------------------ targets


def claims_of(figure: str) -> list[str]:
    from grokrepro.registry import CLAIMS

    return [c.claim_id for c in CLAIMS if figure in c.reads]


def target_files(figure: str) -> list[str]:
    return [f"results/{figure}.pdf"] + [f"results/claims/{c}.csv" for c in claims_of(figure)]


def _snakemake(work: Path, files: list[str], device: str, cores: int, scale: str, timeout: float, log) -> int:
    """Run Snakemake for ``files`` in ``work``; stop it (SIGINT, then kill) at ``timeout`` seconds. Its return code,
    or -1 when stopped."""
    cmd = [sys.executable, "-m", "snakemake", *files, "--snakefile", str(ROOT / "Snakefile"), "--directory",
           str(work), "--cores", str(cores), "--rerun-incomplete", "--nolock", "--configfile", str(ROOT / "config" / "config.yaml"),
           "--config", f"device={device}", "progress=false", f"scale={scale}"]
    if scale == "quick":
        cmd.append("threads=1")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])))
    proc = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        return proc.wait(timeout=max(1.0, timeout))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return -1


def stage_targets(out: Path, state: dict, figures, device: str, cores: int, scale: str, deadline: float,
                  save=lambda: None, min_left: float = 30.0) -> None:
    """Run each figure not yet done while at least ``min_left`` seconds are left; one cut off by the deadline is
    ``stopped`` (the next call finishes it), one left for lack of time ``pending``."""
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    done = state.setdefault("targets", {})
    for fig in figures:
        if done.get(fig, {}).get("status") == "done":
            continue
        left = deadline - time.time()
        if left < min_left:
            done.setdefault(fig, dict(status="pending"))
            continue
        t = time.time()
        with open(out / "targets.log", "a") as log:
            log.write(f"=== {fig} ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())})\n")
            log.flush()
            rc = _snakemake(work, target_files(fig), device, cores, scale, left, log)
        prev = done.get(fig, {}).get("seconds", 0.0)
        status = "done" if rc == 0 else ("stopped" if rc == -1 else f"failed (snakemake exit {rc})")
        done[fig] = dict(status=status, seconds=prev + time.time() - t, files=target_files(fig))
        save()


# ------------------------------------------------------------------------------------------------ wheels

# Not carried: torch (the GPU machine's own CUDA build), the test-only packages, and the large compiled packages the
# GPU image already holds (KINDS of the lent machine: numpy, scipy, pandas, matplotlib, ...): the 64 MiB a call may
# carry would not hold them beside the tree. Their versions there are the ones each provenance record lists.
NOT_CARRIED = frozenset({
    "torch", "grokrepro", "pytest", "pytest-regressions", "pytest-datadir", "iniconfig", "pluggy",
    "numpy", "scipy", "pandas", "matplotlib", "scikit-learn", "h5py", "pillow", "sympy", "networkx", "contourpy",
    "kiwisolver", "fonttools"})
WHEEL_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                   "manylinux1_x86_64")


def carried_requirements(freeze: str) -> list[str]:
    """``name==version`` lines of ``pip freeze`` output to carry to the GPU machine (see :data:`NOT_CARRIED`)."""
    out = []
    for line in freeze.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-e")) or "==" not in line:
            continue
        name, version = line.split("==", 1)
        if name.lower().replace("_", "-") in NOT_CARRIED:
            continue
        out.append(f"{name}=={version.split('+')[0]}")
    return out


def wheels(dest: Path, python_version: str = "3.12") -> list[str]:
    """Download (or, for the few published only as source, build) a wheel of every carried package of this
    environment for the GPU machine's Python into ``dest``. Returns the requirements it could not provide."""
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True,
                            check=True).stdout
    dest.mkdir(parents=True, exist_ok=True)
    platforms = [a for p in WHEEL_PLATFORMS for a in ("--platform", p)]
    failed = []
    for req in carried_requirements(freeze):
        got = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                              "--python-version", python_version, "--implementation", "cp", *platforms, "-d",
                              str(dest), req], capture_output=True, text=True)
        if got.returncode:
            built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dest), req],
                                   capture_output=True, text=True)
            pure = [w for w in dest.glob("*.whl") if w.name.lower().startswith(req.split("==")[0].lower()
                                                                               .replace("-", "_"))]
            if built.returncode or not all(w.name.endswith("-none-any.whl") for w in pure):
                failed.append(req)
    return failed


# ------------------------------------------------------------------------------------------------ run / merge


def _save_state(out: Path, state: dict) -> None:
    io.write_json(state, out / "state.json")


def _archive(out: Path) -> Path:
    """``gpu_run.json`` and every target output (figures, numbers, provenance, run tables, claim records)."""
    path = out / ARCHIVE
    work = out / "work"
    tmp = path.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(out / "gpu_run.json", arcname="gpu_run.json")
        if (work / "results").is_dir():
            for f in sorted((work / "results").rglob("*")):
                rel = f.relative_to(work)
                if f.is_file() and rel.parts[1] not in ("logs", "benchmarks") and f.name != "provenance.json":
                    tar.add(f, arcname=str(rel))
    os.replace(tmp, path)
    return path


def run(args) -> Path:
    t0 = time.time()
    deadline = t0 + args.budget
    if args.commit:
        os.environ["GROKREPRO_COMMIT"] = args.commit          # the Snakemake jobs' provenance, without git
    device = _device(args.device)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.resume and not (out / "state.json").exists():
        restore(Path(args.resume), out)
    state = json.loads((out / "state.json").read_text()) if (out / "state.json").exists() else {}
    state.setdefault("calls", []).append(dict(started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                              budget_s=args.budget, device=device_description(device)))
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    liu = for_scale(raw, args.scale)["liu2022"]
    def save() -> Path:
        """State, summary and archive after every stage and target: a call stopped from outside keeps its work."""
        state["calls"][-1]["seconds"] = time.time() - t0
        summary = dict(commit=args.commit or git_commit(), device=device_description(device), scale=args.scale,
                       versions=versions(), priority=list(PRIORITY), **state)
        io.write_json(summary, out / "gpu_run.json")
        _save_state(out, state)
        path = _archive(out)
        if args.copy_to:
            Path(args.copy_to).mkdir(parents=True, exist_ok=True)
            for f in (path, out / "gpu_run.json"):
                shutil.copyfile(f, Path(args.copy_to) / (f.name + ".tmp"))
                os.replace(Path(args.copy_to) / (f.name + ".tmp"), Path(args.copy_to) / f.name)
        return path

    if "check" in args.stages and "check" not in state:
        state["check"] = stage_check(liu, args.scale, device, args.check_cells, args.check_steps)
        save()
        if not state["check"]["passed"]:
            print("check failed: " + "; ".join(state["check"]["fp32"]["problems"][:5]), file=sys.stderr)
    if "bench" in args.stages and "bench" not in state and time.time() < deadline:
        state["bench"] = stage_bench(liu, args.scale, device, args.bench_steps, args.loop_cells, args.panels,
                                     deadline)
        save()
    if "bench" in args.stages and "trainers" not in state and time.time() < deadline:
        state["trainers"] = stage_trainers(args.scale, device, args.mnist_steps, args.tx_steps, deadline)
        save()
    if "targets" in args.stages:
        if state.get("check", {}).get("passed", "check" not in args.stages):
            tf32 = bool(state.get("check", {}).get("tf32_for_targets"))
            os.environ["GROKREPRO_TF32"] = "1" if tf32 else "0"
            stage_targets(out, state, args.targets, args.device, args.cores, args.scale, deadline, save)
        else:
            state["targets_skipped"] = "the device failed the check: no target was run on it"
    path = save()
    print(f"gpu run: {time.time() - t0:.0f} s of {args.budget:.0f}; archive {path}")
    return path


SUMMARY_ONLY = ("commit", "device", "scale", "versions", "priority")


def _safe_members(tar: tarfile.TarFile) -> None:
    for m in tar.getmembers():
        if m.name.startswith("/") or ".." in Path(m.name).parts:
            raise GpuRunError(f"unsafe path in archive: {m.name}")


def restore(archive: Path, out: Path) -> None:
    """Continue a previous call's work on a fresh machine: its state (from ``gpu_run.json``) and its target outputs
    (under ``<out>/work/results``) from its archive."""
    if not archive.is_file():
        raise GpuRunError(f"--resume: archive not found: {archive}")
    work = out / "work"
    with tarfile.open(archive) as tar:
        _safe_members(tar)
        tar.extractall(work, filter="data")
    summary = json.loads((work / "gpu_run.json").read_text())
    (work / "gpu_run.json").unlink()
    _save_state(out, {k: v for k, v in summary.items() if k not in SUMMARY_ONLY})


def merge(archive: Path, published: Path, allow_quick: bool = False) -> dict:
    """Copy an archive's outputs into ``published``, keep its check and bench numbers as ``gpu_run.json``, and
    rebuild the scorecard (and REPORT.md) with the archive's claim records in place of the snapshot's rows for the
    same claims. A quick-scale archive (the command's CPU test) is refused unless ``allow_quick``."""
    from grokrepro import claims as claims_mod
    from grokrepro import report
    from grokrepro.publish import robustness_sections

    if not archive.is_file():
        raise GpuRunError(f"archive not found: {archive}")
    if not (published / "claims.csv").is_file():
        raise GpuRunError(f"not a published snapshot (no claims.csv): {published}")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
        _safe_members(tar)
        tar.extractall(tmp, filter="data")
        src = Path(tmp)
        summary = json.loads((src / "gpu_run.json").read_text())
        if summary.get("scale") != "paper" and not allow_quick:
            raise GpuRunError(f"archive {archive} is a {summary.get('scale')}-scale run; the published snapshot "
                              "takes paper-scale runs only")
        results = src / "results"
        copied, records = [], []
        for f in sorted(results.rglob("*")) if results.is_dir() else []:
            rel = f.relative_to(results)
            if not f.is_file():
                continue
            if rel.parts[0] == "claims":
                records.append(pd.read_csv(f, keep_default_na=False))
                continue
            dest = published / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
            copied.append(str(rel))
        table = pd.read_csv(published / "claims.csv", keep_default_na=False)
        new = {r.claim_id.iloc[0] for r in records}
        table = claims_mod.gather([table[~table.claim_id.isin(new)], *records]) if records else table
        io.write_csv(table, published / "claims.csv")
        io.write_text(claims_mod.scorecard_markdown(table, robustness_sections(published)), published / "CLAIMS.md")
        prov_path = published / "provenance.json"
        prov = json.loads(prov_path.read_text()) if prov_path.exists() else {}
        figures = prov.setdefault("figures", {})
        for rel in copied:
            if rel.endswith("_provenance.json"):
                rec = json.loads((published / rel).read_text())
                figures[rec.get("figure", rel.removesuffix("_provenance.json"))] = rec
        io.write_json(prov, prov_path)
        io.write_json(summary, published / "gpu_run.json")
        if (published / "REPORT.md").exists():
            report.build(published, published / "REPORT.md")
    return dict(copied=copied, claims=sorted(new))


def _device(name: str) -> torch.device:
    from grokrepro.train import resolve_device

    if name not in ("auto", "cpu", "cuda"):
        raise GpuRunError(f"--device must be one of auto, cpu, cuda; got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise GpuRunError("--device cuda but torch sees no CUDA GPU on this machine; use auto or cpu")
    return resolve_device(name)


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m grokrepro.gpu_run", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="check, bench and paper-scale targets within --budget seconds")
    r.add_argument("--budget", type=float, required=True, help="wall-clock seconds for this call")
    r.add_argument("--device", default="auto")
    r.add_argument("--out", default="results/gpu_run")
    r.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    r.add_argument("--scale", default="paper", choices=("paper", "quick"),
                   help="paper (what a GPU call runs); quick only to test the command end to end on CPU")
    r.add_argument("--check-cells", type=int, default=4)
    r.add_argument("--check-steps", type=int, default=3000)
    r.add_argument("--bench-steps", type=int, default=100_000)
    r.add_argument("--loop-cells", type=int, default=3)
    r.add_argument("--panels", nargs="+", default=["fig6a", "fig6b", "fig6c", "fig6d"])
    r.add_argument("--mnist-steps", type=int, default=200, help="bench: steps of each of the 64 MNIST models")
    r.add_argument("--tx-steps", type=int, default=100, help="bench: steps of each of the 16 transformer runs")
    r.add_argument("--targets", nargs="+", default=list(PRIORITY), help="figure stems, in the order to run them")
    r.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    r.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 1))
    r.add_argument("--resume", default="", help="a previous call's archive to continue from (a fresh machine)")
    r.add_argument("--copy-to", default="", help="also copy the archive and gpu_run.json here after every stage "
                                                 "(the device tool's $OUT)")
    r.add_argument("--commit", default=os.environ.get("GROKREPRO_COMMIT", ""),
                   help="the commit of this tree, where it is not a git checkout")
    w = sub.add_parser("wheels", help="here, before a GPU call: wheels of the carried packages into DEST")
    w.add_argument("dest", nargs="?", default=".whl")
    w.add_argument("--python-version", default="3.12")
    m = sub.add_parser("merge", help="merge a GPU run's archive into the published snapshot")
    m.add_argument("archive")
    m.add_argument("--published", default="results/published")
    m.add_argument("--allow-quick", action="store_true", help="take a quick-scale archive (tests only)")
    return ap


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "run":
            if args.budget <= 0:
                raise GpuRunError(f"--budget must be positive seconds; got {args.budget}")
            unknown = [f for f in args.targets if f not in PRIORITY and not claims_of(f)]
            if unknown:
                raise GpuRunError(f"--targets: unknown figure(s) {unknown}; allowed: {', '.join(PRIORITY)} or any "
                                  "figure stem a claim reads")
            unknown_p = [p for p in args.panels if not p.startswith("fig6")]
            if unknown_p:
                raise GpuRunError(f"--panels must be Fig 6 panels (fig6a-d); got {unknown_p}")
            run(args)
        elif args.command == "wheels":
            failed = wheels(Path(args.dest), args.python_version)
            size = sum(f.stat().st_size for f in Path(args.dest).glob("*.whl")) / 2 ** 20
            print(f"{len(list(Path(args.dest).glob('*.whl')))} wheels, {size:.1f} MiB in {args.dest}")
            if failed:
                raise GpuRunError(f"no wheel for {failed}")
        else:
            res = merge(Path(args.archive), Path(args.published), args.allow_quick)
            print(f"merged {len(res['copied'])} files and {len(res['claims'])} claim records into {args.published}")
    except GpuRunError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

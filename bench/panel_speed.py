"""Phase-diagram panels: the batched trainer on whole Fig 6 panels, against a per-run loop of the same model.

Side by side on one device (issue #4's speed targets):

1. **Panels**: the four Fig 6 panels (paper grids, paper seeds) trained by ``grokrepro.liu2022.panels.run_panel``
   with early stopping, each panel one batched program; wall-clock per panel and in total.
2. **Loop**: ``grokrepro.reference_loop.train_one`` (``nn.Module`` + ``torch.optim.AdamW``, one run at a time, the
   same early stopping) on ``--loop-sample`` cells of Fig 6b spread over the grid; its mean time per run times the
   176 cells estimates the loop's cost for the panel, and the ratio with the batched Fig 6b time is the speed-up.

    python bench/panel_speed.py [--scale paper] [--steps 100000] [--device auto] [--threads 2] [--loop-sample 8]
                                [--json out.json]

A budget below 10^5 (``--steps``) measures the same programs on a shorter horizon (CPU). ``--scale quick`` times what
the quick-scale DAG trains: every panel (Fig 6a-d and App G Figs 13-15) on its quick subset and budget, with its
paper seed and its quick robustness seeds, against issue #4's 10-minute target on 2 CPU cores; the loop then runs
the quick Fig 6b cells. Timings never enter tests.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from grokrepro.config import PANELS, for_scale
from grokrepro.io import write_json
from grokrepro.liu2022 import panels
from grokrepro.provenance import device_description, git_commit, versions
from grokrepro.reference_loop import synchronize, time_cells
from grokrepro.train import resolve_device

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", choices=("paper", "quick"), default="paper")
    ap.add_argument("--steps", type=int, help="budget per run (default: the config's for --scale)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loop-sample", type=int, default=8)
    ap.add_argument("--panels", nargs="+", help="default: Fig 6a-d at paper scale, every panel at quick scale")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    liu = for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), args.scale)["liu2022"]
    names = args.panels or (list(PANELS) if args.scale == "quick" else ["fig6a", "fig6b", "fig6c", "fig6d"])
    out = dict(device=device_description(device), versions=versions(), commit=git_commit(), scale=args.scale,
               threads=args.threads, steps=args.steps, panels={})
    print(f"device: {out['device']}; scale {args.scale}; budget {args.steps or 'from the config'} steps")
    panels.run_panel(dict(liu["fig6b"], steps=5), liu["phases"], args.scale, 58, device=str(device), progress=False)
    for name in names:
        cfg = dict(liu[name], steps=args.steps or liu[name]["steps"])
        # quick scale times all the DAG trains (robustness seeds too); paper scale's targets are the paper seeds
        extra = list(cfg.get("robustness_seeds") or []) if args.scale == "quick" else []
        for seed in [cfg["seed"]] + extra:
            synchronize(device)
            t = time.perf_counter()
            runs = panels.run_panel(cfg, liu["phases"], args.scale, seed, device=str(device), progress=False)
            synchronize(device)
            dt = time.perf_counter() - t
            key = name if seed == cfg["seed"] else f"{name}_seed{seed}"
            out["panels"][key] = dict(seconds=dt, runs=len(runs), steps=int(cfg["steps"]))
            print(f"{key}: {len(runs)} runs in {dt:.1f} s", flush=True)
    total = sum(p["seconds"] for p in out["panels"].values())
    print(f"all panels: {total:.1f} s")
    cfg = dict(liu["fig6b"], steps=args.steps or liu["fig6b"]["steps"])
    cells = panels.panel_runs(cfg, args.scale, 58)
    pick = np.linspace(0, len(cells) - 1, args.loop_sample).round().astype(int)
    times = time_cells([cells[i] for i in pick], cfg["steps"], str(device))
    loop_panel = float(np.mean(times)) * len(cells)
    batched = out["panels"].get("fig6b", {}).get("seconds", np.nan)
    out.update(loop_sample=[int(i) for i in pick], loop_seconds=times, loop_fig6b_estimate_s=loop_panel,
               total_panels_s=total, speedup_fig6b=loop_panel / batched)
    print(f"per-run loop: {np.mean(times):.2f} s/run over {len(times)} sampled cells -> {loop_panel:.0f} s for the "
          f"{len(cells)} Fig 6b cells; batched {batched:.1f} s; speed-up {loop_panel / batched:.1f}x")
    if args.json:
        write_json(out, args.json)


if __name__ == "__main__":
    main()

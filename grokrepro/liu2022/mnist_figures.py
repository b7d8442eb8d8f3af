"""Liu et al. (2022) MNIST figures (issue #21): Fig 8a (grokking curve, L-30), Fig 8b (phase diagram, L-31), Fig 20
(time to generalise against training-set size, L-32) and Fig 19 (gradient descent on l/Z, L-41).

Every builder reads the ``liu2022.mnist`` config block (scale-resolved) and the budgets of the fidelity it names
(``presets[fidelity]``: quick, cpu or paper), trains its MLPs with :func:`grokrepro.liu2022.mnist_train.train_batched`
(all models of a figure, or of one training-set size, as one batched program) and returns ``(tidy, numbers,
plot_data)`` for :mod:`grokrepro.liu2022.figures`. Numbers carry ``quantity, value, stderr, method`` and the keys of
the row (``weight_decay``, ``lr_last``, ``n_train``, ``i``, ``j``); the evaluators are in
:mod:`grokrepro.liu2022.claims_mnist`.

Definitions (docs/decisions.md, MNIST):

- ``train_step``/``val_step``: the first evaluated step whose accuracy on the whole training / test set reaches the
  threshold (train 0.9, Table 1; validation 0.6 for Figs 8a/8b, L-D14, 0.9 for Fig 20); resolution ``eval_every``.
- Fig 8a's ``train_full_step``: the first evaluated step with training accuracy >= 0.99 ("~100 %").
- Fig 8b's phases: Table 1's rules (:func:`grokrepro.liu2022.phases.classify`, gap 1000 steps) on the budget of the
  fidelity; a diverged model reaches nothing (confusion). Rows ``i`` index weight decay ascending, columns ``j`` the
  last-layer learning rate ascending.
- Fig 20's ``t_gen``: per training-set size and weight decay, the median ``val_step`` over seeds, a seed that never
  reaches the threshold counting as later than any that does (the median is missing when half or more never do).
- Fig 19: embeddings E (n x 2) of the training images by a random 784-w-2 ReLU encoder (seeded, PyTorch's default
  init), then Adam on l/Z with E as free parameters, l = sum over same-label pairs |E_i - E_j|^2 (computed as
  sum_c n_c sum_{i in c} |E_i - mu_c|^2, the same sum), Z = sum_i |E_i|^2. W = sum_c sum_{i in c} |E_i - mu_c|^2
  (within-class scatter), B = sum_c n_c |mu_c - mu|^2 (between-class), separation = the smallest distance between
  class means over the root-mean-square within-class radius.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from grokrepro.liu2022 import mnist, phases  # noqa: E402
from grokrepro.liu2022.mnist_train import MnistRun, TrainSettings, train_batched  # noqa: E402

NUMBER_COLUMNS = ["quantity", "value", "stderr", "method", "weight_decay", "lr_last", "n_train", "i", "j"]
TRAIN_FULL = 0.99          # Fig 8a: "train accuracy ~100 %"
PHASE_INDEX = {name: k for k, name in enumerate((*phases.PHASES, "val_only"))}


def fidelity(cfg: dict) -> str:
    """The fidelity the (scale-resolved) block selects."""
    name = cfg["fidelity"]
    if name not in cfg["presets"]:
        raise KeyError(f"config key 'liu2022.mnist.fidelity' must be one of {sorted(cfg['presets'])}; got {name!r}")
    return name


def budget(cfg: dict, figure: str) -> dict:
    """The fidelity's budget and grid of ``figure`` (fig8a, fig8b, fig20)."""
    return cfg["presets"][fidelity(cfg)][figure]


def load_data(cfg: dict, n_train: int | None = None, n_test: int | None = None) -> mnist.MnistData:
    d = cfg["data"]
    return mnist.load(d["source"], d.get("idx_dir"), n_train=n_train or d["n_train"], n_test=n_test,
                      seed=d["split_seed"])


def _settings(cfg: dict, figure: str, *, val_threshold: float, dtype: str, stop: bool, device: str,
              progress: bool) -> TrainSettings:
    b, m = budget(cfg, figure), cfg["model"]
    return TrainSettings(steps=int(b["steps"]), batch_size=int(m["batch_size"]), eval_every=int(b["eval_every"]),
                         train_threshold=float(m["train_threshold"]), val_threshold=float(val_threshold),
                         stop_when_decided=stop, dtype=dtype, device=device, scale_biases=bool(m["scale_biases"]),
                         progress=progress, desc=f"mnist {figure}")


def _row(quantity, value, stderr=np.nan, method="measured", **keys) -> dict:
    return dict(quantity=quantity, value=float(value) if value is not None else np.nan, stderr=stderr,
                method=method, **keys)


def _numbers(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=NUMBER_COLUMNS)


def _first(history: pd.DataFrame, column: str, threshold: float) -> float:
    hit = history.loc[history[column] >= threshold, "step"]
    return float(hit.iloc[0]) if len(hit) else np.nan


def _source_rows(data: mnist.MnistData, cfg: dict, steps: int, eval_every: int) -> list[dict]:
    return [_row("n_train_images", len(data.y_train), method="setting"),
            _row("n_test_images", len(data.y_test), method="setting"),
            _row("steps", steps, method="setting"), _row("eval_every", eval_every, method="setting"),
            _row("source_is_idx", cfg["data"]["source"] == "idx", method="setting")]


# ---- Fig 8a: the grokking curve ------------------------------------------------------------------------------


def build_fig8a(cfg: dict, *, device: str = "cpu", progress: bool = False):
    f = cfg["fig8a"]
    data = load_data(cfg)
    s = _settings(cfg, "fig8a", val_threshold=f["val_threshold"], dtype=f["dtype"], stop=False, device=device,
                  progress=progress)
    run = MnistRun(seed=int(f["seed"]), lr=float(cfg["model"]["lr"]), lr_last=float(cfg["model"]["lr"]),
                   weight_decay=float(f["weight_decay"]), alpha=float(f["alpha"]))
    res = train_batched([run], s, data)
    hist = res.history.drop(columns="model")
    return hist, fig8a_numbers(hist, s, cfg, data), {"source": data.source}


def fig8a_numbers(hist: pd.DataFrame, s: TrainSettings, cfg: dict, data: mnist.MnistData) -> pd.DataFrame:
    train_step = _first(hist, "acc_train", s.train_threshold)
    full_step = _first(hist, "acc_train", TRAIN_FULL)
    val_step = _first(hist, "acc_val", s.val_threshold)
    at_fit = hist.loc[hist.step == full_step, "acc_val"] if math.isfinite(full_step) else pd.Series(dtype=float)
    phase = phases.classify([train_step], [val_step], budget=s.steps, gap=int(cfg["model"]["gap"]))[0]
    rows = [_row("train_step", train_step), _row("train_full_step", full_step), _row("val_step", val_step),
            _row("val_acc_at_train_full", at_fit.iloc[0] if len(at_fit) else np.nan),
            _row("final_acc_train", hist.acc_train.iloc[-1]), _row("final_acc_val", hist.acc_val.iloc[-1]),
            _row("max_acc_val", hist.acc_val.max()),
            _row("val_minus_train_steps", val_step - train_step),
            _row("phase_code", PHASE_INDEX[phase]),
            _row("train_threshold", s.train_threshold, method="setting"),
            _row("val_threshold", s.val_threshold, method="setting"),
            _row("gap", cfg["model"]["gap"], method="setting"),
            *_source_rows(data, cfg, s.steps, s.eval_every)]
    return _numbers(rows)


def plot_fig8a(tidy: pd.DataFrame, numbers: pd.DataFrame, cfg: dict, *, source: str = "") -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    step = tidy.step.clip(lower=1)
    ax.plot(step, tidy.acc_train, color="tab:red", label="train")
    ax.plot(step, tidy.acc_val, color="tab:green", label="validation (test set)")
    val = numbers.set_index("quantity").value
    for q, style in (("train_step", ":"), ("val_step", "--")):
        if math.isfinite(val[q]):
            ax.axvline(max(val[q], 1), color="grey", ls=style, lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("optimisation step")
    ax.set_ylabel("accuracy")
    f = cfg["fig8a"]
    ax.set_title(f"MNIST, alpha = {f['alpha']:g}, wd = {f['weight_decay']:g} ({f['dtype']})", fontsize=9)
    ax.legend(fontsize=8, loc="center left")
    fig.text(0.01, 0.005, source[:110], fontsize=5, color="grey")
    fig.tight_layout()
    return fig


# ---- Fig 8b: the phase diagram --------------------------------------------------------------------------------


def fig8b_axes(cfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """(weight decays, last-layer learning rates), ``num`` log-spaced values each over the config's ranges."""
    num = int(budget(cfg, "fig8b")["num"])
    f = cfg["fig8b"]
    axis = [np.logspace(f[k]["log10_start"], f[k]["log10_stop"], num) for k in ("weight_decay", "lr_last")]
    return axis[0], axis[1]


def build_fig8b(cfg: dict, *, device: str = "cpu", progress: bool = False):
    f = cfg["fig8b"]
    data = load_data(cfg)
    s = _settings(cfg, "fig8b", val_threshold=f["val_threshold"], dtype=f["dtype"], stop=True, device=device,
                  progress=progress)
    wds, lrs = fig8b_axes(cfg)
    cells = [(i, j) for i in range(len(wds)) for j in range(len(lrs))]
    runs = [MnistRun(seed=int(f["seed"]), lr=float(cfg["model"]["lr"]), lr_last=float(lrs[j]),
                     weight_decay=float(wds[i]), alpha=float(f["alpha"])) for i, j in cells]
    res = train_batched(runs, s, data)
    tidy = res.summary.copy()
    tidy.insert(1, "i", [c[0] for c in cells])
    tidy.insert(2, "j", [c[1] for c in cells])
    tidy["phase"] = phases.classify(tidy.train_step.to_numpy(object), tidy.val_step.to_numpy(object),
                                    budget=s.steps, gap=int(cfg["model"]["gap"]))
    return tidy, fig8b_numbers(tidy, s, cfg, data), {"source": data.source}


def fig8b_numbers(tidy: pd.DataFrame, s: TrainSettings, cfg: dict, data: mnist.MnistData) -> pd.DataFrame:
    rows = [_row("cell_phase_code", PHASE_INDEX[r.phase], weight_decay=r.weight_decay, lr_last=r.lr_last,
                 i=r.i, j=r.j) for r in tidy.itertuples()]
    for name in PHASE_INDEX:
        rows.append(_row(f"share_{name}", (tidy.phase == name).mean()))
    rows.append(_row("diverged_share", tidy.diverged.mean()))
    rows += [_row("grid_num", int(tidy.i.max()) + 1, method="setting"),
             _row("val_threshold", s.val_threshold, method="setting"),
             _row("gap", cfg["model"]["gap"], method="setting"), *_source_rows(data, cfg, s.steps, s.eval_every)]
    return _numbers(rows)


def plot_fig8b(tidy: pd.DataFrame, numbers: pd.DataFrame, cfg: dict, *, source: str = "") -> plt.Figure:
    n_i, n_j = int(tidy.i.max()) + 1, int(tidy.j.max()) + 1
    img = np.ones((n_i, n_j, 3))
    for r in tidy.itertuples():
        img[r.i, r.j] = np.array(phases.COLOURS[r.phase]) / 255
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(img, origin="lower", aspect="auto")
    wds = tidy.groupby("i").weight_decay.first()
    lrs = tidy.groupby("j").lr_last.first()
    tick = max(1, n_j // 5)
    ax.set_xticks(range(0, n_j, tick), [f"{np.log10(v):.1f}" for v in lrs.iloc[::tick]])
    ax.set_yticks(range(0, n_i, tick), [f"{np.log10(v):.1f}" for v in wds.iloc[::tick]])
    ax.set_xlabel("log10 last-layer learning rate")
    ax.set_ylabel("log10 weight decay")
    ax.set_title(f"MNIST phase diagram (validation threshold {cfg['fig8b']['val_threshold']:.0%})", fontsize=9)
    shown = [*phases.PHASES, *(["val_only"] if (tidy.phase == "val_only").any() else [])]
    handles = [plt.Rectangle((0, 0), 1, 1, color=np.array(phases.COLOURS[p]) / 255) for p in shown]
    labels = [p if p != "val_only" else "validation only (train < 0.9)" for p in shown]
    ax.legend(handles, labels, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.text(0.01, 0.005, source[:110], fontsize=5, color="grey")
    fig.tight_layout()
    return fig


# ---- Fig 20: time to generalise against the training-set size -----------------------------------------------------


def build_fig20(cfg: dict, *, device: str = "cpu", progress: bool = False):
    f, b = cfg["fig20"], budget(cfg, "fig20")
    s = _settings(cfg, "fig20", val_threshold=f["val_threshold"], dtype=f["dtype"], stop=True, device=device,
                  progress=progress)
    idx = cfg["data"]["source"] == "idx"
    tables, source = [], ""
    for n in sorted(b["sizes"]):  # one batched program per training set (the models of one size share its data)
        data = load_data(cfg, n_train=int(n), n_test=None if idx else int(f["test_size"]))
        runs = [MnistRun(seed=int(seed), lr=float(cfg["model"]["lr"]), lr_last=float(cfg["model"]["lr"]),
                         weight_decay=float(wd), alpha=float(f["alpha"]))
                for wd in b["weight_decays"] for seed in b["seeds"]]
        res = train_batched(runs, s, data)
        t = res.summary.drop(columns="model")
        t.insert(0, "n_train", int(n))
        t.insert(1, "n_test", len(data.y_test))
        tables.append(t)
        source = data.source
    tidy = pd.concat(tables, ignore_index=True)
    return tidy, fig20_numbers(tidy, s, cfg), {"source": source}


def _median_step(steps: pd.Series, budget_steps: int) -> float:
    """Median first-threshold step over seeds, never reached counting as later than the budget; NaN when the
    median falls on a never-reached seed."""
    v = np.sort(np.array([float(x) if pd.notna(x) else np.inf for x in steps]))
    med = float(np.median(v)) if len(v) else np.inf
    return med if math.isfinite(med) else np.nan


def fig20_numbers(tidy: pd.DataFrame, s: TrainSettings, cfg: dict) -> pd.DataFrame:
    rows = []
    for (n, wd), g in tidy.groupby(["n_train", "weight_decay"], sort=True):
        keys = dict(n_train=n, weight_decay=wd)
        rows.append(_row("t_gen_median", _median_step(g.val_step, s.steps), **keys))
        rows.append(_row("reached_share", g.val_step.notna().mean(), **keys))
        rows.append(_row("final_acc_val_mean", g.final_acc_val.mean(),
                         g.final_acc_val.std(ddof=1) / np.sqrt(len(g)) if len(g) > 1 else np.nan, **keys))
    rows += [_row("steps", s.steps, method="setting"), _row("eval_every", s.eval_every, method="setting"),
             _row("val_threshold", s.val_threshold, method="setting"),
             _row("seeds", tidy.seed.nunique(), method="setting"),
             _row("source_is_idx", cfg["data"]["source"] == "idx", method="setting")]
    return _numbers(rows)


def plot_fig20(tidy: pd.DataFrame, numbers: pd.DataFrame, cfg: dict, *, source: str = "") -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5.0, 3.6))
    nums = numbers[numbers.quantity == "t_gen_median"]
    steps = float(numbers.loc[numbers.quantity == "steps", "value"].iloc[0])
    cmap = plt.get_cmap("viridis")
    wds = sorted(nums.weight_decay.unique())
    for k, wd in enumerate(wds):
        g = nums[nums.weight_decay == wd].sort_values("n_train")
        colour = cmap(k / max(1, len(wds) - 1))
        shown = g.value.fillna(steps * 1.5)
        ax.plot(g.n_train, shown, "o-", color=colour, label=f"wd {wd:g}")
        never = g[g.value.isna()]
        ax.plot(never.n_train, [steps * 1.5] * len(never), "x", color=colour, ms=8)
    ax.axhline(steps, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training-set size")
    ax.set_ylabel(f"steps to {cfg['fig20']['val_threshold']:.0%} test accuracy (median)")
    ax.set_title("MNIST: time to generalise (x: not within the budget)", fontsize=9)
    ax.legend(fontsize=7)
    fig.text(0.01, 0.005, source[:110], fontsize=5, color="grey")
    fig.tight_layout()
    return fig


# ---- Fig 19: gradient descent on the effective loss l/Z ---------------------------------------------------------


def _linear(fan_in: int, fan_out: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``nn.Linear``'s default init (Kaiming-uniform weight, uniform bias), drawn from ``g``, in float64."""
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
    bound = 1 / math.sqrt(fan_in)
    return w, torch.empty(fan_out, dtype=torch.float64).uniform_(-bound, bound, generator=g)


def encode(x: torch.Tensor, seed: int, width: int) -> torch.Tensor:
    """2D embeddings of ``x`` (n x 784) by a random 784-width-2 ReLU MLP drawn from ``Generator().manual_seed``."""
    g = torch.Generator().manual_seed(int(seed))
    w1, b1 = _linear(x.shape[1], width, g)
    w2, b2 = _linear(width, 2, g)
    return torch.relu(x @ w1.T + b1) @ w2.T + b2


def scatter_stats(e: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """l, Z, within/between-class scatter, class-mean separation of embeddings ``e`` (n x 2)."""
    classes = labels.unique()
    mu = torch.stack([e[labels == c].mean(0) for c in classes])
    counts = torch.stack([(labels == c).sum() for c in classes]).to(e.dtype)
    within_c = torch.stack([((e[labels == c] - mu[k]) ** 2).sum() for k, c in enumerate(classes)])
    within = within_c.sum()
    between = (counts * ((mu - e.mean(0)) ** 2).sum(1)).sum()
    d = torch.cdist(mu, mu)
    d = d + torch.diag(torch.full((len(classes),), float("inf"), dtype=e.dtype))
    radius = torch.sqrt(within / len(e))
    z = (e ** 2).sum()
    ell = (counts * within_c).sum()
    return dict(ell=float(ell), z=float(z), loss=float(ell / z), within=float(within), between=float(between),
                min_mean_distance=float(d.min()), rms_radius=float(radius),
                separation=float(d.min() / radius) if float(radius) > 0 else np.inf)


def effective_loss(e: torch.Tensor, labels: torch.Tensor, onehot: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """l/Z with l = sum_c n_c sum_{i in c} |e_i - mu_c|^2 (= the sum over same-label pairs)."""
    mu = (onehot.T @ e) / counts[:, None]
    dev = e - mu[labels]
    ell = (counts[labels] * (dev ** 2).sum(1)).sum()
    return ell / (e ** 2).sum()


def run_fig19(cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """(embeddings at the first and last step, per-step trajectory, numbers, data source)."""
    f = cfg["fig19"]
    data = load_data(cfg)
    x, y = data.inputs("train", torch.float64)
    with torch.no_grad():
        e0 = encode(x, f["seed"], int(f["encoder_width"]))
    onehot = torch.nn.functional.one_hot(y, mnist.N_CLASSES).to(torch.float64)
    counts = onehot.sum(0)
    e = e0.clone().requires_grad_(True)
    opt = torch.optim.Adam([e], lr=float(f["lr"]))
    traj = [dict(step=0, **scatter_stats(e.detach(), y))]
    for step in range(1, int(f["steps"]) + 1):
        opt.zero_grad()
        loss = effective_loss(e, y, onehot, counts)
        loss.backward()
        opt.step()
        traj.append(dict(step=step, **scatter_stats(e.detach(), y)))
    traj = pd.DataFrame(traj)
    emb = pd.concat([pd.DataFrame(dict(step=s, sample=np.arange(len(y)), label=y.numpy(), e1=t[:, 0].numpy(),
                                       e2=t[:, 1].numpy()))
                     for s, t in ((0, e0), (int(f["steps"]), e.detach()))], ignore_index=True)
    return emb, traj, fig19_numbers(traj, cfg, data), data.source


def fig19_numbers(traj: pd.DataFrame, cfg: dict, data: mnist.MnistData) -> pd.DataFrame:
    first, last = traj.iloc[0].to_dict(), traj.iloc[-1].to_dict()
    z_drift = float(((traj.z - first["z"]).abs() / first["z"]).max())
    rows = [_row("loss_start", first["loss"]), _row("loss_end", last["loss"]),
            _row("z_start", first["z"]), _row("z_end", last["z"]), _row("z_max_rel_drift", z_drift),
            _row("within_ratio", last["within"] / first["within"]),
            _row("between_ratio", last["between"] / first["between"]),
            _row("min_mean_distance_ratio", last["min_mean_distance"] / first["min_mean_distance"]),
            _row("separation_start", first["separation"]), _row("separation_end", last["separation"]),
            _row("steps", cfg["fig19"]["steps"], method="setting"), _row("lr", cfg["fig19"]["lr"], method="setting"),
            _row("n_train_images", len(data.y_train), method="setting"),
            _row("source_is_idx", cfg["data"]["source"] == "idx", method="setting")]
    return _numbers(rows)


def plot_fig19(tidy: pd.DataFrame, numbers: pd.DataFrame, cfg: dict, *, traj: pd.DataFrame,
               source: str = "") -> plt.Figure:
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4))
    cmap = plt.get_cmap("tab10")
    for ax, (step, g) in zip(axes[:2], tidy.groupby("step")):
        ax.scatter(g.e1, g.e2, c=[cmap(int(v)) for v in g.label], s=3)
        ax.set_title(f"step {step}", fontsize=9)
        ax.set_aspect("equal", adjustable="datalim")
    axes[2].plot(traj.step, traj.z / traj.z.iloc[0], label="Z / Z(0)")
    axes[2].plot(traj.step, traj.loss / traj.loss.iloc[0], label="l/Z relative to step 0")
    axes[2].plot(traj.step, traj.within / traj.within.iloc[0], label="within-class scatter (rel.)")
    axes[2].set_xlabel("Adam step")
    axes[2].legend(fontsize=7)
    fig.suptitle("Gradient descent on l/Z for 2D MNIST embeddings", fontsize=10)
    fig.text(0.01, 0.005, source[:110], fontsize=5, color="grey")
    fig.tight_layout()
    return fig

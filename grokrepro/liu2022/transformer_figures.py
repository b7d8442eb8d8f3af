"""Liu et al. (2022) transformer figures (issue #22): Fig 7 left (effective dimension over seeds, L-24), Fig 7 centre
(decoder dropout, L-25), Fig 7 right (decoder lr x decoder wd plane, L-26, L-27), and Figs 1, 21, 22 (one run's
embeddings over training, L-28, L-29).

Every builder reads the ``liu2022.transformer`` config block (scale-resolved) and the architecture, budgets and grids
of the fidelity it names (``presets[fidelity]``: quick, cpu or paper), trains with
:func:`grokrepro.liu2022.transformer.train_batched` (all runs of a figure as one batched program) and returns
``(tidy, numbers, plot_data)`` for :mod:`grokrepro.liu2022.figures`. Numbers carry ``quantity, value, stderr,
method`` and the keys of the row (``seed``, ``dropout``, ``lr_decoder``, ``wd_decoder``, ``i``, ``j``, ``label``,
``basis``, ``n``); the evaluators are in :mod:`grokrepro.liu2022.claims_transformer`.

Definitions (docs/decisions.md, Transformer):

- ``train_step``/``val_step``: the first evaluated step whose accuracy on the whole training / validation set reaches
  ``threshold`` (0.9, Table 1); resolution ``eval_every``. Phases: Table 1's rules
  (:func:`grokrepro.liu2022.phases.classify`) with the fidelity's ``gap`` on the fidelity's budget.
- exp(S) (Fig 7 left): S the entropy of the PCA explained-variance ratios of the p x d_model token embeddings
  (:func:`grokrepro.spikes.effective_dimension`).
- Figs 1, 21, 22 train one run (``fig1`` cell and seed) and keep four snapshots: ``start`` (step 0), ``fit`` (training
  accuracy first >= threshold), ``gen`` (validation accuracy first >= threshold) and ``end`` (the last step). The
  top-2 PCA of the token embeddings is taken in the ``current`` basis (the PCs of the embeddings at that step) and in
  the ``final`` basis (the end-of-training PCs, the embeddings centred by their own mean).
- The circle ordered mod p (Fig 1, L-28): with theta_k the angle of token k around the centroid in a PC1-PC2 plane,
  ``order`` = max over f = 1 ... p - 1 of |mean_k exp(i (theta_k - 2 pi f k / p))| (1: the tokens go round the
  circle in the order k f mod p; a random cloud gives about sqrt(log p / p)); ``radial_cv`` = std / mean of the
  distances to the centroid. ``order_null99``: the 99th percentile of ``order`` over 1,000 seeded token permutations
  of the start snapshot (what "no structure" reads as).
- Fig 22: accuracy on all p^2 pairs with the snapshot's own decoder and its token embeddings replaced by their
  reconstruction from the top-n PCs (mean + projection), of the current or the final basis, n = 1 ... ``max_pcs``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from grokrepro.config import log_grid  # noqa: E402
from grokrepro.liu2022 import phases  # noqa: E402
from grokrepro.liu2022.transformer import (TrainSettings, TransformerConfig, TransformerRun, forward,  # noqa: E402
                                           train_batched)

NUMBER_COLUMNS = ["quantity", "value", "stderr", "method", "seed", "dropout", "lr_decoder", "wd_decoder", "i", "j",
                  "label", "basis", "n"]
PHASE_INDEX = {name: k for k, name in enumerate((*phases.PHASES, "val_only"))}
LABELS = ("start", "fit", "gen", "end")
BASES = ("current", "final")
NULL_PERMUTATIONS = 1000
NULL_SEED = 0


def fidelity(cfg: dict) -> str:
    """The fidelity the (scale-resolved) block selects."""
    name = cfg["fidelity"]
    if name not in cfg["presets"]:
        raise KeyError(f"config key 'liu2022.transformer.fidelity' must be one of {sorted(cfg['presets'])}; got "
                       f"{name!r}")
    return name


def preset(cfg: dict) -> dict:
    return cfg["presets"][fidelity(cfg)]


def model_config(cfg: dict) -> TransformerConfig:
    a, d = preset(cfg)["arch"], cfg["data"]
    return TransformerConfig(p=int(d["p"]), d_model=int(a["d_model"]), n_layers=int(a["n_layers"]),
                             n_heads=int(a["n_heads"]), mlp_mult=int(a["mlp_mult"]),
                             train_fraction=float(d["train_fraction"]), split_seed=int(d["split_seed"]))


def _settings(cfg: dict, figure: str, *, device: str, progress: bool) -> TrainSettings:
    b = preset(cfg)[figure]
    return TrainSettings(steps=int(b["steps"]), eval_every=int(b["eval_every"]), threshold=float(cfg["threshold"]),
                         device=device, progress=progress, desc=f"transformer {figure}")


def _run(cfg: dict, seed: int, lr_decoder: float, wd_decoder: float, dropout: float = 0.0) -> TransformerRun:
    o = cfg["optimizer"]
    return TransformerRun(seed=int(seed), lr_embed=float(o["lr_embed"]), wd_embed=float(o["wd_embed"]),
                          lr_decoder=float(lr_decoder), wd_decoder=float(wd_decoder), dropout=float(dropout))


def _row(quantity, value, stderr=np.nan, method="measured", **keys) -> dict:
    return dict(quantity=quantity, value=float(value) if value is not None and not pd.isna(value) else np.nan,
                stderr=stderr, method=method, **keys)


def _numbers(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=NUMBER_COLUMNS)


def _steps(series) -> np.ndarray:
    """Nullable steps as floats, never reached = inf."""
    return pd.to_numeric(pd.Series(series), errors="coerce").astype(float).fillna(np.inf).to_numpy()


def _common(cfg: dict, figure: str, steps: int) -> list[dict]:
    """Rows every figure's numbers carry: budget, evaluation interval, gap, threshold, model size."""
    pre, a = preset(cfg), preset(cfg)["arch"]
    return [_row("steps", steps, method="config"), _row("eval_every", pre[figure]["eval_every"], method="config"),
            _row("gap", pre["gap"], method="config"), _row("threshold", cfg["threshold"], method="config"),
            _row("d_model", a["d_model"], method="config"), _row("n_layers", a["n_layers"], method="config"),
            _row("p", cfg["data"]["p"], method="config")]


def _merge(res) -> pd.DataFrame:
    """The history with each run's keys and first-threshold steps (one tidy table)."""
    keys = res.summary[["model", "seed", "lr_decoder", "wd_decoder", "dropout", "train_step", "val_step"]]
    return res.history.merge(keys, on="model")


# --- Fig 7 left: exp(S) over seeds (L-24) ------------------------------------------------------------------------


def effdim_numbers(tidy: pd.DataFrame) -> list[dict]:
    """Per seed: exp(S) at the start, at its generalisation step, its maximum up to generalisation and the step of
    that maximum, its minimum after, and at the end. Over the generalising seeds: the fraction whose exp(S) rises
    (maximum up to generalisation above the start), falls after (end below the value at generalisation), and both;
    the median offset of the peak from generalisation in units of the generalisation step."""
    rows, rises, falls, offsets = [], [], [], []
    for seed, h in tidy.groupby("seed"):
        h = h.sort_values("step")
        va = h.val_step.iloc[0]
        start, end = float(h.eff_dim.iloc[0]), float(h.eff_dim.iloc[-1])
        rows += [_row("val_step", va, seed=seed), _row("train_step", h.train_step.iloc[0], seed=seed),
                 _row("effdim_start", start, seed=seed), _row("effdim_end", end, seed=seed)]
        if pd.isna(va):
            continue
        at = float(h.eff_dim[h.step == va].iloc[0])
        before = h[h.step <= va]
        peak = before.loc[before.eff_dim.idxmax()]
        after_min = float(h.eff_dim[h.step >= va].min())
        rows += [_row("effdim_at_gen", at, seed=seed), _row("effdim_peak_before_gen", peak.eff_dim, seed=seed),
                 _row("effdim_peak_step", peak.step, seed=seed), _row("effdim_min_after_gen", after_min, seed=seed)]
        rises.append(float(peak.eff_dim) > start)
        falls.append(end < at)
        offsets.append((float(peak.step) - float(va)) / max(float(va), 1.0))
    n_gen = len(rises)
    frac = (lambda x: float(np.mean(x)) if n_gen else np.nan)
    rows += [_row("seeds", tidy.seed.nunique(), method="config"), _row("seeds_generalised", n_gen),
             _row("frac_rise_before_gen", frac(rises)), _row("frac_fall_after_gen", frac(falls)),
             _row("frac_rise_and_fall", frac(np.array(rises, dtype=bool) & np.array(falls, dtype=bool))),
             _row("median_peak_offset", np.median(offsets) if n_gen else np.nan,
                  method="median over generalising seeds of (peak step - val_step) / val_step")]
    return rows


def build_fig7_left(cfg: dict, *, device: str = "cpu", progress: bool = True):
    b, cell = preset(cfg)["fig7_left"], cfg["fig7_left"]
    runs = [_run(cfg, s, cell["lr_decoder"], cell["wd_decoder"]) for s in range(int(b["seeds"]))]
    res = train_batched(runs, model_config(cfg), _settings(cfg, "fig7_left", device=device, progress=progress))
    tidy = _merge(res)
    numbers = _numbers(_common(cfg, "fig7_left", int(b["steps"])) + effdim_numbers(tidy))
    return tidy, numbers, {}


def plot_fig7_left(tidy, numbers, cfg):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    ax = axes[0]
    for seed, h in tidy.groupby("seed"):
        ax.plot(h.step, h.eff_dim, lw=0.8, alpha=0.6)
    ax.set(xlabel="step", ylabel="exp(S) of the embeddings", title="Fig 7 left: effective dimension")
    ax = axes[1]
    for seed, h in tidy.groupby("seed"):
        va = h.val_step.iloc[0]
        if pd.isna(va):
            continue
        ax.plot(h.step - float(va), h.eff_dim, lw=0.8, alpha=0.6)
    ax.axvline(0, color="k", lw=0.8, ls="--")
    ax.set(xlabel="step - generalisation step", ylabel="exp(S)", title="aligned at generalisation")
    fig.tight_layout()
    return fig


# --- Fig 7 centre: decoder dropout (L-25) ------------------------------------------------------------------------


def _median_step(values: np.ndarray) -> float:
    """Median over seeds, a seed that never reaches counting as later than any that does (inf when half or more
    never do)."""
    return float(np.median(values)) if len(values) else np.nan


def build_fig7_centre(cfg: dict, *, device: str = "cpu", progress: bool = True):
    b, cell = preset(cfg)["fig7_centre"], cfg["fig7_centre"]
    runs = [_run(cfg, s, cell["lr_decoder"], cell["wd_decoder"], r) for r in b["dropouts"] for s in b["seeds"]]
    res = train_batched(runs, model_config(cfg), _settings(cfg, "fig7_centre", device=device, progress=progress))
    tidy = _merge(res)
    rows = _common(cfg, "fig7_centre", int(b["steps"])) + [_row("seeds", len(b["seeds"]), method="config")]
    gap = int(preset(cfg)["gap"])
    summary = res.summary
    for r, g in summary.groupby("dropout"):
        tr, va = _steps(g.train_step), _steps(g.val_step)
        ph = phases.classify(g.train_step, g.val_step, budget=int(b["steps"]), gap=gap)
        rows += [_row("t_train_median", _median_step(tr), dropout=r), _row("t_gen_median", _median_step(va), dropout=r),
                 _row("delay_median", _median_step(va - tr) if np.isfinite(tr).all() else np.inf, dropout=r,
                      method="median over seeds of val_step - train_step (inf: never)"),
                 _row("frac_grokking", np.mean(ph == "grokking"), dropout=r),
                 _row("frac_comprehension", np.mean(ph == "comprehension"), dropout=r)]
    return tidy, _numbers(rows), {}


def plot_fig7_centre(tidy, numbers, cfg):
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    n = numbers
    for q, style, label in (("t_gen_median", "o-", "validation >= threshold"),
                            ("t_train_median", "s--", "training >= threshold")):
        sel = n[n.quantity == q].sort_values("dropout")
        ax.plot(sel.dropout, sel.value.replace(np.inf, np.nan), style, label=label)
    budget = float(n.value[n.quantity == "steps"].iloc[0])
    ax.axhline(budget, color="grey", lw=0.8, ls=":", label="budget (never: not drawn)")
    ax.set(yscale="log", xlabel="decoder dropout", ylabel="steps (median over seeds)",
           title="Fig 7 centre: dropout")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


# --- Fig 7 right: decoder lr x decoder wd (L-26, L-27) ----------------------------------------------------------


def build_fig7_right(cfg: dict, *, device: str = "cpu", progress: bool = True):
    b = preset(cfg)["fig7_right"]
    lrs = log_grid(b["lr_decoder"])
    wds = [float(w) for w in b["wd_decoder"]]
    runs = [_run(cfg, b["seed"], lr, wd) for wd in wds for lr in lrs]
    res = train_batched(runs, model_config(cfg), _settings(cfg, "fig7_right", device=device, progress=progress))
    tidy = _merge(res)
    s = res.summary
    s["i"] = np.repeat(np.arange(len(wds)), len(lrs))
    s["j"] = np.tile(np.arange(len(lrs)), len(wds))
    s["phase"] = phases.classify(s.train_step, s.val_step, budget=int(b["steps"]), gap=int(preset(cfg)["gap"]))
    rows = _common(cfg, "fig7_right", int(b["steps"]))
    for r in s.itertuples():
        keys = dict(lr_decoder=r.lr_decoder, wd_decoder=r.wd_decoder, i=r.i, j=r.j)
        rows += [_row("cell_phase_code", PHASE_INDEX[r.phase], method="Table 1 rules", **keys),
                 _row("cell_val_step", r.val_step, **keys), _row("cell_train_step", r.train_step, **keys)]
    return tidy, _numbers(rows), dict(summary=s)


def plot_fig7_right(tidy, numbers, cfg, *, summary):
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    n_i, n_j = int(summary.i.max()) + 1, int(summary.j.max()) + 1
    rgb = np.zeros((n_i, n_j, 3))
    t = np.full((n_i, n_j), np.nan)
    for r in summary.itertuples():
        rgb[r.i, r.j] = np.array(phases.COLOURS[r.phase]) / 255
        t[r.i, r.j] = np.nan if pd.isna(r.val_step) else np.log10(max(float(r.val_step), 1.0))
    lrs = summary.sort_values("j").lr_decoder.unique()
    wds = summary.sort_values("i").wd_decoder.unique()
    for ax, title in zip(axes, ("phases (Table 1)", "log10 steps to generalise")):
        ax.set_xticks(range(n_j), [f"{x:.1e}" for x in lrs], rotation=45, fontsize=7)
        ax.set_yticks(range(n_i), [f"{w:g}" for w in wds], fontsize=7)
        ax.set(xlabel="decoder learning rate", ylabel="decoder weight decay", title=title)
    axes[0].imshow(rgb, origin="lower", aspect="auto")
    for r in summary.itertuples():
        axes[0].text(r.j, r.i, phases.CODES[r.phase], ha="center", va="center", fontsize=8,
                     color="white" if r.phase in ("memorization", "confusion") else "black")
    im = axes[1].imshow(t, origin="lower", aspect="auto", cmap="viridis")
    fig.colorbar(im, ax=axes[1])
    fig.suptitle("Fig 7 right: decoder lr x decoder wd (embedding lr 1e-3, wd 0)", fontsize=9)
    fig.tight_layout()
    return fig


# --- Figs 1, 21, 22: one run's embeddings (L-28, L-29) -----------------------------------------------------------


def pca(emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mean (d,), principal directions (d, k) as columns, explained-variance ratios (k,)) of the rows of ``emb``,
    float64, directions sorted by variance with a deterministic sign (largest |component| positive)."""
    x = emb.detach().to(torch.float64).cpu()
    mean = x.mean(0)
    _, sv, vh = torch.linalg.svd(x - mean, full_matrices=False)
    v = vh.T
    idx = v.abs().argmax(0)
    v = v * torch.sign(v[idx, torch.arange(v.shape[1])])
    var = sv ** 2
    return mean, v, var / var.sum()


def circle_order(xy: np.ndarray) -> tuple[float, int, float]:
    """(order, best f, radial_cv) of p points in a plane, token k in row k (module docstring)."""
    xy = np.asarray(xy, float)
    p = len(xy)
    c = xy - xy.mean(0)
    theta = np.arctan2(c[:, 1], c[:, 0])
    k = np.arange(p)
    f = np.arange(1, p)
    r = np.abs(np.exp(1j * (theta[None] - 2 * np.pi * f[:, None] * k[None] / p)).mean(1))
    radius = np.hypot(c[:, 0], c[:, 1])
    return float(r.max()), int(f[r.argmax()]), float(radius.std() / radius.mean())


def order_null(xy: np.ndarray, quantile: float = 0.99, n: int = NULL_PERMUTATIONS, seed: int = NULL_SEED) -> float:
    """The ``quantile`` of :func:`circle_order`'s order over ``n`` seeded permutations of the points."""
    rng = np.random.default_rng(seed)
    return float(np.quantile([circle_order(xy[rng.permutation(len(xy))])[0] for _ in range(n)], quantile))


class Snapshots:
    """``on_eval`` callback of one run: keeps the parameters at the start, at fit, at generalisation and the last."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        self.params: dict[str, dict] = {}
        self.steps: dict[str, int] = {}

    def _keep(self, label, step, params):
        self.params[label] = {k: t.clone() for k, t in params.items()}
        self.steps[label] = step

    def __call__(self, step, params, ev):
        if step == 0:
            self._keep("start", step, params)
        if "fit" not in self.steps and ev["acc_train"][0] >= self.threshold:
            self._keep("fit", step, params)
        if "gen" not in self.steps and ev["acc_val"][0] >= self.threshold:
            self._keep("gen", step, params)
        self._keep("end", step, params)


@torch.no_grad()
def reconstruction_accuracy(params: dict, mcfg: TransformerConfig, mean: torch.Tensor, basis: torch.Tensor,
                            ns) -> list[float]:
    """Accuracy on all p^2 pairs with the token embeddings replaced by mean + projection on the first n columns of
    ``basis``, for each n of ``ns`` (one model, M = 1)."""
    p = mcfg.p
    pairs = torch.tensor([(a, b) for a in range(p) for b in range(p)], dtype=torch.int64, device=params["tok"].device)
    y = (pairs[:, 0] + pairs[:, 1]) % p
    e = params["tok"][0].to(torch.float64).cpu()
    out = []
    for n in ns:
        v = basis[:, :n]
        rec = mean + (e - mean) @ v @ v.T
        q = dict(params)
        q["tok"] = rec.to(params["tok"].dtype).to(params["tok"].device)[None]
        logits = forward(q, pairs, mcfg, torch.zeros(1))
        out.append(float((logits[0].argmax(-1) == y).double().mean()))
    return out


def build_tx_run(cfg: dict, *, device: str = "cpu", progress: bool = True):
    """Train the Figs 1/21/22 run; the tidy table holds its history (``table`` history), the top-2 PCA coordinates
    of every token at every evaluated step in both bases (``table`` pca), the snapshot steps (``table`` label) and
    the reconstruction accuracies (``table`` recon)."""
    c = cfg["fig1"]
    mcfg = model_config(cfg)
    snaps = Snapshots(float(cfg["threshold"]))
    res = train_batched([_run(cfg, c["seed"], c["lr_decoder"], c["wd_decoder"])], mcfg,
                        _settings(cfg, "fig1", device=device, progress=progress), on_eval=snaps)
    final_mean, final_v, _ = pca(snaps.params["end"]["tok"][0])
    frames = [_merge(res).assign(table="history")]
    pca_rows = []
    for step, emb in res.embeddings.items():
        e = emb[0].to(torch.float64)
        mean, v, ratio = pca(e)
        for basis, (m, w) in (("current", (mean, v)), ("final", (e.mean(0), final_v))):
            xy = ((e - m) @ w[:, :2]).numpy()
            pca_rows.append(pd.DataFrame(dict(step=step, basis=basis, token=np.arange(mcfg.p), pc1=xy[:, 0],
                                              pc2=xy[:, 1])))
    frames.append(pd.concat(pca_rows).assign(table="pca"))
    frames.append(pd.DataFrame(dict(label=list(snaps.steps), step=list(snaps.steps.values()))).assign(table="label"))
    ns = list(range(1, int(c["max_pcs"]) + 1))
    recon = []
    for label, params in snaps.params.items():
        mean, v, _ = pca(params["tok"][0])
        for basis, (m, w) in (("current", (mean, v)), ("final", (mean, final_v))):
            acc = reconstruction_accuracy(params, mcfg, m, w, ns)
            recon.append(pd.DataFrame(dict(label=label, step=snaps.steps[label], basis=basis, n=ns, acc=acc)))
    frames.append(pd.concat(recon).assign(table="recon"))
    tidy = pd.concat(frames, ignore_index=True)
    cols = ["table", "label", "step", "basis", "token", "pc1", "pc2", "n", "acc"]
    return tidy[cols + [c for c in tidy.columns if c not in cols]], None, {}


def _table(tidy: pd.DataFrame, name: str) -> pd.DataFrame:
    return tidy[tidy.table == name].dropna(axis=1, how="all")


def label_steps(tidy: pd.DataFrame) -> dict[str, int]:
    lab = _table(tidy, "label")
    return {r.label: int(r.step) for r in lab.itertuples()}


def _coords(tidy: pd.DataFrame, step: int, basis: str) -> np.ndarray:
    pc = _table(tidy, "pca")
    sel = pc[(pc.step == step) & (pc.basis == basis)].sort_values("token")
    return sel[["pc1", "pc2"]].to_numpy(float)


def fig1_numbers(tidy: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """Circle statistics of the top-2 PCA at each snapshot (current basis) and of the initial embeddings on the
    final PCs; the permutation null."""
    steps = label_steps(tidy)
    rows = _common(cfg, "fig1", int(preset(cfg)["fig1"]["steps"]))
    for label in LABELS:
        if label not in steps:
            rows.append(_row("snapshot_step", np.nan, label=label, method="never reached"))
            continue
        rows.append(_row("snapshot_step", steps[label], label=label))
        for basis in BASES:
            order, f, cv = circle_order(_coords(tidy, steps[label], basis))
            rows += [_row("order", order, label=label, basis=basis), _row("order_f", f, label=label, basis=basis),
                     _row("radial_cv", cv, label=label, basis=basis)]
    rows.append(_row("order_null99", order_null(_coords(tidy, steps["start"], "current")),
                     method=f"99th percentile over {NULL_PERMUTATIONS} token permutations of the start snapshot"))
    return _numbers(rows)


def build_fig1(cfg, run):
    """Fig 1's tidy table: the snapshot steps and the PCA coordinates at them."""
    steps = label_steps(run)
    pc = run[(run.table == "label") | ((run.table == "pca") & run.step.isin(list(steps.values())))]
    return pc.dropna(axis=1, how="all"), fig1_numbers(run, cfg)


def _colour_order(tidy: pd.DataFrame, basis: str) -> tuple[np.ndarray, int]:
    """Each token's place k f mod p on the end snapshot's circle (f: its best frequency), for the colour map."""
    p = int(_table(tidy, "pca").token.max()) + 1
    _, f, _ = circle_order(_coords(tidy, label_steps(tidy)["end"], basis))
    return (np.arange(p) * f) % p, f


def plot_fig1(tidy, numbers, cfg):
    steps = label_steps(tidy)
    shown = [lab for lab in LABELS if lab in steps]
    fig, axes = plt.subplots(1, len(shown), figsize=(3.0 * len(shown), 3.1))
    axes = np.atleast_1d(axes)
    colour, f = _colour_order(tidy, "current")
    for ax, label in zip(axes, shown):
        xy = _coords(tidy, steps[label], "current")
        ax.scatter(xy[:, 0], xy[:, 1], c=colour, cmap="hsv", s=14)
        for k in range(len(xy)):
            ax.annotate(str(k), xy[k], fontsize=5)
        order = numbers[(numbers.quantity == "order") & (numbers.label == label) & (numbers.basis == "current")]
        ax.set(title=f"{label} (step {steps[label]}), order {float(order.value.iloc[0]):.2f}", xticks=[], yticks=[])
    fig.suptitle(f"Fig 1: top-2 PCA of the transformer's token embeddings (colour: {f} k mod p, the end snapshot's "
                 "order)", fontsize=9)
    fig.tight_layout()
    return fig


def fig21_numbers(tidy: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    """The ordering over training in both bases (every evaluated step)."""
    pc = _table(tidy, "pca")
    rows = _common(cfg, "fig1", int(preset(cfg)["fig1"]["steps"]))
    for (step, basis), g in pc.groupby(["step", "basis"]):
        order, f, cv = circle_order(g.sort_values("token")[["pc1", "pc2"]].to_numpy(float))
        rows.append(_row("order", order, basis=basis, n=step, method="n: the step"))
    return _numbers(rows)


def build_fig21(cfg, run):
    """Fig 21's tidy table: the snapshot steps and the PCA coordinates at every evaluated step."""
    return run[run.table.isin(["label", "pca"])].dropna(axis=1, how="all"), fig21_numbers(run, cfg)


def plot_fig21(tidy, numbers, cfg):
    steps = label_steps(tidy)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.3))
    colour, f = _colour_order(tidy, "final")
    for ax, (label, basis, title) in zip(axes[:2], (("start", "final", "initial embeddings on the final PCs"),
                                                    ("end", "final", "final embeddings on the final PCs"))):
        xy = _coords(tidy, steps[label], basis)
        ax.scatter(xy[:, 0], xy[:, 1], c=colour, cmap="hsv", s=14)
        ax.set(title=title, xticks=[], yticks=[])
    axes[0].set_xlabel(f"colour: {f} k mod p (the final circle's order)", fontsize=7)
    ax = axes[2]
    o = numbers[numbers.quantity == "order"]
    for basis, g in o.groupby("basis"):
        ax.plot(g.n, g.value, label=f"{basis} PCs")
    if "gen" in steps:
        ax.axvline(steps["gen"], color="k", ls="--", lw=0.8, label="generalisation")
    ax.set(xlabel="step", ylabel="circle order (1: ordered mod p)", ylim=(0, 1.02))
    ax.legend(fontsize=7)
    fig.suptitle("Fig 21: embeddings over training, and the initial embeddings on the final PCs", fontsize=9)
    fig.tight_layout()
    return fig


def fig22_numbers(tidy: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    rec = _table(tidy, "recon")
    rows = _common(cfg, "fig1", int(preset(cfg)["fig1"]["steps"]))
    for r in rec.itertuples():
        rows.append(_row("recon_acc", r.acc, label=r.label, basis=r.basis, n=int(r.n)))
    for (label, basis), g in rec.groupby(["label", "basis"]):
        ok = g[g.acc >= 0.99]
        rows.append(_row("n99", ok.n.min() if len(ok) else np.inf, label=label, basis=basis,
                         method="smallest n with accuracy >= 0.99 (inf: none up to max_pcs)"))
    steps = label_steps(tidy)
    for label in LABELS:
        if label in steps:
            rows.append(_row("snapshot_step", steps[label], label=label))
    return _numbers(rows)


def build_fig22(cfg, run):
    """Fig 22's tidy table: the reconstruction accuracies."""
    return run[run.table == "recon"].dropna(axis=1, how="all"), fig22_numbers(run, cfg)


def plot_fig22(tidy, numbers, cfg):
    rec = _table(tidy, "recon")
    labels = [lab for lab in LABELS if lab in set(rec.label)]
    fig, axes = plt.subplots(1, len(labels), figsize=(3.0 * len(labels), 3.1), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, label in zip(axes, labels):
        for basis, style in (("current", "o-"), ("final", "s--")):
            g = rec[(rec.label == label) & (rec.basis == basis)]
            ax.plot(g.n, g.acc, style, ms=3, label=f"{basis}-time PCs")
        ax.set(title=f"{label} (step {int(rec.step[rec.label == label].iloc[0])})", xlabel="top-n PCs", ylim=(0, 1.02))
    axes[0].set_ylabel("accuracy (all pairs)")
    axes[0].legend(fontsize=7)
    fig.suptitle("Fig 22: accuracy with embeddings reconstructed from the top-n PCs", fontsize=9)
    fig.tight_layout()
    return fig


"""The batched toy-model trainer: K independent models of Liu et al. (2022) as one tensor program.

Every parameter carries a leading model axis K. One step runs one forward pass over all samples of all models
(``baddbmm``), one backward pass, and one AdamW update with per-model learning rates and weight decays. Models whose
outcome is decided (both accuracy thresholds reached) or whose loss became NaN/inf are dropped from the batch, so the
remaining models run alone without any change to their arithmetic: each model slice is computed exactly as a single
model would be (checked in ``tests/unit/test_train.py`` against a plain per-model ``nn.Module`` + ``torch.optim.AdamW``
loop).

Step bookkeeping follows the authors' code (docs/decisions.md, Toy model): step t is the 0-based index of the
update, a threshold step is the first t whose post-update accuracy reaches the threshold; in the ``train_add`` flavour
the validation accuracy at t is measured before update t (L-D12). "Never reached" is kept as -1 here and exported as
missing.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022.tasks import LOSSES, Task, init_run, make_task

BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@dataclass(frozen=True)
class RunSpec:
    """One model's hyper-parameters (names as in config/config.yaml; learning rates and weight decays are AdamW's)."""

    seed: int = 58
    n_train: int = 45
    lr_repr: float = 1e-3
    lr_decoder: float = 1e-4
    wd_repr: float = 0.0
    wd_decoder: float = 0.0
    init_scale: float = 1.0
    decoder_init_scale: float = 1.0
    batch_size: int = 0  # 0: full batch
    l1_repr: float = 0.0  # coefficient of mean |E| added to the loss (S3 notebook default 1e-3; paper: 0, L-D7)


@dataclass(frozen=True)
class TrainSettings:
    """What all models of one batch share."""

    task: str = "addition"
    p: int = 10
    embed_dim: int = 1
    loss: str = "mse"
    flavour: str = "notebook"
    steps: int = 100_000
    d_out: int = 30
    width: int = 200
    acc_threshold: float = 0.9
    rqi_threshold: float = 0.95
    rqi_tolerance: float = 0.01
    track_rqi: bool = False
    stop_when_decided: bool = True
    record_steps: tuple[int, ...] = ()
    record_embeddings: bool = False
    train_set: tuple[int, ...] = ()  # fixed training set (sample indices) for every run; () = each run's random split
    # True: runs with different batch sizes train as one batch per size, each bit-identical to the per-model loop;
    # False: one batch for all (per-row loss weights; equal to float rounding, one program on a GPU).
    exact_batches: bool = True
    device: str = "cpu"
    check_every: int = 50
    progress: bool = True
    desc: str = "train"
    # Checkpointing (off when ``checkpoint`` is ""): the state is saved to that file at most every
    # ``checkpoint_every_s`` seconds (at a ``check_every`` boundary) and once the training has finished; a later call
    # with the same runs, settings, device, thread count, torch version and ``checkpoint_key`` (e.g. a hash of the
    # sources) resumes from it and gives the same numbers as an uninterrupted run. The caller deletes the file.
    checkpoint: str = ""
    checkpoint_every_s: float = 600.0
    checkpoint_key: str = ""


@dataclass
class TrainResult:
    """``summary``: one row per model (RunSpec fields + threshold steps, NA when never reached);
    ``history``: long table (model, step, loss_train, acc_train, acc_val, acc_all, rqi) at the recorded steps, where
    ``acc_all`` is the post-update accuracy on the whole dataset (Fig 3's Acc);
    ``embeddings``: (n_records, K, n_symbols, embed_dim) float32, NaN after a model stopped."""

    summary: pd.DataFrame
    history: pd.DataFrame
    embeddings: np.ndarray | None = None
    record_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # One entry per batch that this call resumed from a checkpoint: the first step it trained (``steps`` when the
    # checkpoint held a finished training). Empty for a fresh training.
    resumed_from: tuple[int, ...] = ()


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when present; ``cuda`` without a GPU is an error naming the key."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config key 'device' is 'cuda' but no CUDA device is available; use 'auto' or 'cpu'")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"config key 'device' must be one of auto, cpu, cuda; got {device!r}")
    return torch.device(device)


def log_record_steps(steps: int, per_decade: int = 20, every: int = 0) -> tuple[int, ...]:
    """0, 1, 2, ... log-spaced up to steps-1 (``per_decade`` points a decade), plus every ``every``-th step."""
    pts = set(np.unique(np.round(np.logspace(0, math.log10(max(steps, 1)), per_decade * 6)).astype(int) - 1))
    if every:
        pts |= set(range(0, steps, every))
    pts.add(steps - 1)
    return tuple(sorted(int(s) for s in pts if 0 <= s < steps))


class _Batch:
    """Stacked state of the models still running (index ``ids`` into the original K)."""

    def __init__(self, task: Task, runs: list[RunSpec], cfg: TrainSettings, dev: torch.device):
        inits = [
            init_run(
                task,
                seed=r.seed,
                n_train=r.n_train,
                flavour=cfg.flavour,
                loss=cfg.loss,
                d_out=cfg.d_out,
                width=cfg.width,
                init_scale=r.init_scale,
                decoder_init_scale=r.decoder_init_scale,
                train_ids=cfg.train_set or None,
            )
            for r in runs
        ]
        k = len(runs)
        n = task.n_samples
        self.ids = torch.arange(k, device=dev)
        emb = torch.stack([i.embeddings for i in inits])
        # Decoder weights are stored transposed, (K, in, out) contiguous: the forward is x @ W^T without a strided
        # operand and every gradient and Adam buffer is contiguous (same arithmetic as nn.Linear, ~10 % faster here).
        ws = [torch.stack([i.weights[layer].T for i in inits]) for layer in range(3)]
        bs = [torch.stack([i.biases[layer] for i in inits]).unsqueeze(1) for layer in range(3)]
        self.params = [t.to(dev).contiguous().requires_grad_(True) for t in [emb, ws[0], bs[0], ws[1], bs[1], ws[2], bs[2]]]
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        f64 = dict(dtype=torch.float64, device=dev)
        self.lr = [torch.tensor([r.lr_repr for r in runs], **f64), torch.tensor([r.lr_decoder for r in runs], **f64)]
        self.wd = [torch.tensor([r.wd_repr for r in runs], **f64), torch.tensor([r.wd_decoder for r in runs], **f64)]
        self.l1 = torch.tensor([r.l1_repr for r in runs], dtype=torch.float32, device=dev)
        self.targets = torch.stack([i.targets for i in inits]).to(dev)  # (K, C, d_out)
        # Base row order per model: training samples in the authors' order, then validation samples.
        self.rows0 = torch.tensor(np.stack([np.concatenate([i.train_ids, i.val_ids]) for i in inits]), device=dev)
        self.n_train = torch.tensor([r.n_train for r in runs], device=dev)
        batch = [r.batch_size if 0 < r.batch_size < r.n_train else r.n_train for r in runs]
        self.batch = torch.tensor(batch, device=dev)
        pos = torch.arange(n, device=dev)
        self.is_train = pos[None, :] < self.n_train[:, None]
        n_val = (n - self.n_train).clamp(min=1)
        self.n_val_f = n_val.to(torch.float64)
        self.n_train_f = self.n_train.to(torch.float64)
        self.has_val = self.n_train < n
        # Per-row loss weight: 1/(B*d_out) for MSE and the notebook CE (mean over all entries), 1/B for CE.
        d_loss = 1 if cfg.loss == "ce" else self.targets.shape[-1]
        w = torch.ones(k, dtype=torch.float32, device=dev) / (self.batch.to(torch.float32) * d_loss)
        self.row_w = torch.where(pos[None, :] < self.batch[:, None], w[:, None], torch.zeros((), device=dev))
        # Per-step reshuffles come from each run's own numpy generator (shared by runs with equal streams): the
        # train_add flavour and the S3 notebook permute the batch every step, and a minibatch smaller than the
        # training set is drawn afresh every step in either flavour; full-batch notebook runs keep a fixed order.
        permuted = (cfg.flavour == "train_add") or task.notebook_shuffle
        self.shuffle = permuted or any(bs < r.n_train for bs, r in zip(batch, runs))
        self.permuted = permuted
        self.streams: dict[tuple, np.random.RandomState] = {}
        self.stream_of = []
        for r, i in zip(runs, inits):
            key = (r.seed, r.n_train, batch[len(self.stream_of)])
            self.streams.setdefault(key, i.rng)
            self.stream_of.append(key)
        k_ = torch.full((k,), -1, dtype=torch.int64, device=dev)
        self.train_step, self.val_step, self.rqi_step = k_.clone(), k_.clone(), k_.clone()
        self.diverged = torch.zeros(k, dtype=torch.bool, device=dev)
        self.last = {}
        self._flags()

    def _flags(self) -> None:
        # Host-side flags, refreshed only when the batch changes (no device sync in the step loop).
        self.any_wd = [bool((w != 0).any()) for w in self.wd]
        self.any_l1 = bool((self.l1 != 0).any())
        sizes = set(self.batch.tolist())
        self.grad_rows = sizes.pop() if len(sizes) == 1 else 0

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the models at positions ``keep`` (a bool mask over the current batch)."""
        idx = keep.nonzero().squeeze(1)
        self.params = [p.detach()[idx].contiguous().requires_grad_(True) for p in self.params]
        self.exp_avg = [m[idx].contiguous() for m in self.exp_avg]
        self.exp_avg_sq = [v[idx].contiguous() for v in self.exp_avg_sq]
        for name in ("lr", "wd"):
            setattr(self, name, [t[idx] for t in getattr(self, name)])
        for name in ("ids", "l1", "targets", "rows0", "n_train", "batch", "is_train", "n_val_f", "n_train_f",
                     "has_val", "row_w", "train_step", "val_step", "rqi_step", "diverged"):
            setattr(self, name, getattr(self, name)[idx])
        self.stream_of = [self.stream_of[i] for i in idx.tolist()]
        self._flags()


class _InputLayer(torch.autograd.Function):
    """``baddbmm(b, x, w_t)`` whose input gradient is taken model by model on the CPU.

    For the decoder's first layer the input gradient is a (R x width) @ (width x d_in) product with tiny d_in; the
    batched kernel sums it in another order than the single-model ``mm``, while a loop of ``mm`` is as fast here
    and bit-identical to the per-model loop. Shapes: x (K, R, d_in), w_t (K, d_in, width), b (K, 1, width).
    """

    @staticmethod
    def forward(ctx, x, w_t, b):
        ctx.save_for_backward(x, w_t)
        return torch.baddbmm(b, x, w_t)

    @staticmethod
    def backward(ctx, grad):
        x, w_t = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            if grad.is_cuda:
                gx = torch.bmm(grad, w_t.transpose(1, 2))
            else:
                gx = torch.stack([torch.mm(grad[k], w_t[k].t()) for k in range(grad.shape[0])])
        if ctx.needs_input_grad[1]:
            gw = torch.bmm(x.transpose(1, 2), grad)
        if ctx.needs_input_grad[2]:
            gb = grad.sum(dim=1, keepdim=True)
        return gx, gw, gb


def _net(task: Task, params: list[torch.Tensor], emb: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    """Decoder outputs for per-model sample pairs. emb (K, p, d); pairs (K, R, 2) symbol ids -> (K, R, d_out)."""
    # Advanced indexing: its backward accumulates serially in row order, as E[pairs[:, 0]] does for one model
    # (gather's backward, a scatter-add, may sort and sum in another order).
    model = torch.arange(emb.shape[0], device=emb.device)[:, None]
    ea, eb = emb[model, pairs[..., 0]], emb[model, pairs[..., 1]]
    if task.combine == "add":
        h = ea + eb
    else:  # 3x3 matrix product E_a @ E_b, flattened row-major
        k, r, _ = ea.shape
        h = torch.bmm(ea.reshape(k * r, 3, 3), eb.reshape(k * r, 3, 3)).reshape(k, r, 9)
    h = torch.tanh(_InputLayer.apply(h, params[1], params[2]))
    h = torch.tanh(torch.baddbmm(params[4], h, params[3]))
    return torch.baddbmm(params[6], h, params[5])


def _forward(task: Task, params: list[torch.Tensor], pairs: torch.Tensor, grad_rows: int):
    """(outputs of the first ``grad_rows`` rows, with gradient; outputs of the other rows, without).

    Splitting the rows makes every reduction of the backward pass (weight gradients, the embeddings'
    scatter-add) run over exactly the rows a single model's loss sees, in its order, so gradients are
    bit-identical to the per-model loop's. ``grad_rows == 0`` (batch sizes differ between models) runs all rows
    with gradient and per-row loss weights instead, equal to float rounding.
    """
    if 0 < grad_rows < pairs.shape[1]:
        head = _net(task, params, params[0], pairs[:, :grad_rows])
        with torch.no_grad():
            tail = _net(task, params, params[0], pairs[:, grad_rows:])
        return head, tail
    return _net(task, params, params[0], pairs), None


def _joined(outs) -> torch.Tensor:
    head, tail = outs
    return head.detach() if tail is None else torch.cat([head.detach(), tail], dim=1)


def _adamw_(b: _Batch, grads: list[torch.Tensor], step: int) -> None:
    """torch.optim.AdamW's single-tensor update (PyTorch 2.13, CPU path) with per-model lr and weight decay.

    The per-model scalars are computed in float64 and rounded to float32 exactly where torch rounds its Python
    scalars, so each model slice is updated bit-for-bit as by ``torch.optim.AdamW`` on that model alone. The update
    is elementwise, so large tensors are processed a few models at a time to stay in cache (same arithmetic).
    """
    bc1 = 1 - BETA1**step
    bc2_sqrt = (1 - BETA2**step) ** 0.5
    for group, (lo, hi) in enumerate(((0, 1), (1, 7))):
        neg_step = (-(b.lr[group] / bc1)).to(torch.float32)
        decay = (1 - b.lr[group] * b.wd[group]).to(torch.float32)
        for i in range(lo, hi):
            p, g, m, v = b.params[i], grads[i], b.exp_avg[i], b.exp_avg_sq[i]
            view = (-1,) + (1,) * (p.dim() - 1)
            per_model = p[0].numel()
            chunk = max(1, _CHUNK_ELEMENTS // per_model) if p.device.type == "cpu" else p.shape[0]
            for lo_k in range(0, p.shape[0], chunk):
                sl = slice(lo_k, lo_k + chunk)
                pc, gc, mc, vc = p[sl], g[sl], m[sl], v[sl]
                if b.any_wd[group]:  # torch skips this when weight_decay == 0; x * 1.0 == x for the others
                    pc.mul_(decay[sl].view(view))
                mc.lerp_(gc, 1 - BETA1)
                vc.mul_(BETA2).addcmul_(gc, gc, value=1 - BETA2)
                denom = vc.sqrt().div_(bc2_sqrt).add_(EPS)
                pc.add_(mc.mul(neg_step[sl].view(view)).div_(denom))


_CHUNK_ELEMENTS = 1 << 18


def _loss_per_model(cfg: TrainSettings, b: _Batch, outs, labels: torch.Tensor) -> torch.Tensor:
    """(K,) training loss on each model's current batch rows (zero-weight rows contribute exact zeros)."""
    out = outs[0]
    r = out.shape[1]
    labels, row_w = labels[:, :r], b.row_w[:, :r]
    uniform = b.grad_rows > 0  # every row of ``out`` is a batch row: plain means, as the authors' code takes
    if cfg.loss == "mse":
        y = torch.gather(b.targets, 1, labels[..., None].expand(-1, -1, b.targets.shape[-1]))
        sq = (out - y) ** 2
        loss = sq.mean(dim=(1, 2)) if uniform else (sq * row_w[..., None]).sum(dim=(1, 2))
    elif cfg.loss == "ce":
        nll = -torch.gather(torch.log_softmax(out, dim=-1), 2, labels[..., None]).squeeze(-1)
        loss = nll.mean(dim=1) if uniform else (nll * row_w).sum(dim=1)
    else:  # the Fig 6c notebook: softmax inside the decoder, loss = mean(-log(softmax) * one-hot) = CE / C
        onehot = torch.nn.functional.one_hot(labels, out.shape[-1]).to(out.dtype)
        ent = -torch.log(torch.softmax(out, dim=-1)) * onehot
        loss = ent.mean(dim=(1, 2)) if uniform else (ent * row_w[..., None]).sum(dim=(1, 2))
    if b.any_l1:
        loss = loss + b.l1 * b.params[0].abs().mean(dim=(1, 2))
    return loss


def _predict(cfg: TrainSettings, b: _Batch, out: torch.Tensor) -> torch.Tensor:
    """Predicted class per row: nearest target template for MSE, argmax for classification."""
    if cfg.loss == "mse":
        # argmin_c |o - t_c|^2 = argmin_c (|t_c|^2 - 2 o.t_c)
        scores = (b.targets**2).sum(-1)[:, None, :] - 2 * torch.bmm(out, b.targets.transpose(1, 2))
        return scores.argmin(dim=-1)
    return out.argmax(dim=-1)


def _rqi(task: Task, cfg: TrainSettings, emb: torch.Tensor, quads: torch.Tensor) -> torch.Tensor:
    if task.combine == "add":
        return rqi_mod.rqi(emb, quads, cfg.rqi_tolerance)
    return rqi_mod.rqi_s3(emb, quads, cfg.rqi_tolerance)


def train_batched(runs: list[RunSpec], cfg: TrainSettings) -> TrainResult:
    """Train ``len(runs)`` independent toy models together for ``cfg.steps`` steps.

    Runs whose (mini)batch sizes differ are trained as one batch per size, one after the other: every reduction then
    runs over the same rows as for a single model, and each model's numbers equal the per-model loop's bit for bit.
    """
    sizes = [r.batch_size if 0 < r.batch_size < r.n_train else r.n_train for r in runs]
    groups = sorted(set(sizes))
    if len(groups) <= 1 or not cfg.exact_batches:
        return _train_group(runs, cfg)
    parts = []
    for size in groups:
        idx = [i for i, s in enumerate(sizes) if s == size]
        group_cfg = cfg
        if cfg.checkpoint:
            path = Path(cfg.checkpoint)
            group_cfg = replace(cfg, checkpoint=str(path.with_name(f"{path.stem}_bs{size}{path.suffix}")))
        parts.append((idx, _train_group([runs[i] for i in idx], group_cfg)))
    summary = pd.concat([res.summary.assign(model=idx) for idx, res in parts]).sort_values("model")
    history = pd.concat([res.history.assign(model=np.asarray(idx, dtype=np.int64)[res.history.model.to_numpy(dtype=np.int64)])
                         for idx, res in parts])
    history = history.sort_values(["model", "step"], kind="stable").reset_index(drop=True)
    emb = None
    if cfg.record_embeddings:
        first = parts[0][1].embeddings
        emb = np.full((first.shape[0], len(runs)) + first.shape[2:], np.nan, dtype=np.float32)
        for idx, res in parts:
            emb[:, idx] = res.embeddings
    return TrainResult(summary=summary.reset_index(drop=True), history=history, embeddings=emb,
                       record_steps=parts[0][1].record_steps,
                       resumed_from=tuple(s for _, res in parts for s in res.resumed_from))


class _Checkpoint:
    """Save and resume one :func:`_train_group` call (see ``TrainSettings.checkpoint``).

    The file holds a fingerprint of everything that determines the numbers; a file whose fingerprint differs (other
    runs, settings, device, threads, torch or ``checkpoint_key``) is not resumed from but overwritten."""

    IGNORED = ("progress", "desc", "checkpoint", "checkpoint_every_s")

    def __init__(self, runs: list[RunSpec], cfg: TrainSettings, dev: torch.device):
        self.path = Path(cfg.checkpoint)
        self.every = float(cfg.checkpoint_every_s)
        settings = {k: v for k, v in asdict(cfg).items() if k not in self.IGNORED}
        key = dict(runs=[asdict(r) for r in runs], settings=settings, device=dev.type, torch=torch.__version__,
                   threads=torch.get_num_threads() if dev.type == "cpu" else 0)
        self.fingerprint = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
        self.last_save = time.monotonic()

    def load(self) -> dict | None:
        if not self.path.exists():
            return None
        state = torch.load(self.path, map_location="cpu", weights_only=False)
        if state.get("fingerprint") != self.fingerprint:
            tqdm.write(f"checkpoint {self.path} was made for other runs or settings; starting afresh", file=sys.stderr)
            return None
        return state

    def due(self) -> bool:
        return time.monotonic() - self.last_save >= self.every

    def save(self, state: dict) -> None:
        from grokrepro.io import atomic_path

        with atomic_path(self.path) as tmp:
            torch.save(dict(state, fingerprint=self.fingerprint), tmp)
        self.last_save = time.monotonic()


def _train_group(runs: list[RunSpec], cfg: TrainSettings) -> TrainResult:
    """:func:`train_batched` for runs that share one batch size.

    Returns per-model threshold steps (train/val accuracy >= ``acc_threshold``, RQI > ``rqi_threshold``) and the
    metrics at ``cfg.record_steps``. A model stops early when ``stop_when_decided`` and every tracked threshold is
    reached, or when its loss is not finite (then ``diverged`` is set and the unreached steps stay missing).
    """
    if not runs:
        raise ValueError("train_batched needs at least one run")
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; allowed: {', '.join(LOSSES)}")
    if cfg.steps < 1:
        raise ValueError(f"steps must be >= 1, got {cfg.steps}")
    dev = resolve_device(cfg.device)
    task = make_task(cfg.task, cfg.p, cfg.embed_dim)
    ckpt = _Checkpoint(runs, cfg, dev) if cfg.checkpoint else None
    saved = ckpt.load() if ckpt else None
    if saved is not None and "result" in saved:
        return replace(saved["result"], resumed_from=(cfg.steps,))
    if saved is None:
        b = _Batch(task, runs, cfg, dev)
    else:
        b = _Batch.__new__(_Batch)
        b.__dict__.update(_to_device(saved["batch"], dev))
        b.params = [p.detach().requires_grad_(True) for p in b.params]
    k_all = len(runs)
    pairs_all = torch.tensor(task.pairs, device=dev)
    labels_all = torch.tensor(task.labels, device=dev)
    quads = torch.tensor(
        rqi_mod.parallelograms(task.n_symbols) if task.combine == "add" else rqi_mod.s3_parallelograms(task),
        device=dev,
    )
    record = np.array(sorted(set(cfg.record_steps)), dtype=np.int64)
    record_set = set(record.tolist())
    hist_rows: list[dict] = []
    emb_hist = (
        np.full((len(record), k_all, task.n_symbols, task.embed_dim), np.nan, dtype=np.float32)
        if cfg.record_embeddings
        else None
    )
    rec_index = {s: i for i, s in enumerate(record.tolist())}
    final = {name: np.full(k_all, np.nan) for name in ("loss_train", "acc_train", "acc_val", "acc_all", "rqi")}
    last_step = np.full(k_all, cfg.steps - 1, dtype=np.int64)
    out_train_step = np.full(k_all, -1, dtype=np.int64)
    out_val_step, out_rqi_step = out_train_step.copy(), out_train_step.copy()
    out_diverged = np.zeros(k_all, dtype=bool)
    n = task.n_samples
    start = 0
    if saved is not None:
        start = saved["next_step"]
        hist_rows, emb_hist, final = saved["hist_rows"], saved["emb_hist"], saved["final"]
        last_step, out_diverged = saved["last_step"], saved["out_diverged"]
        out_train_step, out_val_step, out_rqi_step = saved["out_train_step"], saved["out_val_step"], saved["out_rqi_step"]

    def snapshot(next_step: int) -> dict:
        return dict(next_step=next_step, batch=_to_device(b.__dict__, torch.device("cpu")), rows=rows.cpu(),
                    hist_rows=hist_rows, emb_hist=emb_hist, final=final, last_step=last_step,
                    out_diverged=out_diverged, out_train_step=out_train_step, out_val_step=out_val_step,
                    out_rqi_step=out_rqi_step)

    def rows_for_step() -> torch.Tensor:
        if not b.shuffle:
            return b.rows0
        perms = {}
        for key, rng in b.streams.items():
            _, n_tr, bsz = key
            if not (b.permuted or bsz < n_tr):
                perms[key] = np.arange(n)
                continue
            choice = rng.choice(np.arange(n_tr), bsz, replace=False)
            unpicked = np.ones(n_tr, dtype=bool)
            unpicked[choice] = False
            rest = np.flatnonzero(unpicked)  # = np.setdiff1d(np.arange(n_tr), choice), without its sort
            perms[key] = np.concatenate([choice, rest, np.arange(n_tr, n)])
        order = torch.tensor(np.stack([perms[key] for key in b.stream_of]), device=dev)
        return torch.gather(b.rows0, 1, order)

    def evaluate(out, labels, loss, step, val_from_here):
        """Post-update metrics of ``step`` from ``out`` (computed at the parameters after update ``step``)."""
        with torch.no_grad():
            correct = _predict(cfg, b, _joined(out)) == labels
            acc_train = (correct & b.is_train).sum(1).to(torch.float64) / b.n_train_f
            if val_from_here:
                acc_val = (correct & ~b.is_train).sum(1).to(torch.float64) / b.n_val_f
                acc_val = torch.where(b.has_val, acc_val, torch.full_like(acc_val, float("nan")))
                b.last["acc_val"] = acc_val
            acc_val = b.last["acc_val"]
            acc_all = correct.to(torch.float64).mean(1)
            hit = (acc_train >= cfg.acc_threshold) & (b.train_step < 0)
            b.train_step[hit] = step
            hit = (acc_val >= cfg.acc_threshold) & (b.val_step < 0)
            b.val_step[hit] = step
            r = None
            if cfg.track_rqi or step in record_set:
                r = _rqi(task, cfg, b.params[0].detach(), quads)
                if cfg.track_rqi:
                    hit = (r > cfg.rqi_threshold) & (b.rqi_step < 0)
                    b.rqi_step[hit] = step
            b.last.update(acc_train=acc_train, acc_all=acc_all, rqi=r, loss=loss)
            if step in record_set:
                ids = b.ids.tolist()
                vals = [t.cpu().numpy() for t in (loss, acc_train, acc_val, acc_all, r)]
                for j, mid in enumerate(ids):
                    hist_rows.append(dict(model=mid, step=step, loss_train=float(vals[0][j]),
                                          acc_train=float(vals[1][j]), acc_val=float(vals[2][j]),
                                          acc_all=float(vals[3][j]), rqi=float(vals[4][j])))
                if emb_hist is not None:
                    emb_hist[rec_index[step], ids] = b.params[0].detach().cpu().numpy()

    def retire(mask: torch.Tensor, step: int) -> None:
        """Copy the results of the models in ``mask`` out of the batch."""
        idx = mask.nonzero().squeeze(1)
        if idx.numel() == 0:
            return
        ids = b.ids[idx].cpu().numpy()
        out_train_step[ids] = b.train_step[idx].cpu().numpy()
        out_val_step[ids] = b.val_step[idx].cpu().numpy()
        out_rqi_step[ids] = b.rqi_step[idx].cpu().numpy()
        out_diverged[ids] = b.diverged[idx].cpu().numpy()
        last_step[ids] = step
        for name, key in (("loss_train", "loss"), ("acc_train", "acc_train"), ("acc_val", "acc_val"),
                          ("acc_all", "acc_all"), ("rqi", "rqi")):
            t = b.last.get(key)
            if t is not None:
                final[name][ids] = t[idx].detach().cpu().numpy()

    bar = tqdm(total=cfg.steps, initial=start, desc=cfg.desc, disable=not cfg.progress, mininterval=2.0, unit="step")
    if start:
        tqdm.write(f"{cfg.desc}: resumed from {ckpt.path} at step {start}", file=sys.stderr)
    rows = rows_for_step() if saved is None else saved["rows"].to(dev)
    pairs = pairs_all[rows]
    labels = labels_all[rows]
    out = _forward(task, b.params, pairs, b.grad_rows)
    for step in range(start, cfg.steps):
        loss = _loss_per_model(cfg, b, out, labels)
        if cfg.flavour == "train_add":  # validation accuracy from the outputs before this update (L-D12)
            with torch.no_grad():
                correct = _predict(cfg, b, _joined(out)) == labels
                acc_val = (correct & ~b.is_train).sum(1).to(torch.float64) / b.n_val_f
                b.last["acc_val"] = torch.where(b.has_val, acc_val, torch.full_like(acc_val, float("nan")))
        grads = torch.autograd.grad(loss.sum(), b.params)
        with torch.no_grad():
            _adamw_(b, list(grads), step + 1)
        bad = ~torch.isfinite(loss.detach())
        b.diverged |= bad
        # Forward at the new parameters: evaluates this step and is the next step's training forward.
        if b.shuffle and step + 1 < cfg.steps:
            rows_next = rows_for_step()
        else:
            rows_next = rows
        pairs_next, labels_next = pairs_all[rows_next], labels_all[rows_next]
        if step + 1 < cfg.steps:
            out = _forward(task, b.params, pairs_next, b.grad_rows)
        else:
            with torch.no_grad():
                out = _forward(task, b.params, pairs_next, b.grad_rows)
        evaluate(out, labels_next, loss.detach(), step, cfg.flavour == "notebook")
        rows, pairs, labels = rows_next, pairs_next, labels_next
        bar.update(1)
        if step + 1 == cfg.steps:
            break
        if (step + 1) % cfg.check_every == 0:
            done = b.diverged.clone()
            if cfg.stop_when_decided:
                decided = (b.train_step >= 0) & (b.val_step >= 0)
                if cfg.track_rqi:
                    decided &= b.rqi_step >= 0
                done |= decided
            if bool(done.any()):
                retire(done, step)
                if bool(done.all()):
                    break
                b.select(~done)
                rows, pairs, labels = rows[~done], pairs[~done], labels[~done]
                out = _forward(task, b.params, pairs, b.grad_rows)
            bar.set_postfix(active=len(b.ids), refresh=False)
            if ckpt is not None and ckpt.due():
                # Resuming recomputes ``out`` from the saved parameters and rows: the same forward as here.
                ckpt.save(snapshot(step + 1))
    else:
        step = cfg.steps - 1
    if len(b.ids):
        retire(torch.ones(len(b.ids), dtype=torch.bool, device=dev), step)
    bar.close()

    summary = pd.DataFrame([asdict(r) for r in runs])
    summary.insert(0, "model", np.arange(k_all))
    for name, arr in (("train_step", out_train_step), ("val_step", out_val_step), ("rqi_step", out_rqi_step)):
        summary[name] = pd.array([int(v) if v >= 0 else pd.NA for v in arr], dtype="Int64")
    summary["diverged"] = out_diverged
    summary["last_step"] = last_step
    for name, arr in final.items():
        summary[f"final_{name}"] = arr
    history = pd.DataFrame(hist_rows, columns=["model", "step", "loss_train", "acc_train", "acc_val", "acc_all", "rqi"])
    history = history.sort_values(["model", "step"], kind="stable").reset_index(drop=True)
    result = TrainResult(summary=summary, history=history, embeddings=emb_hist, record_steps=record)
    if ckpt is not None:
        ckpt.save(dict(result=result))
    return replace(result, resumed_from=(start,) if saved is not None else ())


def _to_device(obj, dev: torch.device):
    """``obj`` (tensors in dicts, lists and tuples; anything else as is) with every tensor moved to ``dev``."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to(dev)
    if isinstance(obj, dict):
        return {k: _to_device(v, dev) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, dev) for v in obj)
    return obj

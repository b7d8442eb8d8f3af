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
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.memory import keep_freed_memory
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
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and torch.cuda.is_available():
        # TF32 matrix products only where the GPU run's check found that they move no phase (grokrepro.gpu_run)
        torch.backends.cuda.matmul.allow_tf32 = os.environ.get("GROKREPRO_TF32") == "1"
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

    @classmethod
    def restore(cls, state: dict, dev: torch.device) -> _Batch:
        """The batch saved in a checkpoint (``state`` is its ``__dict__``), on ``dev`` and ready for gradients."""
        b = cls.__new__(cls)
        b.__dict__.update(_to_device(state, dev))
        b.params = [p.detach().requires_grad_(True) for p in b.params]
        return b


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
            adamw_tensor_(b.params[i], grads[i], b.exp_avg[i], b.exp_avg_sq[i], neg_step, decay, b.any_wd[group],
                          bc2_sqrt)


def adamw_tensor_(p, g, m, v, neg_step: torch.Tensor, decay: torch.Tensor, apply_decay: bool, bc2_sqrt: float,
                  chunk_elements: int | None = None) -> None:
    """One parameter tensor's AdamW update with a leading model axis: ``neg_step`` = −lr/bc1 and ``decay`` =
    1 − lr·wd per model (already rounded to the parameter type), the single-tensor arithmetic of
    ``torch.optim.AdamW``. On CPU a few models at a time (``chunk_elements`` elements; same arithmetic), so that each
    pass stays in cache. Shared by the toy, MNIST and transformer trainers."""
    view = (-1,) + (1,) * (p.dim() - 1)
    limit = _CHUNK_ELEMENTS if chunk_elements is None else chunk_elements
    chunk = max(1, limit // p[0].numel()) if p.device.type == "cpu" else p.shape[0]
    for lo_k in range(0, p.shape[0], chunk):
        sl = slice(lo_k, lo_k + chunk)
        pc, gc, mc, vc = p[sl], g[sl], m[sl], v[sl]
        if apply_decay:  # torch skips this when weight_decay == 0; x * 1.0 == x for the others
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
    keep_freed_memory()                 # step-sized tensors reused from the heap, not faulted in (grokrepro.memory)
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

    The loop only sequences the three parts: set-up (:func:`_check_arguments`, :class:`_Batch`, :class:`_Data`),
    one optimisation step (:class:`_Stepper`) and the bookkeeping of what the training records (:class:`_Bookkeeping`).
    """
    _check_arguments(runs, cfg)
    dev = resolve_device(cfg.device)
    task = make_task(cfg.task, cfg.p, cfg.embed_dim)
    ckpt = _Checkpoint(runs, cfg, dev) if cfg.checkpoint else None
    saved = ckpt.load() if ckpt else None
    if saved is not None and "result" in saved:
        return replace(saved["result"], resumed_from=(cfg.steps,))
    b = _Batch(task, runs, cfg, dev) if saved is None else _Batch.restore(saved["batch"], dev)
    data = _Data.build(task, dev)
    book = _Bookkeeping(cfg, data, len(runs), saved)
    start = saved["next_step"] if saved is not None else 0
    bar = tqdm(total=cfg.steps, initial=start, desc=cfg.desc, disable=not cfg.progress, mininterval=2.0, unit="step")
    if start:
        tqdm.write(f"{cfg.desc}: resumed from {ckpt.path} at step {start}", file=sys.stderr)
    stepper = _Stepper(cfg, data, b, rows=None if saved is None else saved["rows"].to(dev))
    for step in range(start, cfg.steps):
        loss = stepper.step(step)
        book.evaluate(b, stepper.out, stepper.labels, loss, step)
        bar.update(1)
        if step + 1 == cfg.steps:
            break
        if (step + 1) % cfg.check_every == 0:
            done = book.decided_or_diverged(b)
            if bool(done.any()):
                book.retire(b, done, step)
                if bool(done.all()):
                    break
                stepper.drop(done)
            bar.set_postfix(active=len(b.ids), refresh=False)
            if ckpt is not None and ckpt.due():
                # Resuming recomputes ``out`` from the saved parameters and rows: the same forward as here.
                ckpt.save(_snapshot(step + 1, b, stepper, book))
    else:
        step = cfg.steps - 1
    if len(b.ids):
        book.retire(b, torch.ones(len(b.ids), dtype=torch.bool, device=dev), step)
    bar.close()
    result = book.result(runs)
    if ckpt is not None:
        ckpt.save(dict(result=result))
    return replace(result, resumed_from=(start,) if saved is not None else ())


# ---- (a) Set-up: arguments, the shared dataset on the device (the per-model state is :class:`_Batch`) ----------


def _check_arguments(runs: list[RunSpec], cfg: TrainSettings) -> None:
    """Refuse an empty group, an unknown loss and a step budget below one."""
    if not runs:
        raise ValueError("train_batched needs at least one run")
    if cfg.loss not in LOSSES:
        raise ValueError(f"unknown loss {cfg.loss!r}; allowed: {', '.join(LOSSES)}")
    if cfg.steps < 1:
        raise ValueError(f"steps must be >= 1, got {cfg.steps}")


@dataclass(frozen=True)
class _Data:
    """The task's whole dataset on the device, the same for every model of a group.

    ``pairs`` (n_samples, 2) symbol ids and ``labels`` (n_samples,) class ids, indexed by a model's sample rows;
    ``quads`` the parallelograms that the RQI is measured on."""

    task: Task
    dev: torch.device
    pairs: torch.Tensor
    labels: torch.Tensor
    quads: torch.Tensor

    @classmethod
    def build(cls, task: Task, dev: torch.device) -> _Data:
        """Move ``task``'s samples and parallelograms to ``dev``."""
        quads = rqi_mod.parallelograms(task.n_symbols) if task.combine == "add" else rqi_mod.s3_parallelograms(task)
        return cls(task=task, dev=dev, pairs=torch.tensor(task.pairs, device=dev),
                   labels=torch.tensor(task.labels, device=dev), quads=torch.tensor(quads, device=dev))


# ---- (b) One optimisation step of the batched model group ------------------------------------------------------


def _rows_for_step(b: _Batch, n: int, dev: torch.device) -> torch.Tensor:
    """(K, n) sample rows of each model for the next step: training rows first (the first ``batch`` of them form
    the step's batch), then validation rows.

    Unshuffled batches keep ``b.rows0``. Otherwise each stream (shared by runs with equal seed, training-set size
    and batch size) draws its batch from its own numpy generator, once per stream and in stream order."""
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


class _Stepper:
    """Runs the optimisation steps of a :class:`_Batch` and carries what one step hands to the next.

    ``rows``, ``pairs``, ``labels`` are the current step's sample rows (K, n) and their symbol pairs and classes;
    ``out`` is the forward pass at the current parameters on those rows. After :meth:`step` the same forward, at the
    updated parameters on the next step's rows, both gives the post-update metrics of the step just taken and is the
    next step's training forward (one forward per step).
    """

    def __init__(self, cfg: TrainSettings, data: _Data, b: _Batch, rows: torch.Tensor | None = None):
        """First forward pass, on ``rows`` (a resumed checkpoint's) or on freshly drawn rows."""
        self.cfg, self.data, self.b = cfg, data, b
        self.rows = _rows_for_step(b, data.task.n_samples, data.dev) if rows is None else rows
        self.pairs = data.pairs[self.rows]
        self.labels = data.labels[self.rows]
        self.out = _forward(data.task, b.params, self.pairs, b.grad_rows)

    def step(self, step: int) -> torch.Tensor:
        """Update ``step`` (0-based): loss, gradient, AdamW, divergence flags, then the next rows and forward.

        In the ``train_add`` flavour the validation accuracy of ``step`` is taken from the outputs before the update
        (L-D12). No gradient is kept for the forward after the last step. Returns the (K,) loss, detached."""
        cfg, data, b = self.cfg, self.data, self.b
        loss = _loss_per_model(cfg, b, self.out, self.labels)
        if cfg.flavour == "train_add":  # validation accuracy from the outputs before this update (L-D12)
            _val_accuracy_before_update(cfg, b, self.out, self.labels)
        grads = torch.autograd.grad(loss.sum(), b.params)
        with torch.no_grad():
            _adamw_(b, list(grads), step + 1)
        bad = ~torch.isfinite(loss.detach())
        b.diverged |= bad
        # Forward at the new parameters: evaluates this step and is the next step's training forward.
        more = step + 1 < cfg.steps
        if b.shuffle and more:
            self.rows = _rows_for_step(b, data.task.n_samples, data.dev)
        self.pairs, self.labels = data.pairs[self.rows], data.labels[self.rows]
        if more:
            self.out = _forward(data.task, b.params, self.pairs, b.grad_rows)
        else:
            with torch.no_grad():
                self.out = _forward(data.task, b.params, self.pairs, b.grad_rows)
        return loss.detach()

    def drop(self, done: torch.Tensor) -> None:
        """Remove the models in ``done`` (a bool mask over the batch) and redo the forward for the others."""
        self.b.select(~done)
        self.rows, self.pairs, self.labels = self.rows[~done], self.pairs[~done], self.labels[~done]
        self.out = _forward(self.data.task, self.b.params, self.pairs, self.b.grad_rows)


# ---- (c) Bookkeeping: threshold steps, evaluation, finished/diverged masks, history ----------------------------


def _val_accuracy(b: _Batch, correct: torch.Tensor) -> torch.Tensor:
    """(K,) float64 accuracy on each model's validation rows; NaN for a model without any."""
    acc_val = (correct & ~b.is_train).sum(1).to(torch.float64) / b.n_val_f
    return torch.where(b.has_val, acc_val, torch.full_like(acc_val, float("nan")))


def _val_accuracy_before_update(cfg: TrainSettings, b: _Batch, out, labels: torch.Tensor) -> None:
    """``train_add`` flavour: store the validation accuracy of ``out`` (the outputs before the update) in
    ``b.last`` for :meth:`_Bookkeeping.evaluate` of this step (L-D12)."""
    with torch.no_grad():
        correct = _predict(cfg, b, _joined(out)) == labels
        b.last["acc_val"] = _val_accuracy(b, correct)


class _Bookkeeping:
    """What one group's training records, kept outside the batch so that it survives models leaving it.

    Per original model (K entries, -1 = never reached): the threshold steps, the divergence flag, the step it left
    the batch and its final metrics (copied by :meth:`retire`); the history rows and embeddings at the recorded
    steps. The running models' threshold steps and latest metrics live on the batch (``b.train_step``, ``b.last``).
    """

    STATE = ("hist_rows", "emb_hist", "final", "last_step", "out_diverged", "out_train_step", "out_val_step",
             "out_rqi_step")

    def __init__(self, cfg: TrainSettings, data: _Data, k_all: int, saved: dict | None = None):
        """Empty records for ``k_all`` models, or the records of a resumed checkpoint ``saved``."""
        self.cfg, self.data = cfg, data
        self.record = np.array(sorted(set(cfg.record_steps)), dtype=np.int64)
        self.record_set = set(self.record.tolist())
        self.rec_index = {s: i for i, s in enumerate(self.record.tolist())}
        task = data.task
        self.hist_rows: list[dict] = []
        self.emb_hist = (
            np.full((len(self.record), k_all, task.n_symbols, task.embed_dim), np.nan, dtype=np.float32)
            if cfg.record_embeddings
            else None
        )
        self.final = {name: np.full(k_all, np.nan) for name in ("loss_train", "acc_train", "acc_val", "acc_all", "rqi")}
        self.last_step = np.full(k_all, cfg.steps - 1, dtype=np.int64)
        self.out_train_step = np.full(k_all, -1, dtype=np.int64)
        self.out_val_step, self.out_rqi_step = self.out_train_step.copy(), self.out_train_step.copy()
        self.out_diverged = np.zeros(k_all, dtype=bool)
        if saved is not None:
            for name in self.STATE:
                setattr(self, name, saved[name])

    def state(self) -> dict:
        """The records as a checkpoint holds them (see :func:`_snapshot`)."""
        return {name: getattr(self, name) for name in self.STATE}

    def evaluate(self, b: _Batch, out, labels: torch.Tensor, loss: torch.Tensor, step: int) -> None:
        """Post-update metrics of ``step`` from ``out`` (computed at the parameters after update ``step``): threshold
        steps reached, latest metrics in ``b.last``, and a history row per model (and its embeddings) at a recorded
        step. The notebook flavour measures validation accuracy here; ``train_add`` measured it before the update."""
        cfg = self.cfg
        with torch.no_grad():
            correct = _predict(cfg, b, _joined(out)) == labels
            acc_train = (correct & b.is_train).sum(1).to(torch.float64) / b.n_train_f
            if cfg.flavour == "notebook":
                b.last["acc_val"] = _val_accuracy(b, correct)
            acc_val = b.last["acc_val"]
            acc_all = correct.to(torch.float64).mean(1)
            hit = (acc_train >= cfg.acc_threshold) & (b.train_step < 0)
            b.train_step[hit] = step
            hit = (acc_val >= cfg.acc_threshold) & (b.val_step < 0)
            b.val_step[hit] = step
            r = None
            if cfg.track_rqi or step in self.record_set:
                r = _rqi(self.data.task, cfg, b.params[0].detach(), self.data.quads)
                if cfg.track_rqi:
                    hit = (r > cfg.rqi_threshold) & (b.rqi_step < 0)
                    b.rqi_step[hit] = step
            b.last.update(acc_train=acc_train, acc_all=acc_all, rqi=r, loss=loss)
            if step in self.record_set:
                self._record(b, step, loss, acc_train, acc_val, acc_all, r)

    def _record(self, b: _Batch, step: int, *metrics: torch.Tensor) -> None:
        """History rows (loss, acc_train, acc_val, acc_all, rqi per running model) and embeddings at ``step``."""
        ids = b.ids.tolist()
        vals = [t.cpu().numpy() for t in metrics]
        for j, mid in enumerate(ids):
            self.hist_rows.append(dict(model=mid, step=step, loss_train=float(vals[0][j]),
                                       acc_train=float(vals[1][j]), acc_val=float(vals[2][j]),
                                       acc_all=float(vals[3][j]), rqi=float(vals[4][j])))
        if self.emb_hist is not None:
            self.emb_hist[self.rec_index[step], ids] = b.params[0].detach().cpu().numpy()

    def decided_or_diverged(self, b: _Batch) -> torch.Tensor:
        """Bool mask over the batch of the models that are done: diverged, or (with ``stop_when_decided``) past both
        accuracy thresholds and, when tracked, the RQI threshold."""
        cfg = self.cfg
        done = b.diverged.clone()
        if cfg.stop_when_decided:
            decided = (b.train_step >= 0) & (b.val_step >= 0)
            if cfg.track_rqi:
                decided &= b.rqi_step >= 0
            done |= decided
        return done

    def retire(self, b: _Batch, mask: torch.Tensor, step: int) -> None:
        """Copy the results of the models in ``mask`` out of the batch; ``step`` is their last step."""
        idx = mask.nonzero().squeeze(1)
        if idx.numel() == 0:
            return
        ids = b.ids[idx].cpu().numpy()
        self.out_train_step[ids] = b.train_step[idx].cpu().numpy()
        self.out_val_step[ids] = b.val_step[idx].cpu().numpy()
        self.out_rqi_step[ids] = b.rqi_step[idx].cpu().numpy()
        self.out_diverged[ids] = b.diverged[idx].cpu().numpy()
        self.last_step[ids] = step
        for name, key in (("loss_train", "loss"), ("acc_train", "acc_train"), ("acc_val", "acc_val"),
                          ("acc_all", "acc_all"), ("rqi", "rqi")):
            t = b.last.get(key)
            if t is not None:
                self.final[name][ids] = t[idx].detach().cpu().numpy()

    def result(self, runs: list[RunSpec]) -> TrainResult:
        """The summary (one row per run; steps never reached are missing) and the history, once every model retired."""
        summary = pd.DataFrame([asdict(r) for r in runs])
        summary.insert(0, "model", np.arange(len(runs)))
        for name, arr in (("train_step", self.out_train_step), ("val_step", self.out_val_step),
                          ("rqi_step", self.out_rqi_step)):
            summary[name] = pd.array([int(v) if v >= 0 else pd.NA for v in arr], dtype="Int64")
        summary["diverged"] = self.out_diverged
        summary["last_step"] = self.last_step
        for name, arr in self.final.items():
            summary[f"final_{name}"] = arr
        history = pd.DataFrame(self.hist_rows,
                               columns=["model", "step", "loss_train", "acc_train", "acc_val", "acc_all", "rqi"])
        history = history.sort_values(["model", "step"], kind="stable").reset_index(drop=True)
        return TrainResult(summary=summary, history=history, embeddings=self.emb_hist, record_steps=self.record)


def _snapshot(next_step: int, b: _Batch, stepper: _Stepper, book: _Bookkeeping) -> dict:
    """Checkpoint state before step ``next_step``: the batch, the current rows and the records (all on the CPU)."""
    return dict(next_step=next_step, batch=_to_device(b.__dict__, torch.device("cpu")), rows=stepper.rows.cpu(),
                **book.state())


def _to_device(obj, dev: torch.device):
    """``obj`` (tensors in dicts, lists and tuples; anything else as is) with every tensor moved to ``dev``."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to(dev)
    if isinstance(obj, dict):
        return {k: _to_device(v, dev) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, dev) for v in obj)
    return obj

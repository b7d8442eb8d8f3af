"""The transformer of Liu et al. (2022) §4.2 (Figs 1, 7, 21, 22; issue #22): many runs trained as one batched program.

The model, the batched trainer and its per-run reference (tests/unit/test_liu_transformer.py); the figures that train
with it are in :mod:`grokrepro.liu2022.transformer_figures`, their claims (L-24 ... L-29) in
:mod:`grokrepro.liu2022.claims_transformer`.

The model (docs/decisions.md, Transformer and MNIST; every default a field of :class:`TransformerConfig`): modular
addition mod p (p = 53); the two integers a, b are looked up in one learnable token embedding (p x d_model) plus a
learned positional embedding (2 x d_model), with no operation or "=" token; ``n_layers`` pre-LayerNorm decoder blocks
(``n_heads``-head self-attention with a causal mask, an MLP of width ``mlp_mult * d_model`` with GELU, dropout on each
block's two residual branches); a final LayerNorm; the outputs at both positions concatenated (2 d_model) and fed to a
linear classifier over p classes; cross-entropy. Initialisation as PyTorch's defaults (``nn.Embedding``: N(0, 1);
``nn.Linear``: Kaiming-uniform weight, uniform bias; ``nn.LayerNorm``: ones, zeros), drawn per run from
``torch.Generator().manual_seed(seed)`` in a fixed order. AdamW with two parameter groups: the embeddings (token and
positional; ``lr_embed``, ``wd_embed``) and the decoder (everything else, the classifier included; ``lr_decoder``,
``wd_decoder``).

Every parameter carries a leading model axis M (runs differ in seed, learning rates, weight decays and dropout); one
step is one batched forward (``baddbmm`` over the model axis), one backward and one hand-written AdamW update with
per-model scalars, equal to ``torch.optim.AdamW`` on each run alone up to float rounding. Dropout masks are drawn per
run from its own generator (seeded by ``seed``), so a run's numbers do not depend on its batch companions.
:func:`train_reference` is the plain per-run loop (an ``nn.Module`` + ``torch.optim.AdamW``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from grokrepro.memory import keep_freed_memory
from grokrepro.spikes import effective_dimension
from grokrepro.train import BETA1, BETA2, adamw_tensor_, resolve_device


@dataclass(frozen=True)
class TransformerConfig:
    """Architecture and data, shared by every run of a batch (spec defaults; docs/decisions.md)."""

    p: int = 53
    d_model: int = 256
    n_layers: int = 2
    n_heads: int = 8
    mlp_mult: int = 4
    causal: bool = True
    train_fraction: float = 0.8
    split_seed: int = 0


@dataclass(frozen=True)
class TransformerRun:
    """One run's seed (init and dropout), learning rates, weight decays and decoder dropout."""

    seed: int = 0
    lr_embed: float = 1e-3
    wd_embed: float = 0.0
    lr_decoder: float = 1e-3
    wd_decoder: float = 0.0
    dropout: float = 0.0


@dataclass(frozen=True)
class TrainSettings:
    steps: int = 30_000
    eval_every: int = 100
    threshold: float = 0.9          # Table 1 (L-D1), train and validation
    stop_when_decided: bool = False
    device: str = "cpu"
    progress: bool = True
    desc: str = "transformer"


EMBED = ("tok", "pos")
HISTORY_COLUMNS = ["model", "step", "loss_train", "acc_train", "loss_val", "acc_val", "eff_dim"]


def split(cfg: TransformerConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(train pairs, validation pairs), each (n, 2) int64: the p^2 ordered pairs shuffled by ``split_seed``, the
    first ``round(train_fraction * p^2)`` for training."""
    p = cfg.p
    pairs = torch.tensor([(a, b) for a in range(p) for b in range(p)], dtype=torch.int64)
    order = torch.from_numpy(np.random.default_rng(cfg.split_seed).permutation(p * p))
    n = int(round(cfg.train_fraction * p * p))
    if not 0 < n < p * p:
        raise ValueError(f"train_fraction {cfg.train_fraction} leaves an empty training or validation set")
    return pairs[order[:n]], pairs[order[n:]]


def param_names(cfg: TransformerConfig) -> list[str]:
    names = ["tok", "pos"]
    for i in range(cfg.n_layers):
        names += [f"l{i}.{k}" for k in ("ln1_w", "ln1_b", "qkv_w", "qkv_b", "out_w", "out_b", "ln2_w", "ln2_b",
                                         "fc1_w", "fc1_b", "fc2_w", "fc2_b")]
    return names + ["lnf_w", "lnf_b", "head_w", "head_b"]


def _linear(g: torch.Generator, fan_in: int, fan_out: int, dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """``nn.Linear``'s default init, stored as (in, out) for ``x @ W``."""
    w = torch.empty(fan_out, fan_in, dtype=dtype)
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
    bound = 1 / math.sqrt(fan_in)
    return w.T.contiguous(), torch.empty(fan_out, dtype=dtype).uniform_(-bound, bound, generator=g)


def init_params(seed: int, cfg: TransformerConfig, dtype=torch.float32) -> dict[str, torch.Tensor]:
    """One run's parameters (PyTorch's default inits, drawn in the order of :func:`param_names`)."""
    g = torch.Generator().manual_seed(int(seed))
    d, h = cfg.d_model, cfg.mlp_mult * cfg.d_model
    out = {"tok": torch.randn(cfg.p, d, generator=g, dtype=dtype), "pos": torch.randn(2, d, generator=g, dtype=dtype)}
    for i in range(cfg.n_layers):
        out[f"l{i}.ln1_w"], out[f"l{i}.ln1_b"] = torch.ones(d, dtype=dtype), torch.zeros(d, dtype=dtype)
        out[f"l{i}.qkv_w"], out[f"l{i}.qkv_b"] = _linear(g, d, 3 * d, dtype)
        out[f"l{i}.out_w"], out[f"l{i}.out_b"] = _linear(g, d, d, dtype)
        out[f"l{i}.ln2_w"], out[f"l{i}.ln2_b"] = torch.ones(d, dtype=dtype), torch.zeros(d, dtype=dtype)
        out[f"l{i}.fc1_w"], out[f"l{i}.fc1_b"] = _linear(g, d, h, dtype)
        out[f"l{i}.fc2_w"], out[f"l{i}.fc2_b"] = _linear(g, h, d, dtype)
    out["lnf_w"], out["lnf_b"] = torch.ones(d, dtype=dtype), torch.zeros(d, dtype=dtype)
    out["head_w"], out["head_b"] = _linear(g, 2 * d, cfg.p, dtype)
    return out


def _ln(x, w, b):
    """LayerNorm over the last axis with per-model affine (M, d) parameters; x (M, B, T, d)."""
    y = F.layer_norm(x, x.shape[-1:], eps=1e-5)
    return y * w[:, None, None] + b[:, None, None]


def _dropout(x, rates: torch.Tensor, gens: list[torch.Generator] | None):
    """Inverted dropout with a per-model rate, masks from each model's generator (None: evaluation)."""
    if gens is None or not bool((rates > 0).any()):
        return x
    masks = []
    for m, g in enumerate(gens):
        r = float(rates[m])
        shape = x.shape[1:]
        if r > 0:
            keep = torch.rand(shape, generator=g, device=x.device) >= r
            masks.append(keep.to(x.dtype) / (1 - r))
        else:
            masks.append(torch.ones(shape, dtype=x.dtype, device=x.device))
    return x * torch.stack(masks)


def _affine(x, w, b):
    """x @ w + b per model: x (M, ..., d_in), w (M, d_in, d_out), b (M, d_out). One ``baddbmm`` over the flattened
    positions (the bias enters the product's output instead of a separate pass)."""
    M, d_in = x.shape[0], x.shape[-1]
    return torch.baddbmm(b[:, None], x.reshape(M, -1, d_in), w).view(*x.shape[:-1], w.shape[-1])


def _attention(qh, kh, vh, mask):
    """Self-attention of (M, B, T, H, dh) queries, keys and values, (M, B, T, H, dh) out; ``mask`` (T, T) True where a
    position may not attend (None: no mask). The sequence is short (T = 2): broadcast products over (t, s) instead of
    B x H batched T x T matrix products."""
    scores = (qh[:, :, :, None] * kh[:, :, None]).sum(-1) / math.sqrt(qh.shape[-1])      # (M, B, T, S, H)
    if mask is not None:
        scores = scores.masked_fill(mask[:, :, None], float("-inf"))
    probs = scores.softmax(3)
    return (probs[..., None] * vh[:, :, None]).sum(3)


def _attention_causal_pair(qh, kh, vh, mask=None):
    """:func:`_attention` for the causal mask of a pair (T = 2), without the masked work: position 0 sees only itself
    (its softmax is exactly (1, 0), its output exactly v_0) and position 1 both; the same numbers, forward and
    backward, in a quarter of the broadcast products (tests/unit/test_liu_transformer.py)."""
    q1 = qh[:, :, 1]
    scores = (q1[:, :, None] * kh).sum(-1) / math.sqrt(qh.shape[-1])                    # (M, B, S, H)
    probs = scores.softmax(2)
    return torch.stack([vh[:, :, 0], (probs[..., None] * vh).sum(2)], 2)


def forward(params: dict[str, torch.Tensor], pairs: torch.Tensor, cfg: TransformerConfig, rates: torch.Tensor,
            gens: list[torch.Generator] | None = None) -> torch.Tensor:
    """Logits (M, B, p) of the batch ``pairs`` (B, 2) for every model; ``gens``: dropout generators (training)."""
    M, d, H = params["tok"].shape[0], cfg.d_model, cfg.n_heads
    dh = d // H
    B, T = pairs.shape
    # index_select, not advanced indexing: the same numbers, and its backward (index_add_) is several times faster
    # on CPU than index_put_'s accumulation
    x = params["tok"].index_select(1, pairs.reshape(-1)).view(M, B, T, d) + params["pos"][:, None]   # (M, B, T, d)
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=x.device), 1) if cfg.causal else None
    for i in range(cfg.n_layers):
        q = f"l{i}."
        h = _ln(x, params[q + "ln1_w"], params[q + "ln1_b"])
        qkv = _affine(h, params[q + "qkv_w"], params[q + "qkv_b"])
        qh, kh, vh = (t.reshape(M, B, T, H, dh) for t in qkv.split(d, -1))
        att = (_attention_causal_pair if mask is not None and T == 2 else _attention)(qh, kh, vh, mask)
        att = att.reshape(M, B, T, d)
        att = _affine(att, params[q + "out_w"], params[q + "out_b"])
        x = x + _dropout(att, rates, gens)
        h = _ln(x, params[q + "ln2_w"], params[q + "ln2_b"])
        h = F.gelu(_affine(h, params[q + "fc1_w"], params[q + "fc1_b"]))
        h = _affine(h, params[q + "fc2_w"], params[q + "fc2_b"])
        x = x + _dropout(h, rates, gens)
    x = _ln(x, params["lnf_w"], params["lnf_b"]).reshape(M, B, T * d)
    return _affine(x, params["head_w"], params["head_b"])


def adamw_(p, g, m, v, lr: torch.Tensor, wd: torch.Tensor, step: int) -> None:
    """``torch.optim.AdamW``'s update with per-model (M,) learning rate and weight decay (float64 scalars rounded to
    the parameter type where torch rounds its Python scalars; :func:`grokrepro.train.adamw_tensor_`)."""
    bc1, bc2_sqrt = 1 - BETA1 ** step, (1 - BETA2 ** step) ** 0.5
    adamw_tensor_(p, g, m, v, (-(lr / bc1)).to(p.dtype), (1 - lr * wd).to(p.dtype), bool((wd != 0).any()), bc2_sqrt)


@dataclass
class TrainResult:
    """``summary``: one row per run (TransformerRun fields, ``train_step``, ``val_step`` (Int64, NA: never),
    ``final_acc_train``, ``final_acc_val``); ``history``: one row per run and evaluated step; ``embeddings``: the token
    embeddings (M, p, d) at every evaluated step, {step: tensor} (Figs 1, 21, 22 read them)."""

    summary: pd.DataFrame
    history: pd.DataFrame
    embeddings: dict


@torch.no_grad()
def evaluate(params, cfg: TransformerConfig, train: torch.Tensor, val: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-model loss and accuracy on the whole training and validation sets (no dropout), and exp(S) of the token
    embeddings' PCA spectrum (Fig 7 left)."""
    M = params["tok"].shape[0]
    rates = torch.zeros(M)
    out = {}
    p = cfg.p
    for name, pairs in (("train", train), ("val", val)):
        y = (pairs[:, 0] + pairs[:, 1]) % p
        logits = forward(params, pairs, cfg, rates)
        out[f"loss_{name}"] = F.cross_entropy(logits.reshape(-1, p), y.repeat(M), reduction="none").view(M, -1).mean(1)
        out[f"acc_{name}"] = (logits.argmax(-1) == y).double().mean(1)
    out["eff_dim"] = effective_dimension(params["tok"].detach())
    return out


def train_batched(runs: list[TransformerRun], cfg: TransformerConfig, s: TrainSettings,
                  dtype=torch.float32, on_eval=None) -> TrainResult:
    """Train every run of ``runs`` as one batched program, full batch, for ``s.steps`` steps. ``on_eval(step, params,
    ev)``, if given, is called at every evaluated step with the parameters (M-leading tensors, read-only) and the
    evaluation (per-model numpy arrays); Figs 1, 21 and 22 keep the snapshots they need through it."""
    if not runs:
        raise ValueError("train_batched needs at least one run")
    if cfg.d_model % cfg.n_heads:
        raise ValueError(f"d_model {cfg.d_model} is not divisible by n_heads {cfg.n_heads}")
    keep_freed_memory()                 # step-sized activations reused from the heap, not faulted in (grokrepro.memory)
    dev = resolve_device(s.device)
    train, val = (t.to(dev) for t in split(cfg))
    y = (train[:, 0] + train[:, 1]) % cfg.p
    inits = [init_params(r.seed, cfg, dtype) for r in runs]
    names = param_names(cfg)
    params = {k: torch.stack([i[k] for i in inits]).to(dev).requires_grad_(True) for k in names}
    m = {k: torch.zeros_like(v) for k, v in params.items()}
    v2 = {k: torch.zeros_like(v) for k, v in params.items()}
    f64 = dict(dtype=torch.float64, device=dev)
    lr = {g: torch.tensor([getattr(r, f"lr_{g}") for r in runs], **f64) for g in ("embed", "decoder")}
    wd = {g: torch.tensor([getattr(r, f"wd_{g}") for r in runs], **f64) for g in ("embed", "decoder")}
    rates = torch.tensor([r.dropout for r in runs])
    gens = [torch.Generator(device=dev).manual_seed(int(r.seed)) for r in runs]
    M = len(runs)
    todo = set(range(0, s.steps + 1, max(1, s.eval_every))) | {s.steps}
    rows, emb = [], {}
    tr_step, va_step = np.full(M, -1), np.full(M, -1)
    bar = tqdm(total=s.steps, desc=s.desc, disable=not s.progress, mininterval=2.0, unit="step")
    for step in range(s.steps + 1):
        if step in todo:
            ev = {k: t.cpu().numpy() for k, t in evaluate(params, cfg, train, val).items()}
            emb[step] = params["tok"].detach().cpu().clone()
            if on_eval is not None:
                on_eval(step, {k: t.detach() for k, t in params.items()}, ev)
            for j in range(M):
                rows.append(dict(model=j, step=step, **{k: float(ev[k][j]) for k in HISTORY_COLUMNS[2:]}))
                if tr_step[j] < 0 and ev["acc_train"][j] >= s.threshold:
                    tr_step[j] = step
                if va_step[j] < 0 and ev["acc_val"][j] >= s.threshold:
                    va_step[j] = step
            if s.stop_when_decided and (tr_step >= 0).all() and (va_step >= 0).all():
                break
        if step == s.steps:
            break
        logits = forward(params, train, cfg, rates, gens)
        loss = F.cross_entropy(logits.reshape(-1, cfg.p), y.repeat(M), reduction="none").view(M, -1).mean(1)
        grads = torch.autograd.grad(loss.sum(), list(params.values()))
        with torch.no_grad():
            for (k, p), g in zip(params.items(), grads):
                group = "embed" if k in EMBED else "decoder"
                adamw_(p, g, m[k], v2[k], lr[group], wd[group], step + 1)
        bar.update(1)
    bar.close()
    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    summary = pd.DataFrame([asdict(r) for r in runs])
    summary.insert(0, "model", np.arange(M))
    for name, arr in (("train_step", tr_step), ("val_step", va_step)):
        summary[name] = pd.array([int(x) if x >= 0 else pd.NA for x in arr], dtype="Int64")
    last = history.groupby("model").last()
    summary["final_acc_train"] = last.acc_train.to_numpy()
    summary["final_acc_val"] = last.acc_val.to_numpy()
    return TrainResult(summary, history, emb)


class TransformerNet(torch.nn.Module):
    """The same model for one run as a plain ``nn.Module`` (the reference of the batched trainer's tests)."""

    def __init__(self, params: dict[str, torch.Tensor], cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.names = list(params)
        self.params = torch.nn.ParameterList([torch.nn.Parameter(params[k].clone()) for k in self.names])

    def as_dict(self) -> dict[str, torch.Tensor]:
        return {k: p.unsqueeze(0) for k, p in zip(self.names, self.params)}

    def forward(self, pairs, rate: float = 0.0, gen: torch.Generator | None = None):
        return forward(self.as_dict(), pairs, self.cfg, torch.tensor([rate]), None if gen is None else [gen])[0]


def train_reference(run: TransformerRun, cfg: TransformerConfig, s: TrainSettings) -> TrainResult:
    """One run, the plain way: :class:`TransformerNet` + ``torch.optim.AdamW`` (two groups), full batch, on
    ``s.device``."""
    dev = resolve_device(s.device)
    train, val = (t.to(dev) for t in split(cfg))
    y = (train[:, 0] + train[:, 1]) % cfg.p
    net = TransformerNet(init_params(run.seed, cfg), cfg).to(dev)
    emb_params = [p for k, p in zip(net.names, net.params) if k in EMBED]
    dec_params = [p for k, p in zip(net.names, net.params) if k not in EMBED]
    opt = torch.optim.AdamW([{"params": emb_params, "lr": run.lr_embed, "weight_decay": run.wd_embed},
                             {"params": dec_params, "lr": run.lr_decoder, "weight_decay": run.wd_decoder}],
                            foreach=False)
    gen = torch.Generator(device=dev).manual_seed(int(run.seed))
    rows = []
    for step in range(s.steps + 1):
        if step % s.eval_every == 0 or step == s.steps:
            ev = evaluate(net.as_dict(), cfg, train, val)
            rows.append(dict(model=0, step=step, **{k: float(ev[k][0]) for k in HISTORY_COLUMNS[2:]}))
        if step == s.steps:
            break
        opt.zero_grad()
        loss = F.cross_entropy(net(train, run.dropout, gen), y)
        loss.backward()
        opt.step()
    return TrainResult(pd.DataFrame([asdict(run)]), pd.DataFrame(rows, columns=HISTORY_COLUMNS),
                       {"final": net.params[0].detach().clone()})

"""The full model of Sec. 4.3.2: attention A and classifier B trained together by Adam, many initialisations at once
(docs/decisions.md, Full tensor-network model).

The authors' code (qml-tn/grokking, class ``TDVP_V2`` with ``ti=1``, ``trainable_A=1``, ``cyclic=0``, ``dout=1``,
``activation=sigmoid``; trainer ``CellularAutomataTrainerCLI_V2``) is re-implemented here from its description, with
its quirks kept and named (the report lists them):

- **Q1 output map.** At site i the 2-vector h_i[k] = Σ_{a,l} L_i[a] B[a, l, k] R_i[l] is divided by its norm (plus
  1e-6) and multiplied by a trainable scalar ``scale`` (initially 1); the prediction is
  sigmoid(scale · h_i · φ(x_i)/‖h_i‖), so |pre-activation| ≤ |scale|. NaNs in h are set to 0.
- **Q2 boundary vectors e₀.** L_0 = e₀, L_i = normalise(e₀ᵀ A(x_0) ⋯ A(x_{i−1})); R_{n−1} = e₀,
  R_i = normalise(A(x_{i+1}) ⋯ A(x_{n−1}) e₀) (normalised with ``max(‖v‖, 1e-6)``), A(x) = Σ_k φ_k(x) A[:, :, k] with
  φ(b) = (b, 1 − b): component 0 is bit 1.
- **Q3 loss.** Labels in {0, 1}, mean squared error over sites (no ½); L1 term λ1 Σ|θ| over all parameters (A, B and
  ``scale``); L2 as Adam's coupled weight decay (gradient + λ2 θ).
- **Q4 event times.** ``train_epoch``: first epoch whose training "domain size" (the mean over the epoch's 8 batches,
  each taken before its step) exceeds 0.99; ``gen_epoch`` = t_ε: first epoch whose test domain size exceeds 0.99;
  t_G = gen_epoch − train_epoch. Domain size = mean over sequences of 1/(1 + T), T the number of correct↔wrong
  switches along the sequence (also 1 for a sequence wrong everywhere: kept, the plain error is recorded beside it).
- **Q5 stop.** A model stops ``after_gen`` (code: 400) epochs after its gen_epoch, else at ``max_epochs``; early stop
  when the best training accuracy has not improved for ``patience`` epochs.
- **Q6** the code's spike-revert mechanism is off in the paper; here it is a separate, optional tool
  (:mod:`grokrepro.spikes`), off by default.

Data (code README): all 2^10 strings of length 10; each batch of 128 (8 per epoch, shuffled, no incomplete batch) is
cropped to a random length in [6, 10] at a random offset and relabelled with zero padding (rule 30 applied K times,
App. D). Test set: random sequences (the code: 1000 of length 1000, drawn once per run).

Batching (the project's addition): M initialisations are one tensor program with a leading model axis. Each model's
parameters and data stream (its shuffles and crop offsets) come from its own generator seeded by (seed, model id),
so a model's numbers do not depend on which other models share its batch; the crop *length* of step s is drawn from a
generator seeded by (seed, "crop") and is shared by all models of a batch (one tensor shape). Models that finished or
diverged leave the batch. :func:`train_reference` is the plain per-model loop (an ``nn.Module`` and
``torch.optim.Adam`` per initialisation) the batched trainer is tested and benchmarked against.

Evaluation cadence (recorded in every run): every epoch each live model is evaluated on a *screening* test set
(fewer, shorter sequences); where its screening error is ≤ ``full_below`` it is also evaluated on the full test set,
which alone decides gen_epoch. The recorded test error is the full-set error where evaluated, else the screening
error. D_eff (:func:`grokrepro.spikes.effective_dimension` semantics) is the exponential of the PCA entropy of the
normalised left contexts in a window of 2δ sites around the middle of each sequence: per training batch (δ = 3,
averaged over the epoch's batches as entropies) and on the screening set (δ = 5).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F

from grokrepro.memory import keep_freed_memory
from grokrepro.zunkovic2022 import automata as ca

NORM_EPS = 1e-6          # the code's eps_div: normalise(v) = v / max(‖v‖, eps); h / (‖h‖ + eps)
BETA1, BETA2, ADAM_EPS = 0.9, 0.999, 1e-8
ALIGN_THRESHOLD = 0.99   # Q4: "domain size > 0.99"

LOG_FIELDS = ("train_loss", "train_mse", "train_error", "train_ds", "train_entropy", "screen_error", "screen_ds",
              "test_error", "test_ds", "test_entropy", "scale")


@dataclass(frozen=True)
class Settings:
    """One configuration of the full model (spec defaults = the authors' README command with rule index K)."""

    d: int = 10                      # bond dimension (``Dtdvp``)
    K: int = 1                       # K-local rule: rule 30 applied K times (App. D)
    lambda1: float = 0.0
    lambda2: float = 0.0
    lr: float = 0.005
    train_length: int = 10           # all 2^train_length strings
    crop_min: int = 6                # random crops of length [crop_min, train_length]
    batch: int = 128
    max_epochs: int = 7000           # epochs 0 … max_epochs
    after_gen: int = 400             # Q5
    patience: int = 5000
    test_sequences: int = 1000
    test_length: int = 1000
    screen_sequences: int = 50
    screen_length: int = 500
    full_below: float = 0.01         # full test pass where the screening error is at most this ...
    post_full_every: int = 10        # ... and, after gen_epoch, only every this many epochs (screening in between)
    deff_train_delta: int = 3
    deff_test_delta: int = 5
    init_scale: float = 1.0
    seed: int = 0
    device: str = "cpu"
    chunk_elements: int = 1 << 24    # memory bound of one evaluation chunk (floats of the context stacks)
    probe_ids: tuple = ()            # model ids whose left contexts are saved (Figs. 16-17)
    probe_every: int = 0
    probe_sequences: int = 20
    revert: bool = False             # the spike-revert tool (grokrepro.spikes), off as in the paper
    progress: bool = False
    desc: str = "full model"

    def tag(self) -> str:
        kind = "none" if self.lambda1 == self.lambda2 == 0 else ("L1" if self.lambda1 > 0 else "L2")
        return f"K{self.K}_{kind}_d{self.d}"


@dataclass
class Runs:
    """What a batch of runs records: per-model events and per-(model, epoch) logs (NaN after a model stopped)."""

    settings: dict
    model_ids: np.ndarray
    train_epoch: np.ndarray
    gen_epoch: np.ndarray
    stop_epoch: np.ndarray
    diverged: np.ndarray
    full_evaluated: np.ndarray              # (M, E) bool: the full test set was evaluated
    logs: dict                              # field -> (M, E) float32
    probes: dict = field(default_factory=dict)   # model id -> (snapshots, epochs)
    reverts: np.ndarray | None = None
    wall_seconds: float = 0.0

    @property
    def t_grok(self) -> np.ndarray:
        """gen_epoch − train_epoch (may be negative: the training domain size is a mean over the epoch's batches,
        each taken before its step); NaN where either event did not happen."""
        ok = (self.gen_epoch >= 0) & (self.train_epoch >= 0)
        return np.where(ok, self.gen_epoch - self.train_epoch, np.nan)

    def save(self, path) -> None:
        """One .npz (written atomically): settings as JSON, events, logs, probes."""
        import json

        from grokrepro.io import atomic_path

        arrays = dict(settings=np.array(json.dumps(self.settings)), model_ids=self.model_ids,
                      train_epoch=self.train_epoch, gen_epoch=self.gen_epoch, stop_epoch=self.stop_epoch,
                      diverged=self.diverged, full_evaluated=self.full_evaluated,
                      reverts=self.reverts if self.reverts is not None else np.zeros(len(self.model_ids), int),
                      wall_seconds=np.array(self.wall_seconds))
        arrays.update({f"log_{k}": v for k, v in self.logs.items()})
        for m, (snap, ep) in self.probes.items():
            arrays[f"probe_{m}"] = snap
            arrays[f"probe_epochs_{m}"] = ep
        with atomic_path(path) as tmp:
            np.savez_compressed(tmp, **arrays)

    @classmethod
    def load(cls, path) -> "Runs":
        import json

        z = np.load(path)
        probes = {int(k.removeprefix("probe_")): (z[k], z[f"probe_epochs_{k.removeprefix('probe_')}"])
                  for k in z.files if k.startswith("probe_") and not k.startswith("probe_epochs_")}
        return cls(settings=json.loads(str(z["settings"])), model_ids=z["model_ids"], train_epoch=z["train_epoch"],
                   gen_epoch=z["gen_epoch"], stop_epoch=z["stop_epoch"], diverged=z["diverged"],
                   full_evaluated=z["full_evaluated"], logs={k: z[f"log_{k}"] for k in LOG_FIELDS},
                   probes=probes, reverts=z["reverts"], wall_seconds=float(z["wall_seconds"]))


# ------------------------------------------------------------------------------------------------ data


def rule_torch(x: torch.Tensor, K: int) -> torch.Tensor:
    """K applications of rule 30 in bits with zero padding, on the last axis (the code's ``rule30j``)."""
    x = x.to(torch.int8)
    for _ in range(K):
        left = F.pad(x[..., :-1], (1, 0))
        right = F.pad(x[..., 1:], (0, 1))
        x = left ^ (x | right)
    return x


def model_generator(seed: int, model_id: int) -> torch.Generator:
    """The generator of one initialisation: its parameters and its data stream."""
    state = np.random.SeedSequence([int(seed), int(model_id), 20221026]).generate_state(2, np.uint64)
    g = torch.Generator()
    g.manual_seed(int(state[0] % (1 << 63)))
    return g


def init_params(d: int, model_ids, seed: int, init_scale: float = 1.0):
    """A, B ~ N(0, 1) (``eps_tdvp = 1``) and ``scale`` per model: (M, d, d, 2), (M, d, d, 2), (M,), float32, plus the
    per-model generators (advanced past the parameter draws)."""
    gens, As, Bs = [], [], []
    for m in model_ids:
        g = model_generator(seed, m)
        As.append(torch.randn((d, d, 2), generator=g))
        Bs.append(torch.randn((d, d, 2), generator=g))
        gens.append(g)
    return torch.stack(As), torch.stack(Bs), torch.full((len(model_ids),), float(init_scale)), gens


def crop_generator(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(np.random.SeedSequence([int(seed), 30, 20221026]).generate_state(1, np.uint64)[0] % (1 << 63)))
    return g


def epoch_batches(gens, crop_gen: torch.Generator, s: Settings):
    """One epoch of mini-batches for every model: a list of (idx (M, batch), offsets (M,), length) per step."""
    n_strings = 2 ** s.train_length
    steps = n_strings // s.batch
    lengths = [int(torch.randint(s.crop_min, s.train_length + 1, (1,), generator=crop_gen)) for _ in range(steps)]
    perms, offs = [], []
    for g in gens:
        perms.append(torch.randperm(n_strings, generator=g))
        offs.append(torch.randint(0, 1 << 30, (steps,), generator=g))
    perm, off = torch.stack(perms), torch.stack(offs)
    out = []
    for k, L in enumerate(lengths):
        out.append((perm[:, k * s.batch:(k + 1) * s.batch], off[:, k] % (s.train_length - L + 1), L))
    return out


def crop(strings: torch.Tensor, idx: torch.Tensor, offsets: torch.Tensor, L: int) -> torch.Tensor:
    """Sequences (M, batch, L) of ``strings`` (n, n0) at rows ``idx`` (M, batch), cropped at per-model offsets."""
    cols = offsets[:, None] + torch.arange(L)                             # (M, L)
    x = strings[idx]                                                      # (M, batch, n0)
    return torch.gather(x, 2, cols[:, None, :].expand(-1, idx.shape[1], -1))


# ------------------------------------------------------------------------------------------------ model


class _Chain(torch.autograd.Function):
    """One normalised transfer chain with a hand-written backward, feature-major.

    Chain element j (a column vector per sequence): c_0 = e₀, c_{j+1} = normalise(T(x_{s_j})ᵀ c_j) with
    T(x) = w₀ + x w₁, ``w`` = [w₀ | w₁] (M, d, 2d) — i.e. the row-vector step c ↦ c T(x) — and normalise(u) =
    u / max(‖u‖, 1e-6) (Q2); the sites s_j run 0, 1, … (left contexts) or n − 1, n − 2, … (right contexts,
    ``reverse``). The output is (M, d, n, S): features first, then sites, then sequences, with element j stored at
    the site whose context it is (j for the left chain, n − 1 − j for the right one).

    Why this layout and a hand-written backward: on CPU the batched trainer is memory-bound, and reductions over a
    short last axis (‖u‖, c·g for d ≤ 10) are several times slower than the same reductions over a leading axis;
    one graph node per chain also replaces ~10 autograd nodes per site. Backward, per element from the last:
    g_u = (g − c (c·g)) / ‖u‖ (g / 1e-6 where the clamp was active), g_{c_prev} = w₀ g_u + x w₁ g_u plus the
    output's gradient at that site; the parameter gradient [Σ c_prev g_uᵀ | Σ c_prev (x g_u)ᵀ] is two products over
    all sites at once. Tested against autograd through the plain recurrence (tests/unit/test_zunkovic_fullmodel.py)."""

    @staticmethod
    def sites(n: int, reverse: bool) -> list:
        """The site of chain element j, for j = 0 … n − 1."""
        return list(range(n - 1, -1, -1) if reverse else range(n))

    @staticmethod
    def forward(ctx, w, x, reverse):
        M, S, n = x.shape
        d = w.shape[1]
        xc = x.transpose(1, 2).unsqueeze(2).contiguous()                  # (M, n, 1, S)
        wt = w.transpose(1, 2).contiguous()                                # (M, 2d, d) = [w₀ᵀ; w₁ᵀ]
        buf = x.new_empty(M, d, n, S)                                     # every slot but the first is written below
        norms = x.new_empty(M, max(n - 1, 0), 1, S)                        # norms[:, j]: ‖u‖ of element j + 1
        sites = _Chain.sites(n, reverse)
        slots, xs, rs = buf.unbind(2), xc.unbind(1), norms.unbind(1)      # views made once (the loop is short)
        cur = slots[sites[0]].zero_()
        cur[:, 0] = 1.0
        # work buffers made once per chain: a fresh (M, 2d, S) result per step costs more than the step's arithmetic
        pq, sq, cl = x.new_empty(M, 2 * d, S), x.new_empty(M, d, S), x.new_empty(M, 1, S)
        p0, p1 = pq.split(d, 1)                                             # (M, d, S) twice
        for j in range(n - 1):
            torch.bmm(wt, cur, out=pq)
            u = torch.addcmul(p0, xs[sites[j]], p1, out=slots[sites[j + 1]])
            r = torch.sum(torch.mul(u, u, out=sq), 1, keepdim=True, out=rs[j]).sqrt_()
            cur = u.div_(torch.clamp_min(r, NORM_EPS, out=cl))
        ctx.reverse = reverse
        ctx.clamped = bool(n > 1 and (norms <= NORM_EPS).any())
        ctx.save_for_backward(w, xc, buf, norms)
        return buf

    @staticmethod
    def backward(ctx, g_out):
        w, xc, buf, norms = ctx.saved_tensors
        M, d, n, S = buf.shape
        gw = torch.zeros_like(w)
        if n == 1:
            return gw, None, None
        reverse = ctx.reverse
        wv = w.view(M, d, 2, d).transpose(1, 2).reshape(M, 2 * d, d)         # [w₀; w₁]
        gus = torch.empty(M, d, n - 1, S, dtype=buf.dtype, device=buf.device)   # at the sites of c_prev
        prev_sites = slice(1, n) if reverse else slice(0, n - 1)
        sites = _Chain.sites(n, reverse)
        slots, xs, rs, gos = buf.unbind(2), xc.unbind(1), norms.unbind(1), g_out.contiguous().unbind(2)
        gu_slots = gus.unbind(2)
        pq, sq, gb = buf.new_empty(M, 2 * d, S), buf.new_empty(M, d, S), buf.new_empty(M, d, S)
        dot, cl = buf.new_empty(M, 1, S), buf.new_empty(M, 1, S)
        q0, q1 = pq.split(d, 1)                                             # (M, d, S) twice
        g = gos[sites[n - 1]]
        for j in range(n - 1, 0, -1):
            s, sp = sites[j], sites[j - 1]
            out, r = slots[s], rs[j - 1]
            torch.sum(torch.mul(out, g, out=sq), 1, keepdim=True, out=dot)
            gu = torch.addcmul(g, out, dot, value=-1.0, out=gu_slots[sp - prev_sites.start])
            if ctx.clamped:
                gu.copy_(torch.where(r > NORM_EPS, gu, g))
            gu.div_(torch.clamp_min(r, NORM_EPS, out=cl))
            if j > 1:
                torch.bmm(wv, gu, out=pq)
                g = torch.addcmul(q0, xs[sp], q1, out=gb).add_(gos[sp])
        prev = buf[:, :, prev_sites].reshape(M, d, (n - 1) * S)
        x_prev = xc[:, prev_sites].transpose(1, 2)                          # (M, 1, n − 1, S)
        gw[..., :d] = torch.bmm(prev, gus.view(M, d, (n - 1) * S).transpose(1, 2))
        gw[..., d:] = torch.bmm(prev, (gus * x_prev).view(M, d, (n - 1) * S).transpose(1, 2))
        return gw, None, None


def contexts(A: torch.Tensor, x: torch.Tensor):
    """Normalised left and right contexts (Q2): A (M, d, d, 2), bits x (M, S, n) float; returns two
    feature-major (M, d, n, S) tensors (:class:`_Chain`; ``.permute(0, 3, 2, 1)`` gives (M, S, n, d)).

    One step is one matrix product: v A(x) = v A(0) + x · v (A(1) − A(0))."""
    a1, a0 = A[..., 0], A[..., 1]                                         # A(bit 1), A(bit 0)
    w_left = torch.cat([a0, a1 - a0], 2)                                  # (M, d, 2d): v A(x)
    w_right = torch.cat([a0.transpose(1, 2), (a1 - a0).transpose(1, 2)], 2)   # A(x) v as a row vector
    return _Chain.apply(w_left, x, False), _Chain.apply(w_right, x, True)


def outputs(A, B, scale, x):
    """Predictions sigmoid(scale · h·φ(x)/‖h‖) (Q1), (M, S, n), and the feature-major left contexts (M, d, n, S)."""
    M, S, n = x.shape
    d = A.shape[1]
    left, right = contexts(A, x)
    lf, rf = left.view(M, d, n * S), right.view(M, d, n * S)
    # h[k] = Σ_a L_a (B[:, :, k] R)_a: one product B R for both k, then a contraction with L over the feature axis
    b = B.permute(0, 3, 1, 2).reshape(M, 2 * d, d)                        # rows (k, a), columns l
    t = torch.bmm(b, rf).view(M, 2, d, n * S)
    h = (t * lf.unsqueeze(1)).sum(2)                                       # (M, 2, n S)
    h = h / (torch.hypot(h[:, 0], h[:, 1]).unsqueeze(1) + NORM_EPS) * scale.view(M, 1, 1)
    h = torch.where(torch.isnan(h), torch.zeros_like(h), h).view(M, 2, n, S)
    xt = x.transpose(1, 2)                                                # (M, n, S)
    pre = xt * h[:, 0] + (1 - xt) * h[:, 1]
    return torch.sigmoid(pre).transpose(1, 2), left


def seq_major(left: torch.Tensor, sites: slice) -> torch.Tensor:
    """The contexts of ``sites`` as rows (M, S · w, d), sequence by sequence (the order the logs and probes use)."""
    M, d = left.shape[:2]
    return left[:, :, sites].permute(0, 3, 2, 1).reshape(M, -1, d)


def domain_size(wrong: torch.Tensor) -> torch.Tensor:
    """Q4: mean over sequences (axis −2) of 1/(1 + number of correct↔wrong switches along the last axis)."""
    w = wrong.to(torch.float32)
    switches = (w[..., 1:] - w[..., :-1]).abs().sum(-1)
    return (1.0 / (1.0 + switches)).mean(-1)


def pca_entropy(v: torch.Tensor, features_first: bool = False) -> torch.Tensor:
    """PCA entropy −Σ σ_k log σ_k (nats) of rows of ``v`` (M, n, d) per model (centred; σ = explained-variance
    ratios); D_eff = exp(entropy). ``features_first``: ``v`` is (M, d, n), e.g. a window of the feature-major
    contexts, read without a copy to rows. The covariance is formed in the input's precision (float32 in training:
    the entropy agrees with a float64 covariance to ~1e-8 nats, at a fifth of the cost), the eigenvalues in float64."""
    c = v if features_first else v.transpose(1, 2)                        # (M, d, n)
    c = c - c.mean(2, keepdim=True)
    cov = torch.bmm(c, c.transpose(1, 2)).to(torch.float64) / max(c.shape[2] - 1, 1)
    ev = torch.linalg.eigvalsh(cov).clamp_min(0)
    p = ev / ev.sum(-1, keepdim=True).clamp_min(1e-300)
    return -(torch.special.xlogy(p, p)).sum(-1)


def middle_window(n: int, delta: int) -> slice:
    """The code's window: of the n − 1 left contexts A_left[j] (= our L_{j+1}), j in [n'//2 − δ, min(n' − 1,
    n'//2 + δ)) with n' = n − 1; returned as a slice of our positions."""
    nn = n - 1
    lo, hi = max(0, nn // 2 - delta), min(nn - 1, nn // 2 + delta)
    return slice(lo + 1, hi + 1)


@torch.no_grad()
def evaluate(A, B, scale, bits: torch.Tensor, labels: torch.Tensor, chunk_elements: int, delta: int | None = None,
             probe: int = 0):
    """Error, domain size, PCA entropy of the middle-window left contexts (δ = ``delta``) and, with ``probe`` > 0,
    those contexts of the first ``probe`` sequences, on shared test ``bits`` (S, n) for M models. Chunked over
    sequences so that the context stacks stay below ``chunk_elements`` floats."""
    M, d = A.shape[0], A.shape[1]
    S, n = bits.shape
    per_seq = max(1, M * n * d * 4)
    step = max(1, min(S, chunk_elements // per_seq))
    wrong_sum = torch.zeros(M, dtype=torch.float64, device=A.device)
    ds_sum = torch.zeros(M, dtype=torch.float64, device=A.device)
    win = middle_window(n, delta) if delta is not None else None
    pooled = []
    for s0 in range(0, S, step):
        xb = bits[s0:s0 + step].to(A.dtype).unsqueeze(0).expand(M, -1, -1)
        out, left = outputs(A, B, scale, xb)
        wrong = (torch.round(out) != labels[s0:s0 + step].unsqueeze(0))
        wrong_sum += wrong.sum((1, 2)).to(torch.float64)
        ds_sum += domain_size(wrong).to(torch.float64) * xb.shape[1]
        if win is not None:
            pooled.append(seq_major(left, win))
    res = dict(error=(wrong_sum / (S * n)).float(), ds=(ds_sum / S).float())
    if win is not None:
        ctx = torch.cat(pooled, 1)
        res["entropy"] = pca_entropy(ctx).float()
        if probe:
            w = win.stop - win.start
            res["probe"] = ctx[:, :probe * w]
    return res


# ------------------------------------------------------------------------------------------------ optimiser


def adam_(params, grads, exp_avg, exp_avg_sq, step: int, lr: float, weight_decay: float) -> None:
    """torch.optim.Adam's update (coupled weight decay: g + λ2 θ), in place, every model at once."""
    bc1 = 1 - BETA1 ** step
    bc2_sqrt = (1 - BETA2 ** step) ** 0.5
    for p, g, m, v in zip(params, grads, exp_avg, exp_avg_sq):
        if weight_decay:
            g = g.add(p, alpha=weight_decay)
        m.lerp_(g, 1 - BETA1)
        v.mul_(BETA2).addcmul_(g, g, value=1 - BETA2)
        denom = (v.sqrt() / bc2_sqrt).add_(ADAM_EPS)
        p.addcdiv_(m, denom, value=-lr / bc1)


# ------------------------------------------------------------------------------------------------ training


class _State:
    """The live models: parameters, Adam state, generators and their ids (rows leave when a model stops)."""

    def __init__(self, ids, s: Settings, dev):
        A, B, scale, gens = init_params(s.d, ids, s.seed, s.init_scale)
        self.ids = np.asarray(ids)
        self.params = [t.to(dev) for t in (A, B, scale)]
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.gens = gens

    def keep(self, mask: np.ndarray) -> None:
        idx = torch.as_tensor(np.flatnonzero(mask), device=self.params[0].device)
        for lst in (self.params, self.exp_avg, self.exp_avg_sq):
            lst[:] = [t.index_select(0, idx).contiguous() for t in lst]
        self.ids = self.ids[mask]
        self.gens = [g for g, k in zip(self.gens, mask) if k]

    def tensors(self) -> dict:
        names = ("A", "B", "scale")
        out = {n: p for n, p in zip(names, self.params)}
        out.update({f"exp_avg_{n}": t for n, t in zip(names, self.exp_avg)})
        out.update({f"exp_avg_sq_{n}": t for n, t in zip(names, self.exp_avg_sq)})
        return out


def test_sets(s: Settings, dev):
    """(full bits, full labels, screening bits, screening labels) as float32 tensors, seeded by (seed, K)."""
    rng = np.random.default_rng([int(s.seed), 1000 + s.K, 20221026])
    full = ca.random_sequences(s.test_sequences, s.test_length, rng)
    screen = ca.random_sequences(s.screen_sequences, s.screen_length, rng)
    out = []
    for b in (full, screen):
        bt = torch.as_tensor(b, dtype=torch.int8)
        out += [bt.float().to(dev), rule_torch(bt, s.K).float().to(dev)]
    return out


def train(s: Settings, model_ids) -> Runs:
    """Train the models ``model_ids`` (ints: their seeds within ``s.seed``) of one configuration as one batch."""
    from tqdm.auto import tqdm

    t0 = time.time()
    keep_freed_memory()                 # step-sized tensors are reused from the heap, not faulted in (grokrepro.memory)
    dev = torch.device(s.device)
    ids = np.asarray(list(model_ids), dtype=np.int64)
    M, E = len(ids), s.max_epochs + 1
    row = {m: i for i, m in enumerate(ids)}
    st = _State(ids, s, dev)
    strings = torch.as_tensor(ca.all_strings(s.train_length), dtype=torch.int8)
    full_x, full_y, scr_x, scr_y = test_sets(s, dev)
    crop_gen = crop_generator(s.seed)
    logs = {f: np.full((M, E), np.nan, np.float32) for f in LOG_FIELDS}
    full_eval = np.zeros((M, E), bool)
    train_epoch = np.full(M, -1)
    gen_epoch = np.full(M, -1)
    stop_epoch = np.full(M, -1)
    diverged = np.zeros(M, bool)
    best_acc = np.full(M, -np.inf)
    best_epoch = np.zeros(M, int)
    probes = {int(m): ([], []) for m in s.probe_ids if m in row}
    policy = None
    if s.revert:
        from grokrepro import spikes

        policy = spikes.RevertPolicy(spikes.SpikeDetector())
    reverts = np.zeros(M, int)
    bar = tqdm(total=E, desc=s.desc, disable=not s.progress, mininterval=2.0, unit="epoch")
    step = 0
    for epoch in range(E):
        if not len(st.ids):
            break
        rows = np.array([row[m] for m in st.ids])
        batches = epoch_batches(st.gens, crop_gen, s)
        sums = {k: torch.zeros(len(st.ids), dtype=torch.float64) for k in ("loss", "mse", "err", "ds", "ent")}
        for idx, off, L in batches:
            x8 = crop(strings, idx, off, L)
            y = rule_torch(x8, s.K).float().to(dev)
            x = x8.float().to(dev)
            for p in st.params:
                p.requires_grad_(True)
            out, left = outputs(*st.params, x)
            mse = ((out - y) ** 2).mean((1, 2))
            loss = mse
            if s.lambda1:
                loss = loss + s.lambda1 * sum(p.abs().reshape(len(st.ids), -1).sum(1) for p in st.params)
            grads = torch.autograd.grad(loss.sum(), st.params)
            with torch.no_grad():
                wrong = torch.round(out) != y
                sums["loss"] += loss.double().cpu()
                sums["mse"] += mse.double().cpu()
                sums["err"] += wrong.float().mean((1, 2)).double().cpu()
                sums["ds"] += domain_size(wrong).double().cpu()
                win = middle_window(L, s.deff_train_delta)
                sums["ent"] += pca_entropy(left[:, :, win].flatten(2), features_first=True).cpu()
                for p in st.params:
                    p.requires_grad_(False)
                step += 1
                adam_(st.params, grads, st.exp_avg, st.exp_avg_sq, step, s.lr, s.lambda2)
        nb = len(batches)
        for key, f in (("loss", "train_loss"), ("mse", "train_mse"), ("err", "train_error"), ("ds", "train_ds"),
                       ("ent", "train_entropy")):
            logs[f][rows, epoch] = (sums[key] / nb).numpy()
        logs["scale"][rows, epoch] = st.params[2].detach().cpu().numpy()
        if policy is not None:
            tens = st.tensors()
            rev = policy.step(sums["loss"] / nb, torch.exp(sums["ent"] / nb), tens)
            reverts[rows] += rev.cpu().numpy().astype(bool)
        # screening pass; full pass where the screening error is small
        want_probe = [m for m in st.ids if int(m) in probes and s.probe_every and epoch % s.probe_every == 0]
        scr = evaluate(*st.params, scr_x, scr_y, s.chunk_elements, s.deff_test_delta,
                       probe=s.probe_sequences if want_probe else 0)
        e_scr, ds_scr = scr["error"].cpu().numpy(), scr["ds"].cpu().numpy()
        logs["screen_error"][rows, epoch] = e_scr
        logs["screen_ds"][rows, epoch] = ds_scr
        logs["test_entropy"][rows, epoch] = scr["entropy"].cpu().numpy()
        for m in want_probe:
            j = int(np.flatnonzero(st.ids == m)[0])
            probes[int(m)][0].append(scr["probe"][j].cpu().numpy().astype(np.float32))
            probes[int(m)][1].append(epoch)
        test_err, test_ds = e_scr.copy(), np.full(len(st.ids), np.nan, np.float32)
        generalised = gen_epoch[rows] >= 0
        sel = np.flatnonzero((e_scr <= s.full_below)
                             & (~generalised | ((epoch - gen_epoch[rows]) % max(1, s.post_full_every) == 0)))
        if len(sel):
            idx_t = torch.as_tensor(sel, device=dev)
            sub = [p.index_select(0, idx_t) for p in st.params]
            full = evaluate(*sub, full_x, full_y, s.chunk_elements)
            test_err[sel] = full["error"].cpu().numpy()
            test_ds[sel] = full["ds"].cpu().numpy()
            full_eval[rows[sel], epoch] = True
        logs["test_error"][rows, epoch] = test_err
        logs["test_ds"][rows, epoch] = test_ds
        # events (Q4) and stopping (Q5)
        tr = logs["train_ds"][rows, epoch]
        train_epoch[rows] = np.where((train_epoch[rows] < 0) & (tr > ALIGN_THRESHOLD), epoch, train_epoch[rows])
        gen_now = (gen_epoch[rows] < 0) & (np.nan_to_num(test_ds, nan=0.0) > ALIGN_THRESHOLD)
        gen_epoch[rows] = np.where(gen_now, epoch, gen_epoch[rows])
        acc = 1 - logs["train_error"][rows, epoch]
        better = acc > best_acc[rows]
        best_epoch[rows] = np.where(better, epoch, best_epoch[rows])
        best_acc[rows] = np.maximum(best_acc[rows], acc)
        bad = ~np.isfinite(logs["train_loss"][rows, epoch])
        diverged[rows] |= bad
        done = bad | ((gen_epoch[rows] >= 0) & (epoch >= gen_epoch[rows] + s.after_gen)) \
            | (epoch - best_epoch[rows] > s.patience) | (epoch == E - 1)
        stop_epoch[rows] = np.where(done, epoch, stop_epoch[rows])
        if done.any():
            st.keep(~done)
            if policy is not None:
                policy.select(torch.as_tensor(~done))
        bar.update(1)
        bar.set_postfix(live=len(st.ids), generalised=int((gen_epoch >= 0).sum()), refresh=False)
    bar.close()
    return Runs(settings=asdict(s), model_ids=ids, train_epoch=train_epoch, gen_epoch=gen_epoch,
                stop_epoch=stop_epoch, diverged=diverged, full_evaluated=full_eval, logs=logs,
                probes={m: (np.stack(v[0]) if v[0] else np.zeros((0,)), np.array(v[1])) for m, v in probes.items()},
                reverts=reverts, wall_seconds=time.time() - t0)


# ------------------------------------------------------------------------------------------------ reference loop


class TNAttention(torch.nn.Module):
    """One initialisation as a plain module (the per-model loop of :func:`train_reference`)."""

    def __init__(self, A: torch.Tensor, B: torch.Tensor, scale: float):
        super().__init__()
        self.A = torch.nn.Parameter(A.clone())
        self.B = torch.nn.Parameter(B.clone())
        self.scale = torch.nn.Parameter(torch.tensor(float(scale)))

    def forward(self, x):                                   # x (S, n)
        out, left = outputs(self.A[None], self.B[None], self.scale.view(1), x[None])
        return out[0], left[0].permute(2, 1, 0)


def train_reference(s: Settings, model_id: int, epochs: int):
    """The plain loop for one initialisation: ``nn.Module`` + ``torch.optim.Adam``, the same data stream as the
    batched trainer; returns the per-epoch training losses and the final parameters (no evaluation, no events)."""
    A, B, scale, gens = init_params(s.d, [model_id], s.seed, s.init_scale)
    model = TNAttention(A[0], B[0], float(scale[0]))
    opt = torch.optim.Adam(model.parameters(), lr=s.lr, weight_decay=s.lambda2)
    strings = torch.as_tensor(ca.all_strings(s.train_length), dtype=torch.int8)
    crop_gen = crop_generator(s.seed)
    losses = []
    for _ in range(epochs):
        total = 0.0
        batches = epoch_batches(gens, crop_gen, s)
        for idx, off, L in batches:
            x8 = crop(strings, idx, off, L)[0]
            y = rule_torch(x8, s.K).float()
            out, _ = model(x8.float())
            loss = ((out - y) ** 2).mean()
            if s.lambda1:
                loss = loss + s.lambda1 * sum(p.abs().sum() for p in model.parameters())
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach())
        losses.append(total / len(batches))
    return np.array(losses), {k: v.detach().clone() for k, v in model.named_parameters()}


def settings_from(cfg: dict, **over) -> Settings:
    """Settings from a config block (unknown keys are an error naming them)."""
    known = set(Settings.__dataclass_fields__)
    merged = {**cfg, **over}
    bad = sorted(set(merged) - known)
    if bad:
        raise KeyError(f"unknown full-model setting(s) {bad}; allowed: {sorted(known)}")
    if "probe_ids" in merged:
        merged["probe_ids"] = tuple(merged["probe_ids"])
    return replace(Settings(), **merged)

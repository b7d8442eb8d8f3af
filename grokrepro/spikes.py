"""Training-loss spikes, the effective dimension D_eff, and a "revert after a spike" policy for any PyTorch loop.

Background (Žunkovič & Ilievski 2022, Secs. 4.3.1-4.3.2 and the conclusions, p. 30): after the grokking transition
the training loss of the tensor-network model shows isolated spikes. They coincide with step-like changes of the
effective dimension D_eff = exp(−Σ σ_k log σ_k) of the left-context vectors (σ_k = explained-variance ratios of
their PCA), i.e. with rearrangements of the latent structure, and they become more frequent with stronger
regularisation. The paper suggests, as a practical remedy, to *revert the model after a spike only if D_eff
increased*. The authors' training code had such a revert mechanism, switched off for the paper: a loss is a spike
when it exceeds the mean of the last 20 epoch losses by at least twice their standard deviation; without a spike
a checkpoint (model and optimiser state) is saved when the last one is at least 20 epochs old; after a spike the
last checkpoint is loaded and the epoch is done again. This module re-implements that idea as a small tool
(torch + numpy only), written anew for this project:

- :func:`effective_dimension` — D_eff of the rows of one ``(n, d)`` matrix, or of each model of an ``(M, n, d)``
  stack;
- :class:`SpikeDetector` — streaming spike test over a leading model axis M (a plain model is M = 1), and
  :func:`find_spikes`, the same test offline on logged curves ``(T,)`` or ``(M, T)``;
- :class:`RevertPolicy` — checkpoints and restores rows of a dict of tensors with a leading model axis (parameters
  *and* optimiser state, e.g. Adam's ``exp_avg``/``exp_avg_sq``), optionally only when D_eff increased;
- :func:`state_of` — such a dict for a plain ``nn.Module`` + ``torch.optim`` optimiser (views with a leading axis of
  size 1), so that a plain loop needs three lines::

      from grokrepro.spikes import RevertPolicy, SpikeDetector, state_of
      policy = RevertPolicy(SpikeDetector(window=20, threshold=2.0))
      ...  # once per epoch, after the optimiser steps of the epoch:
      policy.step(epoch_loss, d_eff, state_of(model, optimizer))

Masks are ``torch.bool`` tensors of shape ``(M,)``; counters are ``torch.long`` tensors of shape ``(M,)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

# ------------------------------------------------------------------------------------------- effective dimension


def _explained_variance_entropy(x: torch.Tensor, center: bool, normalize: bool) -> torch.Tensor:
    """PCA entropy S = −Σ σ_k log σ_k (nats) of the rows of each ``(n, d)`` slice of ``x (M, n, d)``, float64.

    The eigenvalues of the smaller Gram matrix (XᵀX, d × d, or XXᵀ, n × n) are the squared singular values of the
    (centred) X, so σ_k = λ_k / Σλ; round-off negatives are clipped to 0 and 0·log 0 = 0."""
    x = x.detach().to(torch.float64)
    if normalize:
        x = x / x.norm(dim=-1, keepdim=True).clamp_min(torch.finfo(torch.float64).tiny)
    if center:
        x = x - x.mean(dim=-2, keepdim=True)
    n, d = x.shape[-2:]
    gram = x.transpose(-1, -2) @ x if d <= n else x @ x.transpose(-1, -2)
    lam = torch.linalg.eigvalsh(gram).clamp_min(0.0)
    total = lam.sum(dim=-1, keepdim=True)
    sigma = lam / total
    entropy = -torch.special.xlogy(sigma, sigma).sum(dim=-1)
    return torch.where(total.squeeze(-1) > 0, entropy, torch.nan)


@torch.no_grad()
def effective_dimension(x, center: bool = True, normalize: bool = False):
    """D_eff = exp(−Σ_k σ_k log σ_k), σ_k = fraction of the variance of the rows of ``x`` explained by the k-th
    principal component (the exponential of the PCA entropy, in nats).

    ``x`` is a torch tensor or numpy array of shape ``(n, d)`` (n points in d dimensions) -> a python float, or of
    shape ``(M, n, d)`` (one point cloud per model of a batched trainer) -> a float64 ``(M,)`` tensor on x's device
    (a numpy ``(M,)`` array for numpy input). No gradient flows (D_eff is a diagnostic).

    D_eff lies in [1, min(n − 1, d)] for centred data: 1 when all points lie on a line, k for k orthogonal
    directions of equal variance, ≈ d for an isotropic cloud with n ≫ d. ``center=False`` uses the uncentred second
    moment instead of the covariance. ``normalize=True`` scales each row to unit L2 norm first (the authors compute
    D_eff of L2-normalised left-context vectors, pooled over the positions near the middle of each sequence; pool
    and pass those rows here). A cloud without variance (all rows equal, or n < 2 when centred) gives NaN."""
    is_numpy = isinstance(x, np.ndarray)
    t = torch.from_numpy(x) if is_numpy else torch.as_tensor(x)
    if t.ndim not in (2, 3):
        raise ValueError(f"effective_dimension expects (n, d) or (M, n, d), got shape {tuple(t.shape)}")
    out = torch.exp(_explained_variance_entropy(t if t.ndim == 3 else t[None], center, normalize))
    if t.ndim == 2:
        return float(out[0])
    return out.cpu().numpy() if is_numpy else out


# --------------------------------------------------------------------------------------------------- detection


def _as_losses(loss, device=None) -> torch.Tensor:
    """Any loss input (python float, 0-d or (M,) tensor, numpy array, list) -> float64 ``(M,)`` tensor."""
    t = torch.as_tensor(loss.detach() if isinstance(loss, torch.Tensor) else np.asarray(loss, dtype=np.float64))
    if t.ndim > 1:
        raise ValueError("expected a scalar or a vector (M,) with one value per model")
    return t.to(device=device, dtype=torch.float64).reshape(-1)


class SpikeDetector:
    """Streaming loss-spike test, one history per model along a leading model axis M.

    ``update(loss)`` takes one loss per model (``(M,)`` tensor/array; a python float or 0-d tensor is M = 1) and
    returns a bool ``(M,)`` tensor: True where the history holds at least ``min_history`` losses (default: the full
    ``window``) and

        loss − mean(history) ≥ threshold · std(history)   and   loss > mean(history),

    with the population standard deviation (``np.std``, ddof = 0) over the last ``window`` accepted losses of that
    model. The authors' test is the first inequality alone; the second only rules out the degenerate case of a
    constant history (std = 0), where a loss *equal* to the history would otherwise count as a spike (a run that
    has converged to a loss that repeats to the last bit would then be reverted forever). A non-finite loss (inf,
    NaN: a diverged step) is a spike once the history is long enough, and is never added to the history.

    By default spikes are *not* appended to the history (``append_spikes=False``), so a spike does not inflate the
    mean and std it is judged against next time, and a revert compares the redone epoch with the same history;
    non-spikes are appended (oldest dropped beyond ``window``). With ``append_spikes=True`` every finite loss is
    appended. Note that with ``append_spikes=False`` and no revert, a permanent upward jump of the loss level stays a
    "spike" until the loss comes back down.

    The first update fixes M and the device (that of a tensor loss; CPU otherwise). Attributes: ``count`` (M,) number
    of losses in each history, ``spikes`` (M,) number of spikes detected so far, ``last`` (M,) the last result."""

    def __init__(self, window: int = 20, threshold: float = 2.0, min_history: int | None = None,
                 append_spikes: bool = False):
        if window < 1:
            raise ValueError("window must be >= 1")
        self.window, self.threshold = int(window), float(threshold)
        self.min_history = self.window if min_history is None else int(min_history)
        if not 1 <= self.min_history <= self.window:
            raise ValueError("min_history must lie in [1, window]")
        self.append_spikes = bool(append_spikes)
        self.history = None   # (M, window) float64 ring buffers
        self.count = self.pos = self.spikes = self.last = None

    @property
    def models(self) -> int | None:
        """M, known after the first update."""
        return None if self.history is None else self.history.shape[0]

    def _init(self, m: int, device) -> None:
        self.history = torch.zeros(m, self.window, dtype=torch.float64, device=device)
        self.count = torch.zeros(m, dtype=torch.long, device=device)
        self.pos = torch.zeros(m, dtype=torch.long, device=device)
        self.spikes = torch.zeros(m, dtype=torch.long, device=device)
        self.last = torch.zeros(m, dtype=torch.bool, device=device)

    def stats(self):
        """``(mean, std)`` of each model's history, float64 ``(M,)``; NaN for an empty history."""
        filled = torch.arange(self.window, device=self.history.device)[None, :] < self.count[:, None]
        n = self.count.to(torch.float64)
        mean = torch.where(filled, self.history, 0.0).sum(1) / n
        var = torch.where(filled, (self.history - mean[:, None]) ** 2, 0.0).sum(1) / n
        return mean, var.sqrt()

    @torch.no_grad()
    def update(self, loss) -> torch.Tensor:
        """Test one loss per model against its history, then append the accepted ones; bool ``(M,)`` (see class)."""
        device = loss.device if isinstance(loss, torch.Tensor) else None
        x = _as_losses(loss, device if self.history is None else self.history.device)
        if self.history is None:
            self._init(x.shape[0], x.device)
        if x.shape[0] != self.models:
            raise ValueError(f"expected {self.models} losses (one per model), got {x.shape[0]}")
        ready = self.count >= self.min_history
        mean, std = self.stats()
        excess = x - mean
        spike = ready & (~torch.isfinite(x) | ((excess >= self.threshold * std) & (excess > 0)))
        self.append(x, ~spike | self.append_spikes)
        self.spikes += spike
        self.last = spike
        return spike

    @torch.no_grad()
    def select(self, keep) -> None:
        """Keep only the models ``keep`` (bool (M,)): for a batched trainer whose finished models leave the batch."""
        if self.history is None:
            return
        keep = torch.as_tensor(keep, dtype=torch.bool).to(self.history.device).reshape(-1)
        for name in ("history", "count", "pos", "spikes", "last"):
            setattr(self, name, getattr(self, name)[keep])

    @torch.no_grad()
    def append(self, loss, mask=None) -> None:
        """Add the finite losses of the models ``mask`` (bool (M,); default all) to their histories without testing
        them (used by :class:`RevertPolicy` to accept kept spikes when asked; also to pre-fill a history)."""
        x = _as_losses(loss, None if self.history is None else self.history.device)
        if self.history is None:
            self._init(x.shape[0], x.device)
        take = torch.isfinite(x)
        if mask is not None:
            take &= torch.as_tensor(mask, dtype=torch.bool).to(x.device).reshape(-1)
        rows = torch.arange(x.shape[0], device=x.device)
        self.history[rows, self.pos] = torch.where(take, x, self.history[rows, self.pos])
        self.pos = torch.where(take, (self.pos + 1) % self.window, self.pos)
        self.count = torch.where(take, (self.count + 1).clamp_max(self.window), self.count)


def find_spikes(losses, window: int = 20, threshold: float = 2.0, min_history: int | None = None,
                append_spikes: bool = False) -> np.ndarray:
    """Offline :class:`SpikeDetector` over logged curves: ``losses (T,)`` or ``(M, T)`` -> bool array of the same
    shape, True at the epochs the streaming detector would flag (same window, threshold, history rule).

    A separate numpy implementation (vectorised over models, sequential in time since whether an epoch enters the
    history depends on the earlier decisions); the tests check that both agree."""
    x = np.asarray(losses, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError("losses must be (T,) or (M, T)")
    curves = x[None] if x.ndim == 1 else x
    m, steps = curves.shape
    need = window if min_history is None else min_history
    buf = np.zeros((m, window))
    filled = np.zeros((m, window), dtype=bool)
    nxt = np.zeros(m, dtype=int)
    out = np.zeros((m, steps), dtype=bool)
    for t in range(steps):
        loss = curves[:, t]
        n = filled.sum(axis=1)
        ready = n >= need
        safe_n = np.maximum(n, 1)
        mean = np.where(filled, buf, 0.0).sum(axis=1) / safe_n
        std = np.sqrt(np.where(filled, (buf - mean[:, None]) ** 2, 0.0).sum(axis=1) / safe_n)
        with np.errstate(invalid="ignore"):     # inf - inf, NaN losses: decided by the isfinite test
            high = (loss - mean >= threshold * std) & (loss > mean)
        spike = ready & (~np.isfinite(loss) | high)
        out[:, t] = spike
        idx = np.flatnonzero(np.isfinite(loss) & (append_spikes | ~spike))
        buf[idx, nxt[idx]] = loss[idx]
        filled[idx, nxt[idx]] = True
        nxt[idx] = (nxt[idx] + 1) % window
    return out[0] if x.ndim == 1 else out


# ------------------------------------------------------------------------------------------------------ revert


def _per_model(state: Mapping, m: int | None):
    """The entries of ``state`` that have a leading model axis: tensors with ndim >= 1. Everything else (0-d
    tensors, python numbers, None) is shared by all models and is neither saved nor restored."""
    rows = {k: v for k, v in state.items() if isinstance(v, torch.Tensor) and v.ndim >= 1}
    for k, v in rows.items():
        if m is not None and v.shape[0] != m:
            raise ValueError(f"state entry {k!r} has leading size {v.shape[0]}, expected M = {m}")
    return rows


def _rows(mask: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``mask (M,)`` shaped to broadcast against ``t (M, ...)``, on t's device."""
    return mask.to(t.device).reshape(-1, *([1] * (t.ndim - 1)))


class RevertPolicy:
    """Checkpoint / revert the rows of a dict of tensors with a leading model axis M after loss spikes.

    ``state`` maps names to tensors ``(M, ...)``: model parameters *and* the optimiser state that goes with them
    (Adam's ``exp_avg``, ``exp_avg_sq``, ...), so that a reverted model continues exactly as from its checkpoint.
    Entries without a leading model axis — 0-d tensors and non-tensors, e.g. a step counter shared by all models —
    are left alone: they are neither saved nor restored, because restoring a shared entry would also move the models
    that are not reverted. For Adam this means a reverted model keeps the current step count t instead of its
    checkpoint's t0 in the bias corrections, so its step size is scaled by √((1 − β2^t)/(1 − β2^t0)) ·
    (1 − β1^t0)/(1 − β1^t): with β = (0.9, 0.999) and t − t0 = 160 (20 epochs of 8 steps) that is 1.17 at t = 500,
    1.05 at t = 1000 and < 1.01 from t = 2500 on. (:func:`state_of` gives a plain model's step counter a leading
    axis of size 1, so a single model is reverted exactly; a batched trainer that wants exact reverts keeps a
    per-model step counter of shape (M,).) The same names must be present at every call; tensors are updated in
    place.

    ``step(loss, deff, state)`` (once per epoch, after the epoch's optimiser steps), per model:

    1. ``detector.update(loss)`` says whether this epoch's loss is a spike;
    2. a spike is *reverted* — the model's rows are copied back from its last checkpoint — if the model has a
       checkpoint and, when ``require_deff_increase``, D_eff now is strictly larger than the reference D_eff (the
       paper's suggestion: revert only spikes that raised the effective dimension). ``max_consecutive`` (optional)
       caps the reverts in a row of one model; the next spike is then accepted, so a spike that a redo reproduces
       cannot loop forever;
    3. a model without a spike is checkpointed when it has no checkpoint yet or its checkpoint is at least
       ``checkpoint_every`` step calls old (the authors: 20 epochs). Spiking models (reverted or accepted) are not
       checkpointed.

    The reference D_eff (``deff_reference``): ``"checkpoint"`` (default) = D_eff recorded when the model's last
    checkpoint was saved; ``"previous"`` = D_eff passed at the previous step call (after a revert: the checkpoint's).
    The default compares the two states a revert chooses between: the present one and the one it would restore — a
    revert is worth it only if it undoes a rise of D_eff relative to what comes back. The previous epoch can no
    longer be restored, and the step of D_eff need not fall in the same epoch as the detected loss spike (it can
    precede it by an epoch, or a spike can last two epochs, the second being judged against an already raised
    D_eff). Slow drift of D_eff between checkpoints is mostly downward before and at the transition (the paper's
    Fig. 15), which makes the default conservative (fewer reverts).

    A spike that is kept (D_eff did not rise, no checkpoint yet, or the ``max_consecutive`` cap) is not added to
    the detector's history either, unless ``append_kept=True``: the paper's spikes are isolated, so the history of
    the model before the spike stays the right reference. The catch: a model whose loss settles on a higher level
    after a kept spike stays flagged (and is not checkpointed) until its loss is back within the old band;
    ``append_kept=True`` instead takes a kept spike as the new normal, at the price of a history whose std is
    inflated by it for ``window`` epochs (later spikes in that time may be missed).

    The caller may redo the epoch after a revert (the authors did) or just go on; either way the detector's history
    does not contain the reverted spike. Attributes, ``(M,)`` tensors: ``spikes``, ``reverts``, ``checkpoints`` (counts),
    ``last_spike``, ``last_reverted``, ``last_checkpointed`` (masks of the last step), ``age`` (step calls since
    each model's checkpoint), ``deff_ref``; ``saved`` holds the checkpointed tensors and ``has_checkpoint`` which
    rows in it are valid."""

    def __init__(self, detector: SpikeDetector | None = None, checkpoint_every: int = 20,
                 require_deff_increase: bool = True, deff_reference: str = "checkpoint",
                 max_consecutive: int | None = None, append_kept: bool = False):
        if deff_reference not in ("checkpoint", "previous"):
            raise ValueError("deff_reference is 'checkpoint' or 'previous'")
        self.detector = SpikeDetector() if detector is None else detector
        self.checkpoint_every = int(checkpoint_every)
        self.require_deff_increase = bool(require_deff_increase)
        self.deff_reference = deff_reference
        self.max_consecutive = max_consecutive
        self.append_kept = bool(append_kept)
        self.saved: dict[str, torch.Tensor] | None = None
        self.m = None

    # state bookkeeping --------------------------------------------------------------------------------------
    def _init(self, m: int, device) -> None:
        self.m = m
        z = dict(dtype=torch.long, device=device)
        self.spikes, self.reverts, self.checkpoints = (torch.zeros(m, **z) for _ in range(3))
        self.age, self.in_a_row = torch.zeros(m, **z), torch.zeros(m, **z)
        b = dict(dtype=torch.bool, device=device)
        self.has_checkpoint = torch.zeros(m, **b)
        self.last_spike, self.last_reverted, self.last_checkpointed = (torch.zeros(m, **b) for _ in range(3))
        self.deff_ref = torch.full((m,), torch.nan, dtype=torch.float64, device=device)
        self.deff_prev = self.deff_ref.clone()

    def _mask(self, mask) -> torch.Tensor:
        if mask is None:
            return torch.ones(self.m, dtype=torch.bool, device=self.has_checkpoint.device)
        mask = torch.as_tensor(mask, dtype=torch.bool).to(self.has_checkpoint.device).reshape(-1)
        if mask.shape[0] != self.m:
            raise ValueError(f"mask has {mask.shape[0]} entries, expected M = {self.m}")
        return mask

    def _deff(self, deff) -> torch.Tensor:
        d = _as_losses(deff, self.deff_ref.device)
        return d.expand(self.m) if d.shape[0] == 1 else d

    def _start(self, state: Mapping, device) -> dict:
        rows = _per_model(state, self.m)
        if not rows:
            raise ValueError("state has no tensor with a leading model axis")
        if self.m is None:
            self._init(next(iter(rows.values())).shape[0], device)
        elif self.saved is not None and set(rows) != set(self.saved):
            raise KeyError(f"state names changed since the first checkpoint: {sorted(set(rows) ^ set(self.saved))}")
        return rows

    @torch.no_grad()
    def select(self, keep) -> None:
        """Keep only the models ``keep`` (bool (M,)), here and in the detector (finished models leaving a batch)."""
        self.detector.select(keep)
        if self.m is None:
            return
        keep = torch.as_tensor(keep, dtype=torch.bool).to(self.has_checkpoint.device).reshape(-1)
        for name in ("spikes", "reverts", "checkpoints", "age", "in_a_row", "has_checkpoint", "last_spike",
                     "last_reverted", "last_checkpointed", "deff_ref", "deff_prev"):
            setattr(self, name, getattr(self, name)[keep])
        if self.saved is not None:
            self.saved = {k: v[keep] for k, v in self.saved.items()}
        self.m = int(keep.sum())

    @torch.no_grad()
    def checkpoint(self, state: Mapping, mask=None, deff=None) -> None:
        """Copy the rows ``mask`` (bool (M,); default all) of every per-model entry of ``state`` into ``saved``;
        ``deff`` (scalar or (M,)) is recorded as those models' reference D_eff."""
        rows = self._start(state, None)
        mask = self._mask(mask)
        if self.saved is None:
            self.saved = {k: v.detach().clone() for k, v in rows.items()}
        else:
            for k, v in rows.items():
                self.saved[k].copy_(torch.where(_rows(mask, v), v.detach(), self.saved[k]))
        self.has_checkpoint |= mask
        self.checkpoints += mask
        self.age = torch.where(mask, 0, self.age)
        if deff is not None:
            self.deff_ref = torch.where(mask, self._deff(deff), self.deff_ref)

    @torch.no_grad()
    def restore(self, state: Mapping, mask=None) -> torch.Tensor:
        """Copy the last checkpoint back into the rows ``mask`` of ``state`` in place (rows without a checkpoint are
        skipped); returns the mask of restored rows."""
        rows = self._start(state, None)
        mask = self._mask(mask) & self.has_checkpoint
        if bool(mask.any()):
            for k, v in rows.items():
                v.copy_(torch.where(_rows(mask, v), self.saved[k], v))
        return mask

    @torch.no_grad()
    def step(self, loss, deff, state: Mapping) -> torch.Tensor:
        """One epoch's decision for every model (see class); returns the bool ``(M,)`` mask of reverted models.
        ``deff`` is a scalar or ``(M,)`` (may be None when ``require_deff_increase`` is False)."""
        spike = self.detector.update(loss)
        if self.m is None:
            self._start(state, spike.device)
        spike = spike.to(self.has_checkpoint.device)
        if spike.shape[0] != self.m:
            raise ValueError(f"{spike.shape[0]} losses for M = {self.m} models")
        if deff is None:
            if self.require_deff_increase:
                raise ValueError("require_deff_increase needs a D_eff per model")
            deff_now = torch.full((self.m,), torch.nan, dtype=torch.float64, device=self.deff_ref.device)
        else:
            deff_now = self._deff(deff)
        revert = spike & self.has_checkpoint
        if self.require_deff_increase:
            ref = self.deff_ref if self.deff_reference == "checkpoint" else self.deff_prev
            revert &= deff_now > ref
        if self.max_consecutive is not None:
            revert &= self.in_a_row < self.max_consecutive
        self.age += 1
        restored = self.restore(state, revert)
        if self.append_kept and not self.detector.append_spikes:
            self.detector.append(loss, (spike & ~restored).to(self.detector.history.device))
        due = ~spike & (~self.has_checkpoint | (self.age >= self.checkpoint_every))
        if bool(due.any()):
            self.checkpoint(state, due, deff_now)
        self.deff_prev = torch.where(revert, self.deff_ref, deff_now)
        self.in_a_row = torch.where(revert, self.in_a_row + 1, 0)
        self.spikes += spike
        self.reverts += restored
        self.last_spike, self.last_reverted, self.last_checkpointed = spike, restored, due
        return restored


def state_of(model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
             models: int | None = None) -> dict[str, torch.Tensor]:
    """The state dict a :class:`RevertPolicy` works on, for a ``torch.nn.Module`` and its optimiser: parameters
    (``param/<name>``), floating/integer buffers (``buffer/<name>``) and every tensor of the optimiser's per-parameter
    state (``optim/<param name>/<key>``, e.g. ``exp_avg``, ``exp_avg_sq``, ``step`` for Adam).

    ``models=None`` (a plain single model, M = 1): every tensor is returned as a *view* with a leading axis of
    size 1 (0-d tensors such as Adam's ``step`` included), so restoring writes into the model and the optimiser in
    place and a revert is exact. ``models=M`` (a model whose parameters already carry a leading model axis M, trained
    by one optimiser): tensors are returned as they are; 0-d entries (Adam's per-tensor ``step``) are shared by all
    models and the policy leaves them alone.

    Build it again at every call: torch optimisers create their state at the first step."""
    names = {id(p): n for n, p in model.named_parameters()}
    raw: dict[str, torch.Tensor] = {f"param/{n}": p for n, p in model.named_parameters()}
    raw.update({f"buffer/{n}": b for n, b in model.named_buffers() if b is not None})
    if optimizer is not None:
        for group in optimizer.param_groups:
            for p in group["params"]:
                for key, v in optimizer.state.get(p, {}).items():
                    if isinstance(v, torch.Tensor):
                        raw[f"optim/{names.get(id(p), id(p))}/{key}"] = v
    if models is None:
        return {k: v.unsqueeze(0) for k, v in raw.items()}
    return raw

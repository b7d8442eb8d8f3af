"""MNIST MLPs of Liu et al. (2022) App J (Figs 8a, 8b, 20): many models trained as one batched tensor program.

The model (docs/decisions.md, MNIST): a 784-200-200-10 ReLU MLP with PyTorch's default (Kaiming-uniform) init
multiplied by alpha, MSE on one-hot targets (``nn.MSELoss``: mean over the batch and the 10 outputs), AdamW with one
learning rate for the first two layers and another for the last ("decoder") layer, the same weight decay on both
groups, minibatches of 200. As in the authors' script (omnigrok ``scripts/train-mnist-mlp-lr.py``) alpha multiplies
the biases too (``TrainSettings.scale_biases``), the prediction is the argmax of the outputs, and the accuracy is
taken on the whole training and test sets every ``eval_every`` steps (theirs: 200 at 10^5 steps).

Like :mod:`grokrepro.train` for the toy model, every parameter carries a leading model axis M: one step is one
forward pass (``baddbmm``), one backward pass and one AdamW update with per-model learning rates and weight decays
(PyTorch's fused AdamW kernel per group of models sharing them), equal to ``torch.optim.AdamW`` on each model alone to
float rounding. Models that are decided (train and validation
accuracy both past their thresholds, with ``stop_when_decided``) or whose loss is no longer finite leave the batch at
the next evaluation. :func:`train_reference` is the plain per-model loop (``nn.Sequential`` + ``torch.optim.AdamW``,
same init, same data stream, same evaluation); tests/unit/test_liu_mnist.py checks that both give the same numbers.

Randomness, per model: the init is drawn from ``torch.Generator().manual_seed(seed)`` in the order of
``nn.Sequential``'s construction, so it equals ``torch.manual_seed(seed)`` followed by the authors' model (in the
run's float type). The minibatches come from ``numpy.random.default_rng(seed)``: a fresh permutation of the training
set each epoch, cut into consecutive batches (the last one shorter when the batch size does not divide the training
set, as a ``DataLoader(shuffle=True)``). Models with equal seeds therefore see the same batches, and their batch is
gathered once and shared (a stride-0 view), which is what makes the batched step cheaper than the loop's. The
authors' batch order instead depends on their logging frequency (their evaluation shuffles with the global
generator); that is not reproduced.

"val" is the test set of the split (the paper's "validation accuracy"). Step s of the history is the state after s
updates (s = 0: the init); ``train_step``/``val_step`` are the first evaluated steps whose accuracy reached the
threshold (so their resolution is ``eval_every``), missing when never reached.

Denormal floats are flushed to zero while training (both trainers run in a thread that sets
``torch.set_flush_denormal`` before its thread pool exists, :func:`flushed`): with a large weight
decay (Fig 8b's grid reaches 100) the weights decay below float32's smallest normal number within ~10^3 steps, and
CPU arithmetic on denormals is slow (measured: the 8 x 8 grid fell from ~12 to 4.7 steps a second after step ~1,000).
Only values below 1.2e-38 (float32) / 2.2e-308 (float64) are affected.

Pixels that are zero in every training image (185 of 784 in the default 1,000-image split) get an exactly zero
gradient, so AdamW only decays their first-layer weights; the batched trainer keeps those rows out of the training
products and decays them alone (same arithmetic as the loop; they still act on test images).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from grokrepro.liu2022.mnist import N_CLASSES, N_PIXELS, MnistData
from grokrepro.memory import keep_freed_memory
from grokrepro.train import BETA1, BETA2, EPS, resolve_device

DTYPES = {"float32": torch.float32, "float64": torch.float64}
_EVAL_ELEMENTS = 1 << 24  # evaluation forwards hold at most this many hidden activations at once


@dataclass(frozen=True)
class MnistRun:
    """One model's hyper-parameters: ``lr`` for the first two layers, ``lr_last`` for the last layer, one weight
    decay for both (AdamW's decoupled decay), init scale ``alpha``, and the ``seed`` of its init and batches."""

    seed: int = 0
    lr: float = 1e-3
    lr_last: float = 1e-3
    weight_decay: float = 0.0
    alpha: float = 9.0


@dataclass(frozen=True)
class TrainSettings:
    """What all models of one batched training share."""

    steps: int = 100_000
    batch_size: int = 200
    width: int = 200
    eval_every: int = 200
    train_threshold: float = 0.9
    val_threshold: float = 0.9  # 0.6 for Fig 8b (L-D14)
    stop_when_decided: bool = True  # False: every model runs the whole budget
    dtype: str = "float32"  # or "float64" (Fig 8a's chosen run)
    device: str = "cpu"
    scale_biases: bool = True  # the authors' script multiplies every parameter by alpha
    progress: bool = True
    desc: str = "mnist"


@dataclass
class TrainResult:
    """``summary``: one row per model (MnistRun fields, ``train_step``, ``val_step`` (Int64, NA = never reached),
    ``diverged``, ``last_step`` and the ``final_*`` metrics of its last evaluation); ``history``: one row per model
    and evaluated step (model, step, loss_train, acc_train, loss_val, acc_val, weight_norm, last_layer_norm), losses
    as trained (mean over samples and the 10 outputs)."""

    summary: pd.DataFrame
    history: pd.DataFrame


HISTORY_COLUMNS = ["model", "step", "loss_train", "acc_train", "loss_val", "acc_val", "weight_norm",
                   "last_layer_norm"]


# ---- shared by both trainers: init, batch stream, evaluation steps ---------------------------------------------


def init_params(seed: int, alpha: float, width: int = 200, dtype: torch.dtype = torch.float32,
                scale_biases: bool = True) -> list[torch.Tensor]:
    """[W1, b1, W2, b2, W3, b3] in ``nn.Linear`` layout (out, in), drawn as ``nn.Linear.reset_parameters`` draws
    them from ``torch.Generator().manual_seed(seed)`` (= ``torch.manual_seed(seed)`` then the three layers built in
    order, in ``dtype``), times ``alpha`` (the biases too unless ``scale_biases`` is False)."""
    g = torch.Generator().manual_seed(int(seed))
    out = []
    for fan_in, fan_out in ((N_PIXELS, width), (width, width), (width, N_CLASSES)):
        w = torch.empty(fan_out, fan_in, dtype=dtype)
        torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
        bound = 1 / math.sqrt(fan_in)
        b = torch.empty(fan_out, dtype=dtype)
        torch.nn.init.uniform_(b, -bound, bound, generator=g)
        out += [w * alpha, b * alpha if scale_biases else b]
    return out


class BatchStream:
    """Minibatch indices into the training set: each epoch a permutation from ``default_rng(seed)``, cut into
    consecutive batches of ``batch`` (the last one shorter when ``batch`` does not divide ``n``)."""

    def __init__(self, seed: int, n: int, batch: int):
        self.rng = np.random.default_rng(int(seed))
        self.n, self.batch = n, min(batch, n)
        self.perm, self.pos = np.arange(0), n

    def next(self) -> np.ndarray:
        if self.pos >= self.n:
            self.perm, self.pos = self.rng.permutation(self.n), 0
        idx = self.perm[self.pos:self.pos + self.batch]
        self.pos += len(idx)
        return idx


@contextlib.contextmanager
def flush_denormal():
    """Flush denormal floats to zero inside the block (CPU; see the module docstring), restore the default after.
    Only the calling thread: worker threads of an existing thread pool keep their own setting (see :func:`flushed`)."""
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


_FLUSHED_THREAD = "grokrepro-flushed"
_flushed_queue = None


def _flushed_worker(jobs) -> None:
    torch.set_flush_denormal(True)
    while True:
        fn, args, kwargs, n, out, done = jobs.get()
        try:
            if torch.get_num_threads() != n:
                torch.set_num_threads(n)
            out["value"] = fn(*args, **kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            out["error"] = e
        finally:
            done.set()


def flushed(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` with denormals flushed to zero in every thread that computes for it.

    ``torch.set_flush_denormal`` sets the calling thread's floating-point control word only; the intra-op worker
    threads (OpenMP, which also runs MKL's GEMMs) copy it when they are created, and the pool of the main thread
    usually exists already. Measured (2 threads, 2026-11-30): a batched GEMM on denormal weights took 1.8 s instead
    of 14 ms with the flag set after the pool existed. So ``fn`` runs in one long-lived thread of this process that
    set the flag before it computed anything: the thread pool its parallel regions create inherits it. The thread
    is made on first use and reused (a fresh thread per call also makes a fresh OpenMP pool per call, and every live
    pool counts against libgomp's spin budget: measured, a 200 x 784 x 200 GEMM took 326 us in a second thread's
    pool against 220 us in the only one). Calls from inside it run inline. Same torch thread count as the caller;
    the result is returned and an exception re-raised in the caller."""
    global _flushed_queue
    import queue
    import threading

    if threading.current_thread().name == _FLUSHED_THREAD:
        return fn(*args, **kwargs)
    if _flushed_queue is None:
        keep_freed_memory()             # before the thread exists: it then shares the main heap (grokrepro.memory)
        _flushed_queue = queue.SimpleQueue()
        threading.Thread(target=_flushed_worker, args=(_flushed_queue,), name=_FLUSHED_THREAD, daemon=True).start()
    out: dict = {}
    done = threading.Event()
    _flushed_queue.put((fn, args, kwargs, torch.get_num_threads(), out, done))
    done.wait()
    if "error" in out:
        raise out["error"]
    return out["value"]


def eval_steps(steps: int, every: int) -> list[int]:
    """The evaluated steps: 0, every, 2 every, ... and the last (``steps``)."""
    return sorted(set(range(0, steps + 1, max(1, every))) | {steps})


def _check(runs, cfg: TrainSettings, data: MnistData) -> torch.dtype:
    if not runs:
        raise ValueError("train_batched needs at least one run")
    if cfg.steps < 1:
        raise ValueError(f"steps must be >= 1, got {cfg.steps}")
    if cfg.batch_size < 1 or cfg.eval_every < 1:
        raise ValueError(f"batch_size and eval_every must be >= 1, got {cfg.batch_size}, {cfg.eval_every}")
    if cfg.dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}; got {cfg.dtype!r}")
    if data.pixels_train.shape[1] != N_PIXELS:
        raise ValueError(f"MNIST images must have {N_PIXELS} pixels, got {data.pixels_train.shape[1]}")
    return DTYPES[cfg.dtype]


# ---- the batched trainer ----------------------------------------------------------------------------------------


class _Batch:
    """Stacked state of the models still running (``ids`` index the original M).

    Weights are stored transposed, (M, in, out), so the forward is ``baddbmm(b, x, W)`` on contiguous operands. The
    first layer is split into the rows of pixels seen in training (``params[0]``) and those of pixels blank in every
    training image (``w1_blank``, no gradient, only decayed)."""

    def __init__(self, runs: list[MnistRun], cfg: TrainSettings, dtype: torch.dtype, dev: torch.device,
                 seen: torch.Tensor):
        inits = [init_params(r.seed, r.alpha, cfg.width, dtype, cfg.scale_biases) for r in runs]
        stack = [torch.stack([p[i] for p in inits]) for i in range(6)]
        w1 = stack[0].transpose(1, 2)  # (M, 784, width)
        self.params = [w1[:, seen], stack[1].unsqueeze(1), stack[2].transpose(1, 2), stack[3].unsqueeze(1),
                       stack[4].transpose(1, 2), stack[5].unsqueeze(1)]
        self.params = [p.to(dev).contiguous().requires_grad_(True) for p in self.params]
        self.w1_blank = w1[:, ~seen].to(dev).contiguous()
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        f64 = dict(dtype=torch.float64, device=dev)
        self.lr = [torch.tensor([r.lr for r in runs], **f64), torch.tensor([r.lr_last for r in runs], **f64)]
        self.wd = torch.tensor([r.weight_decay for r in runs], **f64)
        self.ids = torch.arange(len(runs), device=dev)
        seeds = sorted({r.seed for r in runs})
        self.stream_seeds = seeds
        self.stream_of = torch.tensor([seeds.index(r.seed) for r in runs], device=dev)
        self.bad = torch.zeros(len(runs), dtype=torch.bool, device=dev)
        self._flags()

    def _flags(self) -> None:
        self.any_wd = bool((self.wd != 0).any())
        self.shared_stream = len(set(self.stream_of.tolist())) == 1
        # AdamW's groups: for each parameter group, the models sharing (lr, weight decay), as (lr, wd, rows)
        self.adam_groups = []
        for lr in self.lr:
            rows: dict = {}
            for r, key in enumerate(zip(lr.tolist(), self.wd.tolist())):
                rows.setdefault(key, []).append(r)
            self.adam_groups.append([(k[0], k[1], v) for k, v in rows.items()])

    def select(self, keep: torch.Tensor) -> None:
        idx = keep.nonzero().squeeze(1)
        self.params = [p.detach()[idx].contiguous().requires_grad_(True) for p in self.params]
        self.exp_avg = [m[idx].contiguous() for m in self.exp_avg]
        self.exp_avg_sq = [v[idx].contiguous() for v in self.exp_avg_sq]
        self.w1_blank = self.w1_blank[idx].contiguous()
        self.lr = [t[idx] for t in self.lr]
        for name in ("wd", "ids", "stream_of", "bad"):
            setattr(self, name, getattr(self, name)[idx])
        self._flags()


def _forward(params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """(M, R, 10) outputs for inputs x (M, R, K) over the seen pixels (a stride-0 expansion when shared)."""
    h = torch.relu(torch.baddbmm(params[1], x, params[0]))
    h = torch.relu(torch.baddbmm(params[3], h, params[2]))
    return torch.baddbmm(params[5], h, params[4])


def _adamw_(b: _Batch, grads: list[torch.Tensor], step: int, dtype: torch.dtype) -> None:
    """AdamW with per-model lr and weight decay: PyTorch's fused AdamW kernel (what ``torch.optim.AdamW(fused=True)``
    runs: one pass over parameter, gradient and moments instead of about ten), called once per group of models that
    share (lr, weight decay) on each parameter group, on per-model views. The loop's ``torch.optim.AdamW`` (the
    single-tensor path) does the same arithmetic in another order: equal to float rounding (tested). The blank
    first-layer rows have a zero gradient: their moments stay 0 and the Adam step is exactly 0, so only the decay
    acts (per model, rounded to the parameter type)."""
    if b.any_wd and b.w1_blank.shape[1]:
        decay = (1 - b.lr[0] * b.wd).to(dtype)
        b.w1_blank.mul_(decay.view(-1, 1, 1))
    steps = torch.tensor(float(step), dtype=torch.float32, device=b.params[0].device)
    for tensors, groups in ((range(0, 4), b.adam_groups[0]), (range(4, 6), b.adam_groups[1])):
        for lr, wd, rows in groups:
            sel = [(t, r) for t in tensors for r in rows]
            torch._fused_adamw_([b.params[t].data[r] for t, r in sel], [grads[t][r] for t, r in sel],
                                [b.exp_avg[t][r] for t, r in sel], [b.exp_avg_sq[t][r] for t, r in sel], [],
                                [steps] * len(sel), lr=lr, beta1=BETA1, beta2=BETA2, weight_decay=wd, eps=EPS,
                                amsgrad=False, maximize=False)


class _Data:
    """The split on the device in the run's float type: inputs over the seen pixels (and, for the test set, the
    blank ones), labels and one-hot targets."""

    def __init__(self, data: MnistData, dtype: torch.dtype, dev: torch.device):
        x_train, self.y_train = data.inputs("train", dtype, dev)
        x_test, self.y_test = data.inputs("test", dtype, dev)
        self.seen = (data.pixels_train > 0).any(0).to(dev)
        self.x_train = x_train[:, self.seen].contiguous()
        self.x_test = x_test[:, self.seen].contiguous()
        self.x_test_blank = x_test[:, ~self.seen].contiguous()
        self.eye = torch.eye(N_CLASSES, dtype=dtype, device=dev)
        self.n_train = len(self.y_train)


def _evaluate(b: _Batch, d: _Data, width: int) -> dict[str, torch.Tensor]:
    """Per-model loss and accuracy on the whole training and test sets, and the weight norms (no gradient)."""
    out = {}
    m = len(b.ids)
    params = [p.detach() for p in b.params]
    with torch.no_grad():
        for name, x, blank, y in (("train", d.x_train, None, d.y_train), ("val", d.x_test, d.x_test_blank, d.y_test)):
            rows = max(1, _EVAL_ELEMENTS // max(1, m * width))
            sq = torch.zeros(m, dtype=torch.float64, device=x.device)
            correct = torch.zeros(m, dtype=torch.int64, device=x.device)
            for lo in range(0, len(y), rows):
                xs, ys = x[lo:lo + rows], y[lo:lo + rows]
                h = torch.baddbmm(params[1], xs.expand(m, -1, -1), params[0])
                if blank is not None and b.w1_blank.shape[1]:
                    h = h + torch.bmm(blank[lo:lo + rows].expand(m, -1, -1), b.w1_blank)
                h = torch.relu(h)
                h = torch.relu(torch.baddbmm(params[3], h, params[2]))
                o = torch.baddbmm(params[5], h, params[4])
                sq += ((o - d.eye[ys]) ** 2).sum(dim=(1, 2)).to(torch.float64)
                correct += (o.argmax(-1) == ys).sum(1)
            out[f"loss_{name}"] = sq / (len(y) * N_CLASSES)
            out[f"acc_{name}"] = correct.to(torch.float64) / len(y)
        last = sum((p.to(torch.float64) ** 2).sum(dim=(1, 2)) for p in params[4:])
        rest = sum((p.to(torch.float64) ** 2).sum(dim=(1, 2)) for p in params[:4])
        rest = rest + (b.w1_blank.to(torch.float64) ** 2).sum(dim=(1, 2))
        out["weight_norm"] = (rest + last).sqrt()
        out["last_layer_norm"] = last.sqrt()
    return out


def train_batched(runs: list[MnistRun], cfg: TrainSettings, data: MnistData) -> TrainResult:
    """Train ``len(runs)`` MLPs on ``data`` together for ``cfg.steps`` steps (see the module docstring)."""
    return flushed(_train_batched, runs, cfg, data)


def _train_batched(runs: list[MnistRun], cfg: TrainSettings, data: MnistData) -> TrainResult:
    dtype = _check(runs, cfg, data)
    dev = resolve_device(cfg.device)
    d = _Data(data, dtype, dev)
    b = _Batch(runs, cfg, dtype, dev, d.seen.cpu())
    streams = [BatchStream(s, d.n_train, cfg.batch_size) for s in b.stream_seeds]
    k = len(runs)
    train_step = np.full(k, -1, dtype=np.int64)
    val_step = train_step.copy()
    last_step = np.full(k, cfg.steps, dtype=np.int64)
    diverged = np.zeros(k, dtype=bool)
    final = {c: np.full(k, np.nan) for c in HISTORY_COLUMNS[2:]}
    rows: list[dict] = []
    todo = set(eval_steps(cfg.steps, cfg.eval_every))
    bar = tqdm(total=cfg.steps, desc=cfg.desc, disable=not cfg.progress, mininterval=2.0, unit="step")

    def evaluate(step: int) -> bool:
        """Record ``step`` for the running models; retire those decided or diverged (all of them at the end).
        True when no model is left running."""
        ev = _evaluate(b, d, cfg.width)
        vals = {c: t.cpu().numpy() for c, t in ev.items()}
        ids = b.ids.cpu().numpy()
        bad = (b.bad | ~torch.isfinite(ev["loss_train"]) | ~torch.isfinite(ev["loss_val"])).cpu().numpy()
        for j, mid in enumerate(ids):
            rows.append(dict(model=int(mid), step=step, **{c: float(vals[c][j]) for c in HISTORY_COLUMNS[2:]}))
            for c in HISTORY_COLUMNS[2:]:
                final[c][mid] = vals[c][j]
            if train_step[mid] < 0 and vals["acc_train"][j] >= cfg.train_threshold and not bad[j]:
                train_step[mid] = step
            if val_step[mid] < 0 and vals["acc_val"][j] >= cfg.val_threshold and not bad[j]:
                val_step[mid] = step
        diverged[ids] = bad
        done = bad.copy()
        if cfg.stop_when_decided:
            done |= (train_step[ids] >= 0) & (val_step[ids] >= 0)
        if step == cfg.steps:
            done[:] = True
        if done.all():
            last_step[ids] = step
            return True
        if done.any():
            last_step[ids[done]] = step
            b.select(torch.from_numpy(~done).to(dev))
        return False

    finished = evaluate(0)
    for step in range(cfg.steps):
        if finished:
            break
        picks = [torch.from_numpy(s.next()).to(dev) for s in streams]
        if b.shared_stream:
            idx = picks[int(b.stream_of[0])]
            x = d.x_train[idx].expand(len(b.ids), -1, -1)
            y = d.eye[d.y_train[idx]].expand(len(b.ids), -1, -1)
        else:
            idx = torch.stack([picks[s] for s in b.stream_of.tolist()])
            x, y = d.x_train[idx], d.eye[d.y_train[idx]]
        out = _forward(b.params, x)
        loss = ((out - y) ** 2).mean(dim=(1, 2))
        grads = torch.autograd.grad(loss.sum(), b.params)
        with torch.no_grad():
            _adamw_(b, list(grads), step + 1, dtype)
            b.bad |= ~torch.isfinite(loss.detach())
        bar.update(1)
        if step + 1 in todo:
            finished = evaluate(step + 1)
            bar.set_postfix(active=0 if finished else len(b.ids), refresh=False)
    bar.close()
    return _result(runs, train_step, val_step, diverged, last_step, final, rows)


def _result(runs, train_step, val_step, diverged, last_step, final, rows) -> TrainResult:
    summary = pd.DataFrame([asdict(r) for r in runs])
    summary.insert(0, "model", np.arange(len(runs)))
    for name, arr in (("train_step", train_step), ("val_step", val_step)):
        summary[name] = pd.array([int(v) if v >= 0 else pd.NA for v in arr], dtype="Int64")
    summary["diverged"] = diverged
    summary["last_step"] = last_step
    for c, arr in final.items():
        summary[f"final_{c}"] = arr
    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    history = history.sort_values(["model", "step"], kind="stable").reset_index(drop=True)
    return TrainResult(summary=summary, history=history)


# ---- the plain per-model loop -----------------------------------------------------------------------------------


def make_mlp(params: list[torch.Tensor]) -> torch.nn.Sequential:
    """The authors' ``nn.Sequential`` (Linear, ReLU, Linear, ReLU, Linear) holding ``params`` (``init_params``)."""
    layers = []
    for i in range(3):
        w, bias = params[2 * i], params[2 * i + 1]
        lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=w.dtype)
        with torch.no_grad():
            lin.weight.copy_(w)
            lin.bias.copy_(bias)
        layers += [lin] + ([torch.nn.ReLU()] if i < 2 else [])
    return torch.nn.Sequential(*layers)


def train_reference(run: MnistRun, cfg: TrainSettings, data: MnistData) -> TrainResult:
    """One model, the plain way: ``nn.Sequential`` + ``torch.optim.AdamW`` (two parameter groups), ``F.mse_loss``
    on one-hot targets, the same init, batch stream, evaluation steps and stopping rule as :func:`train_batched`.
    The ground truth of the batched trainer's tests and the baseline of ``bench/mnist_speed.py``."""
    return flushed(_train_reference, run, cfg, data)


def _train_reference(run: MnistRun, cfg: TrainSettings, data: MnistData) -> TrainResult:
    dtype = _check([run], cfg, data)
    dev = resolve_device(cfg.device)
    net = make_mlp(init_params(run.seed, run.alpha, cfg.width, dtype, cfg.scale_biases)).to(dev)
    opt = torch.optim.AdamW([
        {"params": net[:-1].parameters(), "lr": run.lr, "weight_decay": run.weight_decay},
        {"params": net[-1].parameters(), "lr": run.lr_last, "weight_decay": run.weight_decay},
    ])
    x_train, y_train = data.inputs("train", dtype, dev)
    x_test, y_test = data.inputs("test", dtype, dev)
    eye = torch.eye(N_CLASSES, dtype=dtype, device=dev)
    stream = BatchStream(run.seed, len(y_train), cfg.batch_size)
    todo = set(eval_steps(cfg.steps, cfg.eval_every))
    rows, train_step, val_step, diverged, last, bad = [], -1, -1, False, cfg.steps, False
    for step in range(cfg.steps + 1):
        if step in todo:
            with torch.no_grad():
                row = dict(model=0, step=step)
                for name, x, y in (("train", x_train, y_train), ("val", x_test, y_test)):
                    o = net(x)
                    row[f"loss_{name}"] = float(torch.nn.functional.mse_loss(o, eye[y]))
                    row[f"acc_{name}"] = float((o.argmax(-1) == y).double().mean())
                params = list(net.parameters())
                row["weight_norm"] = float(sum((p.double() ** 2).sum() for p in params).sqrt())
                row["last_layer_norm"] = float(sum((p.double() ** 2).sum() for p in params[4:]).sqrt())
            rows.append(row)
            bad = bad or not (math.isfinite(row["loss_train"]) and math.isfinite(row["loss_val"]))
            if train_step < 0 and row["acc_train"] >= cfg.train_threshold and not bad:
                train_step = step
            if val_step < 0 and row["acc_val"] >= cfg.val_threshold and not bad:
                val_step = step
            diverged = bad
            if bad or (cfg.stop_when_decided and train_step >= 0 and val_step >= 0) or step == cfg.steps:
                last = step
                break
        idx = torch.from_numpy(stream.next()).to(dev)
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x_train[idx]), eye[y_train[idx]])
        loss.backward()
        opt.step()
        bad = bad or not math.isfinite(loss.item())
    final = {c: np.array([rows[-1][c]]) for c in HISTORY_COLUMNS[2:]}
    res = _result([run], np.array([train_step]), np.array([val_step]), np.array([diverged]), np.array([last]),
                  final, rows)
    res.params = [p.detach().cpu().clone() for p in net.parameters()]
    return res

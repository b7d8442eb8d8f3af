"""A plain per-model PyTorch loop of the toy model: ``nn.Module`` + ``torch.optim.AdamW``, one run at a time.

This is what :mod:`grokrepro.train` replaces. It is kept as the ground truth for the batched trainer's tests and as
the baseline of ``bench/train_throughput.py``. ``flavour="notebook"`` follows the authors' ``phase_diagram.ipynb``
(docs/decisions.md, Toy model): full batch in the training-set order, loss and update, then both accuracies after
the update. ``flavour="train_add"`` follows ``toy/train_add.py``: a fresh minibatch permutation each step,
validation accuracy from the outputs before the update (L-D12, L-D13).
"""

from __future__ import annotations

import numpy as np
import torch

from grokrepro.liu2022.tasks import init_run, make_task


class Decoder(torch.nn.Module):
    """tanh MLP d_in-width-width-d_out applied to E_a + E_b (docs/decisions.md, Toy model)."""

    def __init__(self, weights, biases):
        super().__init__()
        self.layers = torch.nn.ModuleList()
        for w, b in zip(weights, biases):
            layer = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                layer.weight.copy_(w)
                layer.bias.copy_(b)
            self.layers.append(layer)

    def forward(self, emb: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
        h = emb[pairs[:, 0]] + emb[pairs[:, 1]]
        h = torch.tanh(self.layers[0](h))
        h = torch.tanh(self.layers[1](h))
        return self.layers[2](h)


def train_one(seed=58, n_train=45, lr_repr=1e-3, lr_decoder=1e-4, wd_decoder=0.0, steps=1000, p=10, d_out=30,
              acc_threshold=0.9, stop_when_decided=False, flavour="notebook", batch_size=45, device="cpu"):
    """Train one addition-regression model on ``device``. Returns dict(train_step, val_step, embeddings, losses,
    decoder)."""
    task = make_task("addition", p, 1)
    init = init_run(task, seed=seed, n_train=n_train, flavour=flavour, loss="mse", d_out=d_out)
    emb = torch.nn.Parameter(init.embeddings.clone().to(device))
    model = Decoder(init.weights, init.biases).to(device)
    opt_repr = torch.optim.AdamW([emb], lr=lr_repr, weight_decay=0.0)
    opt_dec = torch.optim.AdamW(model.parameters(), lr=lr_decoder, weight_decay=wd_decoder)
    pairs = torch.tensor(task.pairs, device=device)
    labels = torch.tensor(task.labels, device=device)
    targets = init.targets.to(device)
    tr, va = torch.tensor(init.train_ids, device=device), torch.tensor(init.val_ids, device=device)
    y_train = targets[labels[tr]]
    train_step = val_step = -1
    losses = []
    batch = min(batch_size, n_train)

    def accuracy(ids):
        with torch.no_grad():
            out = model(emb, pairs[ids])
            d = ((out[:, None, :] - targets[None]) ** 2).sum(-1)
            return float((d.argmin(1) == labels[ids]).double().mean())

    for step in range(steps):
        opt_repr.zero_grad()
        opt_dec.zero_grad()
        if flavour == "train_add" or batch < n_train:  # a fresh minibatch (or permutation) every step
            choice = torch.tensor(init.rng.choice(np.arange(n_train), batch, replace=False), device=device)
            loss = torch.mean((model(emb, pairs[tr[choice]]) - y_train[choice]) ** 2)
        else:
            loss = torch.mean((model(emb, pairs[tr]) - y_train) ** 2)
        if flavour == "train_add":
            acc_val = accuracy(va)  # before the update (L-D12)
        loss.backward()
        opt_repr.step()
        opt_dec.step()
        losses.append(loss.item())
        if flavour == "notebook":
            acc_val = accuracy(va)
        if train_step < 0 and accuracy(tr) >= acc_threshold:
            train_step = step
        if val_step < 0 and acc_val >= acc_threshold:
            val_step = step
        if stop_when_decided and train_step >= 0 and val_step >= 0:
            break
    return dict(train_step=train_step, val_step=val_step, embeddings=emb.detach().cpu().clone(),
                losses=np.array(losses), decoder=[t.detach().cpu().clone() for t in model.parameters()])


def synchronize(device) -> None:
    """Wait for the device's queued work (CUDA), so that a wall-clock timing covers it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_cells(cells, steps: int, device: str, deadline: float = float("inf")) -> list[float]:
    """Seconds of :func:`train_one` (early stopping on) for each of ``cells`` (RunSpecs), one after another on
    ``device``, after a 5-step warm-up; cells after the first start only before ``deadline`` (``time.time()``).
    The per-run loop side of the panel benchmarks (bench/panel_speed.py, grokrepro.gpu_run)."""
    import time

    train_one(steps=5, device=str(device))
    times = []
    for r in cells:
        if times and time.time() > deadline:
            break
        synchronize(device)
        t = time.perf_counter()
        train_one(seed=r.seed, lr_repr=r.lr_repr, lr_decoder=r.lr_decoder, wd_decoder=r.wd_decoder, steps=steps,
                  stop_when_decided=True, device=str(device))
        synchronize(device)
        times.append(time.perf_counter() - t)
    return times

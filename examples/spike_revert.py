"""Revert a training-loss spike in a plain PyTorch loop with :mod:`grokrepro.spikes` (CPU, a few seconds).

A small tanh MLP learns a random teacher network on synthetic data with Adam. Once, at epoch ``spike_at``, one Adam
step is taken with a learning rate ``kick`` times too large — an artificial loss spike. The three lines marked
``# <-`` are all a loop needs: after every epoch the policy checks the epoch's training loss against the last 20
epochs; a spike is reverted (parameters *and* Adam state restored from the last checkpoint, saved every 20 epochs)
if the effective dimension D_eff of the hidden features went up, as Žunkovič & Ilievski (2022) suggest.

Run ``python examples/spike_revert.py``; :func:`main` returns a summary that the unit tests check.
"""

from __future__ import annotations

import torch
from torch import nn

from grokrepro.spikes import RevertPolicy, SpikeDetector, effective_dimension, state_of   # <- 1


def main(epochs: int = 100, spike_at: int = 60, kick: float = 1000.0, seed: int = 0, n: int = 512,
         verbose: bool = True) -> dict:
    """Train, kick once, let the policy revert; returns losses, D_eff, the spike/revert epochs and counters."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=gen)
    teacher = torch.randn(8, 4, generator=gen)
    y = torch.tanh(x @ teacher) @ torch.randn(4, 1, generator=gen)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    policy = RevertPolicy(SpikeDetector(window=20, threshold=2.0), checkpoint_every=20)       # <- 2

    losses, deffs, spikes, reverts = [], [], [], []
    for epoch in range(epochs):
        for batch in torch.randperm(n, generator=gen).split(64):
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x[batch]), y[batch]).backward()
            optimizer.step()
        if epoch == spike_at:                     # the artificial spike: one step with a huge learning rate
            for group in optimizer.param_groups:
                group["lr"] *= kick
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
            for group in optimizer.param_groups:
                group["lr"] /= kick
        with torch.no_grad():
            loss = float(nn.functional.mse_loss(model(x), y))
            deff = effective_dimension(model[1](model[0](x)))
        reverted = policy.step(loss, deff, state_of(model, optimizer))                        # <- 3
        losses.append(loss)
        deffs.append(deff)
        if bool(policy.last_spike[0]):
            spikes.append(epoch)
        if bool(reverted[0]):
            reverts.append(epoch)
            if verbose:
                print(f"epoch {epoch}: loss {loss:.3g} is a spike, D_eff {policy.deff_ref[0]:.2f} -> {deff:.2f}: "
                      f"reverted to the checkpoint")
        elif verbose and bool(policy.last_spike[0]):
            print(f"epoch {epoch}: loss {loss:.3g} is a spike, D_eff did not increase: kept")
    with torch.no_grad():
        final = float(nn.functional.mse_loss(model(x), y))
    if verbose:
        print(f"final training loss {final:.3g}; spikes {int(policy.spikes[0])}, reverts {int(policy.reverts[0])}, "
              f"checkpoints {int(policy.checkpoints[0])}")
    return dict(losses=losses, deffs=deffs, spikes=spikes, reverts=reverts, final_loss=final,
                n_spikes=int(policy.spikes[0]), n_reverts=int(policy.reverts[0]),
                n_checkpoints=int(policy.checkpoints[0]))


if __name__ == "__main__":
    main()

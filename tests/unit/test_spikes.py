"""grokrepro.spikes: D_eff, the streaming and offline spike tests, the revert policy and the runnable example."""

import importlib.util
from collections import deque

import numpy as np
import pytest
import torch
from torch import nn

from grokrepro.spikes import RevertPolicy, SpikeDetector, effective_dimension, find_spikes, state_of

from conftest import ROOT


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: a second intra-op thread only adds wake-up latency (8x slower on a busy 2-core machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ------------------------------------------------------------------------------------------- effective dimension


def test_effective_dimension_of_simple_clouds():
    rng = np.random.default_rng(0)
    assert effective_dimension(rng.standard_normal((50_000, 6))) == pytest.approx(6.0, rel=2e-3)
    line = np.outer(rng.standard_normal(200), [1.0, -2.0, 0.5]) + [3.0, 1.0, 2.0]   # an affine line
    assert effective_dimension(line) == pytest.approx(1.0, abs=1e-9)
    rot = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    cross = np.array([[1.0, 0, 0, 0, 0], [-1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, -1, 0, 0, 0]]) @ rot
    assert effective_dimension(cross) == pytest.approx(2.0, abs=1e-12)   # two equal-variance directions
    assert effective_dimension(torch.as_tensor(cross)) == pytest.approx(2.0, abs=1e-12)
    assert np.isnan(effective_dimension(np.ones((4, 3))))                 # no variance at all


def test_effective_dimension_options():
    rng = np.random.default_rng(1)
    cross = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    # uncentred: the offset is a third direction of the second moment
    shifted = np.c_[cross, np.full(4, np.sqrt(0.5))]   # second moments 0.5, 0.5, 0.5; variances 0.5, 0.5, 0
    assert effective_dimension(shifted) == pytest.approx(2.0)
    assert effective_dimension(shifted, center=False) == pytest.approx(3.0)
    # normalize: rows scaled to unit length before the PCA
    x = rng.standard_normal((30, 4)) * rng.uniform(0.1, 10.0, size=(30, 1))
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    assert effective_dimension(x, normalize=True) == pytest.approx(effective_dimension(unit), rel=1e-12)


def test_batched_effective_dimension_is_per_model():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(4, 40, 7, generator=gen) * torch.tensor([1.0, 0.3, 3.0, 0.01])[:, None, None]
    x[2, :, 3:] = 0.0     # model 2 lives in 3 of the 7 dimensions
    batched = effective_dimension(x)
    assert batched.shape == (4,) and batched.dtype == torch.float64
    for m in range(4):
        assert batched[m].item() == pytest.approx(effective_dimension(x[m]), rel=1e-12)
    assert batched[2] < 3.0 + 1e-9
    wide = torch.randn(3, 5, 20, generator=gen)   # n < d: the n x n Gram matrix path
    assert effective_dimension(wide).numpy() == pytest.approx(
        effective_dimension(wide.numpy().astype(np.float32)), rel=1e-5)
    assert (effective_dimension(wide) <= 4.0 + 1e-9).all()   # centred rank <= n - 1


# --------------------------------------------------------------------------------------------------- detection


def _reference(curve, window, threshold, append_spikes=False):
    """The definition, one model, literally: a deque of accepted losses, np.mean / np.std."""
    hist, out = deque(maxlen=window), []
    for loss in curve:
        spike = len(hist) == window and (not np.isfinite(loss) or (
            loss - np.mean(hist) >= threshold * np.std(hist) and loss > np.mean(hist)))
        out.append(spike)
        if np.isfinite(loss) and (append_spikes or not spike):
            hist.append(loss)
    return np.array(out)


def _curves(rng, m, steps, spike_every=37):
    """Decaying noisy losses (M, T) with large spikes injected at known epochs."""
    t = np.arange(steps)
    curves = np.exp(-t / 150.0)[None] * (1 + 0.05 * rng.standard_normal((m, steps)))
    injected = np.zeros((m, steps), dtype=bool)
    injected[:, 25::spike_every] = True
    injected &= rng.uniform(size=(m, steps)) < 0.7
    curves[injected] *= 3.0
    return curves, injected


def test_detector_threshold_is_inclusive_with_population_std():
    det = SpikeDetector(window=4, threshold=2.0)
    for loss in [-1.0, 1.0, -1.0, 1.0]:         # mean 0, population std 1 (the sample std would be 1.15)
        assert not det.update(loss)[0]
    assert det.update(2.0)[0].item() is True     # loss - mean >= 2 std
    mean, std = det.stats()
    assert (mean.item(), std.item()) == (0.0, 1.0)   # the spike was not appended
    assert det.update(1.999)[0].item() is False


def test_detector_needs_a_full_history_unless_told():
    det = SpikeDetector(window=5)
    assert not any(det.update(x)[0] for x in [1.0, 1.2, 100.0])   # only 2 losses of history
    det = SpikeDetector(window=5, min_history=2)
    assert [bool(det.update(x)[0]) for x in [1.0, 1.2, 100.0]] == [False, False, True]


def test_detector_history_rules():
    det = SpikeDetector(window=3, append_spikes=False)
    for loss in [1.0, 1.0, 1.0]:
        det.update(loss)
    assert not det.update(1.0)[0]                 # equal to a constant history: not a spike
    assert det.update(1.0 + 1e-9)[0]              # above a constant history: a spike
    assert det.update(float("inf"))[0] and det.update(float("nan"))[0]   # diverged: a spike, never stored
    assert torch.equal(det.history, torch.ones(1, 3, dtype=torch.float64))
    assert det.spikes.tolist() == [3]
    det = SpikeDetector(window=3, append_spikes=True)
    for loss in [1.0, 1.0, 1.0, 5.0]:
        det.update(loss)
    assert det.spikes.tolist() == [1] and 5.0 in det.history[0].tolist()


def test_detector_inputs():
    det = SpikeDetector(window=2)
    det.update(torch.tensor(1.0))
    det.update(np.float32(1.0))
    assert det.update([3.0]).shape == (1,)
    with pytest.raises(ValueError):
        det.update(torch.ones(2))                 # M is fixed by the first update
    with pytest.raises(ValueError):
        SpikeDetector(window=3, min_history=4)


@pytest.mark.parametrize("append_spikes", [False, True])
@pytest.mark.parametrize("window", [5, 20])
def test_streaming_offline_and_reference_agree(append_spikes, window):
    rng = np.random.default_rng(window)
    curves, _ = _curves(rng, m=6, steps=300)
    curves[1, 100] = np.inf
    offline = find_spikes(curves, window, 2.0, append_spikes=append_spikes)
    det = SpikeDetector(window, 2.0, append_spikes=append_spikes)
    streaming = np.stack([det.update(torch.as_tensor(curves[:, t])).numpy() for t in range(curves.shape[1])], 1)
    assert np.array_equal(offline, streaming)
    for m in range(curves.shape[0]):
        assert np.array_equal(offline[m], _reference(curves[m], window, 2.0, append_spikes))
        assert np.array_equal(find_spikes(curves[m], window, 2.0, append_spikes=append_spikes), offline[m])
    assert offline.any()


def test_injected_spikes_are_found_and_a_smooth_curve_has_none():
    rng = np.random.default_rng(5)
    curves, injected = _curves(rng, m=8, steps=400)
    found = find_spikes(curves, window=20, threshold=2.0)
    assert found[injected].all()                  # every injected spike (3x the loss) is found
    assert found[~injected].mean() < 0.01         # and few noise excursions besides
    t = np.arange(2000)
    smooth = np.exp(-t / 300.0) * (1 + 0.01 * rng.standard_normal(t.size)) + 0.01
    assert not find_spikes(smooth).any()


def test_batched_detector_equals_separate_detectors():
    rng = np.random.default_rng(6)
    curves, _ = _curves(rng, m=5, steps=200)
    batched = SpikeDetector(window=10, threshold=1.5)
    single = [SpikeDetector(window=10, threshold=1.5) for _ in range(5)]
    for t in range(curves.shape[1]):
        out = batched.update(torch.as_tensor(curves[:, t]))
        assert out.tolist() == [bool(d.update(float(curves[m, t]))[0]) for m, d in enumerate(single)]
    assert batched.spikes.tolist() == [d.spikes.item() for d in single]


# ------------------------------------------------------------------------------------------------------ revert


def _tn_state(m=4, d=3, seed=0):
    """A dict shaped like the batched tensor-network trainer's: parameters and Adam state with a leading model
    axis, plus shared entries (a python step counter and a 0-d tensor)."""
    gen = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(m, d, d, 2, generator=gen) for k in ("A", "B", "A.exp_avg", "A.exp_avg_sq")}
    state.update(scale=torch.randn(m, generator=gen), step=7, shared_step=torch.tensor(7.0))
    return state


def _perturb(state):
    for v in state.values():
        if isinstance(v, torch.Tensor) and v.ndim >= 1:
            v.add_(1.0)
    state["shared_step"].add_(1.0)


def test_restore_copies_exactly_the_checkpointed_rows():
    state = _tn_state()
    policy = RevertPolicy(SpikeDetector(window=3))
    policy.checkpoint(state)
    saved = {k: v.clone() for k, v in state.items() if isinstance(v, torch.Tensor)}
    _perturb(state)
    moved = {k: v.clone() for k, v in state.items() if isinstance(v, torch.Tensor)}
    mask = torch.tensor([False, True, False, True])
    assert torch.equal(policy.restore(state, mask), mask)
    for k in ("A", "B", "A.exp_avg", "A.exp_avg_sq", "scale"):
        assert torch.equal(state[k][mask], saved[k][mask]), k
        assert torch.equal(state[k][~mask], moved[k][~mask]), k
    assert state["shared_step"].item() == 8.0 and state["step"] == 7   # shared entries: left alone
    # a later partial checkpoint replaces only its rows
    _perturb(state)
    policy.checkpoint(state, torch.tensor([True, False, False, False]))
    _perturb(state)
    policy.restore(state)
    assert torch.equal(state["A"][0], saved["A"][0] + 1.0 + 1.0)   # the new checkpoint of row 0
    assert torch.equal(state["A"][1:], saved["A"][1:])              # the first checkpoint of the others


def test_restore_skips_models_without_checkpoint_and_checks_names():
    state = _tn_state(m=2)
    policy = RevertPolicy()
    policy.checkpoint(state, torch.tensor([True, False]))
    before = state["A"].clone()
    _perturb(state)
    assert policy.restore(state).tolist() == [True, False]
    assert torch.equal(state["A"][0], before[0]) and torch.equal(state["A"][1], before[1] + 1.0)
    with pytest.raises(KeyError):
        policy.restore({k: v for k, v in state.items() if k != "B"})
    with pytest.raises(ValueError):
        policy.checkpoint({**state, "C": torch.zeros(3, 2)})


def _warm(policy, state, m, steps=5, deff=3.0):
    """Fill the detector's history with losses alternating 1.0, 1.02 (mean 1.01, std 0.01)."""
    for t in range(steps):
        assert not policy.step(torch.full((m,), 1.0 + 0.02 * (t % 2)), torch.full((m,), deff), state).any()
    assert not policy.spikes.any()


def test_revert_needs_a_spike_and_an_increase_of_deff():
    m = 4
    state = _tn_state(m)
    policy = RevertPolicy(SpikeDetector(window=4), checkpoint_every=100)
    _warm(policy, state, m)                       # checkpoint at the first step, D_eff 3 recorded
    assert policy.checkpoints.tolist() == [1] * m and policy.deff_ref.tolist() == [3.0] * m
    saved = {k: state[k].clone() for k in ("A", "scale")}
    _perturb(state)
    loss = torch.tensor([1.02, 50.0, 50.0, 50.0])  # models 1-3 spike
    deff = torch.tensor([9.0, 4.0, 2.0, 3.0])      # model 1: D_eff up; 2: down; 3: equal
    reverted = policy.step(loss, deff, state)
    assert reverted.tolist() == [False, True, False, False]
    assert torch.equal(state["A"][1], saved["A"][1]) and torch.equal(state["scale"][1], saved["scale"][1])
    assert torch.equal(state["A"][2], saved["A"][2] + 1.0)    # a spike with D_eff down is kept
    assert policy.spikes.tolist() == [0, 1, 1, 1] and policy.reverts.tolist() == [0, 1, 0, 0]
    # without the D_eff condition every spike with a checkpoint is reverted
    state = _tn_state(m)
    policy = RevertPolicy(SpikeDetector(window=4), checkpoint_every=100, require_deff_increase=False)
    _warm(policy, state, m)
    assert policy.step(loss, None, state).tolist() == [False, True, True, True]


def test_deff_reference_previous_epoch():
    state = _tn_state(1)
    policy = RevertPolicy(SpikeDetector(window=4), checkpoint_every=100, deff_reference="previous")
    _warm(policy, state, 1, deff=5.0)             # checkpoint D_eff 5
    policy.step(torch.tensor([1.0]), torch.tensor([2.0]), state)   # D_eff drifts down without a spike
    assert policy.step(torch.tensor([60.0]), torch.tensor([3.0]), state).tolist() == [True]  # 2 -> 3: up
    state = _tn_state(1)
    policy = RevertPolicy(SpikeDetector(window=4), checkpoint_every=100)   # default: against the checkpoint
    _warm(policy, state, 1, deff=5.0)
    policy.step(torch.tensor([1.0]), torch.tensor([2.0]), state)
    assert policy.step(torch.tensor([60.0]), torch.tensor([3.0]), state).tolist() == [False]  # 5 -> 3: down


def test_kept_spikes_and_a_level_shift():
    """A loss that jumps to a new level with D_eff down: kept; by default it stays flagged (never checkpointed),
    with ``append_kept`` it becomes the new normal after a few epochs and checkpoints resume."""
    flagged = {}
    for append_kept in (False, True):
        state = _tn_state(1)
        policy = RevertPolicy(SpikeDetector(window=4), checkpoint_every=3, append_kept=append_kept)
        _warm(policy, state, 1, deff=5.0)
        before = policy.checkpoints.item()
        for t in range(12):
            assert not policy.step(torch.tensor([2.0 + 0.02 * (t % 2)]), torch.tensor([4.0]), state)[0]
        flagged[append_kept] = (policy.spikes.item(), policy.checkpoints.item() - before)
    assert flagged[False] == (12, 0)
    assert flagged[True][0] < 4 and flagged[True][1] >= 2
    det = SpikeDetector(window=3)
    det.append(torch.tensor([1.0, 2.0]), torch.tensor([True, False]))
    assert det.count.tolist() == [1, 0]


def test_checkpoint_cadence_and_consecutive_cap():
    state = _tn_state(2)
    policy = RevertPolicy(SpikeDetector(window=3), checkpoint_every=4, require_deff_increase=False, max_consecutive=2)
    saved = []
    for t in range(9):
        policy.step(torch.tensor([1.0 + 0.02 * (t % 2), 1.02 - 0.02 * (t % 2)]), None, state)
        saved.append(policy.last_checkpointed.tolist())
    assert [s[0] for s in saved] == [True, False, False, False, True, False, False, False, True]
    assert policy.checkpoints.tolist() == [3, 3]
    reverted = [policy.step(torch.tensor([1.0, 99.0]), None, state).tolist() for _ in range(4)]
    assert reverted == [[False, True], [False, True], [False, False], [False, True]]   # cap 2, then again
    assert policy.checkpoints.tolist() == [4, 3] and policy.spikes.tolist() == [0, 4]   # spikes: no checkpoint


def test_batched_policy_equals_separate_policies():
    rng = np.random.default_rng(7)
    curves, _ = _curves(rng, m=3, steps=120, spike_every=17)
    deffs = 3.0 + rng.standard_normal((3, 120))
    batched, states = _tn_state(3, seed=1), [_tn_state(1, seed=1) for _ in range(3)]
    for m in range(3):
        for k in ("A", "B", "A.exp_avg", "A.exp_avg_sq", "scale"):
            states[m][k] = batched[k][m:m + 1].clone()
    make = lambda: RevertPolicy(SpikeDetector(window=10), checkpoint_every=7)   # noqa: E731
    policy, singles = make(), [make() for _ in range(3)]
    for t in range(120):
        _perturb(batched)
        for s in states:
            _perturb(s)
        out = policy.step(torch.as_tensor(curves[:, t]), torch.as_tensor(deffs[:, t]), batched)
        assert out.tolist() == [singles[m].step(curves[m, t], deffs[m, t], states[m])[0].item() for m in range(3)]
    assert policy.reverts.sum() > 0
    for m in range(3):
        assert torch.equal(batched["A"][m], states[m]["A"][0])


def _train_loop(kick_at=25, epochs=45):
    """A plain nn.Module + Adam loop with one huge step at ``kick_at``; records the state at every checkpoint."""
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(128, 5, generator=gen)
    y = x @ torch.randn(5, 1, generator=gen) + 0.1 * torch.randn(128, 1, generator=gen)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    policy = RevertPolicy(SpikeDetector(window=10), checkpoint_every=10, require_deff_increase=False)
    losses, snapshots, events = [], {}, []
    for epoch in range(epochs):
        for batch in torch.randperm(128, generator=gen).split(32):
            opt.zero_grad()
            nn.functional.mse_loss(model(x[batch]), y[batch]).backward()
            opt.step()
        if epoch == kick_at:
            opt.param_groups[0]["lr"] = 50.0
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            opt.param_groups[0]["lr"] = 1e-2
        with torch.no_grad():
            loss = nn.functional.mse_loss(model(x), y)
        reverted = policy.step(loss, None, state_of(model, opt))
        losses.append(loss.item())
        if policy.last_checkpointed[0]:
            snapshots["last"] = ({k: v.clone() for k, v in model.state_dict().items()},
                                 {p: {k: v.clone() for k, v in s.items()} for p, s in opt.state_dict()["state"].items()})
        if reverted[0]:
            events.append(epoch)
            model_now = model.state_dict()
            assert all(torch.equal(model_now[k], v) for k, v in snapshots["last"][0].items())
            opt_now = opt.state_dict()["state"]
            assert all(torch.equal(opt_now[p][k], v) for p, s in snapshots["last"][1].items() for k, v in s.items())
    return losses, events, policy


def test_plain_module_and_adam_loop_reverts_an_artificial_spike():
    losses, events, policy = _train_loop()
    assert events == [25]                         # the kicked epoch, restored exactly (asserted inside the loop)
    assert losses[25] > 10 * losses[24]
    assert losses[-1] < losses[24]                # and training goes on from the checkpoint
    assert policy.spikes.tolist() == [1] and policy.reverts.tolist() == [1]
    m = nn.Linear(3, 2)
    assert {k: tuple(v.shape) for k, v in state_of(m).items()} == {"param/weight": (1, 2, 3), "param/bias": (1, 2)}


def test_state_of_a_batched_module_leaves_shared_step_alone():
    class Batched(nn.Module):
        def __init__(self):
            super().__init__()
            self.A = nn.Parameter(torch.zeros(3, 2, 2, 2))
            self.scale = nn.Parameter(torch.ones(3))

    model = Batched()
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    (model.A.sum() + model.scale.sum()).backward()
    opt.step()
    state = state_of(model, opt, models=3)
    assert state["optim/A/exp_avg"].shape == (3, 2, 2, 2) and state["optim/A/step"].ndim == 0
    policy = RevertPolicy()
    policy.checkpoint(state)
    assert "optim/A/step" not in policy.saved and "optim/A/exp_avg_sq" in policy.saved


# ----------------------------------------------------------------------------------------------------- example


def test_example_runs_and_reverts_its_spike():
    spec = importlib.util.spec_from_file_location("spike_revert", ROOT / "examples" / "spike_revert.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = example.main(verbose=False)
    assert out["spikes"] == [60] and out["reverts"] == [60]
    assert out["final_loss"] < out["losses"][59]


def test_select_keeps_the_rows_of_the_kept_models():
    """A batched trainer drops finished models: after select, the policy acts on the kept rows exactly as before."""
    torch.manual_seed(0)
    state = {"w": torch.randn(4, 3)}
    pol = RevertPolicy(SpikeDetector(window=5), checkpoint_every=100, require_deff_increase=False)
    for _ in range(6):
        pol.step(torch.ones(4) + 0.01 * torch.randn(4), None, state)
    saved = pol.saved["w"].clone()
    keep = torch.tensor([True, False, True, True])
    pol.select(keep)
    state = {"w": state["w"][keep] + 5.0}
    rev = pol.step(torch.tensor([1.0, 50.0, 1.0]), None, state)
    assert rev.tolist() == [False, True, False]
    assert torch.equal(state["w"][1], saved[2])
    assert pol.detector.models == 3 and pol.m == 3

"""The batched trainer against a plain per-model PyTorch loop (nn.Module + torch.optim.AdamW)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from grokrepro.reference_loop import train_one
from grokrepro.train import RunSpec, TrainSettings, log_record_steps, resolve_device, train_batched

STEPS = 300
ROUNDING = 8 * np.finfo(np.float32).eps  # see test_batched_equals_per_model_loop
# Threshold steps of a batched model against the same model trained alone or the authors' data: equal on AVX2
# CPUs; on AVX-512 the batched product's rounding can move a crossing by a step (measured: 489 -> 490 at Fig 6b's
# (1e-2, wd 0) cell). 1 % is the tolerance on anchor steps (docs/decisions.md, Tolerances (Liu)).
STEP_RTOL = 0.01


def _final_embeddings(runs, flavour="notebook", steps=STEPS):
    res = train_batched(runs, TrainSettings(flavour=flavour, steps=steps, stop_when_decided=False,
                                            record_steps=(steps - 1,), record_embeddings=True, progress=False))
    return res, res.embeddings[-1]


@pytest.mark.parametrize("flavour", ["notebook", "train_add"])
def test_batched_equals_per_model_loop(flavour):
    """Same seeds, lrs and weight decays: the batched models end where each model trained alone ends, including
    minibatches (n = 50, batch 45) and mixed training-set sizes.

    Bit for bit where the BLAS multiplies a batch of matrices as it multiplies one (MKL on AMD EPYC, AVX2: every CI
    run up to 2026-11-26). On an Intel AVX-512 CPU, MKL's batched product of narrow operands (the 1-wide embedding
    input and output layers) rounds differently from the single product: after 300 steps the embeddings then differ
    by at most 1.2e-7 (one float32 ulp at 1; measured 2026-11-30, both flavours). The bound, 8 float32 eps (9.5e-7),
    is that rounding with room; a real difference in the arithmetic (another lr, weight decay, batch or seed) moves
    the embeddings by orders of magnitude more."""
    runs = [
        RunSpec(seed=58, lr_decoder=2.51e-4),
        RunSpec(seed=58, lr_decoder=1e-3, wd_decoder=5.0),
        RunSpec(seed=3, n_train=50, batch_size=45, lr_decoder=1e-4, lr_repr=3e-3),
        RunSpec(seed=4, n_train=30, lr_decoder=5e-4, wd_decoder=1.0),
    ]
    res, emb = _final_embeddings(runs, flavour)
    for k, r in enumerate(runs):
        ref = train_one(seed=r.seed, n_train=r.n_train, lr_repr=r.lr_repr, lr_decoder=r.lr_decoder,
                        wd_decoder=r.wd_decoder, steps=STEPS, flavour=flavour, batch_size=r.batch_size or 45)
        np.testing.assert_allclose(emb[k], ref["embeddings"].numpy(), rtol=0, atol=ROUNDING, err_msg=f"model {k}")
        hist = res.history[res.history.model == k]
        np.testing.assert_allclose(hist.loss_train.iloc[-1], ref["losses"][-1], rtol=1e-6)


@pytest.mark.slow
def test_fig6b_anchor_cells_match_the_authors_steps():
    """The anchors of Fig 6b (decoder lr, wd) -> (train, val) steps from the authors' h5 data."""
    lrs = 10 ** np.linspace(-5, -2, 16)
    cells = {(7, 0): (854, 923), (5, 0): (1650, 2076), (7, 5): (1250, 2193), (10, 0): (489, None)}
    runs = [RunSpec(seed=58, lr_decoder=float(lrs[i]), wd_decoder=float(wd)) for i, wd in cells]
    res = train_batched(runs, TrainSettings(steps=2500, progress=False))
    for s, (train, val) in zip(res.summary.itertuples(), cells.values()):
        assert s.train_step == pytest.approx(train, rel=STEP_RTOL)
        assert pd.isna(s.val_step) if val is None else s.val_step == pytest.approx(val, rel=STEP_RTOL)
    # Decided models stop early (checked every 50 steps); the undecided one runs to the budget.
    assert res.summary.last_step.tolist()[:3] == [949, 2099, 2199]
    assert res.summary.last_step.iloc[3] == 2499


@pytest.mark.slow
def test_early_stopping_does_not_disturb_the_others():
    runs = [RunSpec(seed=58, lr_decoder=2.51e-4), RunSpec(seed=58, lr_decoder=1e-3)]
    together = train_batched(runs, TrainSettings(steps=1200, progress=False))
    alone = train_batched(runs[1:], TrainSettings(steps=1200, progress=False))
    assert together.summary.last_step.iloc[0] < 1199  # the first one was dropped from the batch
    # Equal on AVX2. On AVX-512 the batched product's rounding (see STEP_RTOL) grows over 1,200 steps: the final
    # training loss, ~2e-4 of the initial ~1, was measured 3 % apart (2.23e-4 vs 2.16e-4); a disturbed model (another
    # model's parameters or learning rate leaking in) would not fit at all.
    assert together.summary.train_step.iloc[1] == pytest.approx(alone.summary.train_step.iloc[0], rel=STEP_RTOL)
    assert together.summary.final_loss_train.iloc[1] == pytest.approx(alone.summary.final_loss_train.iloc[0],
                                                                       rel=0.1)


@pytest.mark.slow
def test_diverged_model_is_marked_and_others_carry_on():
    runs = [RunSpec(seed=58, lr_decoder=1e-3), RunSpec(seed=58, lr_decoder=1e30)]
    res = train_batched(runs, TrainSettings(steps=600, progress=False, check_every=10))
    ok = train_batched(runs[:1], TrainSettings(steps=600, progress=False))
    assert res.summary.diverged.tolist() == [False, True]
    assert pd.isna(res.summary.val_step.iloc[1])
    assert res.summary.last_step.iloc[1] < 599
    assert ok.summary.train_step.iloc[0] == 489  # the Fig 6b anchor (1e-2, wd 0), trained alone
    assert res.summary.train_step.iloc[0] == pytest.approx(489, rel=STEP_RTOL)
    assert res.summary.final_loss_train.iloc[0] == pytest.approx(ok.summary.final_loss_train.iloc[0], rel=0.01)


@pytest.mark.slow
def test_classification_and_s3_run():
    res = train_batched([RunSpec(seed=6, lr_decoder=2.51e-4)],
                        TrainSettings(loss="ce_softmax_mean", steps=700, progress=False))
    assert res.summary.train_step.iloc[0] == 356  # anchor of Fig 6c: (2.51e-4, 0) -> (356, 586)
    res = train_batched([RunSpec(seed=0, n_train=24, lr_decoder=1e-5)],
                        TrainSettings(task="s3", steps=900, track_rqi=True, progress=False))
    assert res.summary.train_step.iloc[0] == 487  # anchor of Fig 6d: (1e-5, 0) -> (487, 722)
    assert res.summary.val_step.iloc[0] == 722


def test_record_steps_and_bad_settings():
    steps = log_record_steps(1000, per_decade=5)
    assert steps[0] == 0 and steps[-1] == 999 and list(steps) == sorted(set(steps))
    with pytest.raises(ValueError, match="loss"):
        train_batched([RunSpec()], TrainSettings(loss="hinge"))
    with pytest.raises(ValueError, match="steps"):
        train_batched([RunSpec()], TrainSettings(steps=0))
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="device"):
            resolve_device("cuda")


@pytest.mark.slow
def test_progress_bar_shows_models_steps_and_eta_and_is_quiet_when_asked(capsys):
    """Issue #6: a training job's log shows a tqdm bar with the models still running, the step and an ETA; with
    progress off (CI's quiet mode) it prints nothing."""
    runs = [RunSpec(seed=58, lr_decoder=2.51e-4), RunSpec(seed=58, lr_decoder=1e-3)]
    train_batched(runs, TrainSettings(steps=200, progress=True, desc="bar test"))
    err = capsys.readouterr().err
    assert "bar test" in err and "active=" in err and "/200" in err and "<" in err  # "elapsed<remaining"
    train_batched(runs, TrainSettings(steps=200, progress=False, desc="bar test"))
    assert capsys.readouterr().err == ""


class _Killed(Exception):
    """Stands in for the job being killed (a session or SLURM time limit) right after a checkpoint was written."""


def _kill_after(monkeypatch, n_saves: int) -> list[int]:
    """Make the ``n_saves``-th checkpoint save raise after writing; returns the saved ``next_step`` values."""
    from grokrepro import train as train_mod

    real, steps = train_mod._Checkpoint.save, []

    def save(self, state):
        real(self, state)
        steps.append(state.get("next_step", -1))
        if len(steps) == n_saves:
            raise _Killed

    monkeypatch.setattr(train_mod._Checkpoint, "save", save)
    return steps


def _assert_same_result(a, b):
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.history, b.history)
    np.testing.assert_array_equal(a.embeddings, b.embeddings)


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["notebook", "train_add"])
def test_checkpoint_resume_gives_the_numbers_of_an_uninterrupted_run(tmp_path, monkeypatch, flavour):
    """A training killed after a checkpoint and started again resumes from it (not from step 0) and ends with the same
    numbers, bit for bit, as one that was never interrupted: models that retired before the kill, models still
    running, the reshuffle streams of the train_add flavour, the recorded history and embeddings."""
    runs = [RunSpec(seed=58, lr_decoder=1e-3), RunSpec(seed=58, lr_decoder=2.51e-4), RunSpec(seed=3, lr_decoder=1e-4),
            RunSpec(seed=58, lr_decoder=1e30)]
    cfg = TrainSettings(flavour=flavour, steps=1200, check_every=50, progress=False, record_steps=log_record_steps(1200),
                        record_embeddings=True)
    plain = train_batched(runs, cfg)
    assert plain.resumed_from == ()
    ck = replace(cfg, checkpoint=str(tmp_path / "panel.pt"), checkpoint_every_s=0.0)
    saved = _kill_after(monkeypatch, 12)  # killed at step 600, after the diverged model retired
    with pytest.raises(_Killed):
        train_batched(runs, ck)
    assert saved[-1] == 600
    monkeypatch.undo()
    resumed = train_batched(runs, ck)
    assert resumed.resumed_from == (600,)
    _assert_same_result(resumed, plain)
    assert plain.summary.diverged.tolist() == [False, False, False, True]
    # The finished training is kept in the file until the caller deletes it: a third call trains nothing.
    again = train_batched(runs, ck)
    assert again.resumed_from == (1200,)
    _assert_same_result(again, plain)


@pytest.mark.slow
def test_checkpoint_of_other_settings_is_not_resumed(tmp_path, monkeypatch):
    runs = [RunSpec(seed=58, lr_decoder=2.51e-4)]
    ck = TrainSettings(steps=400, progress=False, checkpoint=str(tmp_path / "c.pt"), checkpoint_every_s=0.0)
    _kill_after(monkeypatch, 3)
    with pytest.raises(_Killed):
        train_batched(runs, ck)
    monkeypatch.undo()
    for other_runs, other in (([RunSpec(seed=58, lr_decoder=1e-4)], ck), (runs, replace(ck, checkpoint_key="edited"))):
        res = train_batched(other_runs, other)
        assert res.resumed_from == ()  # started afresh, and overwrote the file
        _assert_same_result(res, train_batched(other_runs, replace(other, checkpoint="")))


@pytest.mark.slow
def test_checkpoint_of_minibatch_groups_one_file_per_batch_size(tmp_path, monkeypatch):
    """Exact-batches runs train one group per batch size; each group has its own file, and a group finished before
    the kill is not trained again."""
    runs = [RunSpec(seed=58, lr_decoder=1e-3, batch_size=8), RunSpec(seed=58, lr_decoder=1e-3)]
    cfg = TrainSettings(steps=300, progress=False)
    plain = train_batched(runs, cfg)
    ck = replace(cfg, checkpoint=str(tmp_path / "g.pt"), checkpoint_every_s=0.0)
    _kill_after(monkeypatch, 8)  # group bs 8: 5 saves + its result; killed in group bs 45
    with pytest.raises(_Killed):
        train_batched(runs, ck)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g_bs45.pt", "g_bs8.pt"]
    resumed = train_batched(runs, ck)
    assert resumed.resumed_from == (300, 100)
    pd.testing.assert_frame_equal(resumed.summary, plain.summary)
    pd.testing.assert_frame_equal(resumed.history, plain.history)

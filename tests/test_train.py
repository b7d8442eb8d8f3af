"""The batched trainer against a plain per-model PyTorch loop (nn.Module + torch.optim.AdamW)."""

import numpy as np
import pandas as pd
import pytest
import torch

from grokrepro.reference_loop import train_one
from grokrepro.train import RunSpec, TrainSettings, log_record_steps, resolve_device, train_batched

STEPS = 300


def _final_embeddings(runs, flavour="notebook", steps=STEPS):
    res = train_batched(runs, TrainSettings(flavour=flavour, steps=steps, stop_when_decided=False,
                                            record_steps=(steps - 1,), record_embeddings=True, progress=False))
    return res, res.embeddings[-1]


@pytest.mark.parametrize("flavour", ["notebook", "train_add"])
def test_batched_equals_per_model_loop(flavour):
    """Same seeds, lrs and weight decays: the batched models end where each model trained alone ends, bit for bit
    (CPU float32), including minibatches (n = 50, batch 45) and mixed training-set sizes."""
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
        np.testing.assert_array_equal(emb[k], ref["embeddings"].numpy(), err_msg=f"model {k}")
        hist = res.history[res.history.model == k]
        np.testing.assert_allclose(hist.loss_train.iloc[-1], ref["losses"][-1], rtol=1e-6)


def test_fig6b_anchor_cells_match_the_authors_steps():
    """Spec §5.3 anchors of Fig 6b (decoder lr, wd) -> (train, val) steps from the authors' h5 data."""
    lrs = 10 ** np.linspace(-5, -2, 16)
    cells = {(7, 0): (854, 923), (5, 0): (1650, 2076), (7, 5): (1250, 2193), (10, 0): (489, None)}
    runs = [RunSpec(seed=58, lr_decoder=float(lrs[i]), wd_decoder=float(wd)) for i, wd in cells]
    res = train_batched(runs, TrainSettings(steps=2500, progress=False))
    got = [(s.train_step, None if pd.isna(s.val_step) else s.val_step) for s in res.summary.itertuples()]
    assert got == list(cells.values())
    # Decided models stop early (checked every 50 steps); the undecided one runs to the budget.
    assert res.summary.last_step.tolist()[:3] == [949, 2099, 2199]
    assert res.summary.last_step.iloc[3] == 2499


def test_early_stopping_does_not_disturb_the_others():
    runs = [RunSpec(seed=58, lr_decoder=2.51e-4), RunSpec(seed=58, lr_decoder=1e-3)]
    together = train_batched(runs, TrainSettings(steps=1200, progress=False))
    alone = train_batched(runs[1:], TrainSettings(steps=1200, progress=False))
    assert together.summary.last_step.iloc[0] < 1199  # the first one was dropped from the batch
    assert together.summary.train_step.iloc[1] == alone.summary.train_step.iloc[0]
    assert together.summary.final_loss_train.iloc[1] == alone.summary.final_loss_train.iloc[0]


def test_diverged_model_is_marked_and_others_carry_on():
    runs = [RunSpec(seed=58, lr_decoder=1e-3), RunSpec(seed=58, lr_decoder=1e30)]
    res = train_batched(runs, TrainSettings(steps=600, progress=False, check_every=10))
    ok = train_batched(runs[:1], TrainSettings(steps=600, progress=False))
    assert res.summary.diverged.tolist() == [False, True]
    assert pd.isna(res.summary.val_step.iloc[1])
    assert res.summary.last_step.iloc[1] < 599
    assert res.summary.train_step.iloc[0] == ok.summary.train_step.iloc[0] == 489  # spec §5.3 anchor
    assert res.summary.final_loss_train.iloc[0] == ok.summary.final_loss_train.iloc[0]


def test_classification_and_s3_run():
    res = train_batched([RunSpec(seed=6, lr_decoder=2.51e-4)],
                        TrainSettings(loss="ce_softmax_mean", steps=700, progress=False))
    assert res.summary.train_step.iloc[0] == 356  # spec §5.3 anchor of Fig 6c: (2.51e-4, 0) -> (356, 586)
    res = train_batched([RunSpec(seed=0, n_train=24, lr_decoder=1e-5)],
                        TrainSettings(task="s3", steps=900, track_rqi=True, progress=False))
    assert res.summary.train_step.iloc[0] == 487  # spec §5.3 anchor of Fig 6d: (1e-5, 0) -> (487, 722)
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


def test_progress_bar_shows_models_steps_and_eta_and_is_quiet_when_asked(capsys):
    """Issue #6: a training job's log shows a tqdm bar with the models still running, the step and an ETA; with
    progress off (CI's quiet mode) it prints nothing."""
    runs = [RunSpec(seed=58, lr_decoder=2.51e-4), RunSpec(seed=58, lr_decoder=1e-3)]
    train_batched(runs, TrainSettings(steps=200, progress=True, desc="bar test"))
    err = capsys.readouterr().err
    assert "bar test" in err and "active=" in err and "/200" in err and "<" in err  # "elapsed<remaining"
    train_batched(runs, TrainSettings(steps=200, progress=False, desc="bar test"))
    assert capsys.readouterr().err == ""

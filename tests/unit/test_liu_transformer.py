"""The batched transformer trainer (issue #22, foundation): equal to a per-run nn.Module + torch.optim.AdamW loop,
seeded per run (dropout included), independent of its batch companions."""

import numpy as np
import pytest
import torch

from grokrepro.liu2022 import transformer as tf

TINY = tf.TransformerConfig(p=7, d_model=16, n_layers=1, n_heads=2, mlp_mult=2, train_fraction=0.6)
STEPS = tf.TrainSettings(steps=12, eval_every=4, progress=False)
RUNS = [tf.TransformerRun(seed=0, lr_decoder=1e-3, wd_decoder=0.0),
        tf.TransformerRun(seed=1, lr_decoder=3e-3, wd_decoder=1.0, lr_embed=2e-3, wd_embed=0.1),
        tf.TransformerRun(seed=2, lr_decoder=1e-2, wd_decoder=0.3, dropout=0.3)]
COLS = ["loss_train", "acc_train", "loss_val", "acc_val", "eff_dim"]


def test_split_is_seeded_and_disjoint():
    train, val = tf.split(TINY)
    assert len(train) == round(0.6 * 49) and len(train) + len(val) == 49
    assert not {tuple(x) for x in train.tolist()} & {tuple(x) for x in val.tolist()}
    again, _ = tf.split(TINY)
    assert torch.equal(train, again)
    other, _ = tf.split(tf.TransformerConfig(**{**TINY.__dict__, "split_seed": 1}))
    assert not torch.equal(train, other)


def test_batched_equals_the_per_run_loop():
    batched = tf.train_batched(RUNS, TINY, STEPS)
    for j, run in enumerate(RUNS):
        ref = tf.train_reference(run, TINY, STEPS).history
        got = batched.history[batched.history.model == j]
        assert got.step.tolist() == ref.step.tolist() == [0, 4, 8, 12]
        np.testing.assert_allclose(got[COLS].to_numpy(), ref[COLS].to_numpy(), rtol=2e-4, atol=1e-6)
    # something was learnt, and the runs differ
    h = batched.history
    assert (h[h.step == 12].loss_train.to_numpy() < h[h.step == 0].loss_train.to_numpy()).all()


def test_a_run_does_not_depend_on_its_batch_companions():
    alone = tf.train_batched([RUNS[2]], TINY, STEPS).history
    together = tf.train_batched(RUNS, TINY, STEPS).history
    np.testing.assert_allclose(together[together.model == 2][COLS].to_numpy(), alone[COLS].to_numpy(), rtol=1e-5,
                               atol=1e-7)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="n_heads"):
        tf.train_batched(RUNS[:1], tf.TransformerConfig(p=7, d_model=10, n_heads=3), STEPS)
    with pytest.raises(ValueError, match="train_fraction"):
        tf.split(tf.TransformerConfig(p=7, train_fraction=1.0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_causal_pair_attention_is_the_masked_attention_bit_for_bit(dtype):
    """The pair shortcut skips the masked work only: outputs and all three gradients are equal, not just close."""
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(3, 40, 2, 4, 8, generator=g, dtype=dtype).requires_grad_(True) for _ in range(3))
    w = torch.randn(3, 40, 2, 4, 8, generator=g, dtype=dtype)
    mask = torch.triu(torch.ones(2, 2, dtype=torch.bool), 1)
    full = tf._attention(q, k, v, mask)
    pair = tf._attention_causal_pair(q, k, v, mask)
    assert torch.equal(full, pair)
    for a, b in zip(torch.autograd.grad((full * w).sum(), (q, k, v)), torch.autograd.grad((pair * w).sum(), (q, k, v))):
        assert torch.equal(a, b)
    # and position 0 of the unmasked attention is not v_0: the shortcut is specific to the causal mask
    assert not torch.equal(tf._attention(q, k, v, None)[:, :, 0], v[:, :, 0])


def test_affine_is_the_per_model_product_plus_bias():
    g = torch.Generator().manual_seed(2)
    x, w, b = torch.randn(3, 5, 2, 4, generator=g), torch.randn(3, 4, 6, generator=g), torch.randn(3, 6, generator=g)
    want = torch.stack([x[m] @ w[m] + b[m] for m in range(3)])
    got = tf._affine(x, w, b)
    assert got.shape == (3, 5, 2, 6)
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(tf._affine(x.reshape(3, 10, 4), w, b), want.reshape(3, 10, 6), rtol=1e-6, atol=1e-6)

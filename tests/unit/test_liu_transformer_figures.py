"""The transformer figures of Liu et al. (issue #22): the builders on a tiny budget, the circle statistic, the PCA
reconstruction, the fidelity and the config checks."""

import copy

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from grokrepro import config
from grokrepro.liu2022 import figures
from grokrepro.liu2022 import transformer as tx
from grokrepro.liu2022 import transformer_figures as txf


@pytest.fixture(autouse=True)
def _close_figures():
    """The builders return matplotlib figures; close them so that later tests do not inherit them."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def block():
    cfg = config.load("config/config.yaml")
    b = config.for_scale(cfg["liu2022"]["transformer"], "quick")
    q = b["presets"]["quick"]
    q["arch"] = {"d_model": 16, "n_layers": 1, "n_heads": 2, "mlp_mult": 2}
    for fig in ("fig7_left", "fig7_centre", "fig7_right", "fig1"):
        q[fig].update(steps=6, eval_every=2)
    q["fig7_right"]["lr_decoder"] = {"log10_start": -3.0, "log10_stop": -2.5, "num": 2}  # a 2 x 2 plane
    b["fig1"]["max_pcs"] = 4
    return b


@pytest.mark.parametrize("figure, quantities", [
    ("fig7_left", {"effdim_start", "effdim_end", "seeds", "frac_rise_and_fall", "median_peak_offset"}),
    ("fig7_centre", {"t_gen_median", "delay_median", "frac_grokking"}),
    ("fig7_right", {"cell_phase_code", "cell_val_step", "cell_train_step"}),
])
def test_fig7_builders_write_their_numbers(block, figure, quantities):
    tidy, numbers, fig = figures.build(figure, block, {}, device="cpu", progress=False)
    assert quantities <= set(numbers.quantity)
    assert {"steps", "gap", "d_model", "threshold"} <= set(numbers.quantity)
    assert list(numbers.columns) == txf.NUMBER_COLUMNS and fig is not None
    assert {"model", "step", "acc_val", "eff_dim", "seed", "val_step"} <= set(tidy.columns)
    assert set(tidy.step) == {0, 2, 4, 6}
    if figure == "fig7_right":
        grid = numbers[numbers.quantity == "cell_phase_code"]
        assert len(grid) == 4 and set(grid.i) == {0, 1} and set(grid.j) == {0, 1}
    assert figures.provenance_extra(figure, block) == {"fidelity": "quick",
                                                       "architecture": block["presets"]["quick"]["arch"]}


def test_the_run_and_its_figures(block, tmp_path):
    run, numbers, fig = figures.build("tx_run", block, {}, device="cpu", progress=False)
    assert numbers is None and fig is None
    assert set(run.table) == {"history", "pca", "label", "recon"}
    labels = txf.label_steps(run)
    assert labels["start"] == 0 and labels["end"] == 6
    pc = run[run.table == "pca"]
    assert len(pc) == 4 * 2 * 53 and set(pc.basis) == {"current", "final"}
    rec = run[run.table == "recon"]
    assert set(rec.n) == {1, 2, 3, 4} and rec.acc.between(0, 1).all()
    path = tmp_path / "tx_run.csv"
    run.to_csv(path, index=False)
    for name, quantity in (("fig1", "order_null99"), ("fig21", "order"), ("fig22", "n99")):
        tidy, nums, f = figures.build(name, block, {"run": str(path)})
        assert quantity in set(nums.quantity) and f is not None and len(tidy)
    # the end snapshot in its own (= the final) basis: both bases agree there
    end = rec[rec.label == "end"].pivot(index="n", columns="basis", values="acc")
    assert np.allclose(end["current"], end["final"])


def test_circle_order_reads_the_order_mod_p():
    p = 53
    for f in (1, 5, 52):
        theta = 2 * np.pi * f * np.arange(p) / p
        order, best, cv = txf.circle_order(np.c_[3 * np.cos(theta), 3 * np.sin(theta)] + 7.0)
        assert order == pytest.approx(1.0) and best == f and cv == pytest.approx(0.0, abs=1e-12)
    rng = np.random.default_rng(0)
    cloud = rng.normal(size=(p, 2))
    order, _, cv = txf.circle_order(cloud)
    assert order < txf.order_null(cloud) < 0.6 and cv > 0.3
    shuffled = np.c_[np.cos(theta), np.sin(theta)][rng.permutation(p)]  # a ring in the wrong order
    assert txf.circle_order(shuffled)[0] < 0.6


def test_pca_and_reconstruction():
    torch.manual_seed(0)
    mcfg = tx.TransformerConfig(d_model=8, n_layers=1, n_heads=2, mlp_mult=2)
    params = {k: v[None] for k, v in tx.init_params(0, mcfg).items()}
    mean, v, ratio = txf.pca(params["tok"][0])
    assert torch.allclose(v.T @ v, torch.eye(8, dtype=torch.float64), atol=1e-10)
    assert (ratio[:-1] >= ratio[1:]).all() and ratio.sum() == pytest.approx(1.0)
    # all PCs reconstruct the embeddings exactly: the accuracy is the model's own
    pairs = torch.tensor([(a, b) for a in range(53) for b in range(53)])
    plain = float((tx.forward(params, pairs, mcfg, torch.zeros(1))[0].argmax(-1) == pairs.sum(1) % 53).double().mean())
    full = txf.reconstruction_accuracy(params, mcfg, mean, v, [8])
    assert full == [pytest.approx(plain)]


def test_fidelity_and_config_errors():
    cfg = config.load("config/config.yaml")
    b = config.for_scale(cfg["liu2022"]["transformer"], "paper")
    assert txf.fidelity(b) == "paper" and txf.model_config(b).d_model == 256
    assert config.for_scale(cfg["liu2022"]["transformer"], "quick")["fidelity"] == "quick"
    with pytest.raises(KeyError, match="liu2022.transformer.fidelity"):
        txf.fidelity({**b, "fidelity": "gpu"})
    bad = copy.deepcopy(cfg)
    bad["liu2022"]["transformer"]["presets"]["cpu"]["arch"]["n_heads"] = 5
    with pytest.raises(config.ConfigError, match="presets.cpu.arch.n_heads"):
        config.check(bad)
    bad = copy.deepcopy(cfg)
    bad["liu2022"]["transformer"]["fig1"]["max_pcs"] = 60
    with pytest.raises(config.ConfigError, match="fig1.max_pcs"):
        config.check(bad)
    bad = copy.deepcopy(cfg)
    bad["liu2022"]["transformer"]["fidelity"] = "gpu"
    assert "liu2022.transformer.fidelity" in config.schema_error(bad)


def test_cpu_overlay_selects_the_cpu_fidelity():
    import yaml
    from pathlib import Path
    over = yaml.safe_load(Path("config/overlays/transformer_cpu.yaml").read_text())
    assert over["liu2022"]["transformer"]["fidelity"] == {"paper": "cpu", "quick": "quick"}


def test_dropout_numbers_count_never_as_infinite(block):
    """A seed that never generalises makes the median infinite when half or more never do."""
    s = pd.Series([pd.NA, 100], dtype="Int64")
    assert np.isinf(txf._steps(s)).sum() == 1 and txf._median_step(txf._steps(s)) == np.inf

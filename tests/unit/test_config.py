"""Bad configuration stops the run with a message naming the key and what is allowed, and writes nothing."""


import pytest
import yaml

from grokrepro import config as gconfig

from conftest import ROOT


def _base():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def _write(tmp_path, cfg):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_default_config_is_valid():
    cfg = gconfig.load(ROOT / "config" / "config.yaml")
    assert cfg["scale"] == "paper" and cfg["device"] == "auto"
    quick = gconfig.for_scale(cfg, "quick")
    assert quick["liu2022"]["fig6b"]["steps"] == 10_000
    assert gconfig.for_scale(cfg, "paper")["liu2022"]["fig6b"]["steps"] == 100_000


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda c: c.update(scale="huge"), ["scale", "paper", "quick"]),
        (lambda c: c.update(device="tpu"), ["device", "auto", "cpu", "cuda"]),
        (lambda c: c["liu2022"]["fig4d"].update(lr_repr=-1e-3), ["lr_repr"]),
        (lambda c: c["liu2022"]["fig4d"].update(lr_decoder="fast"), ["lr_decoder"]),
        (lambda c: c["liu2022"]["fig6b"]["y"].update(values=[]), ["values"]),
        (lambda c: c["liu2022"]["fig6b"].update(learning_rate=1), ["learning_rate"]),
        (lambda c: c["liu2022"]["fig6b"]["quick_subset"].update(x_index=[99]), ["x_index", "99"]),
        (lambda c: c["liu2022"]["fig6a"]["y"].update(param="lr_decoder"), ["fig6a", "must differ"]),
        (lambda c: c["liu2022"]["fig6a"]["y"].update(param="momentum"), ["param", "lr_repr"]),
        (lambda c: c["liu2022"]["fig6c"]["fixed"].update(lr_decoder=1e-3), ["fig6c.fixed", "lr_decoder"]),
        (lambda c: c["liu2022"]["fig6d"].update(anchors=[[-4.1, 0]]), ["fig6d.anchors", "not on the grid"]),
        (lambda c: c["liu2022"]["fig6d"].update(n_train=40), ["fig6d.n_train", "36"]),
        (lambda c: c["liu2022"]["fig13"]["y"].update(values=[0, 45]), ["fig13.y.values", "batch"]),
        (lambda c: c["liu2022"].update(fig14=dict(c["liu2022"]["fig14"], y=dict(param="init_scale", values=[0.0, 1.0]))),
         ["fig14.y.values[0]", "> 0"]),
        (lambda c: c["liu2022"]["fig13"].update(losses=["hinge"]), ["hinge"]),
        (lambda c: c["liu2022"]["fig6d"]["contrast"].update(x_index=[16]), ["contrast.x_index", "16"]),
    ],
)
def test_bad_values_name_the_key(tmp_path, edit, words):
    cfg = _base()
    edit(cfg)
    with pytest.raises(Exception) as err:
        gconfig.load(_write(tmp_path, cfg))
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.parametrize("block, key, value, match", [
    ("fraction_sweep", "n_train", [5, 56], "fraction_sweep.n_train"),
    ("fraction_sweep", "fig3_steps", 20000, "fig3_steps"),
    ("fig18", "n_train", [6, 40], "fig18.n_train"),
    ("fig12", "train_set", [[0, 2], [1, 9]], "fig12.train_set"),
    ("fig5", "normalisation", "both", "normalisation"),
    ("fig4c", "z0", "fixed", "z0"),
])
def test_issue3_config_errors_name_the_key(tmp_path, block, key, value, match):
    cfg = _base()
    cfg["liu2022"][block][key] = value
    with pytest.raises(Exception, match=match):
        gconfig.load(_write(tmp_path, cfg))


@pytest.mark.parametrize("block, key, value, match", [
    ("perceptron", "fit_alphas", [8, 64], r"perceptron.fit_alphas.*\[64\]"),
    ("perceptron", "fit_alphas", [8], "perceptron.fit_alphas.*two"),
    ("perceptron", "alphas", [], r"config key 'zunkovic2022\.perceptron\.alphas'"),
    ("perceptron", "m", 0, r"config key 'zunkovic2022\.perceptron\.m'"),
    ("perceptron", "lambda2", -1.0, r"config key 'zunkovic2022\.perceptron\.lambda2'"),
    ("fig5", "mc_draws", "many", r"config key 'zunkovic2022\.fig5\.mc_draws'"),
    ("fig3", "mp_dps", 30, r"config key 'zunkovic2022\.fig3\.mp_dps'"),
    ("exp1d_dynamics", "prox_dt", 0.01, r"config key 'zunkovic2022\.exp1d_dynamics\.prox_dt'"),
])
def test_issue5_config_errors_name_the_key(tmp_path, block, key, value, match):
    cfg = _base()
    cfg["zunkovic2022"][block][key] = value
    with pytest.raises(Exception, match=match):
        gconfig.load(_write(tmp_path, cfg))


@pytest.mark.parametrize("overlay", sorted((ROOT / "config" / "overlays").glob("*.yaml")), ids=lambda p: p.name)
def test_overlays_merge_into_a_valid_config(overlay):
    """Each overlay, merged over config.yaml as Snakemake merges --configfile files, still validates."""
    from snakemake.utils import update_config

    cfg = _base()
    base = {p: set(cfg["liu2022"][p]["robustness_seeds"]["paper"]) for p in ("fig6a", "fig6b", "fig6c", "fig6d")}
    update_config(cfg, yaml.safe_load(overlay.read_text()))
    assert gconfig.schema_error(cfg) is None
    gconfig.check(cfg)
    for panel, seeds in base.items():  # the overlays only narrow the robustness seeds
        assert set(cfg["liu2022"][panel]["robustness_seeds"]["paper"]) <= seeds

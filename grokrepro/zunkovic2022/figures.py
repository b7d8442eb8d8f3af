"""Registry of the Žunkovič & Ilievski (2022) solvable-model figures (issue #5) and their claims.

Each figure has a builder ``(cfg, seed) -> (tidy, numbers)`` and a plot ``(tidy, numbers) -> Figure``; each claim an
evaluator ``(numbers, scale, artifact, note) -> ClaimRecord`` reading the numbers of the figure in ``FIGURE_OF``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from grokrepro.zunkovic2022 import (ball_figures, exp1d_figures, fa_example_figures, fa_figures, perceptron,
                                   plots_ball, plots_exp1d, tn_figures)


@dataclass(frozen=True)
class Figure:
    """One figure rule: builder ``(cfg, seed) -> (tidy, numbers)``, plot ``(tidy, numbers) -> Figure`` and the
    grokrepro sources (paths under grokrepro/) they depend on (the rule reruns when they change)."""

    builder: Callable
    plot: Callable
    sources: tuple[str, ...]


EXP1D_SOURCES = ("zunkovic2022/exp1d.py", "zunkovic2022/exp1d_figures.py", "zunkovic2022/plots_exp1d.py")
BALL_SOURCES = ("zunkovic2022/ball.py", "zunkovic2022/ball_figures.py", "zunkovic2022/plots_ball.py")
TN_SOURCES = ("zunkovic2022/automata.py", "zunkovic2022/tensor_network.py", "zunkovic2022/tn_figures.py")
FA_SOURCES = ("zunkovic2022/automata.py", "zunkovic2022/tensor_network.py", "zunkovic2022/fixed_attention.py",
              "zunkovic2022/fa_figures.py")
FA_EXAMPLE_SOURCES = ("zunkovic2022/automata.py", "zunkovic2022/fixed_attention.py", "zunkovic2022/fa_examples.py",
                      "zunkovic2022/fa_example_figures.py")
FIGURES: dict[str, Figure] = {
    "exp1d_dynamics": Figure(exp1d_figures.dynamics, plots_exp1d.plot_dynamics, EXP1D_SOURCES),
    "fig2": Figure(exp1d_figures.fig2, plots_exp1d.plot_fig2, EXP1D_SOURCES),
    "fig3": Figure(exp1d_figures.fig3, plots_exp1d.plot_fig3, EXP1D_SOURCES),
    "ball_exponent": Figure(ball_figures.exponent, plots_ball.plot_exponent, BALL_SOURCES),
    "fig5": Figure(ball_figures.fig5, plots_ball.plot_fig5, BALL_SOURCES),
    "fig6": Figure(ball_figures.fig6, plots_ball.plot_fig6, BALL_SOURCES),
    "perceptron": Figure(perceptron.build, perceptron.plot, ("zunkovic2022/perceptron.py",)),
    # Sec. 4 (issue #20): rule 30 (Fig. 7), the tensor-network map (Fig. 8) and the exact attention of Fig. 9
    "fig8": Figure(tn_figures.fig8, tn_figures.plot_fig8, TN_SOURCES),
    # Sec. 4.3.1, fixed attention and linear training of B: the exact attention's jump (Fig. 9), P_G (Fig. 10)
    "fig9": Figure(fa_figures.fig9, fa_figures.plot_fig9, FA_SOURCES),
    "fig10": Figure(fa_figures.fig10, fa_figures.plot_fig10, FA_SOURCES),
    # the project's own seeded random-attention examples: ν (Fig. 11), Table 1's feature statistics (Fig. 12), t_G
    # PDFs, G's spectrum and the trends over a larger sample (Fig. 13)
    "fig11": Figure(fa_example_figures.fig11, fa_example_figures.plot_fig11, FA_EXAMPLE_SOURCES),
    "fig12": Figure(fa_example_figures.fig12, fa_example_figures.plot_fig12, FA_EXAMPLE_SOURCES),
    "fig13": Figure(fa_example_figures.fig13, fa_example_figures.plot_fig13, FA_EXAMPLE_SOURCES),
}


def build(figure: str, cfg: dict, seed: int):
    """(tidy, numbers, matplotlib Figure) of one figure."""
    if figure not in FIGURES:
        raise KeyError(f"unknown Žunkovič figure {figure!r}; known: {', '.join(FIGURES)}")
    entry = FIGURES[figure]
    tidy, numbers = entry.builder(cfg, seed)
    return tidy, numbers, entry.plot(tidy, numbers)


def claims() -> dict:
    """Claim ID -> evaluator, for every implemented Žunkovič claim (from :mod:`grokrepro.registry`)."""
    from grokrepro import registry

    return {c.claim_id: c.evaluator for c in registry.implemented() if c.claim_id.startswith("Z-")}


def figure_of() -> dict:
    """Claim ID -> the figure whose numbers it reads (from :mod:`grokrepro.registry`)."""
    from grokrepro import registry

    return {c.claim_id: c.reads[0].removeprefix("zunkovic2022/") for c in registry.implemented()
            if c.claim_id.startswith("Z-")}


def sources(figure: str) -> tuple[str, ...]:
    """The grokrepro sources (paths under grokrepro/) a figure's rule hashes."""
    return ("zunkovic2022/numbers.py", "zunkovic2022/figures.py", *FIGURES[figure].sources)

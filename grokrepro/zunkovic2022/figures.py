"""Registry of the Žunkovič & Ilievski (2022) solvable-model figures (issue #5) and their claims.

Each figure has a builder ``(cfg, seed) -> (tidy, numbers)`` and a plot ``(tidy, numbers) -> Figure``; each claim an
evaluator ``(numbers, scale, artifact, note) -> ClaimRecord`` reading the numbers of the figure in ``FIGURE_OF``.
"""

from __future__ import annotations

import importlib

# figure -> (module of the builder, builder, module of the plot, plot)
FIGURES = {
    "exp1d_dynamics": ("exp1d_figures", "dynamics", "plots_exp1d", "plot_dynamics"),
    "fig2": ("exp1d_figures", "fig2", "plots_exp1d", "plot_fig2"),
    "fig3": ("exp1d_figures", "fig3", "plots_exp1d", "plot_fig3"),
    "ball_exponent": ("ball_figures", "exponent", "plots_ball", "plot_exponent"),
    "fig5": ("ball_figures", "fig5", "plots_ball", "plot_fig5"),
    "fig6": ("ball_figures", "fig6", "plots_ball", "plot_fig6"),
    "perceptron": ("perceptron", "build", "perceptron", "plot"),
}
# The Python sources each figure depends on (rules rerun when they change).
SOURCES = {
    "exp1d_figures": ("zunkovic2022/exp1d.py", "zunkovic2022/exp1d_figures.py", "zunkovic2022/plots_exp1d.py"),
    "ball_figures": ("zunkovic2022/ball.py", "zunkovic2022/ball_figures.py", "zunkovic2022/plots_ball.py"),
    "perceptron": ("zunkovic2022/perceptron.py",),
}


def _attr(module: str, name: str):
    return getattr(importlib.import_module(f"grokrepro.zunkovic2022.{module}"), name)


def build(figure: str, cfg: dict, seed: int):
    """(tidy, numbers, matplotlib Figure) of one figure."""
    if figure not in FIGURES:
        raise KeyError(f"unknown Žunkovič figure {figure!r}; known: {', '.join(FIGURES)}")
    mod, fn, pmod, pfn = FIGURES[figure]
    tidy, numbers = _attr(mod, fn)(cfg, seed)
    return tidy, numbers, _attr(pmod, pfn)(tidy, numbers)


def claims() -> dict:
    """Claim ID -> evaluator, for every implemented Žunkovič claim."""
    from grokrepro.zunkovic2022 import claims_ball, claims_exp1d, perceptron

    return {**claims_exp1d.CLAIMS, **claims_ball.CLAIMS, "Z-44": perceptron.z44}


def figure_of() -> dict:
    """Claim ID -> the figure whose numbers it reads."""
    from grokrepro.zunkovic2022 import claims_ball, claims_exp1d

    return {**claims_exp1d.FIGURE_OF, **claims_ball.FIGURE_OF, "Z-44": "perceptron"}


def sources(figure: str) -> tuple[str, ...]:
    return ("zunkovic2022/numbers.py", "zunkovic2022/figures.py", *SOURCES[FIGURES[figure][0]])

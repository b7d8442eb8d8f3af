"""The numbers file shared by every Žunkovič & Ilievski (2022) figure: one row per reported quantity.

Columns (issue #5): ``quantity`` (p_grok, mean_t_grok, median_t_grok, nu, p_fast, mean_fast_t_grok, slow_t_grok, or a
check such as ``max_abs_diff``), ``method`` (``theory``: closed form or quadrature; ``simulation``: Monte Carlo or
simulated dynamics of the definition), ``value``, ``se`` (Monte Carlo standard error, NaN for theory), and the
parameter columns ``N, eps_lambda, D, lambda1, lambda2, eps`` plus ``xi`` (Eq. 50) and ``alpha`` (Z-44); a parameter
that does not apply is NaN. ``lambda2 = inf`` is the λ2 ≫ 1 limit of the ball model.

Optional parameter columns ``K`` (rule radius), ``d`` (bond dimension), ``M`` (sequence length), ``tau``
(t_ε − t, Fig. 9), ``example`` (the own seeded fixed-attention examples 1–3, Figs. 11–13) and ``revert`` (1 with the
spike-revert tool on, 0 off; the full model's spike study) of the Sec. 4 figures (Z-26 …) appear only in a table where
some row sets them, so the other figures' numbers keep their columns.
"""

from __future__ import annotations

import pandas as pd

PARAMETERS = ["N", "eps_lambda", "D", "lambda1", "lambda2", "eps", "xi", "alpha"]
NUMBER_COLUMNS = ["quantity", "method", "value", "se", *PARAMETERS]
OPTIONAL_PARAMETERS = ["K", "d", "M", "tau", "example", "revert"]
METHODS = ("theory", "simulation")


def make_numbers(rows: list[dict]) -> pd.DataFrame:
    """A numbers table from dicts holding ``quantity``, ``method``, ``value`` and any of ``se`` and the parameters.

    Raises ValueError on an unknown key or method, so a typo cannot silently create a new column."""
    allowed = set(NUMBER_COLUMNS) | set(OPTIONAL_PARAMETERS)
    for r in rows:
        extra = set(r) - allowed
        if extra:
            raise ValueError(f"unknown numbers column(s) {sorted(extra)}; allowed: "
                             f"{NUMBER_COLUMNS + OPTIONAL_PARAMETERS}")
        if r.get("method") not in METHODS:
            raise ValueError(f"numbers 'method' must be one of {METHODS}; got {r.get('method')!r}")
    optional = [c for c in OPTIONAL_PARAMETERS if any(c in r for r in rows)]
    df = pd.DataFrame(rows, columns=NUMBER_COLUMNS + optional)
    for c in ["value", "se", *PARAMETERS, *optional]:
        df[c] = pd.to_numeric(df[c], errors="raise").astype(float)
    return df


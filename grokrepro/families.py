"""Claim families: the README's one-screen summary of the scorecard (family -> figure target -> verdict counts).

The table between the markers ``<!-- families:start -->`` and ``<!-- families:end -->`` in README.md is generated
from a scorecard (``results/published/claims.csv`` by default) and checked by the tests, so it cannot drift from the
committed snapshot:

    python -m grokrepro.families            # rewrite the README's table from results/published/claims.csv
    python -m grokrepro.families --check    # exit 1 if the README's table differs
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from grokrepro.claims import VERDICTS

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- families:start -->", "<!-- families:end -->"


@dataclass(frozen=True)
class Family:
    paper: str
    name: str
    claims: tuple[str, ...]
    target: str  # a figure target


def _ids(prefix: str, *ranges: tuple[int, int]) -> tuple[str, ...]:
    return tuple(f"{prefix}-{k:02d}" for lo, hi in ranges for k in range(lo, hi + 1))


FAMILIES = (
    Family("Liu", "Toy model, Table 1", _ids("L", (1, 2)), "results/claims/L-02.csv"),
    Family("Liu", "Representations and effective theory (Figs 3-5, 9, 10, 12, App F)", _ids("L", (3, 13), (33, 35)),
           "results/liu2022/fig4d.pdf"),
    Family("Liu", "Phase diagrams (Fig 6, App G Figs 13-15)", _ids("L", (14, 23), (36, 38)),
           "results/liu2022/fig6b.pdf"),
    Family("Liu", "2D embeddings, permutation group S3 (Figs 2, 17, 18)", _ids("L", (39, 40), (42, 42)),
           "results/liu2022/fig18.pdf"),
    Family("Liu", "Transformer (Figs 1, 7, 21, 22)", _ids("L", (24, 29)), "results/liu2022/fig7_right.pdf"),
    Family("Liu", "MNIST (Figs 8, 19, 20)", _ids("L", (30, 32), (41, 41)), "results/liu2022/fig8b.pdf"),
    Family("Žunkovič", "1D exponential model (Eqs 6-16, Figs 2-3)", _ids("Z", (1, 12)),
           "results/zunkovic2022/fig2.pdf"),
    Family("Žunkovič", "D-ball perceptron (Eqs 23-50, Figs 5-6)", _ids("Z", (13, 25)), "results/zunkovic2022/fig5.pdf"),
    Family("Žunkovič", "Cellular automata, tensor network, fixed attention (Figs 8-13, Table 1)", _ids("Z", (26, 34)),
           "results/zunkovic2022/fig10.pdf"),
    Family("Žunkovič", "Full tensor-network model (Figs 14-18, App D)", _ids("Z", (35, 43)),
           "results/zunkovic2022/fig14.pdf"),
    Family("Žunkovič", "Teacher-student perceptron (p. 18)", _ids("Z", (44, 44)),
           "results/zunkovic2022/perceptron.pdf"),
)


def _span(ids: tuple[str, ...]) -> str:
    """``L-03–13, L-33–35`` for consecutive runs of claim IDs."""
    prefix, nums = ids[0][0], [int(c[2:]) for c in ids]
    runs, start = [], nums[0]
    for a, b in zip(nums, nums[1:] + [None]):
        if b != a + 1:
            runs.append(f"{prefix}-{start:02d}" + (f"–{a:02d}" if a != start else ""))
            start = b
    return ", ".join(runs)


def label(fam: Family, claims: pd.DataFrame) -> str:
    """The family's name, with the fidelity of its claim records when any of them is not ``paper`` (read from the
    scorecard's ``scale`` column, so the table cannot call an in-between snapshot paper scale)."""
    if "scale" not in claims:
        return fam.name
    scales = claims.set_index("claim_id").scale.reindex(list(fam.claims)).dropna()
    other = sorted({s for s in scales if s and s != "paper"})
    if not other:
        return fam.name
    tag = " and ".join(other) + " fidelity"
    return f"{fam.name[:-1]}; {tag})" if fam.name.endswith(")") else f"{fam.name} ({tag})"


def verdict_table(claims: pd.DataFrame) -> str:
    """Markdown: one row per family with the count of each verdict in ``claims`` (a scorecard table)."""
    verdicts = claims.set_index("claim_id").verdict
    head = ["paper", "claim family", "claims", "target", *VERDICTS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fam in FAMILIES:
        counts = verdicts.reindex(list(fam.claims)).value_counts()
        span = _span(fam.claims)
        cells = [fam.paper, label(fam, claims), f"{span} ({len(fam.claims)})", f"`{fam.target}`",
                 *(str(counts.get(v, 0)) if counts.get(v, 0) else "" for v in VERDICTS)]
        lines.append("| " + " | ".join(cells) + " |")
    total = verdicts.value_counts()
    lines.append("| | **all** | " + f"{len(verdicts)} | | " + " | ".join(f"**{total.get(v, 0)}**" for v in VERDICTS)
                 + " |")
    return "\n".join(lines)


def covered() -> list[str]:
    return [c for fam in FAMILIES for c in fam.claims]


def render_readme(readme: str, table: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"README has no {START} ... {END} block")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", default=str(ROOT / "results" / "published" / "claims.csv"))
    parser.add_argument("--readme", default=str(ROOT / "README.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 if the README's table is out of date")
    args = parser.parse_args(argv)
    table = verdict_table(pd.read_csv(args.claims, keep_default_na=False))
    readme = Path(args.readme).read_text()
    new = render_readme(readme, table)
    if args.check:
        if new != readme:
            print(f"{args.readme}: the claim-family table differs from {args.claims}; run python -m grokrepro.families")
            return 1
        return 0
    Path(args.readme).write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The project stands on its own and its front page is readable: nothing points outside the repository, the README's
claim-family table is the committed scorecard's, and no table cell in the docs is a wall of text."""

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from grokrepro import families
from grokrepro.claims import claim_ids

from conftest import ROOT

MAX_CELL = 300  # characters in one table cell of README.md or docs/


def _tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = ROOT / name
        if path.suffix in {".png", ".pdf", ".h5", ".npz"} or not path.is_file():
            continue
        yield name, path.read_text(errors="replace")


def test_nothing_points_outside_the_repository():
    """A user's clone has no shared folder beside it: no code, config, doc, report or result may read or cite one."""
    pattern = re.compile(r"\.\./shared|(?<![\w-])shared/(spec|reference|ops|seeds|STYLE)|GROKREPRO_SHARED")
    hits = [f"{name}:{k + 1}" for name, text in _tracked_text_files() if name != "tests/unit/test_standalone.py"
            for k, line in enumerate(text.splitlines()) if pattern.search(line)]  # (this file holds the pattern)
    assert not hits, hits


def test_readme_family_table_is_the_published_scorecard():
    claims = pd.read_csv(ROOT / "results" / "published" / "claims.csv", keep_default_na=False)
    readme = (ROOT / "README.md").read_text()
    assert families.render_readme(readme, families.verdict_table(claims)) == readme, (
        "run `python -m grokrepro.families` to regenerate the README's table")


def test_every_claim_is_in_exactly_one_family():
    assert sorted(families.covered()) == claim_ids()


def test_family_table_counts_each_verdict():
    claims = pd.DataFrame({"claim_id": claim_ids(), "verdict": "not_run"})
    claims.loc[claims.claim_id == "L-16", "verdict"] = "partial"
    table = families.verdict_table(claims)
    row = next(line for line in table.splitlines() if "Phase diagrams" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4:] == ["", "1", "", "", "12"]  # reproduced, partial, not_reproduced, paper_erratum, not_run
    assert "**85**" in table.splitlines()[-1]


@pytest.mark.parametrize("doc", ["README.md", "docs/figures.md", "docs/decisions.md"])
def test_no_table_cell_is_a_wall_of_text(doc):
    long = []
    for k, line in enumerate((ROOT / doc).read_text().splitlines()):
        if line.startswith("|"):
            long += [f"line {k + 1}: {len(c)} chars" for c in line.split(" | ") if len(c) > MAX_CELL]
    assert not long, long


def test_readme_first_screen_has_both_commands_with_times():
    first = "\n".join((ROOT / "README.md").read_text().splitlines()[:40])
    for needed in ("make reproduce", "make test", "make test-fast", "SCALE=quick", "2 CPU cores", "GPU",
                   "results/published/CLAIMS.md"):
        assert needed in first, needed


def test_every_family_names_a_target_the_snapshot_holds():
    for fam in families.FAMILIES:
        if fam.target.startswith("results/claims/"):
            assert Path(fam.target).stem in fam.claims, fam
        else:
            assert (ROOT / "results" / "published" / Path(fam.target).relative_to("results")).is_file(), fam


def test_family_label_names_a_fidelity_below_paper_scale():
    fam = next(f for f in families.FAMILIES if f.name.startswith("Transformer"))
    claims = pd.DataFrame({"claim_id": claim_ids(), "verdict": "reproduced", "scale": "paper"})
    assert families.label(fam, claims) == fam.name
    claims.loc[claims.claim_id == "L-26", "scale"] = "cpu"
    assert families.label(fam, claims) == "Transformer (Figs 1, 7, 21, 22; cpu fidelity)"
    assert "cpu fidelity" in families.verdict_table(claims)

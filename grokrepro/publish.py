"""Refresh ``results/published/`` from a finished paper-scale run: ``python -m grokrepro.publish results dest``.

Copies the scorecard, every figure's pdf/png/csv/numbers and the provenance, mirroring the layout. Refuses a
quick-scale or incomplete run, so the snapshot always holds paper-scale numbers.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pandas as pd

from grokrepro.claims import claim_ids

PATTERNS = ("*.pdf", "*.png", "*.csv", "*_provenance.json")


def publish(results: Path, dest: Path) -> list[Path]:
    prov_path = results / "provenance.json"
    claims_path = results / "claims.csv"
    for p in (prov_path, claims_path, results / "CLAIMS.md"):
        if not p.exists():
            raise SystemExit(f"publish: {p} is missing; run `make reproduce` first")
    prov = json.loads(prov_path.read_text())
    scales = {f["scale"] for f in prov["figures"].values()}
    if scales != {"paper"}:
        raise SystemExit(f"publish: the run in {results} is not paper scale (scales: {sorted(scales)})")
    claims = pd.read_csv(claims_path, keep_default_na=False)
    if sorted(claims.claim_id) != sorted(claim_ids()):
        raise SystemExit("publish: results/claims.csv does not list every claim ID")
    copied = []
    for paper_dir in sorted(p for p in results.iterdir() if p.is_dir() and p.name in ("liu2022", "zunkovic2022")):
        for pattern in PATTERNS:
            for f in sorted(paper_dir.glob(pattern)):
                copied.append(f.relative_to(results))
    copied += [Path("claims.csv"), Path("CLAIMS.md"), Path("provenance.json")]
    for rel in copied:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(results / rel, dest / rel)
    return copied


if __name__ == "__main__":
    src, dst = (Path(a) for a in sys.argv[1:3])
    for rel in publish(src, dst):
        print(f"published {dst / rel}")

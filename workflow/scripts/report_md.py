"""results/REPORT.md, the reproduction report, from the scorecard, provenance and errata."""
import sys
from pathlib import Path

from grokrepro import report

sys.stderr = open(snakemake.log[0], "w")
report.build(Path(snakemake.input.claims).parent, Path(snakemake.output[0]))

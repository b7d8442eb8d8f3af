"""results/REPORT.md, the reproduction report, from the scorecard, provenance and errata."""
from pathlib import Path

from grokrepro import io, report

io.job_stderr(snakemake.log[0])
report.build(Path(snakemake.input.claims).parent, Path(snakemake.output[0]))

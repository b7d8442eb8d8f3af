"""Gather the per-claim records into results/claims.csv and the readable scorecard (with the robustness table)."""

import pandas as pd

from grokrepro import claims, io
from grokrepro.liu2022.fig6 import robustness_markdown

io.job_stderr(snakemake.log[0])
table = claims.gather([pd.read_csv(f, keep_default_na=False) for f in snakemake.input.records])
robust = pd.concat([pd.read_csv(f) for f in snakemake.input.robustness], ignore_index=True)
io.write_csv(table, snakemake.output.csv)
io.write_text(claims.scorecard_markdown(table, [robustness_markdown(robust)]), snakemake.output.md)

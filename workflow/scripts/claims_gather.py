"""Gather the per-claim records into results/claims.csv and the readable scorecard."""
import sys

import pandas as pd

from grokrepro import claims, io

sys.stderr = open(snakemake.log[0], "w")
table = claims.gather([pd.read_csv(f, keep_default_na=False) for f in snakemake.input])
io.write_csv(table, snakemake.output.csv)
io.write_text(claims.scorecard_markdown(table), snakemake.output.md)

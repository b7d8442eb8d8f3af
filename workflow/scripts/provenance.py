"""Collect the per-figure provenance records into one file."""
import json

from grokrepro import io

io.job_stderr(snakemake.log[0])
records = [json.load(open(f)) for f in snakemake.input]
io.write_json({"figures": {r["figure"]: r for r in records}}, snakemake.output[0])

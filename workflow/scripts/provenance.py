"""Collect the per-figure provenance records into one file."""
import json
import sys

from grokrepro import io

sys.stderr = open(snakemake.log[0], "w")
records = [json.load(open(f)) for f in snakemake.input]
io.write_json({"figures": {r["figure"]: r for r in records}}, snakemake.output[0])

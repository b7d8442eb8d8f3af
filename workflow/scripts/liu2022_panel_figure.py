"""Liu phase-diagram panel: the paper seed's map, compared cell by cell with the authors' data where they exist."""

import pandas as pd

from grokrepro import io, plotting
from grokrepro.liu2022 import fig6, panels, phases

io.job_stderr(snakemake.log[0])
p, inp = snakemake.params, snakemake.input
runs = io.read_runs(inp.runs)
reference = None
if inp.reference:
    reference = fig6.reference_table(phases.load_reference(inp.reference[0]), p.cfg, p.phases)
merged = fig6.merge(runs, p.cfg, reference)
numbers = fig6.structure_numbers(merged, p.cfg, p.panel, p.cfg["seed"], True)
if inp.contrast:
    contrast = fig6.contrast_numbers(io.read_runs(inp.contrast[0]), panels.contrast_cfg(p.cfg), p.panel)
    numbers = pd.concat([numbers, contrast], ignore_index=True)
io.write_csv(merged, snakemake.output.csv)
io.write_csv(numbers, snakemake.output.numbers)
io.save_figure(plotting.phase_maps(merged, p.cfg, p.title), [snakemake.output.pdf, snakemake.output.png])

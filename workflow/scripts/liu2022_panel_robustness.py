"""Liu Fig 6 panel over the paper seed and the robustness seeds: per-cell phase frequencies and every seed's numbers."""

from grokrepro import io, plotting
from grokrepro.liu2022 import fig6, phases

io.job_stderr(snakemake.log[0])
p, inp = snakemake.params, snakemake.input
reference = fig6.reference_table(phases.load_reference(inp.reference[0]), p.cfg, p.phases)
runs = [io.read_runs(f) for f in inp.runs]
cells, numbers = fig6.robustness(runs, p.cfg, reference, p.panel, p.cfg["seed"], p.phases["acc_threshold"])
io.write_csv(cells, snakemake.output.csv)
io.write_csv(numbers, snakemake.output.numbers)
merged = [fig6.merge(r, p.cfg, reference) for r in runs]
io.save_figure(plotting.seed_maps(merged, p.cfg, p.title), [snakemake.output.pdf, snakemake.output.png])

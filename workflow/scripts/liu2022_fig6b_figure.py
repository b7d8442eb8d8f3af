"""Liu Fig 6b: compare the measured map with the authors' data cell by cell; numbers and figure."""
import sys

import pandas as pd

from grokrepro import io, plotting
from grokrepro.liu2022 import fig6, phases

sys.stderr = open(snakemake.log[0], "w")
p = snakemake.params
runs = pd.read_csv(snakemake.input.runs, dtype={"train_step": "Int64", "val_step": "Int64"})
budget = int(p.cfg["steps"])
reference = phases.load_reference(snakemake.input.reference)
merged, numbers = fig6.compare(runs, reference, p.cfg, p.phases, budget)
io.write_csv(merged, snakemake.output.compare)
io.write_csv(numbers, snakemake.output.numbers)
io.save_figure(plotting.phase_diagram(merged, "Fig 6b, addition regression"),
               [snakemake.output.pdf, snakemake.output.png])

"""One claim record, results/claims/<ID>.csv: the registry's evaluator (grokrepro/registry.py) on the numbers the
registry says the claim reads."""

from pathlib import Path

import pandas as pd

from grokrepro import claims, io

io.job_stderr(snakemake.log[0])
p = snakemake.params
reference = list(snakemake.input.reference)  # the authors' files (L-02): they all lie in config reference_dir
record = claims.evaluate(p.claim, p.scale, numbers=list(snakemake.input.numbers),
                         reference_dir=str(Path(reference[0]).parent) if reference else None, opts=p.options)
io.write_csv(pd.DataFrame([record.row()]), snakemake.output[0])

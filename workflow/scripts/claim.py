"""One claim record, results/claims/<ID>.csv: the registry's evaluator (grokrepro/registry.py) on the numbers the
registry says the claim reads."""

import pandas as pd

from grokrepro import claims, io

io.job_stderr(snakemake.log[0])
p = snakemake.params
record = claims.evaluate(p.claim, p.scale, numbers=list(snakemake.input.numbers), reference_dir=p.reference_dir,
                         opts=p.options)
io.write_csv(pd.DataFrame([record.row()]), snakemake.output[0])

"""results/zunkovic2022/errata.md from the Žunkovič claim records."""

import pandas as pd

from grokrepro import io
from grokrepro.zunkovic2022 import errata

io.job_stderr(snakemake.log[0])
records = pd.concat([pd.read_csv(f, keep_default_na=False) for f in snakemake.input.records], ignore_index=True)
io.write_text(errata.markdown(records), snakemake.output[0])

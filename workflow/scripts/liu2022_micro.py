"""Liu et al. microscopic figures (Figs 2, 3, 4a-c, 5, 9, 10, 12, 17, 18): one builder per figure.

Every rule that runs this script writes <figure>.csv (tidy data), <figure>_numbers.csv, .pdf/.png and a provenance
record; ``params.figure`` picks the builder.
"""

import pandas as pd
import torch

from grokrepro import io
from grokrepro.liu2022 import fig2, fig12, fraction, micro, plots, s3
from grokrepro.provenance import Stopwatch
from grokrepro.train import resolve_device

io.job_stderr(snakemake.log[0], echo=snakemake.params.progress)
torch.set_num_threads(snakemake.threads)
clock, p = Stopwatch(), snakemake.params
device = resolve_device(p.device)
kw = dict(device=str(device), progress=p.progress)
inp = snakemake.input


def sweep():
    return pd.read_csv(inp.sweep, dtype={c: "Int64" for c in ("train_step", "val_step", "rqi_step")})


def build(figure: str):
    cfg = p.cfg
    if figure == "fraction_sweep":
        return fraction.run_sweep(cfg, **kw), None, None
    if figure == "fig3":
        runs = sweep()
        return runs, fraction.fig3_numbers(runs), plots.fig3(runs)
    if figure == "fig4b":
        runs = sweep()
        return runs, fraction.fig4b_numbers(runs), plots.fig4b(runs, int(cfg["steps"]))
    if figure == "fig10":
        runs = sweep()
        return runs, fraction.fig10_numbers(runs), plots.fig10(runs)
    if figure == "fig4a":
        curve, numbers = micro.fig4a(cfg)
        return curve, numbers, plots.fig4a(curve, numbers)
    if figure == "fig4c":
        tidy4d = pd.read_csv(inp.fig4d)
        eff, numbers = micro.fig4c(tidy4d, cfg)
        return eff, numbers, plots.fig4c(eff, tidy4d)
    if figure == "fig5":
        table, numbers = micro.fig5(cfg, sweep(), pd.read_csv(inp.fig4d_numbers))
        return table, numbers, plots.fig5(table, numbers)
    if figure == "fig9":
        table, numbers = micro.fig9(cfg)
        return table, numbers, plots.fig9(table)
    if figure == "fig2":
        runs, emb = fig2.run(cfg, **kw)
        return runs, fig2.numbers(runs), plots.fig2(runs, emb)
    if figure == "fig12":
        runs, emb = fig12.run(cfg, **kw)
        return runs, fig12.numbers(runs), plots.fig12(runs, emb)
    if figure == "fig17":
        result = s3.run_pca(cfg, **kw)
        proj = micro.s3_pca_table(result)
        numbers = s3.pca_numbers(result)
        numbers = numbers[numbers.method != "timing"]  # timings live in provenance, not in the numbers
        return proj, numbers, plots.fig17(proj, micro.s3_pca_title(result))
    if figure == "fig18":
        runs, _ = s3.run_fraction_sweep(cfg, **kw)
        return runs, s3.fraction_numbers(runs), plots.fig18(runs, int(cfg["steps"]))
    raise ValueError(f"unknown figure {figure!r}")


tidy, numbers, fig = build(p.figure)
out = snakemake.output
io.write_csv(tidy, out.csv)
if numbers is not None:
    io.write_csv(numbers, out.numbers)
if fig is not None:
    io.save_figure(fig, [out.pdf, out.png])
io.write_json(clock.record(figure=f"liu2022/{p.figure}", config=p.cfg, device=device, scale=p.scale), out.provenance)

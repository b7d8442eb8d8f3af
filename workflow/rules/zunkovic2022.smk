# Žunkovič & Ilievski (2022), the solvable models (issue #5; docs/decisions.md): closed forms against independent
# simulations of the same definitions. No neural network, CPU only; each figure is one job.
ZUN = CFG["zunkovic2022"]
ZUN_FIGURES = tuple(zfigures.FIGURES)
ZUN_CLAIMS = [c.claim_id for c in CLAIM_REGISTRY.implemented() if c.claim_id.startswith("Z-")]


for _fig in ZUN_FIGURES:
    _base = f"results/zunkovic2022/{_fig}"

    rule:
        name:
            f"zunkovic2022_{_fig}"
        output:
            csv=f"{_base}.csv",
            numbers=f"{_base}_numbers.csv",
            pdf=f"{_base}.pdf",
            png=report(f"{_base}.png", caption="../report/figure.rst", category="Žunkovič & Ilievski (2022)"),
            provenance=f"{_base}_provenance.json",
        log:
            f"results/logs/zunkovic2022/{_fig}.log",
        params:
            caption=figure_caption("zunkovic2022", _fig),
            figure=_fig,
            cfg=ZUN[_fig],
            scale=SCALE,
            src=src(*zfigures.sources(_fig)),
        benchmark:
            f"results/benchmarks/zunkovic2022/{_fig}.tsv"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=30,
            gpu=0,
        conda:
            CONDA_ENV
        script:
            "../scripts/zunkovic2022_figure.py"


rule zunkovic2022_errata:
    input:
        records=[f"results/claims/{c}.csv" for c in ZUN_CLAIMS],
    output:
        "results/zunkovic2022/errata.md",
    log:
        "results/logs/zunkovic2022/errata.log",
    localrule: True
    params:
        src=src("zunkovic2022/errata.py"),
    conda:
        CONDA_ENV
    script:
        "../scripts/zunkovic2022_errata.py"

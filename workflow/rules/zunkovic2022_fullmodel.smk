# Žunkovič & Ilievski (2022), Sec. 4.3.2: the full tensor-network model (A and B trained together by Adam), issue #20.
# One training job per run ensemble (rule radius K, regularisation, bond dimension d; every initialisation of the
# ensemble is one batched tensor program), at the fidelity `zunkovic2022.fullmodel.fidelity` selects (quick, cpu or
# paper; docs/decisions.md, Full tensor-network model); the figures read the ensembles they need.
FM = ZUN["fullmodel"]
FM_ENSEMBLES = fm_figures.ensembles(FM)
FM_PRESET = fm_figures.preset(FM)


localrules:
    zunkovic2022_fullmodel_figure,


rule zunkovic2022_fullmodel_runs:
    output:
        runs="results/zunkovic2022/fullmodel/{ensemble}.npz",
        provenance="results/zunkovic2022/fullmodel/{ensemble}_provenance.json",
    log:
        "results/logs/zunkovic2022/fullmodel/{ensemble}.log",
    wildcard_constraints:
        ensemble="|".join(FM_ENSEMBLES),
    params:
        cfg=FM,
        fidelity=FM["fidelity"],
        device=config["device"],
        progress=config["progress"],
        src=src(*fm_figures.RUN_SOURCES),
    benchmark:
        "results/benchmarks/zunkovic2022/fullmodel/{ensemble}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=int(FM_PRESET["runtime_minutes"]),
        gpu=GPU_PER_TRAINING_JOB,
    conda:
        CONDA_ENV
    script:
        "../scripts/zunkovic2022_fullmodel_runs.py"


rule zunkovic2022_fullmodel_figure:
    input:
        lambda wc: fm_figures.inputs(wc.fig, FM),
    output:
        csv="results/zunkovic2022/{fig}.csv",
        numbers="results/zunkovic2022/{fig}_numbers.csv",
        pdf="results/zunkovic2022/{fig}.pdf",
        png=report("results/zunkovic2022/{fig}.png", caption="../report/figure.rst",
                   category="Žunkovič & Ilievski (2022)"),
        provenance="results/zunkovic2022/{fig}_provenance.json",
    log:
        "results/logs/zunkovic2022/{fig}.log",
    wildcard_constraints:
        fig="|".join(fm_figures.FIGURES),
    params:
        caption=lambda wc: figure_caption("zunkovic2022", wc.fig),
        cfg=FM,
        fidelity=FM["fidelity"],
        src=src(*fm_figures.SOURCES),
    conda:
        CONDA_ENV
    script:
        "../scripts/zunkovic2022_fm_figure.py"

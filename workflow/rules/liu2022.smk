# Liu et al. (2022): figures. Training rules run one batched job per figure; plots and comparisons are local.


localrules:
    liu2022_panel_figure,


rule liu2022_fig4d:
    output:
        pdf="results/liu2022/fig4d.pdf",
        png=report("results/liu2022/fig4d.png", caption="../report/figure.rst", category="Liu et al. (2022)"),
        csv="results/liu2022/fig4d.csv",
        numbers="results/liu2022/fig4d_numbers.csv",
        provenance="results/liu2022/fig4d_provenance.json",
    log:
        "results/logs/liu2022/fig4d.log",
    params:
        caption=figure_caption("liu2022", "fig4d"),
        cfg=LIU["fig4d"],
        scale=SCALE,
        device=config["device"],
        progress=config["progress"],
        src=src(*TRAIN_SRC, "liu2022/fig4d.py", "plotting.py"),
    benchmark:
        "results/benchmarks/liu2022/fig4d.tsv"
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=30,
        gpu=GPU_PER_TRAINING_JOB,
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_fig4d.py"


# Phase-diagram panels (issue #4): Fig 6a-d and App G Figs 13-15. One training job per (panel, seed) trains the whole
# grid as one batched program; the paper's seed and each robustness seed are separate jobs (and SLURM tasks).
# (FIG6_PANELS, APPG_PANELS, panel_runs and panel_reference are in common.smk.)
rule liu2022_panel_train:
    output:
        runs="results/liu2022/runs/{panel}_seed{seed}.csv",
        provenance="results/liu2022/runs/{panel}_seed{seed}_provenance.json",
    log:
        "results/logs/liu2022/{panel}_seed{seed}.log",
    wildcard_constraints:
        panel="|".join(FIG6_PANELS + APPG_PANELS),
        seed=r"\d+",
    params:
        name=lambda wc: f"{wc.panel}_seed{wc.seed}",
        cfg=lambda wc: LIU[wc.panel],
        seed=lambda wc: int(wc.seed),
        phases=LIU["phases"],
        scale=SCALE,
        device=config["device"],
        progress=config["progress"],
        src=src(*PANEL_SRC),
        checkpoint_minutes=config["checkpoint_minutes"],
        checkpoint_dir=lambda wc: f"results/liu2022/runs/checkpoints/{wc.panel}_seed{wc.seed}"
        if config["checkpoint_minutes"] > 0 else "",
    benchmark:
        "results/benchmarks/liu2022/{panel}_seed{seed}.tsv"
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=240,
        gpu=GPU_PER_TRAINING_JOB,
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_panel_train.py"


rule liu2022_fig6d_contrast:
    output:
        runs="results/liu2022/runs/fig6d_contrast.csv",
        provenance="results/liu2022/runs/fig6d_contrast_provenance.json",
    log:
        "results/logs/liu2022/fig6d_contrast.log",
    params:
        name="fig6d_contrast",
        cfg=panels.contrast_cfg(LIU["fig6d"]),
        seed=LIU["fig6d"]["seed"],
        phases=LIU["phases"],
        scale=SCALE,
        device=config["device"],
        progress=config["progress"],
        src=src(*PANEL_SRC),
        checkpoint_minutes=0,  # two cells, minutes: nothing to resume
        checkpoint_dir="",
    benchmark:
        "results/benchmarks/liu2022/fig6d_contrast.tsv"
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=60,
        gpu=GPU_PER_TRAINING_JOB,
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_panel_train.py"


PANEL_TITLES = {
    "fig6a": "Fig 6a, addition regression (decoder wd 0)",
    "fig6b": "Fig 6b, addition regression",
    "fig6c": "Fig 6c, addition classification",
    "fig6d": "Fig 6d, S3 regression",
    "fig13": "Fig 13, batch size",
    "fig14": "Fig 14, embedding init scale",
    "fig15": "Fig 15, representation weight decay",
}


rule liu2022_panel_figure:
    input:
        runs=lambda wc: panel_runs(wc.panel),
        reference=panel_reference,
        contrast=lambda wc: ["results/liu2022/runs/fig6d_contrast.csv"] if "contrast" in LIU[wc.panel] else [],
    output:
        pdf="results/liu2022/{panel}.pdf",
        png=report("results/liu2022/{panel}.png", caption="../report/figure.rst", category="Liu et al. (2022)"),
        csv="results/liu2022/{panel}.csv",
        numbers="results/liu2022/{panel}_numbers.csv",
    log:
        "results/logs/liu2022/{panel}_figure.log",
    wildcard_constraints:
        panel="|".join(FIG6_PANELS + APPG_PANELS),
    params:
        caption=lambda wc: figure_caption("liu2022", wc.panel),
        panel=lambda wc: wc.panel,
        cfg=lambda wc: LIU[wc.panel],
        title=lambda wc: PANEL_TITLES[wc.panel],
        phases=LIU["phases"],
        src=src("liu2022/fig6.py", "liu2022/panels.py", "liu2022/phases.py", "plotting.py"),
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_panel_figure.py"


rule liu2022_panel_robustness:
    input:
        runs=lambda wc: [panel_runs(wc.panel, s) for s in panels.seeds(LIU[wc.panel])],
        reference=panel_reference,
    output:
        pdf="results/liu2022/{panel}_robustness.pdf",
        png=report("results/liu2022/{panel}_robustness.png", caption="../report/figure.rst",
                   category="Liu et al. (2022), robustness"),
        csv="results/liu2022/{panel}_robustness.csv",
        numbers="results/liu2022/{panel}_robustness_numbers.csv",
    log:
        "results/logs/liu2022/{panel}_robustness.log",
    wildcard_constraints:
        panel="|".join(FIG6_PANELS),
    localrule: True
    params:
        caption=lambda wc: figure_caption("liu2022", wc.panel, robustness=True),
        panel=lambda wc: wc.panel,
        cfg=lambda wc: LIU[wc.panel],
        title=lambda wc: PANEL_TITLES[wc.panel],
        phases=LIU["phases"],
        src=src("liu2022/fig6.py", "liu2022/panels.py", "liu2022/phases.py", "plotting.py"),
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_panel_robustness.py"


# The microscopic side (issue #3): one rule per figure of grokrepro/liu2022/figures.py (config block, inputs, trains a
# network?, builder, plot, sources), all through workflow/scripts/liu2022_micro.py. `fraction_sweep` trains the
# Fig 3/4b/5b/10 runs once; the figures that read it are local.
from grokrepro.liu2022 import figures as lfigures  # noqa: E402

MICRO_RULES = lfigures.FIGURES

for _fig, _entry in MICRO_RULES.items():
    _trains = _entry.trains
    _base = f"results/liu2022/{_fig}"
    _outputs = dict(csv=f"{_base}.csv", provenance=f"{_base}_provenance.json")
    if _entry.plot is not None:
        _outputs.update(pdf=f"{_base}.pdf", numbers=f"{_base}_numbers.csv",
                        png=report(f"{_base}.png", caption="../report/figure.rst", category="Liu et al. (2022)"))

    rule:
        name:
            f"liu2022_{_fig}"
        input:
            **_entry.inputs,
        output:
            **_outputs,
        log:
            f"results/logs/liu2022/{_fig}.log",
        localrule: not _trains
        params:
            caption=figure_caption("liu2022", _fig),
            figure=_fig,
            cfg=LIU[_entry.block],
            scale=SCALE,
            device=config["device"],
            progress=config["progress"],
            src=src(*(TRAIN_SRC if _trains else ()), *lfigures.sources(_fig)),
        benchmark:
            f"results/benchmarks/liu2022/{_fig}.tsv"
        threads: config["threads"] if _trains else 1
        resources:
            mem_mb=4000 if _trains else 2000,
            runtime=60 if _trains else 10,
            gpu=GPU_PER_TRAINING_JOB if _trains else 0,
        conda:
            CONDA_ENV
        script:
            "../scripts/liu2022_micro.py"

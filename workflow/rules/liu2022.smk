# Liu et al. (2022): figures. Training rules run one batched job per figure; plots and comparisons are local.


localrules:
    liu2022_fig6b_figure,


rule liu2022_fig4d:
    output:
        pdf="results/liu2022/fig4d.pdf",
        png="results/liu2022/fig4d.png",
        csv="results/liu2022/fig4d.csv",
        numbers="results/liu2022/fig4d_numbers.csv",
        provenance="results/liu2022/fig4d_provenance.json",
    log:
        "results/logs/liu2022/fig4d.log",
    params:
        cfg=LIU["fig4d"],
        scale=SCALE,
        device=config["device"],
        progress=config["progress"],
        src=src(*TRAIN_SRC, "liu2022/fig4d.py", "plotting.py"),
    threads: config["threads"]
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_fig4d.py"


rule liu2022_fig6b_train:
    output:
        runs="results/liu2022/fig6b.csv",
        provenance="results/liu2022/fig6b_provenance.json",
    log:
        "results/logs/liu2022/fig6b_train.log",
    params:
        cfg=LIU["fig6b"],
        phases=LIU["phases"],
        scale=SCALE,
        device=config["device"],
        progress=config["progress"],
        src=src(*TRAIN_SRC, "liu2022/fig6.py", "liu2022/phases.py"),
    threads: config["threads"]
    resources:
        mem_mb=4000,
        runtime=240,
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_fig6b_train.py"


rule liu2022_fig6b_figure:
    input:
        runs="results/liu2022/fig6b.csv",
        reference=REFERENCE_DIR / LIU["fig6b"]["reference_file"],
    output:
        pdf="results/liu2022/fig6b.pdf",
        png="results/liu2022/fig6b.png",
        numbers="results/liu2022/fig6b_numbers.csv",
        compare="results/liu2022/fig6b_vs_authors.csv",
    log:
        "results/logs/liu2022/fig6b_figure.log",
    params:
        cfg=LIU["fig6b"],
        phases=LIU["phases"],
        src=src("liu2022/fig6.py", "liu2022/phases.py", "plotting.py"),
    conda:
        CONDA_ENV
    script:
        "../scripts/liu2022_fig6b_figure.py"

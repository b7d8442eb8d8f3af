# The claim scorecard: one target per claim ID of both papers, gathered into results/claims.csv and CLAIMS.md.


localrules:
    claims_gather,
    provenance,


# One rule per claim ID, generated from the claim registry (grokrepro/registry.py): rule `claim_L03` writes
# results/claims/L-03.csv from the numbers the registry says it reads, with the evaluator the registry names. A claim
# without an evaluator yet (its issue has not landed) is recorded as `not_run`.
for _claim in CLAIM_REGISTRY.CLAIMS:

    rule:
        name:
            _claim.rule
        input:
            numbers=_claim.numbers,
            reference=[reference_file(f) for f in _claim.reference],
        output:
            _claim.target,
        log:
            f"results/logs/claims/{_claim.claim_id}.log",
        localrule: True
        params:
            claim=_claim.claim_id,
            scale=claim_scale(_claim.claim_id, CFG, SCALE),
            options=claim_options(_claim.claim_id, CFG),
            src=src("claims.py", "records.py", "registry.py", *_claim.sources),
        conda:
            CONDA_ENV
        script:
            "../scripts/claim.py"


rule claims_gather:
    input:
        records=expand("results/claims/{claim}.csv", claim=claim_ids()),
        robustness=expand("results/liu2022/{fig}_robustness_numbers.csv", fig=FIG6_PANELS),
    output:
        csv="results/claims.csv",
        md="results/CLAIMS.md",
    log:
        "results/logs/claims/gather.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/claims_gather.py"


rule provenance:
    input:
        "results/liu2022/fig4d_provenance.json",
        [panel_runs(f, s).replace(".csv", "_provenance.json") for f in FIG6_PANELS for s in panels.seeds(LIU[f])],
        [panel_runs(f).replace(".csv", "_provenance.json") for f in APPG_PANELS],
        "results/liu2022/runs/fig6d_contrast_provenance.json",
        expand("results/liu2022/{fig}_provenance.json", fig=MICRO_RULES),
        expand("results/zunkovic2022/{fig}_provenance.json", fig=[*ZUN_FIGURES, *fm_figures.FIGURES]),
        expand("results/zunkovic2022/fullmodel/{ensemble}_provenance.json", ensemble=FM_ENSEMBLES),
    output:
        "results/provenance.json",
    log:
        "results/logs/provenance.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/provenance.py"


rule report_md:
    input:
        claims="results/claims.csv",
        provenance="results/provenance.json",
        errata="results/zunkovic2022/errata.md",
    output:
        "results/REPORT.md",
    log:
        "results/logs/report.log",
    localrule: True
    params:
        src=src("report.py"),
    conda:
        CONDA_ENV
    script:
        "../scripts/report_md.py"

# The claim scorecard: one target per claim ID of both specs, gathered into results/claims.csv and CLAIMS.md.


localrules:
    claims_gather,
    provenance,


# Claims evaluated together from the same figure outputs (one job each); every other claim is `not_run` until its
# issue lands. Each claim ID is still its own target: results/claims/<ID>.csv.
CLAIM_GROUPS = {
    "liu2022_table1": (["L-02"], {"reference": [str(REFERENCE_DIR / f) for f in (
        "data_add_r_reprlr.h5", "data_add_r.h5", "data_add_c.h5", "data_perm_r.h5")]}),
    "liu2022_fig4d": (["L-05", "L-06"], {"numbers": "results/liu2022/fig4d_numbers.csv"}),
    "liu2022_fig6b": (["L-16", "L-17", "L-22"], {"numbers": "results/liu2022/fig6b_numbers.csv"}),
}
_grouped = {c for ids, _ in CLAIM_GROUPS.values() for c in ids}
CLAIM_GROUPS["not_run"] = ([c for c in claim_ids() if c not in _grouped], {})

for _group, (_ids, _inputs) in CLAIM_GROUPS.items():

    rule:
        name:
            f"claims_{_group}"
        input:
            **_inputs,
        output:
            [f"results/claims/{c}.csv" for c in _ids],
        log:
            f"results/logs/claims/{_group}.log",
        localrule: True
        params:
            ids=_ids,
            scale=SCALE,
            phases=LIU["phases"],
            src=src("claims.py", "liu2022/claims.py", "liu2022/phases.py"),
        conda:
            CONDA_ENV
        run:
            write_claim_records(params.ids, input, output, params)


rule claims_gather:
    input:
        expand("results/claims/{claim}.csv", claim=claim_ids()),
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
        "results/liu2022/fig6b_provenance.json",
    output:
        "results/provenance.json",
    log:
        "results/logs/provenance.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/provenance.py"

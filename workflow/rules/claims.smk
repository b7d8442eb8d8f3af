# The claim scorecard: one target per claim ID of both papers, gathered into results/claims.csv and CLAIMS.md.


localrules:
    claims_gather,
    provenance,


# Claims evaluated together from the same figure outputs (one job each); every other claim is `not_run` until its
# issue lands. Each claim ID is still its own target: results/claims/<ID>.csv.
CLAIM_GROUPS = {
    "liu2022_table1": (["L-02"], {"reference": lambda wc: [reference_file(f) for f in (
        "data_add_r_reprlr.h5", "data_add_r.h5", "data_add_c.h5", "data_perm_r.h5")]}),
    "liu2022_fig4d": (["L-05", "L-06"], {"numbers": "results/liu2022/fig4d_numbers.csv"}),
    "liu2022_setup": (["L-01"], {}),
}
# Issue #3: claims read from one figure's numbers (L-33 also takes Fig 4a's smallest nullity-2 training set).
for _fig, _ids in {"fig3": ["L-09", "L-10"], "fig4a": ["L-03"], "fig4b": ["L-04"], "fig4c": ["L-07", "L-13"],
                   "fig5": ["L-08", "L-11", "L-12"], "fig9": ["L-34"], "fig12": ["L-35"], "fig17": ["L-39"],
                   "fig18": ["L-40"], "fig2": ["L-42"]}.items():
    CLAIM_GROUPS[f"liu2022_{_fig}"] = (_ids, {"numbers": f"results/liu2022/{_fig}_numbers.csv"})
CLAIM_GROUPS["liu2022_fig10"] = (["L-33"], {"numbers": ["results/liu2022/fig10_numbers.csv",
                                                        "results/liu2022/fig4a_numbers.csv"]})
# Issue #4: phase-diagram claims read every seed's numbers (fig6_claim_numbers in common.smk).
for _fig, _ids in {"fig6a": ["L-14", "L-15"], "fig6b": ["L-16", "L-17"], "fig6c": ["L-18", "L-19"],
                   "fig6d": ["L-20", "L-21"]}.items():
    CLAIM_GROUPS[f"liu2022_{_fig}"] = (_ids, {"numbers": fig6_claim_numbers(_fig)})
CLAIM_GROUPS["liu2022_fig6bcd"] = (["L-22", "L-23"], {"numbers": fig6_claim_numbers("fig6b", "fig6c", "fig6d")})
for _fig, _id in {"fig13": "L-36", "fig14": "L-37", "fig15": "L-38"}.items():
    CLAIM_GROUPS[f"liu2022_{_fig}"] = ([_id], {"numbers": f"results/liu2022/{_fig}_numbers.csv"})
# Issue #5: the Žunkovič solvable-model claims, each read from its figure's numbers.
for _fig in ZUN_FIGURES:
    _ids = [c for c in ZUN_CLAIMS if ZUN_FIGURE_OF[c] == _fig]
    if _ids:
        CLAIM_GROUPS[f"zunkovic2022_{_fig}"] = (_ids, {"numbers": f"results/zunkovic2022/{_fig}_numbers.csv"})
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
            options={"L-12": {"primary": LIU["fig5"]["normalisation"]}},
            src=src("claims.py", "records.py", "liu2022/claims.py", "liu2022/claims_micro.py",
                    "liu2022/claims_phase.py", "liu2022/phases.py", *ZUN_CLAIM_SRC),
        conda:
            CONDA_ENV
        run:
            write_claim_records(params.ids, input, output, params)


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
        expand("results/zunkovic2022/{fig}_provenance.json", fig=ZUN_FIGURES),
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

# grokrepro: reproduce every claim of Liu et al. (2022) and Žunkovič & Ilievski (2022).
#   snakemake --cores all                                  # everything, paper scale
#   snakemake --cores all --config scale=quick             # the same DAG, small grids and budgets (CI)
#   snakemake --cores all results/liu2022/fig6b.pdf        # one figure
from snakemake.utils import min_version

min_version("9.0")


# absolute, so that `--directory DIR` finds the config too
configfile: f"{workflow.basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/liu2022.smk"
include: "workflow/rules/zunkovic2022.smk"
include: "workflow/rules/zunkovic2022_fullmodel.smk"
include: "workflow/rules/claims.smk"


rule all:
    input:
        get_final_output(),
    default_target: True


onstart:
    # Checked here, not at parse time: only now is it known whether jobs run on this machine (a SLURM submit host
    # without a GPU may send device=cuda jobs to GPU nodes). Dry runs do not call onstart.
    if workflow.local_exec:
        try:
            gconfig.check_device(config["device"])
        except gconfig.ConfigError as err:
            raise WorkflowError(f"invalid configuration: {err}") from None

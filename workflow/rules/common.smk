# Shared helpers: config validation, scale resolution, output lists, source hashes.
import sys
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir)))
from grokrepro import config as gconfig  # noqa: E402
from grokrepro import registry as CLAIM_REGISTRY  # noqa: E402
from grokrepro.claims import claim_ids, options as claim_options, scale_of as claim_scale  # noqa: E402
from grokrepro.hashing import source_hash  # noqa: E402
from grokrepro.liu2022 import panels  # noqa: E402
from grokrepro.zunkovic2022 import figures as zfigures  # noqa: E402
from grokrepro.zunkovic2022 import fm_figures  # noqa: E402

# `--config progress=false` arrives as a string; accept the usual spellings of a boolean.
if isinstance(config.get("progress"), str) and config["progress"].lower() in ("true", "false"):
    config["progress"] = config["progress"].lower() == "true"
try:
    _schema_message = gconfig.schema_error(config)
    if _schema_message:
        raise gconfig.ConfigError(_schema_message)
    validate(config, Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml")  # fills defaults
    gconfig.check(config)
    gconfig.check_writable("results")
    ROOT = Path(workflow.basedir)
    REFERENCE_DIR = Path(config["reference_dir"])
    if not REFERENCE_DIR.is_absolute():
        REFERENCE_DIR = ROOT / REFERENCE_DIR
    gconfig.check_reference_dir(REFERENCE_DIR, gconfig.reference_files(config))
except gconfig.ConfigError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None

SCALE = config["scale"]
CFG = gconfig.for_scale(config, SCALE)
LIU = CFG["liu2022"]
CONDA_ENV = "../envs/grokrepro.yaml"
# Training rules declare the GPUs they use: one when they will run on CUDA (`device: cuda`, or `auto` on a machine
# with a GPU), so `--resources gpu=1` (profiles/gpu) queues them on one card and the SLURM executor asks for --gpus.
GPU_PER_TRAINING_JOB = int(config["device"] == "cuda" or (config["device"] == "auto" and gconfig.cuda_available()))


def src(*modules):
    """Hash of the grokrepro sources a rule uses (Snakemake does not notice edits to an imported package)."""
    pkg = ROOT / "grokrepro"
    files = [pkg / m for m in modules]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        raise WorkflowError(f"source files not found: {missing}")
    return source_hash(files)


TRAIN_SRC = ("train.py", "liu2022/tasks.py", "liu2022/rqi.py")

# Phase-diagram panels (issue #4): one run table per (panel, seed).
FIG6_PANELS = ("fig6a", "fig6b", "fig6c", "fig6d")
APPG_PANELS = ("fig13", "fig14", "fig15")
PANEL_SRC = (*TRAIN_SRC, "liu2022/panels.py", "liu2022/phases.py")


def panel_runs(panel, seed=None):
    """The run table of one panel and seed (default: the paper's seed)."""
    return f"results/liu2022/runs/{panel}_seed{LIU[panel]['seed'] if seed is None else seed}.csv"


def reference_file(name):
    """An authors' file under reference_dir (checked up front, with the rest of the config)."""
    return str(REFERENCE_DIR / name)


def panel_reference(wildcards):
    """The authors' h5 file of a panel, or nothing (App G has no published data)."""
    name = LIU[wildcards.panel].get("reference_file")
    return [reference_file(name)] if name else []


PAPER_TITLES = {"liu2022": "Liu et al. (2022), Towards Understanding Grokking",
                "zunkovic2022": "Žunkovič & Ilievski (2022), Grokking phase transitions"}


def figure_caption(paper, figure, robustness=False):
    """The `snakemake --report` caption of a figure: which paper figure it is and the claims it carries."""
    ids = [c.claim_id for c in CLAIM_REGISTRY.implemented()
           if any(stem in (f"{paper}/{figure}", f"{paper}/{figure}_robustness") for stem in c.reads)]
    what = "per-cell phase frequencies over the paper's seed and the robustness seeds" if robustness else (
        "the figure as the pipeline draws it")
    claims = f"Claims: {', '.join(ids)} (verdicts in results/CLAIMS.md and results/REPORT.md)." if ids else ""
    return (f"{PAPER_TITLES[paper]}, {figure} at {SCALE} scale: {what}. {claims} "
            f"Data: results/{paper}/{figure}{'_robustness' if robustness else ''}.csv and _numbers.csv.")


def figure_outputs(paper, figure):
    base = f"results/{paper}/{figure}"
    return [f"{base}.pdf", f"{base}.png", f"{base}.csv", f"{base}_numbers.csv"]


def get_final_output():
    out = ["results/claims.csv", "results/CLAIMS.md", "results/provenance.json", "results/REPORT.md"]
    for fig in ("fig2", "fig3", "fig4a", "fig4b", "fig4c", "fig4d", "fig5", "fig6a", "fig6b", "fig6c", "fig6d", "fig9",
                "fig10", "fig12", "fig13", "fig14", "fig15", "fig17", "fig18"):
        out += figure_outputs("liu2022", fig)
    for fig in ("fig6a", "fig6b", "fig6c", "fig6d"):
        out += [f"results/liu2022/{fig}_robustness{ext}" for ext in (".pdf", ".png", ".csv", "_numbers.csv")]
    for fig in (*zfigures.FIGURES, *fm_figures.FIGURES):
        out += figure_outputs("zunkovic2022", fig)
    out.append("results/zunkovic2022/errata.md")
    return out

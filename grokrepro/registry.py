"""The claim registry: per claim ID, the figure numbers it reads, the Snakemake rule that scores it and its evaluator
(a function object). This table is the one place a claim is wired to code; the claim rules
(``workflow/rules/claims.smk``), :func:`grokrepro.claims.evaluate` and the tests' maps are generated from it.

The paper's side of each claim (statement, printed value, issue) is the text table
``grokrepro/data/claims_registry.csv``; :func:`check` asserts that both list the same IDs in the same order.

From a claim ID to its code, two hops: find the ID below (hop 1); its line names the numbers it reads (``reads``:
``results/<reads>_numbers.csv``, made by the figure's builder in :mod:`grokrepro.liu2022.figures` or
:mod:`grokrepro.zunkovic2022.figures`) and its evaluator (hop 2). Its rule is ``claim_<ID without the dash>``,
e.g. ``snakemake --cores 1 results/claims/L-03.csv`` runs ``claim_L03``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from grokrepro.liu2022 import claims as liu
from grokrepro.liu2022 import claims_fig2
from grokrepro.liu2022 import claims_mnist as mnist
from grokrepro.liu2022 import claims_micro as micro
from grokrepro.liu2022 import claims_phase as phase
from grokrepro.liu2022 import claims_transformer as tx
from grokrepro.records import claim_ids, registry as claim_text
from grokrepro.zunkovic2022 import claims_ball as ball
from grokrepro.zunkovic2022 import claims_exp1d as exp1d
from grokrepro.zunkovic2022 import claims_fa_examples as fa_examples
from grokrepro.zunkovic2022 import claims_fixed_attention as fixed_attention
from grokrepro.zunkovic2022 import claims_fullmodel as fullmodel
from grokrepro.zunkovic2022 import claims_tn
from grokrepro.zunkovic2022 import perceptron

PHASE_QUICK = "quick scale: sub-grid and 10^4-step budget (late grokking reads as M), not comparable to the paper"
ZUN_QUICK = "quick scale: fewer Monte Carlo draws and runs (tolerances scale with their standard errors)"
TN_QUICK = "quick scale: fewer sequence lengths and random test sequences (the checks are exact)"
FA_QUICK = ("quick scale: fewer B initialisations / random attention tensors (2e3, not 2e4) and 10 instead of 100 "
            "random test sequences")
FA_EXAMPLES_QUICK = ("quick scale: 10 instead of 100 random test sequences (so other seeded examples), 100 instead of "
                     "1000 B initialisations, 20 instead of 100 sampled tensors; not comparable to the paper scale")
FM_FIDELITY = "zunkovic2022.fullmodel.fidelity"
FM_QUICK = ("quick fidelity: 8 inits per configuration, d in {3, 5}, at most 150 epochs, 20 x 500 test sites: a "
            "smoke test of the pipeline, not comparable to the paper")
FM_CPU = ("cpu fidelity (in-between, not paper scale): 64 inits per configuration instead of ~1000, d in {3, 5, 10} "
          "instead of up to 40, at most 1000 epochs instead of 7000 (200 after t_eps instead of 400), 100 x 1000 test "
          "sites instead of 1000 x 1000; App. D at d = 10 without L2")
MNIST_FIDELITY = "liu2022.mnist.fidelity"
TX_FIDELITY = "liu2022.transformer.fidelity"
# The overlay that selects a claim family's in-between `cpu` fidelity (README, REPORT.md commands).
CPU_OVERLAYS = {FM_FIDELITY: "config/overlays/fullmodel_cpu.yaml", MNIST_FIDELITY: "config/overlays/mnist_cpu.yaml",
                TX_FIDELITY: "config/overlays/transformer_cpu.yaml"}
MNIST_QUICK = ("quick fidelity: Fig 8a 2,000 steps; Fig 8b a 3 x 3 grid for 1,000 steps; Fig 20 sizes 128 and 1,024, "
               "one seed, 1,000 steps: a smoke test of the pipeline, not comparable to the paper")
MNIST_CPU = ("cpu fidelity (in-between, not paper scale): Fig 8a as at paper scale (10^5 steps); Fig 8b an 8 x 8 grid "
             "for 2 x 10^4 steps instead of 20 x 20 for 10^5; Fig 20 two weight decays (0.1, 0.3) and seeds 0-1 for "
             "2 x 10^4 steps instead of nine weight decays and seeds 0-2 for 10^5")
_FIG19_SAME = "Fig 19 itself is the same run at every fidelity (100 Adam steps on the 1,000 training images)"
MNIST_FIG19_QUICK = f"quick fidelity (the MNIST figures as a whole); {_FIG19_SAME}"
MNIST_FIG19_CPU = f"cpu fidelity (in-between, not paper scale: the MNIST figures as a whole); {_FIG19_SAME}"
TX_QUICK = ("quick fidelity: a 1-layer transformer with d_model 32 (not 2 layers, d_model 256), 1,500 steps, 2 seeds, "
            "dropout {0, 0.5} on one seed, decoder wd {0, 1} at lr 1e-3 (a 1 x 2 plane): a smoke test of the pipeline, "
            "not comparable to the paper")
TX_CPU = ("cpu fidelity (in-between, not paper scale): a 1-layer transformer with d_model 64 (not 2 layers, d_model "
          "256), 3,000 steps (not 3 x 10^4 - 10^5), 8 seeds (not 100), dropout {0, 0.1, 0.2, 0.3, 0.5} on 2 seeds, a "
          "4 x 4 lr x wd grid (not 7 x 7), Table 1's gap 500 steps (not 10^3)")
# The authors' Fig 6 files that L-02 reads (under config reference_dir).
TABLE1_FILES = ("data_add_r_reprlr.h5", "data_add_r.h5", "data_add_c.h5", "data_perm_r.h5")


@dataclass(frozen=True)
class Claim:
    """One claim's wiring. ``reads``: numbers stems (``results/<stem>_numbers.csv``), stacked in this order;
    ``reference``: the authors' files it reads instead; ``quick``: the note a quick-scale record carries;
    ``options``: config keys passed to the evaluator as keyword arguments (evaluator keyword -> config path);
    ``fidelity``: for a claim whose figures run at a fidelity of their own (the full model: quick, cpu or paper), the
    config path naming it; the record's ``scale`` is then that fidelity, and ``cpu`` the note a cpu-fidelity record
    carries."""

    claim_id: str
    evaluator: Callable
    reads: tuple[str, ...] = ()
    reference: tuple[str, ...] = ()
    quick: str = ""
    options: dict = field(default_factory=dict)
    fidelity: str = ""
    cpu: str = ""

    @property
    def rule(self) -> str:
        return "claim_" + self.claim_id.replace("-", "")

    @property
    def target(self) -> str:
        return f"results/claims/{self.claim_id}.csv"

    @property
    def numbers(self) -> list[str]:
        return [f"results/{stem}_numbers.csv" for stem in self.reads]

    @property
    def artifact(self) -> str:
        """The figure a reader should look at: the first numbers file's figure."""
        return f"results/{self.reads[0].replace('_robustness', '')}.pdf" if self.reads else ""

    @property
    def source(self) -> str:
        """The evaluator's module, as a path under grokrepro/ ("" without an evaluator)."""
        return self.evaluator.__module__.removeprefix("grokrepro.").replace(".", "/") + ".py" if self.evaluator \
            else ""

    @property
    def sources(self) -> tuple[str, ...]:
        """The evaluator's module and the grokrepro modules it imports (paths under grokrepro/): what the claim's
        rule hashes, so editing them reruns it."""
        if not self.evaluator:
            return ()
        return (self.source, *_imports(self.source))


def _imports(source: str) -> tuple[str, ...]:
    """The grokrepro modules (paths under grokrepro/) that ``source`` imports, in order of appearance."""
    import ast
    from pathlib import Path

    pkg = Path(__file__).resolve().parent
    found = []
    for node in ast.walk(ast.parse((pkg / source).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("grokrepro"):
            for alias in node.names:
                for mod in (f"{node.module}.{alias.name}", node.module):
                    path = mod.removeprefix("grokrepro").lstrip(".").replace(".", "/") + ".py"
                    if mod != "grokrepro" and (pkg / path).exists():
                        found.append(path)
                        break
    return tuple(dict.fromkeys(p for p in found if p != source))


def _fig6(*panels: str) -> tuple[str, ...]:
    """Every seed's numbers (the robustness rule's, paper seed included) and the figure's own (the paper seed's rows,
    plus Fig 6d's contrast runs for L-21)."""
    return tuple(f"liu2022/{p}{kind}" for p in panels for kind in ("_robustness", ""))


def _liu(fig: str) -> tuple[str, ...]:
    return (f"liu2022/{fig}",)


def _zun(fig: str) -> tuple[str, ...]:
    return (f"zunkovic2022/{fig}",)


_q = micro.QUICK_REDUCED
CLAIMS: tuple[Claim, ...] = (
    # Liu et al. (2022): setup and Table 1
    Claim("L-01", micro.dataset_counts),
    Claim("L-02", liu.table1_classifier, reference=TABLE1_FILES, options={"gap": "liu2022.phases.gap"}),
    # microscopic figures (issue #3)
    Claim("L-03", micro.fig4a_crossing, _liu("fig4a"), quick=_q["L-03"]),
    Claim("L-04", micro.fig4b_rqi_steps, _liu("fig4b"), quick=_q["L-04"]),
    Claim("L-05", liu.default_run_outcome, _liu("fig4d")),
    Claim("L-06", liu.default_run_loss_decreases, _liu("fig4d")),
    Claim("L-07", micro.fig4c_l0_decay, _liu("fig4c")),
    Claim("L-08", micro.default_split_n_h, _liu("fig5")),
    Claim("L-09", micro.fig3_diagonal, _liu("fig3"), quick=_q["L-09"]),
    Claim("L-10", micro.fig3c_acc_agreement, _liu("fig3"), quick=_q["L-10"]),
    Claim("L-11", micro.fig5a_lambda3, _liu("fig5"), quick=_q["L-11"]),
    Claim("L-12", micro.fig5b_n_h_trend, _liu("fig5"), quick=_q["L-12"],
          options={"primary": "liu2022.fig5.normalisation"}),
    Claim("L-13", micro.flow_conservation, _liu("fig4c")),
    # phase diagrams (issue #4)
    Claim("L-14", phase.fig6a_goldilocks_map, _fig6("fig6a"), quick=PHASE_QUICK),
    Claim("L-15", phase.fig6a_anchor_steps, _fig6("fig6a"), quick=PHASE_QUICK),
    Claim("L-16", phase.fig6b_addition_regression_map, _fig6("fig6b"), quick=PHASE_QUICK),
    Claim("L-17", phase.fig6b_anchor_steps, _fig6("fig6b"), quick=PHASE_QUICK),
    Claim("L-18", phase.fig6c_addition_classification_map, _fig6("fig6c"), quick=PHASE_QUICK),
    Claim("L-19", phase.fig6c_anchor_steps, _fig6("fig6c"), quick=PHASE_QUICK),
    Claim("L-20", phase.fig6d_s3_map, _fig6("fig6d"), quick=PHASE_QUICK),
    Claim("L-21", phase.fig6d_anchor_steps_and_contrast, _fig6("fig6d"), quick=PHASE_QUICK),
    Claim("L-22", phase.fig6bcd_corners, _fig6("fig6b", "fig6c", "fig6d"), quick=PHASE_QUICK),
    Claim("L-23", phase.fig6bcd_grokking_gaps, _fig6("fig6b", "fig6c", "fig6d"), quick=PHASE_QUICK),
    # transformer (issue #22), at the fidelity liu2022.transformer.fidelity selects
    *(Claim(cid, f, reads, quick=TX_QUICK, cpu=TX_CPU, fidelity=TX_FIDELITY) for cid, f, reads in (
        ("L-24", tx.fig7_left_effdim, _liu("fig7_left")), ("L-25", tx.fig7_centre_dropout, _liu("fig7_centre")),
        ("L-26", tx.fig7_right_weight_decay, _liu("fig7_right")), ("L-27", tx.fig7_right_adjacency, _liu("fig7_right")),
        ("L-28", tx.fig1_circle, _liu("fig1")), ("L-29", tx.fig22_reconstruction, _liu("fig22")))),
    # MNIST (issue #21), at the fidelity liu2022.mnist.fidelity selects
    *(Claim(cid, f, _liu(fig), quick=MNIST_QUICK, cpu=MNIST_CPU, fidelity=MNIST_FIDELITY) for cid, f, fig in (
        ("L-30", mnist.fig8a_grokking_curve, "fig8a"), ("L-31", mnist.fig8b_phase_layout, "fig8b"),
        ("L-32", mnist.fig20_critical_size, "fig20"))),
    Claim("L-33", micro.fig10_ideal_bounds, (*_liu("fig10"), *_liu("fig4a")), quick=_q["L-33"]),
    Claim("L-34", micro.fig9_curriculum, _liu("fig9")),
    Claim("L-35", micro.fig12_lr_hierarchy, _liu("fig12"), quick=_q["L-35"]),
    Claim("L-36", phase.fig13_batch_size, _liu("fig13"), quick=PHASE_QUICK),
    Claim("L-37", phase.fig14_init_scale, _liu("fig14"), quick=PHASE_QUICK),
    Claim("L-38", phase.fig15_repr_weight_decay, _liu("fig15"), quick=PHASE_QUICK),
    Claim("L-39", micro.fig17_hexagon, _liu("fig17"), quick=_q["L-39"]),
    Claim("L-40", micro.fig18_s3_threshold, _liu("fig18"), quick=_q["L-40"]),
    Claim("L-41", mnist.fig19_effective_loss, _liu("fig19"), quick=MNIST_FIG19_QUICK, cpu=MNIST_FIG19_CPU,
          fidelity=MNIST_FIDELITY),
    Claim("L-42", claims_fig2.fig2_embedding_geometry, _liu("fig2"), quick=_q["L-42"]),
    # Žunkovič & Ilievski (2022), 1D exponential model
    *(Claim(cid, f, _zun(fig), quick=ZUN_QUICK) for cid, f, fig in (
        ("Z-01", exp1d.eq6_bias_trajectory, "exp1d_dynamics"), ("Z-02", exp1d.eq7_test_error, "exp1d_dynamics"),
        ("Z-03", exp1d.eq9_exponent, "exp1d_dynamics"), ("Z-04", exp1d.eq10_averaged_error, "exp1d_dynamics"),
        ("Z-05", exp1d.eq11_zero_error_condition, "exp1d_dynamics"),
        ("Z-06", exp1d.eq13_14_p_grok_quadrature, "fig2"), ("Z-07", exp1d.eq15_closed_form, "fig2"),
        ("Z-08", exp1d.fig2_p_grok_trends, "fig2"), ("Z-09", exp1d.small_gap_limit, "fig2"),
        ("Z-10", exp1d.eq16_grokking_time, "exp1d_dynamics"),
        ("Z-11", exp1d.eq17_t_grok_pdf, "fig3"), ("Z-12", exp1d.fig3_mean_t_grok_trends, "fig3"),
        # ball model
        ("Z-13", ball.eq23_ball_exponent, "ball_exponent"), ("Z-14", ball.eq50_boundary_exponent, "ball_exponent"),
        ("Z-15", ball.fig5_p_grok_trends, "fig5"), ("Z-16", ball.eps_one_never_groks, "fig5"),
        ("Z-17", ball.best_lambda1_above_090, "fig5"), ("Z-18", ball.large_d_limit, "fig5"),
        ("Z-19", ball.eq33_bound_via_maxima, "fig5"), ("Z-20", ball.decay_in_d_near_eps_one, "fig5"),
        ("Z-21", ball.eq45_p_fast, "fig6"), ("Z-22", ball.eq47_slow_t_grok, "fig6"),
        ("Z-23", ball.eq43_45_fast_pdf, "fig6"), ("Z-24", ball.fig6_trends, "fig6"),
        ("Z-25", ball.bimodal_t_grok, "fig6"))),
    # Sec. 4: cellular automata and tensor networks (issue #20)
    Claim("Z-26", claims_tn.rule30_truth_table, _zun("fig8"), quick=TN_QUICK),
    Claim("Z-27", claims_tn.tn_map_feature_dimension, _zun("fig8"), quick=TN_QUICK),
    Claim("Z-28", claims_tn.exact_attention_separable_features, _zun("fig8"), quick=TN_QUICK),
    Claim("Z-29", fixed_attention.exact_attention_first_order_jump, _zun("fig9"), quick=FA_QUICK),
    Claim("Z-30", fixed_attention.random_attention_pgrok_vs_regularisation, _zun("fig10"), quick=FA_QUICK),
    Claim("Z-31", fa_examples.fixed_attention_nu_below_one, _zun("fig11"), quick=FA_EXAMPLES_QUICK),
    Claim("Z-32", fa_examples.table1_eq50_relation, (*_zun("fig12"), *_zun("fig11")), quick=FA_EXAMPLES_QUICK),
    Claim("Z-33", fa_examples.fixed_attention_bimodal_t_grok, _zun("fig13"), quick=FA_EXAMPLES_QUICK),
    Claim("Z-34", fa_examples.fixed_attention_t_grok_trends, _zun("fig13"), quick=FA_EXAMPLES_QUICK),
    # Sec. 4.3.2 and App. D: the full model, at the fidelity zunkovic2022.fullmodel.fidelity selects
    *(Claim(cid, f, reads, quick=FM_QUICK, cpu=FM_CPU, fidelity=FM_FIDELITY) for cid, f, reads in (
        ("Z-35", fullmodel.full_model_nu, _zun("fig14")), ("Z-36", fullmodel.nu_weakly_depends_on_d, _zun("fig14")),
        ("Z-37", fullmodel.post_transition_spikes, _zun("fig14")),
        ("Z-38", fullmodel.deff_drops_before_transition, _zun("fig15")),
        ("Z-39", fullmodel.spikes_coincide_with_deff_steps, _zun("fig16")),
        ("Z-40", fullmodel.structure_and_generalisation_decouple, _zun("fig17")),
        ("Z-41", fullmodel.t_grok_vs_regularisation_and_d, _zun("fig18")),
        ("Z-42", fullmodel.lasso_beats_ridge_summary, (*_zun("fig18"), *_zun("fig15"))),
        ("Z-43", fullmodel.k_local_rules, _zun("appD")))),
    Claim("Z-44", perceptron.teacher_student_one_over_alpha, _zun("perceptron"), quick=ZUN_QUICK),
)
BY_ID = {c.claim_id: c for c in CLAIMS}


def get(claim_id: str) -> Claim:
    if claim_id not in BY_ID:
        raise KeyError(f"unknown claim ID {claim_id!r}; known: L-01 ... L-42, Z-01 ... Z-44 "
                       "(grokrepro/registry.py)")
    return BY_ID[claim_id]


def implemented() -> list[Claim]:
    """Claims with an evaluator (the rest are ``not_run`` until their issue lands)."""
    return [c for c in CLAIMS if c.evaluator is not None]


def check() -> None:
    """The wiring and the text table list the same claim IDs in the same order; every evaluator has a docstring."""
    ids = [c.claim_id for c in CLAIMS]
    if ids != claim_ids():
        raise AssertionError(f"grokrepro/registry.py and grokrepro/data/claims_registry.csv disagree: "
                             f"{sorted(set(ids) ^ set(claim_ids()))} or the order differs")
    undocumented = [c.claim_id for c in implemented() if not (c.evaluator.__doc__ or "").strip()]
    if undocumented:
        raise AssertionError(f"evaluators without a docstring: {undocumented}")


def paper_of(claim_id: str) -> str:
    return claim_text().set_index("claim_id").loc[claim_id, "paper"]

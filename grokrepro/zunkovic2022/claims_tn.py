"""Evaluators for the Sec. 4 teacher and tensor-network map claims Z-26 … Z-28 (docs/decisions.md, Rule 30 and the
tensor-network student), reading only the numbers of ``results/zunkovic2022/fig8_numbers.csv``
(:func:`grokrepro.zunkovic2022.tn_figures.fig8`). Every check is exact (a count that must be 0 or 8, or a float
identity within a round-off tolerance), so the evidence is ``derivation``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro import records
from grokrepro.records import ClaimRecord

# Float identities (normalisation, contraction, Gram matrix, margin = 1/√8) hold to round-off; 1e-9 leaves six
# orders of magnitude above the ~1e-15 measured. A separation margin must exceed it to count as > 0.
ROUND_OFF = 1e-9


def _ints(values) -> list[int]:
    """Sorted distinct values as plain ints (for the record's text)."""
    return sorted({int(v) for v in values})


def _counts(numbers: pd.DataFrame, quantity: str) -> np.ndarray:
    return records.select(numbers, quantity, "simulation").value.astype(float).to_numpy()


def _all_zero(numbers: pd.DataFrame, quantity: str) -> tuple[bool, str]:
    """(every row of ``quantity`` is 0 and there is at least one, 'total over n rows')."""
    v = _counts(numbers, quantity)
    return bool(len(v) and np.all(v == 0)), f"{np.nansum(v):g} over {len(v)} row(s)"


def _max_dev(numbers: pd.DataFrame, quantity: str) -> tuple[bool, float]:
    v = _counts(numbers, quantity)
    m = float(np.max(v)) if len(v) else np.nan
    return bool(len(v) and m <= ROUND_OFF), m


def rule30_truth_table(numbers: pd.DataFrame, scale: str, artifact: str, note: str = "") -> ClaimRecord:
    """Z-26: rule 30's ±1 truth table (p. 19) equals x_{i−1} XOR (x_i OR x_{i+1}) in bits; the K-local rules are
    rule 30 applied K times with one −1 cell padded at each open end."""
    if records.select(numbers, "truth_table_mismatches_xor", "simulation").empty:
        return records.missing("Z-26", "no truth_table_mismatches_xor row in the numbers", scale, artifact, note)
    xor = records.value(numbers, "truth_table_mismatches_xor", "simulation")
    checks = [records.central("p. 19 table = x_{i−1} XOR (x_i OR x_{i+1})", xor == 0,
                              f"{xor:g} of 8 neighbourhoods differ", "0 of 8")]
    for quantity, name in (("truth_table_mismatches_wolfram", "table = Wolfram code 30"),
                           ("truth_table_mismatches_sum_form", "table = (x_{i−1}+x_i+x_{i+1}+x_i x_{i+1}) mod 2"),
                           ("truth_table_mismatches_pm1_form", "table = −x_{i−1}·max(x_i, x_{i+1}) in ±1"),
                           ("pm1_bits_mismatches", "±1 and bit implementations agree (K = 1, 2, 3, open BC)"),
                           ("bulk_locality_mismatches", "K-fold rule depends only on x_{i−K} … x_{i+K} (bulk)"),
                           ("open_boundary_mismatches", "end sites = table with a −1 cell outside (Z-D18)")):
        ok, measured = _all_zero(numbers, quantity)
        checks.append(records.Check(name, ok, measured + " mismatching", "0"))
    ks = _ints(records.select(numbers, "bulk_locality_mismatches").K.dropna())
    measured = (f"table vs XOR form: {xor:g}/8 mismatches; Wolfram code 30, the mod-2 sum form and the ±1 form "
                f"agree; K = {ks} on seeded random sequences: ±1 = bits, bulk locality and open-boundary padding "
                f"without a mismatch" if all(c.passed for c in checks) else
                "; ".join(f"{c.name}: {c.measured}" for c in checks))
    return records.judge("Z-26", measured, "exact: 0 mismatches", checks, scale, artifact, note,
                         evidence="derivation")


def tn_map_feature_dimension(numbers: pd.DataFrame, scale: str, artifact: str, note: str = "") -> ClaimRecord:
    """Z-27: the tensor-network map sends length-M sequences to z_i ∈ R^{2d²}, and the student B·z_i is a perceptron
    in D = 2d² dimensions."""
    sim = records.select(numbers, "feature_dim", "simulation")
    if sim.empty:
        return records.missing("Z-27", "no simulated feature_dim rows in the numbers", scale, artifact, note)
    dims = _ints(sim.d)
    wrong = [f"d={int(r.d)}, M={int(r.M)}: {r.value:g}" for r in sim.itertuples() if r.value != 2 * r.d ** 2]
    shape_ok, shape_measured = _all_zero(numbers, "feature_shape_mismatch")
    theory_ok = all(records.value(numbers, "feature_dim", "theory", d=d) == 2 * d * d for d in dims)
    ctx_ok, ctx = _max_dev(numbers, "context_norm_max_dev")
    feat_ok, feat = _max_dev(numbers, "feature_norm_max_dev")
    ident_ok, ident = _max_dev(numbers, "perceptron_identity_max_abs_diff")
    checks = [records.central("dim z_i = 2d² for every d and M", not wrong and shape_ok and theory_ok,
                              "; ".join(wrong) or f"2d² at d = {dims}, shapes (n, M, 2d²): {shape_measured} wrong",
                              "exact"),
              records.Check("left/right contexts L2-normalised", ctx_ok, f"max |‖·‖ − 1| = {ctx:.1e}",
                            f"≤ {ROUND_OFF:g}"),
              records.Check("‖z_i‖ = 1", feat_ok, f"max |‖z‖ − 1| = {feat:.1e}", f"≤ {ROUND_OFF:g}"),
              records.Check("vec(B)·z_i = L_iᵀ B(x_i) R_i (perceptron in D = 2d²)", ident_ok,
                            f"max abs diff {ident:.1e}", f"≤ {ROUND_OFF:g}")]
    measured = (f"feature dimension {', '.join(f'{2 * d * d} (d = {d})' for d in dims)} at M = "
                f"{_ints(sim.M)}; contexts normalised to {ctx:.1e}; the contraction equals "
                f"vec(B)·z to {ident:.1e}")
    return records.judge("Z-27", measured, f"dimension exact; identities ≤ {ROUND_OFF:g}", checks, scale, artifact,
                         note, evidence="derivation")


def exact_attention_separable_features(numbers: pd.DataFrame, scale: str, artifact: str,
                                       note: str = "") -> ClaimRecord:
    """Z-28: the exact bond-dimension-4 attention gives exactly 8 distinct, linearly separable features for rule 30
    (hard-margin certificate)."""
    def sel(quantity):
        return records.select(numbers, quantity, "simulation", d=4)

    distinct, margin = sel("distinct_features"), sel("margin")
    if distinct.empty or margin.empty:
        return records.missing("Z-28", "no d = 4 distinct_features / margin rows in the numbers", scale, artifact,
                               note)
    lengths = _ints(distinct.M)
    n_distinct = _ints(distinct.value)
    m_min = float(margin.value.min())
    theory_margin = records.value(numbers, "margin", "theory", d=4)

    def zero(q):
        v = sel(q).value.astype(float)
        return bool(len(v) and (v == 0).all()), f"{v.sum():g} over {len(v)} length(s)"

    conflicts_ok, conflicts = zero("label_conflicts")
    train_ok, train = zero("ls_train_errors")
    test_ok, test = zero("ls_test_errors")
    test_sites = records.value(numbers, "test_sites", "simulation", d=4, M=lengths[0])
    pairs = sel("neighbourhood_feature_pairs").value.astype(float)
    gram = float(sel("gram_max_abs_dev_from_identity").value.max())
    boundary = max(float(sel("boundary_eigen_residual").value.max()),
                   float(sel("padding_invariance_max_abs_diff").value.max()))
    checks = [records.central("8 distinct features, hard-margin separable", n_distinct == [8] and m_min > ROUND_OFF,
                              f"distinct features {n_distinct} at M = {lengths}; smallest margin {m_min:.6f}",
                              f"8 at every M; margin > {ROUND_OFF:g}"),
              records.Check("one feature per neighbourhood", bool(len(pairs) and (pairs == 8).all()),
                            f"(neighbourhood, feature) pairs {sorted(set(pairs.astype(int)))}", "8"),
              records.Check("no feature carries both labels", conflicts_ok, conflicts, "0"),
              records.Check("features orthonormal, margin = 1/√8", gram <= ROUND_OFF
                            and abs(m_min - theory_margin) <= ROUND_OFF,
                            f"max |G − 1| = {gram:.1e}; margin − 1/√8 = {m_min - theory_margin:.1e}",
                            f"≤ {ROUND_OFF:g}"),
              records.Check("least-squares perceptron: zero training and test error", train_ok and test_ok,
                            f"training errors {train}; test errors {test} ({test_sites:g} random sites)", "0"),
              records.Check("boundary vectors = eigenvectors of A(−1); −1 padding invariant", boundary <= ROUND_OFF,
                            f"max residual {boundary:.1e}", f"≤ {ROUND_OFF:g}")]
    d2 = records.select(numbers, "distinct_features", "simulation", d=2)
    extra = ""
    if not d2.empty:
        d2m = records.select(numbers, "margin", "simulation", d=2)
        extra = (f"d = 2 variant (diagnostic): {', '.join(f'{int(v)}' for v in d2.value)} distinct features at "
                 f"M = {sorted(d2.M.astype(int))} (not 8: the contexts count runs of −1 cells), hard-margin "
                 f"separable with margin {float(d2m.value.min()):.4f}")
    measured = (f"{'/'.join(map(str, n_distinct))} distinct features over all 2^M strings, M = {lengths}; hard-margin "
                f"margin {m_min:.6f} (1/√8 = {theory_margin:.6f}); least-squares perceptron errors: training {train}, "
                f"test {test}")
    return records.judge("Z-28", measured, f"8 exactly; margin > {ROUND_OFF:g}; identities ≤ {ROUND_OFF:g}", checks,
                         scale, artifact, "; ".join(x for x in (note, extra) if x), evidence="derivation")

"""Tests for grokrepro.liu2022.theory (docs/decisions.md, Parallelograms, RQI and λ3; claims L-01, L-03, L-07, L-08, L-11, L-12, L-13, L-33, L-34)."""

import math

import numpy as np
import pandas as pd
import pytest

from grokrepro.liu2022 import theory
from grokrepro.liu2022.rqi import parallelograms, s3_parallelograms
from grokrepro.liu2022.tasks import addition_task, s3_task


def mask_of(p, samples):
    """(n_samples,) bool mask of the unordered pairs ``samples`` for addition on {0..p-1}."""
    idx = theory.sample_index(p)
    m = np.zeros(p * (p + 1) // 2, dtype=bool)
    for a, b in samples:
        m[idx[a, b]] = True
    return m


def quad_position(p, quad):
    """Row of ``parallelograms(p)`` equal to (i, n, j, m)."""
    return int(np.flatnonzero((parallelograms(p) == np.array(quad)).all(axis=1))[0])


# --- L-01: parallelogram system ------------------------------------------------------------------------------


@pytest.mark.parametrize("p, count", [(4, 3), (6, 13), (10, 70), (11, 95)])
def test_p0_counts(p, count):
    a, pairs = theory.parallelogram_system(p)
    assert a.shape == (count, p)
    assert pairs.shape == (count, 2)


def test_s3_p0_count_and_sample_index():
    task = s3_task()
    assert len(s3_parallelograms(task)) == 90
    k = np.arange(36)
    np.testing.assert_array_equal(task.pairs, np.stack([k // 6, k % 6], axis=1))  # sample index = 6 a + b


def test_system_rows_and_sample_pairs():
    p = 10
    a, sp = theory.parallelogram_system(p)
    quads = parallelograms(p)
    pairs = addition_task(p).pairs
    np.testing.assert_array_equal(a.sum(axis=1), 0.0)
    assert set(np.unique(a)) == {-2.0, -1.0, 0.0, 1.0}  # i < n, so only j = m repeats: -2
    assert (a == -2).sum() == np.sum(quads[:, 2] == quads[:, 3])
    np.testing.assert_array_equal(pairs[sp[:, 0]], quads[:, :2])
    np.testing.assert_array_equal(pairs[sp[:, 1]], quads[:, 2:])
    assert (sp[:, 0] != sp[:, 1]).all()
    np.testing.assert_array_equal(pairs[sp[:, 0]].sum(1), pairs[sp[:, 1]].sum(1))
    # each row is e_i + e_n - e_j - e_m
    q = quads[5]
    row = np.zeros(p)
    np.add.at(row, q, [1, 1, -1, -1])
    np.testing.assert_array_equal(a[5], row)


def test_full_data_spectrum_and_nullity():
    a, _ = theory.parallelogram_system(10)
    ev = np.linalg.eigvalsh(a.T @ a)
    expected = [0, 0, 30, 31.27, 36.55, 38.38, 42.14, 45.73, 47.31, 48.62]  # docs/decisions.md, L-D5
    np.testing.assert_allclose(np.round(ev, 2), expected, atol=1e-9)
    full, empty = np.ones((1, 55), bool), np.zeros((1, 55), bool)
    assert theory.nullity(full, 10).tolist() == [2]
    assert theory.nullity(empty, 10).tolist() == [10]


def test_nullity_of_tiny_sets_is_large():
    p = 10
    no_quads = mask_of(p, [(0, 0), (0, 1), (1, 1)])  # sums 0, 1, 2: no parallelogram
    one_quad = mask_of(p, [(0, 2), (1, 1)])  # E0 + E2 = 2 E1
    two_quads = mask_of(p, [(0, 2), (1, 1), (0, 3), (1, 2)])
    assert theory.nullity(np.stack([no_quads, one_quad, two_quads]), p).tolist() == [10, 9, 8]


def test_quads_in_requires_both_samples():
    p = 4
    _, sp = theory.parallelogram_system(p)
    m = mask_of(p, [(0, 2), (0, 3), (1, 2)])
    got = theory.quads_in(m, sp)
    assert got.tolist() == [False, True, False]
    assert theory.quads_in(np.stack([m, ~m]), sp).shape == (2, 3)


def test_random_train_masks_sizes_and_uniformity():
    rng = np.random.default_rng(1)
    masks = theory.random_train_masks(55, 20, 4000, rng)
    assert masks.shape == (4000, 55) and masks.dtype == bool
    assert (masks.sum(axis=1) == 20).all()
    freq = masks.mean(axis=0)
    assert np.abs(freq - 20 / 55).max() < 0.04


# --- L-03: Fig 4a --------------------------------------------------------------------------------------------


def test_p_linear_curve_small():
    df = theory.p_linear_curve(p=10, n_values=[5, 15, 20, 25, 30, 40, 55], n_sets=400, seed=0)
    assert list(df.columns) == ["n_train", "fraction", "p_linear", "n_sets", "stderr"]
    y = df["p_linear"].to_numpy()
    assert y[0] == 0.0 and y[-1] == 1.0
    assert (np.diff(y) > -0.05).all()
    assert 0.0 < y[3] < 1.0  # n = 25 lies in the transition
    np.testing.assert_allclose(df["fraction"], df["n_train"] / 55)
    np.testing.assert_allclose(df["stderr"], np.sqrt(y * (1 - y) / 400))
    again = theory.p_linear_curve(p=10, n_values=[25], n_sets=400, seed=0)
    assert again["p_linear"].iloc[0] == y[3]  # deterministic per (seed, n)


def test_crossing_fraction_interpolates():
    df = pd.DataFrame({"fraction": [0.1, 0.2, 0.3, 0.4], "p_linear": [0.0, 0.2, 0.6, 1.0]})
    assert theory.crossing_fraction(df) == pytest.approx(0.2 + 0.1 * 0.3 / 0.4)
    assert math.isnan(theory.crossing_fraction(df.assign(p_linear=[0.0, 0.1, 0.2, 0.4])))


# --- L-08, L-11, L-12: λ3 ------------------------------------------------------------------------------------


def test_full_data_lambda3_both_normalisations():
    full = np.ones((1, 55), bool)
    assert theory.lambda3(full, 10, "paper")[0] == pytest.approx(60 / 700)
    assert theory.lambda3(full, 10, "paper")[0] == pytest.approx(0.0857, abs=5e-5)
    assert theory.lambda3(full, 10, "code")[0] == pytest.approx(6.0)
    assert theory.lambda3(full, 10, "code", z0=9.0)[0] == pytest.approx(20 / 3)
    with pytest.raises(ValueError, match="paper, code"):
        theory.lambda3(full, 10, "Paper")


def test_lambda3_zero_exactly_when_nullity_above_two():
    masks = theory.random_train_masks(55, 22, 500, np.random.default_rng(3))
    lam = theory.lambda3(masks, 10, "code")
    nul = theory.nullity(masks, 10)
    np.testing.assert_array_equal(lam > 0, nul == 2)
    assert (lam[nul > 2] == 0.0).all()
    assert theory.lambda3(np.zeros((1, 55), bool), 10, "paper")[0] == 0.0


def test_lambda3_table_trend():
    df = theory.lambda3_table(p=10, n_values=(20, 30, 45, 55), n_sets=300, seed=0)
    assert len(df) == 8
    code = df[df.normalisation == "code"].set_index("n_train")
    paper = df[df.normalisation == "paper"].set_index("n_train")
    assert code.loc[20, "zero_fraction"] > 0.5  # L-11: mostly zero below r_c
    np.testing.assert_array_equal(code["zero_fraction"], paper["zero_fraction"])
    assert code.loc[55, "zero_fraction"] == 0.0
    assert code.loc[55, "median_lambda3"] == pytest.approx(6.0)
    assert paper.loc[55, "median_lambda3"] == pytest.approx(60 / 700)
    assert code.loc[55, "median_n_h"] == pytest.approx(1e3 / 6.0)
    assert paper.loc[55, "median_n_h"] == pytest.approx(1e3 * 700 / 60)
    for tab in (code, paper):  # L-11 / L-12: λ3 rises and n_h falls with data
        assert tab.loc[30, "median_lambda3"] < tab.loc[45, "median_lambda3"] < tab.loc[55, "median_lambda3"]
        assert tab.loc[30, "median_n_h"] > tab.loc[45, "median_n_h"] > tab.loc[55, "median_n_h"]


def test_default_split_theory_full_and_degenerate():
    out = theory.default_split_theory(np.arange(55))
    assert out["n_quads_D"] == 70 and out["eig3_AtA"] == pytest.approx(30.0)
    assert out["lambda3_code"] == pytest.approx(6.0)
    assert out["n_h_paper"] == pytest.approx(1e3 * 700 / 60)
    assert out["three_n_h_code"] == pytest.approx(3 * out["n_h_code"])
    small = theory.default_split_theory([0, 1, 2])
    assert small["n_quads_D"] == 0 and small["lambda3_paper"] == 0.0 and small["n_h_code"] == math.inf


# --- L-33: ideal quantities (App E) --------------------------------------------------------------------------

APP_E_D = [(0, 2), (1, 1), (0, 3), (1, 2), (1, 3), (2, 2)]


def test_app_e_example_p4():
    """p = 4: P0 = {(0,2)-(1,1), (0,3)-(1,2), (1,3)-(2,2)}; the App E set holds all six of their samples."""
    p = 4
    _, sp = theory.parallelogram_system(p)
    d = mask_of(p, APP_E_D)
    assert theory.quads_in(d, sp).all()  # P0(D) = P0
    assert theory.nullity(d[None], p).tolist() == [2]
    assert theory.implied_quads(d, p).all()
    assert theory.ideal_rqi(d, p) == 1.0
    # Eq 12 only adds partners of training samples; all quad samples are already in D: Ac̄c = 6/10.
    assert theory.ideal_accuracy(d, p) == pytest.approx(0.6)


def test_implied_quads_adds_linearly_implied_parallelogram():
    p = 4
    q2, q3, q4 = (quad_position(p, q) for q in [(0, 2, 1, 1), (0, 3, 1, 2), (1, 3, 2, 2)])
    # (E0 + E2 - 2E1) + (E1 + E3 - 2E2) = E0 + E3 - E1 - E2: the sum-3 parallelogram is implied.
    d = mask_of(p, [(0, 2), (1, 1), (1, 3), (2, 2)])
    _, sp = theory.parallelogram_system(p)
    in_d = theory.quads_in(d, sp)
    assert in_d[[q2, q4]].all() and not in_d[q3]
    implied = theory.implied_quads(d, p)
    assert implied.all()
    assert theory.ideal_rqi(d, p) == 1.0
    assert theory.ideal_accuracy(d, p) == pytest.approx(0.4)  # neither (0,3) nor (1,2) is in D
    # A single equation implies nothing else.
    d1 = mask_of(p, [(0, 2), (1, 1), (0, 3)])
    assert theory.implied_quads(d1, p).tolist() == [i == q2 for i in range(3)]
    assert theory.ideal_rqi(d1, p) == pytest.approx(1 / 3)
    batched = theory.implied_quads(np.stack([d, d1]), p)
    np.testing.assert_array_equal(batched, np.stack([implied, theory.implied_quads(d1, p)]))


def test_implied_quads_p10_rank_deficient_set_is_partial():
    p = 10
    d = mask_of(p, [(0, 4), (1, 3), (2, 2), (0, 5), (1, 4), (2, 3)])
    implied = theory.implied_quads(d, p)
    _, sp = theory.parallelogram_system(p)
    in_d = theory.quads_in(d, sp)
    assert in_d.sum() == 6 and (implied >= in_d).all()
    assert 6 <= implied.sum() < 70


def test_predicted_accuracy():
    p = 4
    n_q = 3
    d = mask_of(p, [(0, 3)])
    none = np.zeros(n_q, bool)
    assert theory.predicted_accuracy(d, none, p) == pytest.approx(0.1)
    q3 = quad_position(p, (0, 3, 1, 2))
    only = np.arange(n_q) == q3
    assert theory.predicted_accuracy(d, only, p) == pytest.approx(0.2)  # adds (1,2)
    assert theory.predicted_accuracy(d, ~only, p) == pytest.approx(0.1)  # other quads touch no sample of D
    with pytest.raises(ValueError):
        theory.predicted_accuracy(d, np.zeros(4, bool), p)

    p = 10
    masks = theory.random_train_masks(55, 30, 5, np.random.default_rng(0))
    for m in masks:
        assert theory.predicted_accuracy(m, np.zeros(70, bool), p) == pytest.approx(30 / 55)


def test_full_rank_set_reaches_full_ideal_accuracy():
    p = 10
    masks = theory.random_train_masks(55, 35, 50, np.random.default_rng(5))
    d = masks[theory.nullity(masks, p) == 2][0].copy()
    d[theory.sample_index(p)[[0, 0, 8, 9], [0, 1, 9, 9]]] = True  # sums 0, 1, 17, 18 are in no parallelogram
    assert theory.implied_quads(d, p).all()
    assert theory.predicted_accuracy(d, np.ones(70, bool), p) == 1.0
    assert theory.ideal_accuracy(d, p) == 1.0
    # Without (0,0) the structure is still fixed, but Eq 12 cannot reach (0,0).
    full_but_one = np.ones(55, bool)
    full_but_one[0] = False
    assert theory.nullity(full_but_one[None], p).tolist() == [2]
    assert theory.ideal_accuracy(full_but_one, p) == pytest.approx(54 / 55)


def test_s3_predicted_accuracy():
    task = s3_task()
    none = np.zeros(90, bool)
    d = np.zeros(36, bool)
    d[[0, 7, 20]] = True
    assert theory.s3_predicted_accuracy(d, none) == pytest.approx(3 / 36)
    one = np.zeros(36, bool)
    one[0] = True
    same_label = (task.labels == task.labels[0]).sum()
    assert same_label == 6
    assert theory.s3_predicted_accuracy(one, np.ones(90, bool)) == pytest.approx(6 / 36)
    per_label = np.zeros(36, bool)
    per_label[[int(np.flatnonzero(task.labels == c)[0]) for c in range(6)]] = True
    assert theory.s3_predicted_accuracy(per_label, np.ones(90, bool)) == 1.0


# --- L-34: curriculum (App C) --------------------------------------------------------------------------------


def test_curriculum_p6():
    df = theory.curriculum(p=6, k_max=8)
    assert df["n_subsets"].tolist() == [math.comb(21, k) for k in range(1, 9)]
    counts = dict(zip(df["k"], df["n_nullity2"]))
    # Rank 4 needs Σ_c (s_c - 1) >= 4 over sum classes; classes have <= 3 samples, so k <= 5 cannot work and
    # k = 6 works exactly for two full classes of size 3 (sums 4, 5, 6): C(3, 2) = 3 sets.
    assert all(counts[k] == 0 for k in range(1, 6))
    assert counts[6] == 3
    assert counts[8] > 0  # L-34: 8 well-chosen samples of 21 suffice
    assert df.set_index("k").loc[6, "example"] == "(0,4) (0,5) (1,3) (1,4) (2,2) (2,3)"
    assert df.set_index("k").loc[3, "example"] == ""


# --- L-07, L-13: effective theory ----------------------------------------------------------------------------


def normalised_random(p, d=1, seed=0):
    e = np.random.default_rng(seed).random((p, d))
    return (e - e.mean(0)) / e.std(0, ddof=1)


def test_effective_loss_grad_matches_finite_differences():
    p = 10
    a, _ = theory.parallelogram_system(p)
    gram = a.T @ a
    e = np.random.default_rng(2).normal(size=(p, 2))
    for z0 in (7.0, None):
        def leff(x, z0=z0):
            return float(np.sum((a @ x) ** 2)) / (z0 if z0 is not None else float(np.sum(x * x)))

        _, grad = theory.effective_loss_grad(e, gram, 1.0, z0)
        num = np.zeros_like(e)
        h = 1e-6
        for idx in np.ndindex(e.shape):
            ep, em = e.copy(), e.copy()
            ep[idx] += h
            em[idx] -= h
            num[idx] = (leff(ep) - leff(em)) / (2 * h)
        np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-6)


def test_effective_flow_code_form_decays_to_linear():
    p = 10
    e0 = normalised_random(p)
    res = theory.effective_flow(e0, p, eta=1e-3, steps=2000, record_every=500)
    assert res["steps"].tolist() == [0, 500, 1000, 1500, 2000]
    assert res["embeddings"].shape == (5, p, 1) and res["c"].shape == (5, 1)
    loss = res["loss0"]
    assert loss[0] == pytest.approx(float(np.sum((theory.parallelogram_system(p)[0] @ e0) ** 2)))
    assert (np.diff(loss) < 0).all() and loss[-1] < 1e-3 * loss[0]
    e_end = res["embeddings"][-1, :, 0]
    spacing = np.diff(e_end)
    assert np.ptp(spacing) < 0.05 * np.abs(spacing).mean()  # evenly spaced line
    assert (np.diff(res["z0"]) < 0).all()  # frozen Z0: Σ|E|² is not conserved
    shifted = theory.effective_flow(e0 + 3.0, p, eta=1e-3, steps=500, record_every=100)
    np.testing.assert_allclose(shifted["c"], np.broadcast_to(shifted["c"][:1], shifted["c"].shape), atol=1e-10)
    assert abs(shifted["c"][0, 0] - 30.0) < 1e-9  # C = Σ E_k conserved even when not centred


def test_linear_embedding_is_fixed_point():
    p = 10
    k = np.arange(p)[:, None]
    e0 = np.array([[0.3, -1.2]]) + k * np.array([[1.7, 0.4]])
    train = mask_of(p, [(0, 4), (1, 3), (2, 2), (0, 5), (1, 4), (2, 3), (3, 3)])
    for kw in (dict(), dict(z0="dynamic"), dict(quads="train", train_mask=train)):
        res = theory.effective_flow(e0, p, steps=100, record_every=100, **kw)
        assert res["loss0"].max() < 1e-20
        np.testing.assert_allclose(res["embeddings"][-1], e0, atol=1e-12)


def test_train_form_has_one_over_p0d_factor():
    p = 10
    e0 = normalised_random(p, seed=4)
    full = np.ones(55, bool)
    all_q = theory.effective_flow(e0, p, steps=0)
    train = theory.effective_flow(e0, p, steps=0, quads="train", train_mask=full)
    assert train["loss0"][0] == pytest.approx(all_q["loss0"][0] / 70)
    d = mask_of(p, [(0, 4), (1, 3), (2, 2)])
    a, sp = theory.parallelogram_system(p)
    in_d = theory.quads_in(d, sp)
    res = theory.effective_flow(e0, p, steps=0, quads="train", train_mask=d)
    assert res["loss0"][0] == pytest.approx(float(np.sum((a[in_d] @ e0) ** 2)) / 3)
    with pytest.raises(ValueError):
        theory.effective_flow(e0, p, quads="train", train_mask=mask_of(p, [(0, 0)]))
    with pytest.raises(ValueError):
        theory.effective_flow(e0, p, z0="free")


def test_conservation_drift_is_first_order_in_eta():
    p = 10
    e0 = normalised_random(p, seed=1)
    coarse = theory.conservation_drift(e0, p, eta=2e-3, time=0.5)
    fine = theory.conservation_drift(e0, p, eta=1e-3, time=0.5)
    assert coarse["steps"] == 250 and fine["steps"] == 500
    assert coarse["c_drift"] < 1e-10 and fine["c_drift"] < 1e-10
    assert fine["z0_drift"] > 1e-6  # measurable, not round-off
    assert 1.8 <= coarse["z0_drift"] / fine["z0_drift"] <= 2.2
    train = mask_of(p, [(0, 4), (1, 3), (2, 2), (0, 5), (1, 4), (2, 3)])
    c = theory.conservation_drift(e0, p, eta=2e-3, time=0.5, quads="train", train_mask=train)
    f = theory.conservation_drift(e0, p, eta=1e-3, time=0.5, quads="train", train_mask=train)
    assert 1.8 <= c["z0_drift"] / f["z0_drift"] <= 2.2


def test_one_euler_step_by_hand():
    p = 10
    a, _ = theory.parallelogram_system(p)
    e0 = normalised_random(p, seed=6)
    z = float(np.sum(e0**2))
    frozen = theory.effective_flow(e0, p, eta=1e-2, steps=1)
    np.testing.assert_allclose(frozen["embeddings"][1], e0 - 1e-2 * 2 * a.T @ a @ e0 / z, rtol=1e-12)
    loss0 = float(np.sum((a @ e0) ** 2))
    dynamic = theory.effective_flow(e0, p, eta=1e-2, steps=1, z0="dynamic")
    expected = e0 - 1e-2 * (2 * a.T @ a @ e0 / z - 2 * loss0 * e0 / z**2)
    np.testing.assert_allclose(dynamic["embeddings"][1], expected, rtol=1e-12)

"""Sec. 4 teacher and tensor-network map (Z-26 … Z-28): rule 30, K-local rules, padding, the map's shapes and
normalisation, the exact attention's 8 separable features, and cases that must fail."""

import itertools

import numpy as np
import pytest

from grokrepro.zunkovic2022 import automata as ca
from grokrepro.zunkovic2022 import tensor_network as tn


def spec_rule30_pm1(l, c, r):
    """The spec's formula, written here independently: bits b = (s + 1)/2, y = b_{i−1} XOR (b_i OR b_{i+1})."""
    bl, bc, br = ((np.asarray(v) + 1) // 2 for v in (l, c, r))
    return 2 * (bl ^ (bc | br)) - 1


def test_rule30_truth_table_against_the_spec_formula():
    for l, c, r in itertools.product((-1, 1), repeat=3):
        y = ca.RULE30_TABLE_PM1[(l, c, r)]
        assert y == spec_rule30_pm1(l, c, r)
        assert y == ca.rule30_pm1(np.int8(l), np.int8(c), np.int8(r))
        bits = [(v + 1) // 2 for v in (l, c, r)]
        assert (y + 1) // 2 == ca.rule30_bits(*bits) == ca.rule30_bits_sum(*np.array(bits)) \
            == ca.wolfram_rule(30, *bits)
    # the table is rule 30 and not a neighbour: Wolfram code 30 read off the table
    code = sum(((ca.RULE30_TABLE_PM1[tuple(2 * b - 1 for b in nb)] + 1) // 2) << int(4 * nb[0] + 2 * nb[1] + nb[2])
               for nb in ca.neighbourhoods_bits())
    assert code == 30


def test_step_pads_one_minus_one_cell_and_keeps_the_length():
    x = np.array([[1, 0, 0, 1, 1]], np.int8)
    y = ca.step(x)
    assert y.shape == x.shape
    p = [0, *x[0], 0]                     # Z-D18: one −1 (bit 0) cell outside each end
    assert y[0].tolist() == [ca.rule30_bits(p[i - 1], p[i], p[i + 1]) for i in range(1, 6)]
    assert ca.step(ca.to_pm1(x), "pm1").tolist() == ca.to_pm1(y).tolist()
    # an all-white row stays white; a single black cell grows the familiar triangle
    assert not ca.step(np.zeros((1, 7), np.int8)).any()
    st = ca.space_time(np.eye(1, 9, 4, dtype=np.int8)[0], 3)
    assert st[1].tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 0] and st[2].tolist() == [0, 0, 1, 1, 0, 0, 1, 0, 0]


@pytest.mark.parametrize("K", [1, 2, 3])
def test_k_local_is_rule30_applied_k_times_and_local(K):
    rng = np.random.default_rng(K)
    x = ca.random_sequences(40, 30, rng)
    y = ca.k_local(x, K)
    ref = x
    for _ in range(K):
        ref = ca.step(ref)
    assert np.array_equal(y, ref)
    assert np.array_equal(y[:, K:-K], ca.k_local_valid(x, K))       # bulk: depends on x_{i-K..i+K} only
    x2 = x.copy()
    x2[:, 15 + K + 1:] ^= 1                                         # change cells beyond the radius of site 15
    assert np.array_equal(ca.k_local(x2, K)[:, 15], y[:, 15])
    x3 = x.copy()
    x3[:, 15 + K] ^= 1
    assert not np.array_equal(ca.k_local(x3, K)[:, :16], y[:, :16])   # ...but the rule does reach radius K
    with pytest.raises(ValueError):
        ca.k_local(x, 0)


def test_datasets():
    s = ca.all_strings(4)
    assert s.shape == (16, 4) and len({tuple(r) for r in s}) == 16 and s[5].tolist() == [0, 1, 0, 1]
    a = ca.random_sequences(5, 7, np.random.default_rng(3))
    assert np.array_equal(a, ca.random_sequences(5, 7, np.random.default_rng(3)))
    assert a.dtype == np.int8 and set(np.unique(a)) <= {0, 1}


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_tn_map_shapes_normalisation_and_perceptron_identity(d):
    rng = np.random.default_rng(d)
    A, B = rng.standard_normal((d, d, 2)), rng.standard_normal((d, d, 2))
    vl, vr = rng.standard_normal(d), rng.standard_normal(d)
    x = ca.random_sequences(6, 9, rng)
    left, right = tn.contexts(A, x, vl, vr)
    z = tn.features(A, x, vl, vr)
    assert left.shape == right.shape == (6, 9, d) and z.shape == (6, 9, 2 * d * d)
    np.testing.assert_allclose(np.linalg.norm(left, axis=-1), 1, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(z, axis=-1), 1, atol=1e-12)
    np.testing.assert_allclose(z @ B.reshape(-1), tn.tn_scores(A, B, x, vl, vr), atol=1e-12)
    # the contexts are the normalised running products, computed here by brute force for one sequence and site
    s, i = x[2], 4
    mats = [A[:, :, 0] if b else A[:, :, 1] for b in s]
    lv = vl.copy()
    for m in mats[:i]:
        lv = lv @ m
    rv = vr.copy()
    for m in mats[:i:-1]:
        rv = m @ rv
    np.testing.assert_allclose(left[2, i], lv / np.linalg.norm(lv), atol=1e-12)
    np.testing.assert_allclose(right[2, i], rv / np.linalg.norm(rv), atol=1e-12)
    phi = np.array([1.0, 0.0]) if s[i] else np.array([0.0, 1.0])
    np.testing.assert_allclose(z[2, i], np.kron(np.kron(left[2, i], right[2, i]), phi), atol=1e-12)


def test_exact_attention_has_eight_orthonormal_separable_features():
    A, vl, vr = tn.exact_attention(4)
    np.testing.assert_allclose(vl, np.array([0, 0, 1, 1]) / np.sqrt(2))   # spec §5.4
    np.testing.assert_allclose(vr, np.array([0, 1, 0, 1]) / np.sqrt(2))
    x = ca.all_strings(8)
    z = tn.features(A, x, vl, vr).reshape(-1, 32)
    y = ca.to_pm1(ca.k_local(x, 1)).ravel()
    uniq, labels, conflicts = tn.distinct(z, y)
    assert len(uniq) == 8 and conflicts == 0
    np.testing.assert_allclose(uniq @ uniq.T, np.eye(8), atol=1e-12)
    w, margin, hull = tn.max_margin(uniq, labels)
    assert margin == pytest.approx(1 / np.sqrt(8), abs=1e-12) and hull == pytest.approx(margin, abs=1e-12)
    assert np.all((z @ w) * y > 0.35)
    assert tn.least_squares_errors(z, y) == [0]
    # the −1 padding is invariant for eigenvector boundaries with eigenvalue 1
    np.testing.assert_array_equal(tn.features(A, x, vl, vr, pad=2), tn.features(A, x, vl, vr))


def test_negative_cases_fail():
    A, vl, vr = tn.exact_attention(4)
    x = ca.all_strings(8)
    z = tn.features(A, x, vl, vr).reshape(-1, 32)
    # a 2-local rule is not a function of the 3-cell neighbourhood: same features, both labels, no separator
    y2 = ca.to_pm1(ca.k_local(x, 2)).ravel()
    uniq, labels, conflicts = tn.distinct(z, y2)
    assert conflicts > 0
    w, margin, hull = tn.max_margin(z[::7], y2[::7])
    assert margin <= 1e-9 and hull < 1e-6
    # XOR-like labels in the plane are not linearly separable (no bias): the certificate says so
    pts = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    assert tn.max_margin(pts, np.array([1.0, 1.0, -1.0, -1.0]))[1] <= 1e-12
    # a random attention does not collapse to 8 features
    rng = np.random.default_rng(0)
    R = rng.standard_normal((4, 4, 2))
    assert len(tn.distinct(tn.features(R, x, vl, vr).reshape(-1, 32), ca.to_pm1(ca.k_local(x, 1)).ravel())[0]) > 8


def test_d2_variant_is_not_eight_features():
    A, vl, vr = tn.exact_attention(2)
    np.testing.assert_allclose(vl, [1, 0], atol=1e-12)
    np.testing.assert_allclose(vr, [0, 1], atol=1e-12)
    x = ca.all_strings(6)
    z = tn.features(A, x, vl, vr).reshape(-1, 8)
    uniq, labels, conflicts = tn.distinct(z, ca.to_pm1(ca.k_local(x, 1)).ravel())
    assert len(uniq) > 8 and conflicts == 0 and tn.max_margin(uniq, labels)[1] > 0


def test_complex_dominant_eigenvalue_is_rejected():
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="complex"):
        tn.dominant_eigenvectors(np.stack([np.eye(2), rot], axis=-1))

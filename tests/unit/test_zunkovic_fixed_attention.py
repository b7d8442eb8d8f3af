"""Sec. 4.3.1, fixed attention and linear training of B (Z-29, Z-30): the exact gradient flow, t_ε and the jump of
the exact attention against closed forms, the lasso against enumeration and its optimality conditions, the
rejection sampler against the 1/√2 law, the batched map against the single-tensor map, and cases that must fail."""

import numpy as np
import pytest

from grokrepro.zunkovic2022 import automata as ca
from grokrepro.zunkovic2022 import fixed_attention as fa
from grokrepro.zunkovic2022 import tensor_network as tn


def _exact_training():
    A, vl, vr = tn.exact_attention(4)
    x, y = fa.training_set()
    return A, vl, vr, tn.features(A, x, vl, vr).reshape(-1, 32), y.ravel()


def test_training_set_is_all_length3_strings_with_rule30_labels():
    x, y = fa.training_set()
    assert x.shape == (8, 3) and y.shape == (8, 3) and set(np.unique(y)) == {-1.0, 1.0}
    # open BC: site 0 of 000 sees (−1, −1, −1) → −1; site 0 of 001 … of 011 sees (−1, −1, 1) etc.
    assert y[0].tolist() == [-1, -1, -1] and y[1].tolist() == [-1, 1, 1]


@pytest.mark.parametrize("lambda2", [0.0, 0.05])
def test_flow_matches_runge_kutta_and_keeps_the_null_space(lambda2):
    A, vl, vr, z, y = _exact_training()
    G, a = fa.quadratic_form(z, y, lambda2)
    flow = fa.Flow(G, a)
    w0 = np.random.default_rng(0).standard_normal((3, 32))
    for t in (0.0, 0.7, 6.0):
        np.testing.assert_allclose(flow.weights(w0, np.full(3, t)), fa.rk4_reference(G, a, w0, t, 4000), atol=1e-10)
    # the flow solves dw/dt = −(Gw − a): central difference
    h, t = 1e-5, 2.0
    dw = (flow.weights(w0, np.full(3, t + h)) - flow.weights(w0, np.full(3, t - h))) / (2 * h)
    np.testing.assert_allclose(dw, -(flow.weights(w0, np.full(3, t)) @ G - a), atol=1e-7)
    if lambda2 == 0:
        assert flow.null.sum() == 24                     # 32 − 8 orthonormal features
        P = flow.V[:, flow.null]
        np.testing.assert_allclose(flow.weights(w0, np.full(3, 50.0)) @ P, w0 @ P, atol=1e-12)
        np.testing.assert_allclose(flow.stationary(w0) @ P, w0 @ P, atol=1e-12)


def test_exact_attention_t_eps_and_jump_against_the_closed_form():
    """The 8 features u_n are orthonormal; along u_n the flow (λ2 = 0) is w_n(t) = y_n + (w_n(0) − y_n) e^{−g_n t}
    with g_n = c_n/24 (c_n: the neighbourhood's training count), so a wrong sign (w_n(0) y_n < 0) turns right at
    t_n = ln(1 − w_n(0) y_n)/g_n, and t_ε = max_n t_n."""
    A, vl, vr, z, y = _exact_training()
    key, inv, cnt = np.unique(np.round(z, 12), axis=0, return_inverse=True, return_counts=True)
    lab = np.zeros(8)
    lab[inv.ravel()] = y
    assert sorted(cnt.tolist()) == [1, 1, 3, 3, 3, 3, 5, 5]
    G, a = fa.quadratic_form(z, y)
    flow = fa.Flow(G, a)
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((500, 32))
    c = w0 @ key.T                                                         # (n, 8) coordinates along u_n
    g = cnt / 24
    t_n = np.where(c * lab < 0, np.log(np.clip(1 - c * lab, 1, None)) / g, 0.0)
    expected = t_n.max(1)
    grid = np.r_[0.0, np.logspace(-4, 4, 300)]
    weight = np.full(8, 1 / 8)                                              # population weights of random sequences
    t_eps = fa.zero_error_times(flow, key, lab, weight, w0, grid)
    np.testing.assert_allclose(t_eps, expected, rtol=1e-10, atol=1e-12)
    # just before t_ε exactly one neighbourhood is wrong: the jump is 1/8 for every run that has a transition
    live = expected > 0
    e = fa.weighted_error(flow.scores(key, w0[live], t_eps[live] - 1e-9), lab, weight)
    np.testing.assert_allclose(e, 1 / 8)
    assert np.all(fa.weighted_error(flow.scores(key, w0[live], t_eps[live] + 1e-9), lab, weight) == 0)


def test_zero_error_time_is_inf_when_never_reached():
    # a label no weight can match (two copies of one feature with both labels)
    z = np.array([[1.0, 0.0], [1.0, 0.0]])
    y = np.array([1.0, -1.0])
    flow = fa.Flow(*fa.quadratic_form(z, y, 0.1))
    t = fa.zero_error_times(flow, z, y, np.ones(2), np.zeros((2, 2)) + 0.3, np.logspace(-2, 3, 50))
    assert np.all(np.isinf(t))


def _random_problem(n, seed=0):
    rng = np.random.default_rng(seed)
    A, vl, vr, _, _ = fa.random_tensors(n, 2, rng)
    x, y = fa.training_set()
    z = fa.batched_features(A, x, vl, vr).reshape(n, -1, 8)
    return A, vl, vr, z, y.ravel(), *fa.quadratic_form(z, y.ravel())


@pytest.mark.parametrize("lambda1", [1e-4, 1e-2, 0.3])
def test_lasso_satisfies_kkt_and_equals_enumeration(lambda1):
    *_, G0, a0 = _random_problem(40)
    w, ok = fa.lasso(G0, a0, lambda1)
    assert ok.all() and fa.lasso_kkt_violation(G0, a0, w, lambda1).max() < 1e-9
    w_enum, found = fa.lasso_by_enumeration(G0[:6], a0[:6], lambda1)
    assert found.all()
    np.testing.assert_allclose(w[:6], w_enum, rtol=1e-6, atol=1e-8)
    # the lasso objective is not beaten by random nearby points
    def obj(v):
        return 0.5 * np.einsum("ni,nij,nj->n", v, G0, v) - np.einsum("ni,ni->n", v, a0) + lambda1 * np.abs(v).sum(-1)
    rng = np.random.default_rng(2)
    for _ in range(20):
        assert np.all(obj(w) <= obj(w + 1e-3 * rng.standard_normal(w.shape)) + 1e-15)


def test_lasso_limits():
    *_, G0, a0 = _random_problem(10, seed=3)
    # λ1 beyond max |a0| (w = 0 satisfies |∇| ≤ λ1): the solution is 0
    w, ok = fa.lasso(G0, a0, float(np.abs(a0).max()) * 1.01)
    assert ok.all() and not w.any()
    # with a ridge λ2 the lasso at vanishing λ1 tends to the ridge solution
    w, _ = fa.lasso(G0, a0, 1e-12, lambda2=0.1)
    np.testing.assert_allclose(w, fa.ridge(G0, a0, 0.1), atol=1e-9)


def test_ridge_at_zero_is_least_squares():
    _, _, _, z, y, G0, a0 = _random_problem(5, seed=4)
    for t in range(5):
        np.testing.assert_allclose(fa.ridge(G0, a0, 0.0)[t], np.linalg.lstsq(z[t], y, rcond=None)[0], atol=1e-7)


def test_rejection_sampler_and_dominant_eigenvectors():
    rng = np.random.default_rng(5)
    n = 6000
    A, vl, vr, lam, drawn = fa.random_tensors(n, 2, rng)
    assert len(A) == n and drawn > n
    rej = 1 - n / drawn
    se = np.sqrt(rej * (1 - rej) / drawn)
    assert abs(rej - (1 - fa.P_REAL_2X2)) < 4 * se                        # Edelman–Kostlan–Shub: P(real) = 1/√2
    m = A[..., 1]                                                          # A(−1)
    np.testing.assert_allclose(np.einsum("ta,tab->tb", vl, m), lam[:, None] * vl, atol=1e-9)
    np.testing.assert_allclose(np.einsum("tab,tb->ta", m, vr), lam[:, None] * vr, atol=1e-9)
    ev = np.linalg.eigvals(m)
    assert np.all(np.abs(lam) >= np.abs(ev).max(1) - 1e-12)
    # single-tensor routine agrees
    for t in range(5):
        a_l, a_r, a_lam = tn.dominant_eigenvectors(A[t])
        np.testing.assert_allclose([*a_l, *a_r, a_lam], [*vl[t], *vr[t], lam[t]], atol=1e-12)
    # a rotation has a complex dominant eigenvalue: flagged
    rot = np.array([[[0.0, -1.0], [1.0, 0.0]]])
    assert not fa.dominant_eigen(rot)[3][0]


def test_batched_features_equal_the_single_tensor_map():
    rng = np.random.default_rng(6)
    A, vl, vr, _, _ = fa.random_tensors(4, 2, rng)
    x = ca.random_sequences(3, 11, rng)
    zb = fa.batched_features(A, x, vl, vr)
    for t in range(4):
        np.testing.assert_allclose(zb[t], tn.features(A[t], x, vl[t], vr[t]), atol=1e-13)
    # eigenvector boundaries: padding −1 cells changes nothing (Z-D18)
    for t in range(4):
        np.testing.assert_allclose(tn.features(A[t], x, vl[t], vr[t], pad=1), zb[t], atol=1e-12)


def test_zero_test_error_equals_counting_and_fails_for_wrong_weights():
    A, vl, vr, z, y, G0, a0 = _random_problem(60, seed=7)
    W = np.stack([fa.ridge(G0, a0, 0.0), fa.ridge(G0, a0, 1e-2), -fa.ridge(G0, a0, 0.0)], 1)
    rng = np.random.default_rng(8)
    xt = ca.random_sequences(7, 150, rng)
    yt = ca.to_pm1(ca.k_local(xt, 1))
    counts = fa.count_test_errors(A, vl, vr, W, xt, yt, chunk=16, site_block=40)
    np.testing.assert_array_equal(fa.zero_test_error(A, vl, vr, W, xt, yt, block=2), counts == 0)
    # brute force for a few tensors
    for t in range(3):
        zt = tn.features(A[t], xt, vl[t], vr[t]).reshape(-1, 8)
        assert counts[t, 0] == np.sum(np.sign(zt @ W[t, 0]) != yt.ravel())
    # the flipped classifier errs exactly where the classifier is right (no score is exactly 0)
    np.testing.assert_array_equal(counts[:, 0] + counts[:, 2], yt.size)


def test_exact_attention_separates_and_a_random_one_mostly_does_not():
    A, vl, vr, z, y = _exact_training()
    w = fa.ridge(*fa.quadratic_form(z, y), 0.0)
    xt = ca.random_sequences(5, 200, np.random.default_rng(9))
    zt = tn.features(A, xt, vl, vr).reshape(-1, 32)
    assert np.all(np.sign(zt @ w) == ca.to_pm1(ca.k_local(xt, 1)).ravel())
    A, vl, vr, z, y, G0, a0 = _random_problem(200, seed=10)
    ok = fa.zero_test_error(A, vl, vr, fa.ridge(G0, a0, 0.0)[:, None], xt, ca.to_pm1(ca.k_local(xt, 1)))
    assert ok.mean() < 0.3

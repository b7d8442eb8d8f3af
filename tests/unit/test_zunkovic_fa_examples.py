"""Unit tests of the own-example fixed-attention computations (grokrepro/zunkovic2022/fa_examples.py): each
statistic on a case with a known answer, and the exact t_ε reduction against brute force."""

import numpy as np
import pytest

from grokrepro.zunkovic2022 import fa_examples as fx
from grokrepro.zunkovic2022 import fixed_attention as fa


def test_effective_dimension_isotropic_and_one_dimensional():
    rng = np.random.default_rng(0)
    assert fx.effective_dimension(rng.standard_normal((200000, 4))) == pytest.approx(4.0, abs=0.01)
    line = np.outer(rng.standard_normal(500), [1.0, -2.0, 0.5])
    assert fx.effective_dimension(line) == pytest.approx(1.0, abs=1e-9)
    # two equal-variance directions of four
    two = np.c_[rng.standard_normal((200000, 2)), np.zeros((200000, 2))]
    assert fx.effective_dimension(two) == pytest.approx(2.0, abs=0.01)


def test_max_density_slope_of_known_densities():
    rng = np.random.default_rng(1)
    u = rng.random(10 ** 6)
    assert abs(fx.max_density_slope(u)) < 0.08                  # bounded density: slope 0
    assert fx.max_density_slope(u ** 2) == pytest.approx(0.5, abs=0.05)      # ρ ∝ x^−1/2
    assert fx.max_density_slope(u ** 4) == pytest.approx(0.75, abs=0.05)     # ρ ∝ x^−3/4


def test_divergence_exponent_sums_left_and_right_and_takes_the_larger_class():
    rng = np.random.default_rng(2)
    n = 400000
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    u = rng.random(n)
    ang_left = np.where(y > 0, u ** 2, rng.random(n))                # positive class diverges on the left (ξ 0.5)
    ang_right = np.where(y > 0, rng.random(n) ** 4, rng.random(n))   # ... and on the right (ξ 0.75)
    left = np.c_[np.cos(ang_left), np.sin(ang_left)]
    right = np.c_[np.cos(ang_right), np.sin(ang_right)]
    xi, per = fx.divergence_exponent(left, right, y)
    assert xi == pytest.approx(1.25, abs=0.1)
    assert abs(sum(per[-1.0])) < 0.15


def test_class_separation_of_two_gaussians():
    rng = np.random.default_rng(3)
    n = 200000
    s = np.r_[rng.normal(-1.5, 1.0, n), rng.normal(1.5, 1.0, n)]
    y = np.r_[-np.ones(n), np.ones(n)]
    assert fx.class_separation(s, y) == pytest.approx(1.5, abs=0.01)
    assert fx.class_separation(2 * s + 7, y) == pytest.approx(1.5, abs=0.01)    # scale and shift free


def test_bimodality_uni_and_bimodal_samples():
    rng = np.random.default_rng(4)
    uni = rng.standard_normal(5000)
    bi = np.r_[rng.normal(-3, 1, 2500), rng.normal(3, 1, 2500)]
    assert len(fx.kde_modes(uni)[0]) == 1
    assert len(fx.kde_modes(bi)[0]) == 2
    assert fx.bimodality_coefficient(uni) < 5 / 9 < fx.bimodality_coefficient(bi)


def test_largest_gap_ratio():
    ratio, at = fx.largest_gap_ratio(np.array([0.01, 0.012, 0.1, 0.15, 0.2]))
    assert ratio == pytest.approx(0.1 / 0.012) and at == 1


def test_fit_exponent_recovers_a_power():
    taus = np.logspace(-5, 0, 30)
    nu, se, pts = fx.fit_exponent(taus, 3 * taus ** 0.7, 1e-4, 1e-1)
    assert nu == pytest.approx(0.7, abs=1e-10) and pts > 3


@pytest.fixture(scope="module")
def example():
    rng = np.random.default_rng(20221126)
    xt, yt = fx.test_set(3, 300, rng)
    s = fx.sample(0, 2, [0.0], xt, yt, rng, batch=300, n_examples=1)
    return fx.Tensor(s["A"][s["examples"][0]], s["vl"][s["examples"][0]], s["vr"][s["examples"][0]], xt, yt)


def test_sampled_example_passes_the_acceptance_test(example):
    w = example.stationary(0.0)
    assert np.all(np.sign(example.z_test @ w) == example.y_test)


def test_extreme_sites_decide_the_whole_test_set(example):
    t = example
    ext = fx.extreme_sites(t.z_test, t.y_test, t.bits, t.stationary(0.0))
    assert 0 < len(ext) < len(t.y_test)
    rng = np.random.default_rng(5)
    W = t.stationary(0.0) + 0.3 * rng.standard_normal((4000, t.D)) * np.linalg.norm(t.stationary(0.0))
    all_ok = np.all(np.sign(W @ t.z_test.T) == t.y_test, 1)
    ext_ok = np.all(np.sign(W @ t.z_test[ext].T) == t.y_test[ext], 1)
    assert all_ok.any() and (~all_ok).any()
    assert np.array_equal(all_ok, ext_ok)


def test_transition_times_match_brute_force(example):
    t = example
    ext = fx.extreme_sites(t.z_test, t.y_test, t.bits, t.stationary(0.0))
    w0 = np.random.default_rng(6).standard_normal((20, t.D))
    t_eps, t_train, _ = fx.transition_times(t, 0.0, w0, 200, ext)
    flow = t.flow(0.0)
    brute = fa.zero_error_times(flow, t.z_test, t.y_test, np.ones(len(t.y_test)), w0, fx.time_grid(flow, 200))
    assert np.allclose(t_eps, brute, rtol=1e-9)
    assert np.all(np.isfinite(t_train))


def test_aligned_errors_match_brute_force(example):
    t = example
    ext = fx.extreme_sites(t.z_test, t.y_test, t.bits, t.stationary(0.0))
    w0 = np.random.default_rng(7).standard_normal((10, t.D))
    t_eps, _, _ = fx.transition_times(t, 1e-3, w0, 200, ext)
    taus = np.logspace(-5, 1, 7)
    fast = fx.aligned_errors(t, 1e-3, w0, t_eps, taus, keep=16)
    flow = t.flow(1e-3)
    times = np.maximum(t_eps[:, None] - taus[None, :], 0.0)
    brute = fa.weighted_error(flow.scores(t.z_test, w0, times), t.y_test, np.ones(len(t.y_test)))
    assert np.allclose(fast, brute, atol=1e-12)

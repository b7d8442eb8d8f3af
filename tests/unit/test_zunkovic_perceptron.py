"""Z-44: the global teacher–student perceptron (max-stability student, E ∝ 1/α; least squares for contrast)."""

import numpy as np
import pytest

from grokrepro.zunkovic2022 import perceptron
from grokrepro.zunkovic2022.numbers import NUMBER_COLUMNS

QUICK = dict(m=20, runs=40, alphas=[1, 2, 4, 8], fit_alphas=[4, 8], lambda2=1e-3)


def _min_margin(x, y, w):
    return (np.einsum("rpm,rm->rp", x * y[..., None], w) / np.linalg.norm(w, axis=1)[:, None]).min(axis=1)


def test_max_margin_is_the_maximal_stability_direction():
    rng = np.random.default_rng(1)
    teacher, x, y = perceptron.teacher_student_sets(8, 40, 5, rng)
    w = perceptron.max_margin(x, y)
    best = _min_margin(x, y, w)
    assert np.all(best > 0)  # separates the training set
    assert np.all(best >= _min_margin(x, y, teacher) - 1e-12)  # at least the teacher's stability
    for _ in range(200):  # no nearby direction does better
        trial = w / np.linalg.norm(w, axis=1, keepdims=True) + 1e-3 * rng.standard_normal(w.shape)
        assert np.all(_min_margin(x, y, trial) <= best + 1e-12)


def test_generalisation_error_is_the_population_error():
    rng = np.random.default_rng(2)
    teacher = rng.standard_normal((1, 6))
    w = teacher + 0.7 * rng.standard_normal((1, 6))
    x = rng.standard_normal((400_000, 6))
    mc = np.mean(np.sign(x @ w[0]) != np.sign(x @ teacher[0]))
    assert perceptron.generalisation_error(w, teacher)[0] == pytest.approx(mc, abs=4 * np.sqrt(mc * (1 - mc) / 4e5))


def test_least_squares_is_the_stationary_point_of_the_ridge_loss():
    rng = np.random.default_rng(3)
    _, x, y = perceptron.teacher_student_sets(5, 30, 2, rng)
    w = perceptron.least_squares(x, y, 0.1)
    grad = np.einsum("rpm,rp->rm", x, np.einsum("rpm,rm->rp", x, w) - y) / 30 + 0.1 * w
    assert np.abs(grad).max() < 1e-12


def test_quick_build_and_claim():
    tidy, numbers = perceptron.build(QUICK, seed=0)
    assert numbers.columns.tolist() == NUMBER_COLUMNS
    assert set(tidy.learner) == {"max_margin", "least_squares"}
    record = perceptron.teacher_student_one_over_alpha(numbers, "quick", "results/zunkovic2022/perceptron.pdf")
    assert record.verdict == "reproduced", record.measured_value
    # the test error decreases with alpha for both learners and never reaches zero
    for _, t in tidy.groupby("learner"):
        assert np.all(np.diff(t.sort_values("alpha").mean_error) < 0)
        assert t.min_error.min() > 0


def test_claim_fails_on_a_slower_law():
    _, numbers = perceptron.build(QUICK, seed=0)
    doctored = numbers.copy()
    sel = (doctored.quantity == "alpha_exponent_max_margin") & (doctored.method == "simulation")
    doctored.loc[sel, "value"] = -0.5
    doctored.loc[doctored.quantity == "min_test_error_max_margin", "value"] = 0.0
    assert perceptron.teacher_student_one_over_alpha(doctored, "quick", "x").verdict == "not_reproduced"

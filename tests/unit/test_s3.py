"""S3 (Liu et al. App H.2, Figs 17-18): parallelograms, predicted accuracy, hexagon score, and the two runners."""

import numpy as np
import pandas as pd
import pytest
import torch

from grokrepro.liu2022 import s3, s3_fraction, s3_pca
from grokrepro.liu2022.rqi import rqi_s3, s3_parallelograms
from grokrepro.liu2022.tasks import s3_elements, s3_task


def perm_matrices(transpose: bool) -> np.ndarray:
    """(6, 9): P_g with P_g e_k = e_{g(k)} (transpose=False) or P_g^T, flattened row-major."""
    out = []
    for e in s3_elements():
        p = np.zeros((3, 3))
        p[list(e), range(3)] = 1.0
        out.append((p.T if transpose else p).reshape(9))
    return np.stack(out)


def regular_hexagon(radius=2.0, phase=0.3, centre=(5.0, -1.0)) -> np.ndarray:
    ang = phase + np.arange(6) * np.pi / 3
    return np.stack([radius * np.cos(ang), radius * np.sin(ang)], axis=1) + np.asarray(centre)


# --- hexagon score ------------------------------------------------------------------------------------------


def test_hexagon_score_regular_hexagon_is_zero():
    pts = regular_hexagon()[[3, 0, 5, 1, 4, 2]]  # any input order
    sc = s3_pca.hexagon_score(pts)
    assert sc["radial_cv"] < 1e-12
    assert sc["max_angle_dev_deg"] < 1e-9
    assert sorted(sc["order"]) == list(range(6))


def test_hexagon_score_random_points_is_large():
    rng = np.random.default_rng(0)
    scores = [s3_pca.hexagon_score(rng.standard_normal((6, 2))) for _ in range(20)]
    assert min(sc["max_angle_dev_deg"] for sc in scores) > 10.0
    assert np.median([sc["radial_cv"] for sc in scores]) > 0.1


def test_hexagon_score_distorted_hexagon():
    pts = regular_hexagon(radius=1.0, phase=0.0, centre=(0.0, 0.0))
    pts[[0, 3]] *= 1.5  # two opposite vertices pushed out: centroid kept, radial spread, angles unchanged
    sc = s3_pca.hexagon_score(pts)
    assert sc["radial_cv"] > 0.1
    assert sc["max_angle_dev_deg"] < 1e-9


# --- parallelograms, realised set, homomorphism ------------------------------------------------------------


def test_transposed_permutation_matrices_compose_like_the_labels():
    task = s3_task()
    good = perm_matrices(transpose=True).reshape(6, 3, 3)
    bad = perm_matrices(transpose=False).reshape(6, 3, 3)
    a, b, lab = task.pairs[:, 0], task.pairs[:, 1], task.labels
    assert np.allclose(good[a] @ good[b], good[lab])
    assert not np.allclose(bad[a] @ bad[b], bad[lab])


def test_s3_realised_exact_permutation_matrices_all_true():
    good = perm_matrices(transpose=True)
    assert s3.s3_realised(good).shape == (90,)
    assert s3.s3_realised(good).all()
    assert s3.s3_realised(torch.tensor(good * 7.0, dtype=torch.float32)).all()  # scale-free, torch input
    # the other composition order realises only some parallelograms
    assert not s3.s3_realised(perm_matrices(transpose=False)).all()


def test_s3_realised_matches_rqi_s3_and_batches():
    g = torch.Generator().manual_seed(1)
    emb = torch.randn(40, 6, 9, generator=g)
    emb[:5] = torch.tensor(perm_matrices(True), dtype=torch.float32) + 0.05 * torch.randn(5, 6, 9, generator=g)
    ok = s3.s3_realised(emb)
    assert ok.shape == (40, 90) and ok.dtype == bool
    quads = torch.tensor(s3_parallelograms(s3_task()))
    assert np.allclose(ok.mean(-1), rqi_s3(emb, quads).numpy())
    assert ok[:5].all() and ok[5:].mean() < 0.5


def test_homomorphism_of_permutation_representation():
    hom = s3.homomorphism(2.5 * perm_matrices(transpose=True))
    assert hom["relative_defect"] < 1e-12
    assert np.allclose(hom["identity_matrix"], np.eye(3))
    # permutation character: 3 on the identity, 1 on transpositions, 0 on 3-cycles
    expected = [3 if e == (0, 1, 2) else (0 if s3.parity(e) == 1 else 1) for e in s3_elements()]
    assert np.allclose(hom["characters"], expected)
    assert s3.homomorphism(perm_matrices(transpose=False))["relative_defect"] > 0.5


def test_best_hexagon_plane_finds_the_hexagon_of_the_permutation_representation():
    """The 4 PCA eigenvalues are degenerate, so no PC pair need be hexagonal, but some plane is."""
    ratios, proj = s3_pca.pca(perm_matrices(transpose=True))
    assert np.allclose(ratios[:4], 0.25) and ratios[4:].sum() < 1e-12
    best = s3_pca.best_hexagon_plane(proj[:, :4])
    assert best["radial_cv"] < 1e-3 and best["max_angle_dev_deg"] < 0.5
    parity = np.array([s3.parity(e) for e in s3_elements()])[best["order"]]
    assert np.all(parity != np.roll(parity, -1))  # even and odd permutations alternate round the hexagon


# --- predicted accuracy -------------------------------------------------------------------------------------


def test_predicted_accuracy_without_parallelograms_is_training_fraction():
    rng = np.random.default_rng(0)
    for n in (1, 7, 24, 36):
        mask = np.zeros(36, dtype=bool)
        mask[rng.choice(36, n, replace=False)] = True
        assert s3.s3_predicted_accuracy(mask, np.zeros(90, dtype=bool)) == pytest.approx(n / 36)


def test_predicted_accuracy_with_all_parallelograms_covers_the_trained_classes():
    labels = s3_task().labels
    everything = np.ones(90, dtype=bool)
    one_per_class = np.zeros(36, dtype=bool)
    one_per_class[[np.flatnonzero(labels == c)[0] for c in range(6)]] = True
    assert s3.s3_predicted_accuracy(one_per_class, everything) == 1.0
    two_classes = np.zeros(36, dtype=bool)
    two_classes[np.flatnonzero(labels == 0)[:3]] = True
    two_classes[np.flatnonzero(labels == 4)[:1]] = True
    assert s3.s3_predicted_accuracy(two_classes, everything) == pytest.approx(12 / 36)


def test_predicted_accuracy_single_parallelogram():
    quads = s3_parallelograms(s3_task())
    index = {tuple(p): k for k, p in enumerate(s3_task().pairs)}
    s, t = index[tuple(quads[0, :2])], index[tuple(quads[0, 2:])]
    realised = np.zeros(90, dtype=bool)
    realised[0] = True
    mask = np.zeros(36, dtype=bool)
    mask[s] = True
    assert s3.s3_predicted_accuracy(mask, realised) == pytest.approx(2 / 36)
    mask[t] = True  # both ends already trained: nothing added
    assert s3.s3_predicted_accuracy(mask, realised) == pytest.approx(2 / 36)
    other = np.zeros(36, dtype=bool)
    other[[k for k in range(36) if k not in (s, t)][0]] = True  # not joined by the realised one
    assert s3.s3_predicted_accuracy(other, realised) == pytest.approx(1 / 36)


# --- fraction numbers on a synthetic table ------------------------------------------------------------------


def synthetic_runs() -> pd.DataFrame:
    # n = 9: nobody reaches; 18: 1 of 3; 24: 2 of 3; 30: 3 of 3 -> r_c estimate = 24/36
    steps = {9: [None, None, None], 18: [5000, None, None], 24: [3000, 4000, None], 30: [1000, 1500, 2000]}
    rows = []
    for n, ss in steps.items():
        for seed, st in enumerate(ss):
            rows.append(dict(n_train=n, fraction=n / 36, seed=seed, rqi_step=st, train_step=10, val_step=20,
                             final_rqi=0.2 + 0.1 * seed, acc=0.9, pred_acc=0.95 if (n, seed) == (30, 0) else 0.5))
    df = pd.DataFrame(rows)
    for c in ("rqi_step", "train_step", "val_step"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    return df


def test_fraction_numbers_synthetic():
    nums = s3_fraction.fraction_numbers(synthetic_runs())
    assert list(nums.columns) == s3_fraction.FRACTION_NUMBER_COLUMNS

    def get(q, n=None, method="measured"):
        sel = nums[(nums.quantity == q) & (nums.method == method)]
        sel = sel[sel.n_train.isna()] if n is None else sel[sel.n_train == n]
        assert len(sel) == 1, (q, n, method)
        return sel.value.iloc[0]

    assert np.isnan(get("rqi_step_min", 9))
    assert get("rqi_step_min", 24) == 3000
    assert np.isnan(get("rqi_step_median", 18))
    assert get("rqi_step_median", 24) == 4000
    assert get("n_seeds_reached", 30) == 3
    assert get("final_rqi_max", 30) == pytest.approx(0.4)
    assert get("r_c_estimate", method="majority_of_seeds_reach_rqi") == pytest.approx(24 / 36)
    assert get("largest_fraction_none_reached") == pytest.approx(9 / 36)
    assert get("pred_acc_le_acc_count") == 11
    assert get("pred_acc_le_acc_fraction") == pytest.approx(11 / 12)
    assert get("pred_acc_minus_acc_max") == pytest.approx(0.05)


# --- the runners (short budgets) ----------------------------------------------------------------------------

# Short budgets keep each test under 20 s on a shared 2-core machine (2-150 ms per step per group seen here).
SWEEP = dict(n_train=[12, 30], seeds=[0, 1], steps=60, lr_repr=1e-3, lr_decoder=1e-4, weight_decay=0.0,
             init_scale=1.0, rqi_tolerance=0.5, rqi_threshold=0.95)


@pytest.mark.slow
def test_run_fraction_sweep_tiny():
    df, emb = s3_fraction.run_fraction_sweep(SWEEP, progress=False)
    assert list(df.columns) == s3_fraction.RUN_COLUMNS
    assert len(df) == 4 and emb.shape == (4, 6, 9) and np.isfinite(emb).all()
    assert df.n_train.tolist() == [12, 12, 30, 30] and df.seed.tolist() == [0, 1, 0, 1]
    assert np.allclose(df.fraction, df.n_train / 36)
    assert str(df.rqi_step.dtype) == "Int64"
    assert (df.pred_acc >= df.n_train / 36 - 1e-12).all() and (df.pred_acc <= 1).all()
    assert ((df.acc >= 0) & (df.acc <= 1)).all()
    assert np.allclose(df.acc * 36, np.round(df.acc * 36))  # a count of the 36 samples
    # pred_acc is recomputed from the returned embeddings and each run's own training set
    for k, r in df.iterrows():
        realised = s3.s3_realised(emb[k])
        assert realised.mean() == pytest.approx(r.final_rqi)
        assert s3.s3_predicted_accuracy(s3.train_mask_of(r.seed, r.n_train), realised) == r.pred_acc
    nums = s3_fraction.fraction_numbers(df)
    assert set(nums.quantity) >= {"rqi_step_min", "final_rqi_max", "acc_mean", "pred_acc_mean",
                                  "pred_acc_le_acc_fraction", "r_c_estimate"}


def test_run_pca_short():
    res = s3_pca.run_pca(dict(steps=100, hexagon_baseline_sets=3), progress=False)
    assert res["projections"].shape == (6, 4)
    assert res["explained_variance"].sum() == pytest.approx(1.0)
    assert np.all(np.diff(res["explained_variance"]) <= 1e-12)
    assert set(res["hexagon"]) == {"PC1-PC2", "PC1-PC3", "PC1-PC4", "PC2-PC3", "PC2-PC4", "PC3-PC4"}
    assert res["paper_plane"] == "PC1-PC3"
    assert np.isfinite(res["homomorphism_defect"])
    nums = s3_pca.pca_numbers(res)
    assert list(nums.columns) == s3_pca.PCA_NUMBER_COLUMNS
    assert nums.quantity.is_unique
    assert "hexagon_radial_cv_pc1_pc3" in set(nums.quantity)

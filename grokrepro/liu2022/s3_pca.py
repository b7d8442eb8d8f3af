"""Liu et al. (2022) Fig 17 / L-39: PCA of the learned S3 matrices (App H.2; the S3 task and its group algebra are in
:mod:`grokrepro.liu2022.s3`).

:func:`run_pca` and :func:`pca_numbers`: the final 3x3 embeddings, flattened to 9-vectors, centred and projected on
their principal components. Paper: the 6 points form a hexagon in the PC1–PC3 plane.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd

from grokrepro.liu2022.s3 import homomorphism, int_or_na, parity, train_settings
from grokrepro.liu2022.tasks import s3_elements
from grokrepro.train import RunSpec, log_record_steps, train_batched

PCA_NUMBER_COLUMNS = ["quantity", "value", "method"]
PAPER_PLANE = (0, 2)  # PC1–PC3 (0-based component indices)


def hexagon_score(points2d) -> dict:
    """How close 6 points in a plane are to a regular hexagon about their centroid.

    Points are sorted by angle around the centroid. Returns radial_cv = std(r)/mean(r) of the distances to the
    centroid, max_angle_dev_deg = max |gap − 60°| over the 6 consecutive angular gaps (wrapping), and ``order`` (the
    point indices in angular order). A regular hexagon scores 0 and 0.
    """
    pts = np.asarray(points2d, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        raise ValueError(f"expected points of shape (n, 2), got {pts.shape}")
    d = pts - pts.mean(axis=0)
    r = np.hypot(d[:, 0], d[:, 1])
    ang = np.arctan2(d[:, 1], d[:, 0])
    order = np.argsort(ang, kind="stable")
    a = ang[order]
    gaps = np.degrees(np.diff(np.concatenate([a, a[:1] + 2 * np.pi])))
    ideal = 360.0 / len(pts)
    return dict(
        radial_cv=float(r.std() / r.mean()) if r.mean() > 0 else np.nan,
        max_angle_dev_deg=float(np.abs(gaps - ideal).max()),
        order=[int(i) for i in order],
    )


def _hexagon_errors(proj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised (radial_cv, max_angle_dev_deg) of point sets (N, 6, 2)."""
    d = proj - proj.mean(axis=1, keepdims=True)
    r = np.hypot(d[..., 0], d[..., 1])
    a = np.sort(np.arctan2(d[..., 1], d[..., 0]), axis=1)
    gaps = np.degrees(np.diff(np.concatenate([a, a[:, :1] + 2 * np.pi], axis=1), axis=1))
    return r.std(axis=1) / r.mean(axis=1), np.abs(gaps - 60.0).max(axis=1)


def best_hexagon_plane(points, *, n_random: int = 20_000, n_refine: int = 300, seed: int = 0) -> dict:
    """The 2-plane through the centroid of 6 points (6, k) whose projection is most hexagonal.

    Searches orthonormal frames W (k, 2) at random, then refines the best by shrinking random perturbations;
    the error minimised is radial_cv + max_angle_dev_deg / 60 (as for ``best_plane`` of :func:`run_pca`). Answers
    whether *some* plane of the span shows a hexagon, independently of how PCA orders near-degenerate components.
    Returns radial_cv, max_angle_dev_deg, order, variance_fraction (share of the points' variance in the plane),
    basis (k, 2).
    """
    x = np.asarray(points, dtype=np.float64)
    x = x - x.mean(axis=0)
    k = x.shape[1]
    rng = np.random.default_rng(seed)

    def frames(raw):
        q, _ = np.linalg.qr(raw)
        return q[..., :2]

    def error(w):
        cv, dev = _hexagon_errors(np.einsum("pk,nkj->npj", x, w))
        return cv + dev / 60.0

    w = frames(rng.standard_normal((n_random, k, 2)))
    err = error(w)
    best_w, best_e = w[err.argmin()], err.min()
    for sigma in np.geomspace(0.3, 1e-4, n_refine):
        cand = frames(best_w[None] + sigma * rng.standard_normal((64, k, 2)))
        e = error(cand)
        if e.min() < best_e:
            best_w, best_e = cand[e.argmin()], e.min()
    sc = hexagon_score(x @ best_w)
    sc["variance_fraction"] = float(((x @ best_w) ** 2).sum() / (x**2).sum())
    sc["basis"] = best_w
    return sc


def _hexagon_error(sc: dict) -> float:
    return sc["radial_cv"] + sc["max_angle_dev_deg"] / 60.0


def hexagon_baseline(n_sets: int = 30, *, seed: int = 0) -> dict:
    """Hexagon errors (radial_cv + max_angle_dev_deg/60) of random embeddings, for comparison with a learned one.

    Draws ``n_sets`` i.i.d. Gaussian (6, 9) embeddings and scores each like :func:`run_pca` does: the PC1–PC3 plane
    and :func:`best_hexagon_plane` (same search settings) over the span of PC1–PC4. Six generic points in 4
    dimensions usually have a fairly hexagonal projection, so that search alone proves little. Returns arrays
    ``paper_plane`` and ``best_any_plane`` (n_sets,).
    """
    rng = np.random.default_rng(seed)
    paper, anyp = [], []
    for _ in range(n_sets):
        _, proj = pca(rng.standard_normal((6, 9)))
        paper.append(_hexagon_error(hexagon_score(proj[:, list(PAPER_PLANE)])))
        anyp.append(_hexagon_error(best_hexagon_plane(proj[:, :4])))
    return dict(paper_plane=np.array(paper), best_any_plane=np.array(anyp))


def pca(embeddings) -> tuple[np.ndarray, np.ndarray]:
    """PCA of the 6 flattened 9-vectors: (explained variance ratios (6,), projections (6, 6)) of the centred points.

    Component signs are fixed so that each component's largest-|loading| entry is positive.
    """
    x = np.asarray(embeddings, dtype=np.float64).reshape(6, 9)
    x = x - x.mean(axis=0)
    u, sv, vt = np.linalg.svd(x, full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1.0
    proj = u * sv * signs
    var = sv**2
    return var / var.sum(), proj


def _plane_name(i: int, j: int) -> str:
    return f"PC{i + 1}-PC{j + 1}"


def run_pca(cfg: dict, *, device="cpu", progress=True) -> dict:
    """Train the Fig 17 run and describe its final embeddings (our [Choice], docs/decisions.md: the Fig 6d run at
    (1e-4, wd 0)).

    cfg keys (defaults in brackets): seed [0], n_train [24], lr_repr [1e-3], lr_decoder [1e-4], weight_decay [0],
    init_scale [1.0], steps [10000], rqi_tolerance [0.5], rqi_threshold [0.95], hexagon_baseline_sets [30].
    Returns a dict with
    explained_variance (6,), projections (6, 4), hexagon ({plane name: hexagon_score + parity_alternates}),
    paper_plane, best_plane (the PC pair among the first 4 with the smallest radial_cv + max_angle_dev_deg/60),
    best_any_plane (:func:`best_hexagon_plane` over the span of PC1–PC4, with parity_alternates),
    hexagon_baseline (medians of the hexagon error, radial_cv + max_angle_dev_deg/60, over ``hexagon_baseline_sets``
    [30] random Gaussian embeddings, and the share of them scoring at least as well as the learned one),
    homomorphism (see :func:`homomorphism`), homomorphism_defect, embeddings (6, 9), history (step, loss_train,
    acc_train, acc_val, rqi at log-spaced steps, ``record_per_decade`` [10] a decade), final_acc_train,
    final_acc_val, final_rqi, train_step, val_step, rqi_step, steps, seconds.
    """
    steps = int(cfg.get("steps", 10_000))
    spec = RunSpec(seed=int(cfg.get("seed", 0)), n_train=int(cfg.get("n_train", 24)),
                   lr_repr=float(cfg.get("lr_repr", 1e-3)), lr_decoder=float(cfg.get("lr_decoder", 1e-4)),
                   wd_decoder=float(cfg.get("weight_decay", 0.0)), init_scale=float(cfg.get("init_scale", 1.0)))
    t0 = time.perf_counter()
    record = log_record_steps(steps, int(cfg.get("record_per_decade", 10)))
    res = train_batched([spec], train_settings(cfg, steps, record, device, progress, "liu2022 fig17 (S3)"))
    seconds = time.perf_counter() - t0
    emb = res.embeddings[-1, 0].astype(np.float64)  # (6, 9), at step steps - 1
    ratios, proj = pca(emb)
    parities = np.array([parity(p) for p in s3_elements()])
    hexagon = {}
    for i, j in itertools.combinations(range(4), 2):
        sc = hexagon_score(proj[:, [i, j]])
        par = parities[sc["order"]]
        sc["parity_alternates"] = bool(np.all(par != np.roll(par, -1)))
        hexagon[_plane_name(i, j)] = sc
    best = min(hexagon, key=lambda k: _hexagon_error(hexagon[k]))
    any_plane = best_hexagon_plane(proj[:, :4])
    par = parities[any_plane["order"]]
    any_plane["parity_alternates"] = bool(np.all(par != np.roll(par, -1)))
    base = hexagon_baseline(int(cfg.get("hexagon_baseline_sets", 30)))
    paper_error = _hexagon_error(hexagon[_plane_name(*PAPER_PLANE)])
    baseline = dict(
        n_sets=len(base["paper_plane"]),
        paper_plane_median=float(np.median(base["paper_plane"])),
        best_any_plane_median=float(np.median(base["best_any_plane"])),
        # share of random embeddings at least as hexagonal as the learned one (small: the learned one stands out)
        paper_plane_fraction_le=float(np.mean(base["paper_plane"] <= paper_error)),
        best_any_plane_fraction_le=float(np.mean(base["best_any_plane"] <= _hexagon_error(any_plane))),
    )
    hom = homomorphism(emb)
    s = res.summary.iloc[0]
    return dict(
        explained_variance=ratios,
        projections=proj[:, :4],
        hexagon=hexagon,
        paper_plane=_plane_name(*PAPER_PLANE),
        best_plane=best,
        best_any_plane=any_plane,
        hexagon_baseline=baseline,
        homomorphism=hom,
        homomorphism_defect=hom["relative_defect"],
        embeddings=emb,
        history=res.history.drop(columns="model"),
        final_acc_train=float(s.final_acc_train),
        final_acc_val=float(s.final_acc_val),
        final_rqi=float(s.final_rqi),
        train_step=int_or_na(s.train_step),
        val_step=int_or_na(s.val_step),
        rqi_step=int_or_na(s.rqi_step),
        steps=steps,
        seconds=seconds,
    )


def pca_numbers(result: dict) -> pd.DataFrame:
    """Flatten :func:`run_pca`'s result into (quantity, value, method) rows."""
    rows: list[tuple[str, float, str]] = []

    def add(q, v, method="measured"):
        rows.append((q, float(v) if v is not None and not pd.isna(v) else np.nan, method))

    for k, v in enumerate(result["explained_variance"]):
        add(f"explained_variance_ratio_pc{k + 1}", v)
    add("explained_variance_ratio_pc1_pc4", float(np.sum(result["explained_variance"][:4])))
    for plane, sc in result["hexagon"].items():
        key = plane.lower().replace("-", "_")
        add(f"hexagon_radial_cv_{key}", sc["radial_cv"])
        add(f"hexagon_max_angle_dev_deg_{key}", sc["max_angle_dev_deg"])
        add(f"hexagon_parity_alternates_{key}", sc["parity_alternates"])
    paper, best = result["hexagon"][result["paper_plane"]], result["hexagon"][result["best_plane"]]
    add("hexagon_radial_cv_paper_plane", paper["radial_cv"])
    add("hexagon_max_angle_dev_deg_paper_plane", paper["max_angle_dev_deg"])
    add("hexagon_radial_cv_best_plane", best["radial_cv"])
    add("hexagon_max_angle_dev_deg_best_plane", best["max_angle_dev_deg"])
    anyp = result["best_any_plane"]
    add("hexagon_radial_cv_best_any_plane_pc1_4", anyp["radial_cv"])
    add("hexagon_max_angle_dev_deg_best_any_plane_pc1_4", anyp["max_angle_dev_deg"])
    add("hexagon_variance_fraction_best_any_plane_pc1_4", anyp["variance_fraction"])
    add("hexagon_parity_alternates_best_any_plane_pc1_4", anyp["parity_alternates"])
    for q, v in result["hexagon_baseline"].items():
        add(f"hexagon_baseline_{q}", v, "random_gaussian_baseline")
    add("hexagon_error_paper_plane", _hexagon_error(paper))
    add("hexagon_error_best_any_plane_pc1_4", _hexagon_error(anyp))
    i, j = (int(x[2:]) for x in result["best_plane"].split("-"))
    add("best_plane_pc_a", i)
    add("best_plane_pc_b", j)
    hom = result["homomorphism"]
    add("homomorphism_relative_defect", hom["relative_defect"])
    add("homomorphism_scale", hom["scale"])
    add("identity_matrix_defect", hom["identity_defect"])
    for k, v in enumerate(np.asarray(hom["identity_matrix"]).reshape(-1)):
        add(f"identity_matrix_entry_{k // 3}{k % 3}", v)
    for k, (perm, v) in enumerate(zip(s3_elements(), hom["characters"])):
        add(f"character_g{k}_{''.join(map(str, perm))}", v)
    for q in ("final_acc_train", "final_acc_val", "final_rqi", "train_step", "val_step", "rqi_step", "steps"):
        add(q, result[q])
    hist = result["history"]
    add("rqi_max_over_training", hist.rqi.max())
    add("rqi_step_of_max", hist.step[hist.rqi.idxmax()])
    add("seconds", result["seconds"], "timing")
    return pd.DataFrame(rows, columns=PCA_NUMBER_COLUMNS)

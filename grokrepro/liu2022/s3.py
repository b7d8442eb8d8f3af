"""Liu et al. (2022) App H.2: the permutation group S3 (Fig 17 / L-39, Fig 18 / L-40).

Decisions: docs/decisions.md (Toy model; Parallelograms, RQI and λ3; Smaller experiments). Every run is the S3
regression of the Fig 6d notebook (notebook flavour, MSE, 30-D random targets, init scale 1.0, no L1: L-D7), trained
with :func:`grokrepro.train.train_batched`.

- **Fig 18** (:func:`run_fraction_sweep`, :func:`fraction_numbers`): RQI, steps to RQI > 0.95, accuracy on the full
  36-sample dataset (Acc) and the predicted accuracy Âcc against the training fraction n/36. Paper: the steps to
  RQI > 0.95 diverge below r_c ≈ 0.5, and Âcc ≤ Acc (Âcc is a lower bound).
- **Fig 17** (:func:`run_pca`, :func:`pca_numbers`): the final 3x3 embeddings, flattened to 9-vectors, centred and
  projected on their principal components. Paper: the 6 points form a hexagon in the PC1–PC3 plane.

Âcc for S3 (Eq 12–13 with S3's generalised parallelograms): a parallelogram (a, b, c, d) states E_a E_b = E_c E_d and
joins the samples (a, b) and (c, d); it is *realised* when it passes the S3 RQI test (embeddings divided by their RMS
over all entries, reshaped 3x3, mean over the 9 entries of (S_a S_b − S_c S_d)² below the tolerance 0.5). Then
D̄ = D ∪ {s : a realised parallelogram joins s with a training sample} and Âcc = |D̄| / 36.

Composition convention: :data:`grokrepro.liu2022.tasks.S3_CONVENTION` (label(a, b) = b∘a, apply a first). In this
convention E_g = P_gᵀ, with P_g the permutation matrix P_g e_k = e_{g(k)}, satisfies E_a E_b = E_{label(a, b)}.
"""

from __future__ import annotations

import itertools
import math
import time
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022 import theory
from grokrepro.liu2022.rqi import s3_parallelograms
from grokrepro.liu2022.tasks import s3_elements, s3_task, split_mask
from grokrepro.train import RunSpec, TrainSettings, log_record_steps, train_batched

N_SAMPLES = 36
RUN_COLUMNS = ["n_train", "fraction", "seed", "rqi_step", "train_step", "val_step", "final_rqi", "acc", "pred_acc"]
FRACTION_NUMBER_COLUMNS = ["quantity", "value", "n_train", "fraction", "method"]
PCA_NUMBER_COLUMNS = ["quantity", "value", "method"]
PAPER_PLANE = (0, 2)  # PC1–PC3 (0-based component indices)


# ---------------------------------------------------------------------------------------------------------------
# Generalised parallelograms, realised set, predicted accuracy


@lru_cache(maxsize=1)
def _quads() -> np.ndarray:
    """The 90 S3 parallelograms (a, b, c, d) of :func:`grokrepro.liu2022.rqi.s3_parallelograms`."""
    quads = s3_parallelograms(s3_task())
    quads.setflags(write=False)
    return quads


def normalised_matrices(embeddings) -> torch.Tensor:
    """Embeddings (..., 6, 9) divided by their RMS over all 54 entries, reshaped to (..., 6, 3, 3).

    Floating inputs keep their dtype (float32 embeddings give the trainer's RQI arithmetic exactly); others become
    float64.
    """
    e = embeddings.detach().cpu() if torch.is_tensor(embeddings) else torch.from_numpy(np.array(embeddings))
    if not e.is_floating_point():
        e = e.to(torch.float64)
    if e.shape[-2:] != (6, 9):
        raise ValueError(f"S3 embeddings must have shape (..., 6, 9), got {tuple(e.shape)}")
    rms = (e**2).mean(dim=(-2, -1), keepdim=True).sqrt()
    return (e / rms).reshape(*e.shape[:-1], 3, 3)


def s3_defects(embeddings) -> np.ndarray:
    """Squared defect of every parallelogram, :func:`grokrepro.liu2022.rqi.s3_defects`, in the embeddings' own
    floating dtype (float32 embeddings give the trainer's RQI arithmetic exactly): (..., 6, 9) -> (..., 90)."""
    e = embeddings.detach().cpu() if torch.is_tensor(embeddings) else torch.from_numpy(np.array(embeddings))
    if not e.is_floating_point():
        e = e.to(torch.float64)
    if e.shape[-2:] != (6, 9):
        raise ValueError(f"S3 embeddings must have shape (..., 6, 9), got {tuple(e.shape)}")
    return rqi_mod.s3_defects(e, torch.tensor(_quads())).numpy()


def s3_realised(embeddings, tolerance: float = 0.5) -> np.ndarray:
    """Which of the 90 S3 parallelograms the embeddings realise (defect < tolerance). (..., 6, 9) -> bool (..., 90).

    Rows follow :func:`grokrepro.liu2022.rqi.s3_parallelograms`; ``realised.mean(-1)`` is the S3 RQI.
    """
    return s3_defects(embeddings) < tolerance


s3_predicted_accuracy = theory.s3_predicted_accuracy  # Âcc for S3 (Eq 12-13), defined with the other theory


def train_mask_of(seed: int, n_train: int) -> np.ndarray:
    """The training set of the notebook-flavour S3 run with this seed and size, as a (36,) bool mask."""
    return split_mask(s3_task(), int(seed), int(n_train), "notebook")


# ---------------------------------------------------------------------------------------------------------------
# Fig 18 / L-40: the training-fraction sweep


def _settings(cfg: dict, steps: int, record: tuple[int, ...], device: str, progress: bool, desc: str) -> TrainSettings:
    return TrainSettings(
        task="s3", flavour="notebook", loss="mse", steps=steps, track_rqi=True,
        rqi_tolerance=float(cfg.get("rqi_tolerance", 0.5)), rqi_threshold=float(cfg.get("rqi_threshold", 0.95)),
        stop_when_decided=False, record_steps=record, record_embeddings=True, device=device, progress=progress,
        desc=desc,
    )


def _int_or_na(v):
    return pd.NA if pd.isna(v) else int(v)


def run_fraction_sweep(cfg: dict, *, device="cpu", progress=True) -> tuple[pd.DataFrame, np.ndarray]:
    """Train every (n_train, seed) of the Fig 18 grid in one :func:`train_batched` call.

    cfg keys: n_train (list), seeds (list), steps, lr_repr, lr_decoder, weight_decay, init_scale, rqi_tolerance,
    rqi_threshold. Returns (per-run table with ``RUN_COLUMNS``, final embeddings (K, 6, 9) in the table's row order).

    ``acc`` is the accuracy on the full 36 samples at the final step, (n·acc_train + (36 − n)·acc_val)/36;
    ``pred_acc`` is Âcc of the final embeddings; ``rqi_step`` is NA when RQI > threshold was never reached.
    """
    steps = int(cfg["steps"])
    n_list = [int(n) for n in cfg["n_train"]]
    seeds = [int(s) for s in cfg["seeds"]]
    for n in n_list:
        if not 1 <= n <= N_SAMPLES:
            raise ValueError(f"n_train must be in 1..{N_SAMPLES}, got {n}")
    runs = [
        RunSpec(seed=s, n_train=n, lr_repr=float(cfg["lr_repr"]), lr_decoder=float(cfg["lr_decoder"]),
                wd_decoder=float(cfg["weight_decay"]), init_scale=float(cfg["init_scale"]))
        for n in n_list
        for s in seeds
    ]
    res = train_batched(runs, _settings(cfg, steps, (steps - 1,), device, progress, "liu2022 fig18 (S3)"))
    final = res.embeddings[-1]  # (K, 6, 9)
    s = res.summary
    n = s.n_train.to_numpy(int)
    acc_train = s.final_acc_train.to_numpy(float)
    acc_val = np.where(n < N_SAMPLES, s.final_acc_val.to_numpy(float), 0.0)
    acc = np.rint(n * acc_train + (N_SAMPLES - n) * acc_val) / N_SAMPLES  # a count of the 36 samples (NaN stays)
    realised = s3_realised(final, float(cfg.get("rqi_tolerance", 0.5)))
    pred = np.array([s3_predicted_accuracy(train_mask_of(seed, nn), realised[k])
                     for k, (seed, nn) in enumerate(zip(s.seed.to_numpy(int), n))])
    df = pd.DataFrame({
        "n_train": n,
        "fraction": n / N_SAMPLES,
        "seed": s.seed.to_numpy(int),
        "rqi_step": pd.array([_int_or_na(v) for v in s.rqi_step], dtype="Int64"),
        "train_step": pd.array([_int_or_na(v) for v in s.train_step], dtype="Int64"),
        "val_step": pd.array([_int_or_na(v) for v in s.val_step], dtype="Int64"),
        "final_rqi": s.final_rqi.to_numpy(float),
        "acc": acc,
        "pred_acc": pred,
    })
    return df[RUN_COLUMNS], final


def fraction_numbers(runs: pd.DataFrame) -> pd.DataFrame:
    """Numbers of Fig 18 / L-40 from :func:`run_fraction_sweep`'s table (``FRACTION_NUMBER_COLUMNS``).

    Per n_train: rqi_step_min (the paper's blue "min" line; NaN when no seed reaches RQI > 0.95),
    rqi_step_median (never-reached counted as +inf; NaN when that is the median), n_seeds, n_seeds_reached,
    final_rqi_max (the paper's blue "max" line), final_rqi_mean, acc_mean, pred_acc_mean, acc_min, pred_acc_min,
    pred_acc_le_acc_fraction. Overall (n_train NA): n_runs, pred_acc_le_acc_count, pred_acc_le_acc_fraction,
    pred_acc_minus_acc_max, r_c_estimate (smallest grid fraction from which on every grid fraction has more than half
    of its seeds reaching RQI > 0.95; NaN when the largest does not), largest_fraction_none_reached, and the paper's
    r_c ≈ 0.5 (method ``paper``).
    """
    rows: list[dict] = []

    def add(q, v, n=pd.NA, method="measured"):
        rows.append(dict(quantity=q, value=float(v) if v is not None and not pd.isna(v) else np.nan,
                         n_train=n, fraction=(n / N_SAMPLES) if n is not pd.NA else np.nan, method=method))

    le = pd.Series(runs.pred_acc.to_numpy(float) <= runs.acc.to_numpy(float) + 1e-12, index=runs.index)
    majority = {}
    for n, g in runs.groupby("n_train", sort=True):
        n = int(n)
        steps = g.rqi_step.astype("Float64").to_numpy(float, na_value=np.inf)
        reached = np.isfinite(steps)
        med = float(np.median(steps))
        add("rqi_step_min", steps.min() if reached.any() else np.nan, n)
        add("rqi_step_median", med if math.isfinite(med) else np.nan, n)
        add("n_seeds", len(g), n)
        add("n_seeds_reached", reached.sum(), n)
        add("final_rqi_max", g.final_rqi.max(), n)
        add("final_rqi_mean", g.final_rqi.mean(), n)
        add("acc_mean", g.acc.mean(), n)
        add("acc_min", g.acc.min(), n)
        add("pred_acc_mean", g.pred_acc.mean(), n)
        add("pred_acc_min", g.pred_acc.min(), n)
        add("pred_acc_le_acc_fraction", le[g.index].mean(), n)
        majority[n] = (reached.sum() > len(g) / 2, reached.any())
    add("n_runs", len(runs))
    add("pred_acc_le_acc_count", le.sum())
    add("pred_acc_le_acc_fraction", le.mean() if len(le) else np.nan)
    add("pred_acc_minus_acc_max", (runs.pred_acc - runs.acc).max())
    ns = sorted(majority)
    r_c = np.nan
    for i in range(len(ns) - 1, -1, -1):
        if not majority[ns[i]][0]:
            break
        r_c = ns[i] / N_SAMPLES
    add("r_c_estimate", r_c, method="majority_of_seeds_reach_rqi")
    none = [n for n in ns if not majority[n][1]]
    add("largest_fraction_none_reached", max(none) / N_SAMPLES if none else np.nan)
    add("r_c_estimate", 0.5, method="paper")
    out = pd.DataFrame(rows, columns=FRACTION_NUMBER_COLUMNS)
    out["n_train"] = out["n_train"].astype("Int64")
    return out


# ---------------------------------------------------------------------------------------------------------------
# Fig 17 / L-39: PCA of the learned 3x3 matrices


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


def _parity(perm: tuple[int, ...]) -> int:
    """+1 for even permutations, −1 for odd."""
    inv = sum(1 for i, j in itertools.combinations(range(len(perm)), 2) if perm[i] > perm[j])
    return 1 if inv % 2 == 0 else -1


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


def homomorphism(embeddings) -> dict:
    """How close the RMS-normalised matrices S_g are to a representation up to a scale: S_a S_b ≈ c S_{label(a,b)}.

    c is the least-squares scale over all 36 pairs; T_g = S_g / c then satisfies T_a T_b ≈ T_{label(a, b)}.
    Returns the relative defect mean_ab ||S_a S_b − c S_ab||² / (c² mean_g ||S_g||²) (scale-free: 0 for a
    representation, whatever its overall scale), c, the identity element's matrix T_e, ||T_e − I||_F / ||I||_F,
    and the characters tr T_g.
    """
    task = s3_task()
    s = normalised_matrices(np.asarray(embeddings, dtype=np.float64)).numpy()  # (6, 3, 3)
    a, b = task.pairs[:, 0], task.pairs[:, 1]
    prod = s[a] @ s[b]
    target = s[task.labels]
    c = float((prod * target).sum() / (target**2).sum())
    defect = float(((prod - c * target) ** 2).sum(axis=(1, 2)).mean() / (c**2 * (s**2).sum(axis=(1, 2)).mean()))
    t = s / c if c != 0 else np.full_like(s, np.nan)
    elems = s3_elements()
    e = elems.index((0, 1, 2))
    return dict(
        relative_defect=defect,
        scale=c,
        identity_matrix=t[e],
        identity_defect=float(np.linalg.norm(t[e] - np.eye(3)) / np.sqrt(3)),
        characters=np.trace(t, axis1=1, axis2=2),
    )


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
    res = train_batched([spec], _settings(cfg, steps, record, device, progress, "liu2022 fig17 (S3)"))
    seconds = time.perf_counter() - t0
    emb = res.embeddings[-1, 0].astype(np.float64)  # (6, 9), at step steps - 1
    ratios, proj = pca(emb)
    parity = np.array([_parity(p) for p in s3_elements()])
    hexagon = {}
    for i, j in itertools.combinations(range(4), 2):
        sc = hexagon_score(proj[:, [i, j]])
        par = parity[sc["order"]]
        sc["parity_alternates"] = bool(np.all(par != np.roll(par, -1)))
        hexagon[_plane_name(i, j)] = sc
    best = min(hexagon, key=lambda k: _hexagon_error(hexagon[k]))
    any_plane = best_hexagon_plane(proj[:, :4])
    par = parity[any_plane["order"]]
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
        train_step=_int_or_na(s.train_step),
        val_step=_int_or_na(s.val_step),
        rqi_step=_int_or_na(s.rqi_step),
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

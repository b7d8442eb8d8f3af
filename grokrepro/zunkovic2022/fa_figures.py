"""Figs. 9 and 10 (Sec. 4.3.1, fixed attention, linear training of B only): the numbers behind Z-29 and Z-30
(docs/decisions.md, Fixed attention tensors). Built on :mod:`grokrepro.zunkovic2022.fixed_attention`.

- ``fig9``: the code's exact d = 4 attention (:func:`tensor_network.exact_attention`), B trained by the exact gradient
  flow of the Eq. 19 loss on the 24 sites of all length-3 strings, many N(0, 1) initialisations; the test error on
  random length-1000 sequences, aligned at each run's t_ε and averaged (Fig. 9), its value just before t_ε (the
  jump), and the same for the training error.
- ``fig10``: rejection-sampled random d = 2 attention tensors; ``pgrok_attention`` (Z-D8) = the fraction whose
  stationary solution (least squares with ridge λ2, or the lasso for λ1) has zero error on every test site, against
  λ1 and λ2, with binomial standard errors and paired L1 − L2 differences.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.zunkovic2022 import automata as ca
from grokrepro.zunkovic2022 import fixed_attention as fa
from grokrepro.zunkovic2022 import tensor_network as tn
from grokrepro.zunkovic2022.numbers import make_numbers


def _n(quantity, value, method="simulation", se=np.nan, **params):
    return dict(quantity=quantity, method=method, value=float(value), se=float(se), **params)


def _distinct_weighted(z: np.ndarray, y: np.ndarray):
    """(distinct features, their labels, their multiplicities) of sites ``z`` (n, D), ``y`` (n,)."""
    key, inv, cnt = np.unique(np.round(z, 12) + 0.0, axis=0, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    lab = np.zeros(len(key))
    lab[inv] = y
    conflicts = np.zeros(len(key))
    np.add.at(conflicts, inv, y != lab[inv])
    if conflicts.any():
        raise ValueError("a distinct feature carries both labels")
    return key, lab, cnt.astype(float)


# ------------------------------------------------------------------------------------------------ Fig. 9


def fig9(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy rows (panel ``aligned``: averaged test and training error against τ = t_ε − t per λ2; panel ``jumps``:
    per-init error just before t_ε) and the numbers of Z-29.

    cfg: ``lambda2_values`` (λ1 = 0: the flow is exact), ``inits`` (B(0) ~ N(0, 1)), ``test_sequences`` ×
    ``test_length`` (seeded random sequences, open BC), ``t_max`` and ``grid_points`` (the log time grid on which t_ε
    is bracketed before bisection), ``tau_log10`` ([lo, hi]) and ``tau_points`` (the aligned curve), ``ode_inits`` and
    ``ode_time`` (the Runge–Kutta check of the exact flow)."""
    rng = np.random.default_rng(seed)
    A, vl, vr = tn.exact_attention(4)
    x, y = fa.training_set()
    z_train = tn.features(A, x, vl, vr).reshape(-1, 2 * 4 * 4)
    y_train = y.ravel()
    xt = ca.random_sequences(int(cfg["test_sequences"]), int(cfg["test_length"]), rng)
    z_test = tn.features(A, xt, vl, vr).reshape(-1, 2 * 4 * 4)
    y_test = ca.to_pm1(ca.k_local(xt, 1)).ravel().astype(float)
    test = _distinct_weighted(z_test, y_test)
    train = _distinct_weighted(z_train, y_train)
    grid = np.r_[0.0, np.logspace(-4, np.log10(float(cfg["t_max"])), int(cfg["grid_points"]))]
    taus = np.logspace(*map(float, cfg["tau_log10"]), int(cfg["tau_points"]))
    n_init = int(cfg["inits"])
    rows = [_n("distinct_test_features", len(test[0]), d=4), _n("distinct_train_features", len(train[0]), d=4),
            _n("test_sites", len(y_test), d=4), _n("train_sites", len(y_train), d=4),
            # derived: the exact features are orthonormal, one per neighbourhood, so each run's last wrong sign before
            # t_ε is one neighbourhood, of weight 1/8 in random test sequences (docs/decisions.md)
            _n("aligned_error_jump", 1 / 8, "theory", d=4)]
    rows.append(_n("smallest_neighbourhood_weight", test[2].min() / test[2].sum(), d=4))
    rows.append(_n("largest_neighbourhood_weight", test[2].max() / test[2].sum(), d=4))
    tidy = []
    for lam2 in cfg["lambda2_values"]:
        lam2 = float(lam2)
        G, a = fa.quadratic_form(z_train, y_train, lam2)
        flow = fa.Flow(G, a)
        w0 = rng.standard_normal((n_init, G.shape[0]))
        t_eps = fa.zero_error_times(flow, *test, w0, grid)
        t_train = fa.zero_error_times(flow, *train, w0, grid)
        p = dict(lambda1=0.0, lambda2=lam2, d=4)
        # runs that start at zero test error (probability 2^-8) have no transition to align
        rows.append(_n("zero_at_start_fraction", np.mean(t_eps == 0), **p))
        reached = np.isfinite(t_eps) & (t_eps > 0)
        rows += [_n("never_zero_test_error_fraction", np.mean(~np.isfinite(t_eps)), **p),
                 _n("t_eps_median", np.median(t_eps[reached]) if reached.any() else np.nan, **p),
                 _n("t_grok_max_abs", np.max(np.abs(t_eps - t_train)[reached]) if reached.any() else np.nan, **p)]
        te, tt = t_eps[reached], t_train[reached]
        w = w0[reached]
        for tau in taus:
            e_test = fa.weighted_error(flow.scores(test[0], w, np.maximum(te - tau, 0.0)), test[1], test[2])
            e_train = fa.weighted_error(flow.scores(train[0], w, np.maximum(tt - tau, 0.0)), train[1], train[2])
            tidy.append(dict(panel="aligned", lambda2=lam2, tau=tau, test_error=e_test.mean(),
                             test_error_se=e_test.std(ddof=1) / np.sqrt(len(e_test)), train_error=e_train.mean()))
            if tau in (taus[0], taus[len(taus) // 2]):
                rows.append(_n("aligned_test_error", e_test.mean(), se=e_test.std(ddof=1) / np.sqrt(len(e_test)),
                               tau=tau, **p))
                rows.append(_n("aligned_train_error", e_train.mean(), se=e_train.std(ddof=1) / np.sqrt(len(e_train)),
                               tau=tau, **p))
            if tau == taus[0]:
                rows.append(_n("aligned_error_jump", e_test.mean(), se=e_test.std(ddof=1) / np.sqrt(len(e_test)), **p))
                rows += [_n("per_init_jump_min", e_test.min(), **p), _n("per_init_jump_max", e_test.max(), **p)]
                tidy += [dict(panel="jumps", lambda2=lam2, test_error=v) for v in e_test]
        # the exact flow against an independent Runge–Kutta integration
        k, T = int(cfg["ode_inits"]), float(cfg["ode_time"])
        ref = fa.rk4_reference(G, a, w0[:k], T)
        rows.append(_n("flow_vs_rk4_max_abs_diff", np.abs(flow.weights(w0[:k], np.full(k, T)) - ref).max(), **p))
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_fig9(tidy: pd.DataFrame, numbers: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    al = tidy[tidy.panel == "aligned"]
    for i, (lam2, g) in enumerate(al.groupby("lambda2")):
        axes[0].plot(g.tau, g.test_error, color=f"C{i}", label=f"test, λ2 = {lam2:g}")
        axes[0].plot(g.tau, g.train_error, color=f"C{i}", ls=":", label=f"train, λ2 = {lam2:g}")
    axes[0].axhline(0.25, color="k", ls="--", lw=0.8, label="paper: jump 1/4")
    axes[0].axhline(0.125, color="grey", ls="-.", lw=0.8, label="1/8 (one neighbourhood)")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("t_ε − t")
    axes[0].set_ylabel("⟨⟨error⟩⟩ aligned at t_ε")
    axes[0].set_title("exact d = 4 attention, B by exact gradient flow (Fig. 9; Z-29)", fontsize=9)
    axes[0].legend(fontsize=6)
    j = tidy[tidy.panel == "jumps"]
    axes[1].hist(j.test_error, bins=40, color="C0")
    axes[1].axvline(0.25, color="k", ls="--", lw=0.8)
    axes[1].set_xlabel("test error just before t_ε (one run)")
    axes[1].set_ylabel("runs")
    axes[1].set_title("per-run jump at t_ε (all λ2)", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------------ Fig. 10


def fig10(cfg: dict, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy rows (one per (λ1, λ2): P_G, its SE and the training-set zero-error fraction) and the numbers of Z-30.

    cfg: ``d`` (bond dimension), ``tensors`` (kept random A, real dominant eigenvalue of A(−1)), ``lambdas`` (the
    positive strengths; λ = 0 is added), ``train_length`` (all 2^M strings), ``test_sequences`` × ``test_length``
    (seeded random sequences, open BC), ``test_block`` (sequences per early-exit block)."""
    rng = np.random.default_rng(seed)
    d, n = int(cfg["d"]), int(cfg["tensors"])
    A, vl, vr, lam, drawn = fa.random_tensors(n, d, rng)
    x, y = fa.training_set(int(cfg["train_length"]))
    z = fa.batched_features(A, x, vl, vr).reshape(n, -1, 2 * d * d)
    G0, a0 = fa.quadratic_form(z, y.ravel())
    lambdas = [float(v) for v in cfg["lambdas"]]
    configs = [(0.0, 0.0)] + [(0.0, v) for v in lambdas] + [(v, 0.0) for v in lambdas]
    W, kkt = [], 0.0
    for l1, l2 in configs:
        if l1 > 0:
            w, ok = fa.lasso(G0, a0, l1, l2)
            if not ok.all():
                raise RuntimeError(f"lasso did not converge for {np.sum(~ok)} tensors at λ1 = {l1}")
            kkt = max(kkt, float(fa.lasso_kkt_violation(G0, a0, w, l1, l2).max()))
        else:
            w = fa.ridge(G0, a0, l2)
        W.append(w)
    W = np.stack(W, 1)                                                  # (n, C, D)
    xt = ca.random_sequences(int(cfg["test_sequences"]), int(cfg["test_length"]), rng)
    yt = ca.to_pm1(ca.k_local(xt, 1))
    ok = fa.zero_test_error(A, vl, vr, W, xt, yt, int(cfg["test_block"]))
    train_ok = np.all(np.sign(np.einsum("tnd,tcd->tcn", z, W)) == y.ravel(), -1)
    rej = 1 - n / drawn
    rows = [_n("rejected_fraction", rej, se=np.sqrt(rej * (1 - rej) / drawn), d=d),
            _n("rejected_fraction", 1 - fa.P_REAL_2X2, "theory", d=d) if d == 2 else None,
            _n("tensors", n, d=d), _n("tensors_drawn", drawn, d=d),
            _n("train_rank_min", np.linalg.matrix_rank(G0, tol=1e-12).min(), d=d),
            _n("lasso_kkt_max_violation", kkt, d=d)]
    rows = [r for r in rows if r is not None]
    tidy = []
    for c, (l1, l2) in enumerate(configs):
        p = ok[:, c].mean()
        se = fa.binomial_se(p, n)
        rows.append(_n("pgrok_attention", p, se=se, lambda1=l1, lambda2=l2, d=d))
        rows.append(_n("train_zero_error_fraction", train_ok[:, c].mean(), se=fa.binomial_se(train_ok[:, c].mean(), n),
                       lambda1=l1, lambda2=l2, d=d))
        diff = ok[:, c].astype(float) - ok[:, 0]
        rows.append(_n("pgrok_minus_unregularised", diff.mean(), se=diff.std(ddof=1) / np.sqrt(n), lambda1=l1,
                       lambda2=l2, d=d))
        tidy.append(dict(lambda1=l1, lambda2=l2, kind="none" if l1 == l2 == 0 else ("L1" if l1 else "L2"),
                         strength=max(l1, l2), pgrok_attention=p, se=se,
                         train_zero_error_fraction=train_ok[:, c].mean()))
    # paired L1 − L2 at equal strength (the same tensors)
    for i, v in enumerate(lambdas):
        diff = ok[:, 1 + len(lambdas) + i].astype(float) - ok[:, 1 + i]
        rows.append(_n("pgrok_l1_minus_l2", diff.mean(), se=diff.std(ddof=1) / np.sqrt(n), lambda1=v, lambda2=v, d=d))
    return pd.DataFrame(tidy), make_numbers(rows)


def plot_fig10(tidy: pd.DataFrame, numbers: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.6))
    none = tidy[tidy.kind == "none"]
    smallest = tidy[tidy.strength > 0].strength.min()
    for kind, style in (("L1", dict(color="C0", marker="o", label="λ1 (λ2 = 0)")),
                        ("L2", dict(color="C1", marker="s", label="λ2 (λ1 = 0)"))):
        t = tidy[tidy.kind == kind].sort_values("strength")
        ax.errorbar(t.strength, t.pgrok_attention, yerr=t.se, capsize=2, **style)
    ax.errorbar([smallest / 10], none.pgrok_attention, yerr=none.se, color="k", marker="^", capsize=2,
                label=f"λ = 0 (drawn at {smallest / 10:g})")
    ax.set_xscale("log")
    ax.set_xlabel("regularisation strength λ")
    ax.set_ylabel("P_G (pgrok_attention)")
    n = numbers[numbers.quantity == "tensors"].value.iloc[0]
    rej = numbers[(numbers.quantity == "rejected_fraction") & (numbers.method == "simulation")].value.iloc[0]
    ax.set_title(f"random d = 2 attention, {n:.0f} tensors, {rej:.1%} rejected (Fig. 10; Z-30)", fontsize=8)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig

"""Liu et al. theory figures: Fig 4a (critical fraction), Fig 4c (effective theory), Fig 5 (λ3), Fig 9 (p = 6
curriculum) and the dataset / |P0| counts of L-01. Decisions: docs/decisions.md (Parallelograms, RQI and λ3;
Smaller experiments). Each function returns (tidy table, numbers).

Numbers tables share the columns ``quantity, value, method, n_train, step, normalisation`` (unused ones empty).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from grokrepro.liu2022 import theory
from grokrepro.liu2022.fraction import median_rqi_steps
from grokrepro.liu2022.rqi import parallelograms, s3_parallelograms
from grokrepro.liu2022.tasks import addition_task, init_run, s3_task

NUMBER_COLUMNS = ["quantity", "value", "method", "n_train", "step", "normalisation"]


def _numbers(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame([{c: r.get(c, pd.NA) for c in NUMBER_COLUMNS} for r in rows], columns=NUMBER_COLUMNS)
    df["value"] = df["value"].astype(float)
    for c in ("n_train", "step"):
        df[c] = df[c].astype("Int64")
    return df


def setup_counts() -> pd.DataFrame:
    """L-01: dataset sizes and |P0| for p = 4, 6, 10, 11 (addition) and S3."""
    rows = []
    for p in (4, 6, 10, 11):
        rows += [dict(quantity=f"n_samples_p{p}", value=len(addition_task(p).pairs), method="counted"),
                 dict(quantity=f"n_parallelograms_p{p}", value=len(parallelograms(p)), method="counted")]
    task = s3_task()
    rows += [dict(quantity="n_samples_s3", value=task.n_samples, method="counted"),
             dict(quantity="n_parallelograms_s3", value=len(s3_parallelograms(task)), method="counted")]
    return _numbers(rows)


def fig4a(cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """P(nullity of A(P0(D)) = 2) against n = 1..55 from ``n_sets`` random training sets per n (L-03)."""
    curve = theory.p_linear_curve(p=int(cfg["p"]), n_values=range(1, len(addition_task(cfg["p"]).pairs) + 1),
                                  n_sets=int(cfg["n_sets"]), seed=int(cfg["seed"]))
    rows = [dict(quantity="p_linear", value=r.p_linear, method=f"{int(r.n_sets)} random sets", n_train=r.n_train)
            for r in curve.itertuples()]
    positive = curve[curve.p_linear > 0]
    rows += [dict(quantity="crossing_fraction", value=theory.crossing_fraction(curve), method="linear interpolation"),
             dict(quantity="smallest_n_with_nullity_2", value=positive.n_train.min() if len(positive) else np.nan,
                  method="random sets")]
    return curve, _numbers(rows)


def fig4c(fig4d_tidy: pd.DataFrame, cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effective-theory flow (code form, L-D4) from the Fig 4d run's normalised embedding after step 0 (L-07), and
    the conservation check of App F with the paper's scale-invariant flow at two step sizes (L-13)."""
    emb = fig4d_tidy[(fig4d_tidy.quantity == "embedding_normalised") & (fig4d_tidy.step == 0)].sort_values("symbol")
    if len(emb) == 0:
        raise ValueError("fig4d table has no step-0 embedding (quantity 'embedding_normalised')")
    p = int(cfg["p"])
    e0 = emb.value.to_numpy(float)[:, None]
    flow = theory.effective_flow(e0, p, eta=cfg["eta"], steps=int(cfg["steps"]), quads=cfg["quads"],
                                 z0=cfg["z0"], record_every=int(cfg["record_every"]))
    steps = np.asarray(flow["steps"])
    tidy = pd.DataFrame([dict(step=int(s), symbol=k, value=float(flow["embeddings"][i, k, 0]))
                         for i, s in enumerate(steps) for k in range(p)])
    tidy = pd.concat([tidy, pd.DataFrame(dict(step=steps, symbol=-1, value=np.asarray(flow["loss0"])))],
                     ignore_index=True)  # symbol -1: the effective loss l0
    rows = []
    for s in cfg["loss_steps"]:
        i = int(np.flatnonzero(steps == s)[0])
        rows.append(dict(quantity="loss0", value=flow["loss0"][i], method=f"Euler eta={cfg['eta']:g}", step=s))
    final = flow["embeddings"][-1, :, 0]
    gaps = np.diff(np.sort(final))
    order = np.argsort(final)
    monotone = np.array_equal(order, np.arange(p)) or np.array_equal(order, np.arange(p)[::-1])
    rows += [dict(quantity="final_spacing_cv", value=gaps.std() / gaps.mean(), method="measured",
                  step=int(steps[-1])),
             dict(quantity="final_order_monotone", value=float(monotone), method="measured", step=int(steps[-1])),
             dict(quantity="final_loss0", value=flow["loss0"][-1], method="measured", step=int(steps[-1]))]
    # App F's conserved quantities hold for centred embeddings (C = 0); the float32 normalisation of the network's
    # embedding leaves a mean of ~1e-8, which the scale-invariant flow would amplify, so centre it in float64 first.
    centred = e0 - e0.mean(axis=0, keepdims=True)
    for eta in cfg["drift_etas"]:
        d = theory.conservation_drift(centred, p, eta, time=cfg["drift_time"], quads=cfg["quads"])
        for q, key in (("drift_C", "c_drift"), ("drift_Z0_relative", "z0_drift")):
            rows.append(dict(quantity=q, value=d[key], method=f"paper flow (dynamic Z0), eta={eta:g}, "
                             f"time {cfg['drift_time']:g}"))
    return tidy, _numbers(rows)


def fig5(cfg: dict, sweep_runs: pd.DataFrame, fig4d_numbers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """λ3 against n under both normalisations (L-11), predicted n_h against the network's steps to RQI > 0.95
    (L-12), and the seed-58 split of the default run (L-08)."""
    p = int(cfg["p"])
    n_values = sorted(set(int(n) for n in cfg["n_train"]) | set(int(n) for n in sweep_runs.n_train))
    table = theory.lambda3_table(p=p, n_values=n_values, n_sets=int(cfg["n_sets"]), seed=int(cfg["seed"]),
                                 eta=cfg["eta"], z0=cfg["z0"])
    rows = []
    for r in table.itertuples():
        for q in ("zero_fraction", "median_lambda3", "median_n_h"):
            rows.append(dict(quantity=q, value=getattr(r, q), method=f"{int(r.n_sets)} random sets",
                             n_train=r.n_train, normalisation=r.normalisation))
    # the network's steps (Fig 4b runs): per-n median over seeds, "never" counted as +inf
    nn = median_rqi_steps(sweep_runs)
    for n, v in nn.items():
        rows.append(dict(quantity="nn_median_rqi_step", value=v if np.isfinite(v) else np.nan, method="network",
                         n_train=n))
    for norm in ("paper", "code"):
        sub = table[table.normalisation == norm].set_index("n_train")
        common = [n for n in nn.index if n in sub.index and np.isfinite(nn[n]) and np.isfinite(sub.median_n_h[n])]
        if len(common) >= 3:
            rho = pd.Series(sub.median_n_h[common].to_numpy()).corr(pd.Series(nn[common].to_numpy()),
                                                                   method="spearman")
            log_ratio = np.median(np.abs(np.log10(3 * sub.median_n_h[common].to_numpy() / nn[common].to_numpy())))
        else:
            rho = log_ratio = np.nan
        rows += [dict(quantity="spearman_n_h_vs_nn", value=rho, method=f"{len(common)} common n",
                      normalisation=norm),
                 dict(quantity="median_abs_log10_3n_h_over_nn", value=log_ratio, method=f"{len(common)} common n",
                      normalisation=norm)]
    # the default run's split (train_add, seed 58, n 45) against its measured step to RQI > 0.95
    d = cfg["default_run"]
    ids = init_run(addition_task(p), seed=int(d["seed"]), n_train=int(d["n_train"]), flavour="train_add",
                   loss="mse").train_ids
    split = theory.default_split_theory(ids, p=p, eta=cfg["eta"], z0=cfg["z0"])
    for k, v in split.items():
        rows.append(dict(quantity=f"default_{k}", value=v, method="seed-58 split", n_train=int(d["n_train"])))
    it = fig4d_numbers[(fig4d_numbers.quantity == "iter_rqi") & (fig4d_numbers.method == "measured")]
    rows.append(dict(quantity="default_nn_iter_rqi", value=float(it.value.iloc[0]) if len(it) else np.nan,
                     method="Fig 4d run", n_train=int(d["n_train"])))
    return table, _numbers(rows)


def fig9(cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """App C: exhaustive search over k-sample subsets of p = 6 for nullity 2 (L-34)."""
    table = theory.curriculum(p=int(cfg["p"]), k_max=int(cfg["k_max"]))
    rows = [dict(quantity="n_subsets_nullity_2", value=r.n_nullity2, method=f"all {int(r.n_subsets)} subsets",
                 n_train=r.k) for r in table.itertuples()]
    ok = table[table.n_nullity2 > 0]
    rows.append(dict(quantity="smallest_k_with_nullity_2", value=ok.k.min() if len(ok) else np.nan,
                     method="exhaustive"))
    return table, _numbers(rows)


def s3_pca_table(result: dict) -> pd.DataFrame:
    """Fig 17 tidy table: the six S3 elements' coordinates on PC1..PC4 of their flattened 3x3 embeddings."""
    proj = np.asarray(result["projections"])
    df = pd.DataFrame(proj, columns=[f"pc{k + 1}" for k in range(proj.shape[1])])
    df.insert(0, "element", np.arange(len(df)))
    return df


def s3_pca_title(result: dict) -> str:
    hx = result["hexagon"][result["paper_plane"]]
    return (f"Liu et al. Fig 17: S3 embeddings, PCA ({result['paper_plane']}: radial CV {hx['radial_cv']:.3f}, "
            f"largest angle deviation {hx['max_angle_dev_deg']:.1f}°)")

"""The full tensor-network model of Sec. 4.3.2 (grokrepro/zunkovic2022/fullmodel.py) and its analysis
(fm_analysis.py): the teacher, the contexts and outputs against the independent Sec. 4.3.1 implementation
(tensor_network.py), the domain size, the batched trainer against the plain per-model loop, seeding, and the
analysis functions on cases with known answers."""

import numpy as np
import pandas as pd
import pytest
import torch

from grokrepro.zunkovic2022 import automata as ca
from grokrepro.zunkovic2022 import fm_analysis as fa
from grokrepro.zunkovic2022 import fullmodel as fm
from grokrepro.zunkovic2022 import tensor_network as tn

from conftest import ROOT

@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: one thread is fastest (and the machine may be busy)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


SMALL = dict(d=3, max_epochs=6, test_sequences=6, test_length=60, screen_sequences=4, screen_length=40, seed=5,
             after_gen=2, full_below=1.0)


@pytest.mark.parametrize("K", [1, 2, 3])
def test_teacher_is_rule30_applied_k_times_with_zero_padding(K):
    x = np.random.default_rng(K).integers(0, 2, (20, 17)).astype(np.int8)
    got = fm.rule_torch(torch.as_tensor(x), K).numpy()
    assert np.array_equal(got, ca.k_local(x, K))


def test_contexts_equal_the_sec431_implementation_with_e0_boundaries():
    """Quirk Q2: L_0 = e0, L_i = normalise(e0ᵀ A(x_0)…A(x_{i−1})); R mirrored: tensor_network.contexts with v = e0."""
    rng = np.random.default_rng(0)
    d = 4
    A = rng.standard_normal((d, d, 2))
    bits = rng.integers(0, 2, (5, 9))
    e0 = np.eye(d)[0]
    left, right = tn.contexts(A, bits, e0, e0)
    L, R = fm.contexts(torch.tensor(A)[None], torch.tensor(bits, dtype=torch.float64)[None])
    assert np.allclose(L[0].permute(2, 1, 0).numpy(), left, atol=1e-12)       # feature-major (M, d, n, S)
    assert np.allclose(R[0].permute(2, 1, 0).numpy(), right, atol=1e-12)


def _plain_contexts(A, x):
    """The recurrence written plainly (per site, F.normalize, autograd through every step): the reference for the
    hand-written backward of fullmodel._Chain. Returns (M, S, n, d) twice."""
    a1, a0 = A[..., 0], A[..., 1]
    M, S, n = x.shape
    e0 = torch.zeros(M, S, A.shape[1], dtype=A.dtype)
    e0[..., 0] = 1.0
    step = lambda v, b, m: torch.nn.functional.normalize(                      # noqa: E731
        torch.einsum("msa,mab->msb", v, m(a0)) + b[..., None] * torch.einsum("msa,mab->msb", v, m(a1 - a0)),
        dim=-1, eps=fm.NORM_EPS)
    left, cur = [e0], e0
    for i in range(n - 1):
        cur = step(cur, x[:, :, i], lambda t: t)
        left.append(cur)
    right, cur = [e0], e0
    for i in range(n - 1, 0, -1):
        cur = step(cur, x[:, :, i], lambda t: t.transpose(1, 2))
        right.append(cur)
    return torch.stack(left, 2), torch.stack(right[::-1], 2)


@pytest.mark.parametrize("tiny", [False, True])
def test_contexts_gradient_equals_autograd_through_the_plain_recurrence(tiny):
    """The hand-written backward of the context chains (fullmodel._Chain) against autograd through the per-site
    recurrence, float64, both chains; ``tiny``: A(bit 1) scaled by 1e-7, so the norm clamp of Q2 (‖u‖ < 1e-6) is active at some sites."""
    g = torch.Generator().manual_seed(3)
    d, n = 4, 7
    A = torch.randn(2, d, d, 2, generator=g, dtype=torch.float64)
    if tiny:
        A[..., 0] *= 1e-7
    A.requires_grad_(True)
    x = torch.randint(0, 2, (2, 5, n), generator=g).double()
    wl, wr = torch.randn(2, 5, n, d, generator=g, dtype=torch.float64), torch.randn(2, 5, n, d, generator=g,
                                                                                   dtype=torch.float64)
    L0, R0 = _plain_contexts(A, x)
    ref, = torch.autograd.grad((L0 * wl).sum() + (R0 * wr).sum(), A)
    L, R = fm.contexts(A, x)
    L, R = L.permute(0, 3, 2, 1), R.permute(0, 3, 2, 1)
    got, = torch.autograd.grad((L * wl).sum() + (R * wr).sum(), A)
    assert torch.allclose(L, L0, atol=1e-12) and torch.allclose(R, R0, atol=1e-12)
    scale = ref.abs().max()              # clamped sites carry 1/1e-6 factors: compare relative to the largest entry
    assert torch.allclose(got, ref, rtol=1e-9, atol=(1e-8 if tiny else 1e-12) * scale)
    if not tiny:
        assert torch.autograd.gradcheck(lambda a: [t.sum(0) for t in fm.contexts(a, x)], (A,))


def test_outputs_are_the_normalised_perceptron_in_the_tensor_network_features():
    """Quirk Q1: sigmoid(scale · h·φ(x)/(‖h‖ + 1e-6)) with h_k = Σ L_a B[a, l, k] R_l, i.e. B·z = h·φ in the
    features z = L ⊗ R ⊗ φ of tensor_network.features."""
    rng = np.random.default_rng(1)
    d = 3
    A, B = rng.standard_normal((d, d, 2)), rng.standard_normal((d, d, 2))
    bits = rng.integers(0, 2, (4, 8))
    e0 = np.eye(d)[0]
    z = tn.features(A, bits, e0, e0)                                   # (S, n, 2d²) in index order (a, l, k)
    left, right = tn.contexts(A, bits, e0, e0)
    h = np.einsum("sia,alk,sil->sik", left, B, right)
    score = np.einsum("sif,f->si", z, B.reshape(-1))
    expected = 1 / (1 + np.exp(-1.7 * score / (np.linalg.norm(h, axis=-1) + fm.NORM_EPS)))
    out, _ = fm.outputs(torch.tensor(A)[None], torch.tensor(B)[None], torch.tensor([1.7], dtype=torch.float64),
                        torch.tensor(bits, dtype=torch.float64)[None])
    assert np.allclose(out[0].numpy(), expected, atol=1e-12)


def test_domain_size_is_the_mean_inverse_of_one_plus_switches():
    wrong = torch.zeros(3, 10, dtype=torch.bool)
    wrong[1, 4] = True                       # one wrong site inside: 2 switches -> 1/3
    wrong[2, :] = True                       # wrong everywhere: no switch -> 1 (the code's quirk)
    assert fm.domain_size(wrong).item() == pytest.approx((1 + 1 / 3 + 1) / 3)


def test_middle_window_follows_the_code():
    # n = 10 sites: 9 left contexts A_left[0..8] (= our positions 1..9); δ = 3: A_left[1:7] -> positions 2..7
    assert fm.middle_window(10, 3) == slice(2, 8)
    assert fm.middle_window(6, 3) == slice(1, 5)


def test_pca_entropy_known_cases():
    rng = np.random.default_rng(2)
    iso = torch.tensor(rng.standard_normal((1, 20000, 4)))
    line = torch.tensor(rng.standard_normal((1, 500, 1)) * np.array([[1.0, 2.0, -1.0]]))
    assert float(torch.exp(fm.pca_entropy(iso))) == pytest.approx(4.0, rel=0.01)
    assert float(torch.exp(fm.pca_entropy(line))) == pytest.approx(1.0, abs=1e-9)


def test_batched_training_equals_the_plain_per_model_loop():
    """The batched trainer (a leading model axis, hand-written Adam) against nn.Module + torch.optim.Adam per
    initialisation on the same data stream, with L1 and L2 switched on."""
    s = fm.Settings(**{**SMALL, "lambda1": 1e-3, "lambda2": 1e-4, "max_epochs": 2})
    runs = fm.train(s, [0, 1])
    for j, m in enumerate([0, 1]):
        losses, params = fm.train_reference(s, m, 3)
        assert np.allclose(runs.logs["train_loss"][j, :3], losses, rtol=1e-5)


def test_a_model_does_not_depend_on_its_batch_companions_and_runs_are_seeded():
    s = fm.Settings(**SMALL)
    both = fm.train(s, [3, 7])
    alone = fm.train(s, [7])
    again = fm.train(s, [3, 7])
    for f in ("train_loss", "screen_error", "test_entropy"):
        assert np.allclose(both.logs[f][1], alone.logs[f][0], rtol=1e-5, equal_nan=True)
        assert np.array_equal(both.logs[f], again.logs[f], equal_nan=True)


def test_events_follow_the_logs_and_runs_round_trip(tmp_path):
    s = fm.Settings(**{**SMALL, "d": 5, "max_epochs": 30, "after_gen": 3})
    runs = fm.train(s, range(6))
    for j in range(6):
        ds = runs.logs["train_ds"][j]
        first = np.flatnonzero(ds > fm.ALIGN_THRESHOLD)
        assert runs.train_epoch[j] == (first[0] if len(first) else -1)
        tds = np.nan_to_num(runs.logs["test_ds"][j], nan=0.0)
        g = np.flatnonzero(tds > fm.ALIGN_THRESHOLD)
        assert runs.gen_epoch[j] == (g[0] if len(g) else -1)
        if runs.gen_epoch[j] >= 0:
            assert runs.stop_epoch[j] == min(runs.gen_epoch[j] + 3, 30)
    runs.save(tmp_path / "r.npz")
    back = fm.Runs.load(tmp_path / "r.npz")
    assert np.array_equal(back.gen_epoch, runs.gen_epoch)
    assert np.array_equal(back.logs["test_error"], runs.logs["test_error"], equal_nan=True)
    assert back.settings == {**runs.settings, "probe_ids": list(runs.settings["probe_ids"])}


def test_unknown_setting_is_named():
    with pytest.raises(KeyError, match="bond"):
        fm.settings_from({"bond": 3})


# ------------------------------------------------------------------------------------------------ analysis


def test_fit_nu_recovers_a_power_law_and_reports_its_window():
    taus = np.arange(0, 400)
    mean = np.where(taus >= 1, 1e-4 * taus.astype(float) ** 1.7, np.nan)
    nu, lo, hi, pts = fa.fit_nu(taus, mean)
    assert nu == pytest.approx(1.7, abs=1e-9)
    # within one decade of the smallest value 1e-4: τ^1.7 ≤ 10, τ ≤ 3
    assert (lo, hi, pts) == (1.0, 3.0, 3)


def test_fit_nu_refuses_too_few_points():
    assert np.isnan(fa.fit_nu(np.arange(3), np.array([np.nan, 1.0, 1e3]))[0])


def test_auc_known_values():
    assert fa.auc([2, 3], [0, 1])[0] == 1.0
    assert fa.auc([0, 1], [2, 3])[0] == 0.0
    assert fa.auc([1, 1], [1, 1])[0] == 0.5


def _fake_runs(gen, train, errors):
    M, E = errors.shape
    logs = {f: np.full((M, E), np.nan, np.float32) for f in fm.LOG_FIELDS}
    logs["test_error"][:] = errors
    logs["train_loss"][:] = 1.0
    logs["test_entropy"][:] = 0.0
    return fm.Runs(settings=dict(train_length=10, batch=128), model_ids=np.arange(M), train_epoch=np.array(train),
                   gen_epoch=np.array(gen), stop_epoch=np.full(M, E - 1), diverged=np.zeros(M, bool),
                   full_evaluated=np.zeros((M, E), bool), logs=logs)


def test_aligned_average_uses_only_generalised_runs_and_available_epochs():
    err = np.array([[0.5, 0.3, 0.1, 0.0, 0.0], [0.4, 0.2, 0.0, 0.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5]])
    runs = _fake_runs([3, 2, -1], [1, 1, -1], err)
    taus, mean, se, n, _ = fa.aligned(runs, "test_error", 4)
    assert n.tolist() == [2, 2, 2, 1, 0]
    assert mean[:4] == pytest.approx([0.0, 0.15, 0.35, 0.5])
    assert runs.t_grok[:2].tolist() == [2, 1] and np.isnan(runs.t_grok[2])


def test_spikes_of_finds_an_injected_spike():
    err = np.zeros((1, 60))
    runs = _fake_runs([-1], [-1], err)
    loss = 1.0 + 0.01 * np.sin(np.arange(60))
    loss[45] = 3.0
    runs.logs["train_loss"][0] = loss
    assert fa.spikes_of(runs, 0).tolist() == [45]


# ------------------------------------------------------------------------------------------------ figures


def test_every_full_model_figure_builds_from_tiny_ensembles(tmp_path):
    """Every figure builder and plot of fm_figures runs on tiny trained ensembles (3 inits, d = 3, 25 epochs) and
    writes a numbers table the evaluators can read (their verdicts at this size mean nothing)."""
    import yaml

    from grokrepro import registry
    from grokrepro.config import for_scale
    from grokrepro.zunkovic2022 import fm_figures as ff

    cfg = for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), "quick")["zunkovic2022"]
    cfg = cfg["fullmodel"]
    tiny = dict(ff.preset(cfg), inits=3, bond_dims=[3], appd_bond_dim=3, appd_K=[2], max_epochs=25, after_gen=3,
                test_sequences=4, test_length=60, screen_sequences=3, screen_length=40, probe_inits=2)
    cfg = dict(cfg, presets=dict(cfg["presets"], quick=tiny))
    for k in ff.ensembles(cfg):
        fm.train(ff.settings_for(cfg, k), range(tiny["inits"])).save(tmp_path / f"{k}.npz")
    stems = {}
    for fig in ff.FIGURES:
        paths = [str(tmp_path / p.rsplit("/", 1)[-1]) for p in ff.inputs(fig, cfg)]
        tidy, numbers, figure = ff.build(fig, paths, cfg)
        assert len(numbers) and figure is not None, fig
        stems[f"zunkovic2022/{fig}"] = numbers
    for claim in registry.implemented():
        if claim.fidelity == registry.FM_FIDELITY:
            table = pd.concat([stems[s] for s in claim.reads], ignore_index=True)
            record = claim.evaluator(table, "quick", claim.artifact, "")
            assert record.verdict in ("reproduced", "partial", "not_reproduced", "not_run"), claim.claim_id

import numpy as np
import pytest
import torch

from grokrepro.liu2022.rqi import parallelograms, s3_parallelograms
from grokrepro.liu2022.tasks import init_run, make_task, s3_elements


def test_dataset_sizes():
    add = make_task("addition", 10)
    assert add.n_samples == 55 and add.n_classes == 19
    assert add.labels.tolist() == [i + j for i, j in add.pairs]
    s3 = make_task("s3")
    assert s3.n_samples == 36 and s3.n_classes == 6


@pytest.mark.parametrize("p, count", [(10, 70), (4, 3), (6, 13), (11, 95)])
def test_parallelogram_counts(p, count):
    quads = parallelograms(p)
    assert len(quads) == count
    assert np.all(quads[:, 0] + quads[:, 1] == quads[:, 2] + quads[:, 3])


def test_s3_is_a_group_with_90_parallelograms():
    task = make_task("s3")
    table = task.labels.reshape(6, 6)
    for row in table:  # Cayley table: a Latin square
        assert sorted(row) == list(range(6))
    elems = s3_elements()
    a, b = 3, 4  # label(a, b) = b∘a: out[k] = b[a[k]]
    composed = tuple(elems[b][elems[a][k]] for k in range(3))
    assert elems[table[a, b]] == composed
    assert len(s3_parallelograms(task)) == 90


def test_init_is_deterministic_and_seeded():
    task = make_task("addition")
    a = init_run(task, seed=58, n_train=45, flavour="notebook", loss="mse")
    b = init_run(task, seed=58, n_train=45, flavour="notebook", loss="mse")
    c = init_run(task, seed=59, n_train=45, flavour="notebook", loss="mse")
    assert torch.equal(a.embeddings, b.embeddings) and np.array_equal(a.train_ids, b.train_ids)
    assert not torch.equal(a.embeddings, c.embeddings)
    assert sorted(np.concatenate([a.train_ids, a.val_ids]).tolist()) == list(range(55))
    # Global RNG state is untouched: the draws come from the run's own generators.
    state = torch.get_rng_state()
    init_run(task, seed=1, n_train=45, flavour="train_add", loss="mse")
    assert torch.equal(state, torch.get_rng_state())


def test_flavours_draw_in_the_authors_orders():
    """Same seed, different split between the flavours (docs/decisions.md, L-D6: the notebook draws x_templates first)."""
    task = make_task("addition")
    nb = init_run(task, seed=58, n_train=45, flavour="notebook", loss="mse")
    ta = init_run(task, seed=58, n_train=45, flavour="train_add", loss="mse")
    assert not np.array_equal(nb.train_ids, ta.train_ids)
    rng = np.random.RandomState(58)
    rng.normal(0, 1, size=(10, 30))
    assert np.allclose(rng.normal(0, 1, size=(19, 30)), nb.targets.numpy().astype(float), atol=1e-6)
    # train_add: embeddings are drawn right after seeding, before the decoder (docs/decisions.md, L-D6).
    torch.manual_seed(58)
    assert torch.equal(ta.embeddings, torch.rand(10, 1) - 0.5)


def test_classification_targets_are_one_hot():
    task = make_task("addition")
    init = init_run(task, seed=6, n_train=45, flavour="notebook", loss="ce_softmax_mean")
    assert torch.equal(init.targets, torch.eye(19))
    assert init.weights[2].shape == (19, 200)


def test_bad_arguments_name_the_problem():
    task = make_task("addition")
    with pytest.raises(ValueError, match="flavour"):
        init_run(task, seed=0, n_train=45, flavour="nope", loss="mse")
    with pytest.raises(ValueError, match="n_train"):
        init_run(task, seed=0, n_train=56, flavour="notebook", loss="mse")
    with pytest.raises(ValueError, match="unknown task"):
        make_task("division")

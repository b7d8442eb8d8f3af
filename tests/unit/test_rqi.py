import torch

from grokrepro.liu2022.rqi import parallelograms, rqi, rqi_s3, s3_parallelograms
from grokrepro.liu2022.tasks import make_task, s3_elements


def test_linear_embedding_has_rqi_one():
    quads = torch.tensor(parallelograms(10))
    emb = (0.3 + 1.7 * torch.arange(10.0))[:, None]
    assert rqi(emb, quads).item() == 1.0


def test_random_embedding_has_rqi_near_zero():
    quads = torch.tensor(parallelograms(10))
    g = torch.Generator().manual_seed(0)
    values = rqi(torch.rand(200, 10, 1, generator=g), quads)
    assert values.mean().item() < 0.1


def test_rqi_tolerance_is_in_normalised_units():
    """A parallelogram with |defect| = 0.05 normalised units passes (0.05^2 < 0.01); 0.2 does not."""
    quads = torch.tensor(parallelograms(10))
    emb = torch.arange(10.0)[:, None]
    std = emb.std()
    small = emb.clone()
    small[9] += 0.05 * std
    big = emb.clone()
    big[9] += 0.5 * std
    assert rqi(small, quads).item() == 1.0
    assert rqi(big, quads).item() < 1.0


def test_s3_permutation_matrices_have_rqi_one():
    task = make_task("s3")
    quads = torch.tensor(s3_parallelograms(task))
    mats = []
    for e in s3_elements():
        m = torch.zeros(3, 3)
        m[list(e), range(3)] = 1.0
        mats.append(m.T.reshape(9))  # any faithful representation works for the product check
    assert rqi_s3(torch.stack(mats), quads).item() == 1.0

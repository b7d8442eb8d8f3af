import numpy as np
import pytest

from grokrepro.liu2022 import phases
from grokrepro.liu2022.claims import EXPECTED_COUNTS

NA = np.nan


@pytest.mark.parametrize(
    "train, val, paper, authors",
    [
        (100, 500, "comprehension", "comprehension"),
        (100, 1099, "comprehension", "comprehension"),
        (100, 1100, "grokking", "comprehension"),  # gap exactly 10^3 (L-D11)
        (100, 1101, "grokking", "grokking"),
        (100, 50, "comprehension", "comprehension"),  # validation first
        (100, NA, "memorization", "memorization"),
        (NA, NA, "confusion", "confusion"),
        (NA, 500, "val_only", "comprehension"),  # no Table 1 row (L-D11)
        (99_999, NA, "memorization", "confusion"),  # the authors' sentinel is budget - 1
    ],
)
def test_table1(train, val, paper, authors):
    assert phases.classify([train], [val], mode="paper")[0] == paper
    assert phases.classify([train], [val], mode="authors")[0] == authors


def test_classifier_parameters():
    assert phases.classify([0], [600], gap=500)[0] == "grokking"
    assert phases.classify([0], [600], gap=1000)[0] == "comprehension"
    assert phases.classify([0], [150], budget=100)[0] == "memorization"
    with pytest.raises(ValueError, match="mode"):
        phases.classify([0], [0], mode="other")


@pytest.mark.parametrize("name", sorted(EXPECTED_COUNTS))
def test_reference_maps_have_the_expected_counts(reference_dir, name):
    ref = phases.load_reference(reference_dir / name)
    got = phases.phase_counts(phases.classify(ref.train_step, ref.val_step))
    assert {k: got[k] for k in EXPECTED_COUNTS[name]} == EXPECTED_COUNTS[name]
    assert got["val_only"] == 0


def test_reference_layout(reference_dir):
    ref = phases.load_reference(reference_dir / "data_add_r.h5")
    assert len(ref) == 176 and list(ref.columns[:4]) == ["i", "j", "lr_decoder", "weight_decay"]
    row = ref[(ref.i == 7) & (ref.j == 0)].iloc[0]  # lr 10^-3.6 = 2.51e-4, wd 0: an anchor cell of Fig 6b
    assert (row.train_step, row.val_step) == (854, 923)
    assert ref.val_step.isna().sum() == 99 and ref.train_step.isna().sum() == 39


def test_missing_reference_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="reference_dir"):
        phases.load_reference(tmp_path / "nope.h5")


def test_corner_structure():
    g = np.array([["grokking", "comprehension", "memorization"],
                  ["grokking", "grokking", "confusion"]], dtype=object)
    cs = phases.corner_structure(g)
    assert cs["high_lr_low_wd"] == "memorization" and cs["high_lr_high_wd"] == "confusion"
    assert cs["grokking_touches_comprehension"] and not cs["grokking_touches_memorization"]
    assert cs["cm_contacts"] == 1

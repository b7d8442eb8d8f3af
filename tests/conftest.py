import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GROKREPRO_SHARED", ROOT.parent / "shared"))
REFERENCE_DIR = SHARED / "reference" / "liu2022"

# Tests and pipeline do the same arithmetic: the pipeline's default is 2 threads.
torch.set_num_threads(2)


def have_reference_data() -> bool:
    """Whether the authors' Fig 6 files are beside the clone (the tests that need them skip otherwise)."""
    return (REFERENCE_DIR / "data_add_r.h5").exists()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not have_reference_data():
        pytest.skip(f"authors' reference data not found at {REFERENCE_DIR} (set GROKREPRO_SHARED)")
    return REFERENCE_DIR


def zunkovic_cfg(figure: str, scale: str = "quick") -> dict:
    """A Žunkovič figure's config block from config/config.yaml, resolved for ``scale`` (tests and pipeline use the
    same settings)."""
    from grokrepro import config as gconfig

    cfg = gconfig.load(ROOT / "config" / "config.yaml")
    return gconfig.for_scale(cfg, scale)["zunkovic2022"][figure]

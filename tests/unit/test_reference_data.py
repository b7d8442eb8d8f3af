"""The authors' Fig 6 data travel with the project (data/reference/liu2022), unchanged and with their licence, and
the config's default points at them; the up-front checks refuse a folder without them or a file that is not HDF5."""

import hashlib

import pytest

from grokrepro import config as gconfig

from conftest import CONFIG, REFERENCE_DIR, ROOT

# SHA-256 of the files as the authors published them (grokking-squared, phase_diagram_plot/).
SHA256 = {
    "data_add_r_reprlr.h5": "3b61def721c812cdb4c3f4b07e35d45b2260f35ddc9e09413bef7b80f160b88d",
    "data_add_r.h5": "e305809125af61d4cb367dcc1b6d3e7cf7c12b6cf44482ad84574483b7e3fbe0",
    "data_add_c.h5": "fa0250c93fede5d86e5add87f0d8f5fe9decb7a19a8e708870b7d8a95b7eb7a5",
    "data_perm_r.h5": "e123dbdb8d67cc4f430b6a53e5b67ae71b24f3964fe825465cbebbc31f188560",
}


@pytest.mark.parametrize("name", sorted(SHA256))
def test_vendored_files_are_the_authors(name):
    digest = hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest()
    assert digest == SHA256[name]


def test_licence_and_attribution_are_beside_the_data():
    licence = (REFERENCE_DIR / "LICENSE").read_text()
    assert "MIT License" in licence and "Ziming Liu" in licence
    readme = (REFERENCE_DIR / "README.md").read_text()
    assert "grokking-squared" in readme and all(name in readme for name in SHA256)


def test_default_config_points_at_the_vendored_data():
    cfg = gconfig.load(CONFIG)
    assert (ROOT / cfg["reference_dir"]).resolve() == REFERENCE_DIR.resolve()
    assert gconfig.reference_files(cfg) == sorted(SHA256)
    gconfig.check_reference_dir(REFERENCE_DIR, gconfig.reference_files(cfg))


def test_missing_folder_file_or_bad_hdf5_is_refused_naming_the_key(tmp_path):
    names = sorted(SHA256)
    with pytest.raises(gconfig.ConfigError, match="config key 'reference_dir'.*not a directory"):
        gconfig.check_reference_dir(tmp_path / "nowhere", names)
    with pytest.raises(gconfig.ConfigError, match="config key 'reference_dir'.*data_add_c.h5 is not in"):
        gconfig.check_reference_dir(tmp_path, names)
    for name in names:
        (tmp_path / name).write_bytes(b"not an HDF5 file")
    with pytest.raises(gconfig.ConfigError, match="config key 'reference_dir'.*not a readable HDF5 file"):
        gconfig.check_reference_dir(tmp_path, names)


def test_device_cuda_is_refused_without_a_gpu(monkeypatch):
    monkeypatch.setattr(gconfig, "cuda_available", lambda: False)
    with pytest.raises(gconfig.ConfigError, match="config key 'device' is 'cuda'.*'auto'.*'cpu'"):
        gconfig.check_device("cuda")
    gconfig.check_device("auto")
    gconfig.check_device("cpu")
    monkeypatch.setattr(gconfig, "cuda_available", lambda: True)
    gconfig.check_device("cuda")

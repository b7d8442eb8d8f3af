import re

import yaml

from conftest import ROOT


def _pins(lines):
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_requirements_and_environment_agree():
    req = _pins((ROOT / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip) == req
    assert req["torch"] == "2.13.0"
    assert all("==" in line for line in (ROOT / "requirements.txt").read_text().splitlines()
               if line.strip() and not line.startswith("#")), "every requirement is pinned"


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1]
    commands = [line.strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make reproduce", "make test"]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_make_reproduce_prints_the_plan_then_runs_snakemake():
    """`make -n` shows the recipes without running them: the plan first, then Snakemake, for each fidelity."""
    import subprocess

    for args, config in (([], ""), (["SCALE=quick"], "--config scale=quick threads=1")):
        proc = subprocess.run(["make", "-n", "-W", ".venv/.installed", "reproduce", *args], cwd=ROOT,
                              capture_output=True, text=True)
        lines = [line for line in proc.stdout.splitlines() if "grokrepro.plan" in line or "snakemake" in line]
        assert len(lines) == 2 and "grokrepro.plan" in lines[0] and "bin/snakemake --cores" in lines[1], proc.stdout
        assert lines[1].rstrip().endswith(config) if config else "--config" not in lines[1]
    fast = subprocess.run(["make", "-n", "-W", ".venv/.installed", "test-fast"], cwd=ROOT, capture_output=True,
                          text=True).stdout
    assert "pytest tests/unit -m \"not slow\"" in fast or "pytest tests/unit -m not slow" in fast

"""The claim registry (grokrepro/registry.py) is the one place a claim is wired to code. Walk it: every claim ID has
its Snakemake rule, every implemented claim an evaluator with a docstring, a builder for every figure it reads, and a
pass/fail test pair; every paper_erratum names a derivation, an independent check and an existing test."""

import ast
import importlib.util
import subprocess

import pytest

from conftest import ROOT, snakemake_command

from grokrepro import registry
from grokrepro.records import claim_ids

PUBLISHED = ROOT / "results" / "published"


def test_registry_and_claim_text_list_the_same_ids():
    registry.check()
    assert [c.claim_id for c in registry.CLAIMS] == claim_ids()
    assert len({c.rule for c in registry.CLAIMS}) == len(registry.CLAIMS)


@pytest.fixture(scope="module")
def workflow_rules(tmp_path_factory) -> set[str]:
    out = subprocess.run(snakemake_command(tmp_path_factory.mktemp("rules"), "--list-rules", "--config",
                                           "scale=quick"), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return {line.strip() for line in out.stdout.splitlines() if line.strip()}


def test_every_claim_has_its_rule(workflow_rules):
    missing = [c.rule for c in registry.CLAIMS if c.rule not in workflow_rules]
    assert not missing, f"claims without a rule: {missing}"


def test_every_implemented_claim_has_a_documented_evaluator_and_its_figures():
    from grokrepro.liu2022 import figures as liu_figures
    from grokrepro.zunkovic2022 import figures as zun_figures
    from grokrepro.zunkovic2022 import fm_figures

    # figures built outside the micro registry: Fig 4d (its own rule) and the phase-diagram panels (panel rules)
    liu_other = {"fig4d", "fig6a", "fig6b", "fig6c", "fig6d", "fig13", "fig14", "fig15"}
    for claim in registry.implemented():
        doc = (claim.evaluator.__doc__ or "").strip()
        assert doc.startswith(claim.claim_id), (claim.claim_id, claim.evaluator.__name__, doc[:40])
        assert not claim.evaluator.__name__.startswith(("z0", "z1", "z2", "z4", "l0", "l1", "l2", "l3", "l4")), \
            f"{claim.claim_id}: name the evaluator by what it checks, not {claim.evaluator.__name__}"
        for stem in claim.reads:
            paper, figure = stem.split("/")
            figure = figure.removesuffix("_robustness")
            known = (set(liu_figures.FIGURES) | liu_other) if paper == "liu2022" else \
                set(zun_figures.FIGURES) | set(fm_figures.FIGURES)
            assert figure in known, f"{claim.claim_id} reads {stem}, which no figure builder makes"


def _pair_modules():
    for path in sorted((ROOT / "tests" / "unit").glob("test_pairs_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        yield path.name, mod


def test_every_implemented_claim_has_a_pass_fail_test_pair():
    owners = {}
    for name, mod in _pair_modules():
        for cid, pair in mod.PAIRS.items():
            assert cid not in owners, f"{cid} has pairs in {owners[cid]} and {name}"
            assert len(pair) == 2 and all(callable(f) for f in pair), (name, cid)
            owners[cid] = name
    missing = sorted({c.claim_id for c in registry.implemented()} - set(owners))
    assert not missing, f"claims without a pass/fail test pair: {missing}"
    extra = sorted(set(owners) - {c.claim_id for c in registry.implemented()})
    assert not extra, f"pairs for claims without an evaluator: {extra}"


def _test_exists(node: str) -> bool:
    path, _, name = node.partition("::")
    file = ROOT / path
    if not file.exists() or not name:
        return False
    tree = ast.parse(file.read_text())
    return any(isinstance(n, ast.FunctionDef) and n.name == name.split("[")[0] for n in ast.walk(tree))


def test_every_paper_erratum_is_established():
    """On the published numbers, each paper_erratum record carries a derivation, an independent check that holds and
    the test of our implementation, and that test exists."""
    import yaml

    from grokrepro.claims import evaluate
    from grokrepro.config import for_scale

    cfg = for_scale(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), "paper")
    errata = []
    for claim in registry.implemented():
        paths = [PUBLISHED / p.removeprefix("results/") for p in claim.numbers]
        if not all(p.exists() for p in paths):
            continue  # not in the snapshot (test_published checks that every implemented claim is)
        rec = evaluate(claim.claim_id, "paper", numbers=[str(p) for p in paths],
                       reference_dir=str(ROOT / "data" / "reference" / "liu2022"), cfg=cfg)
        if rec.verdict != "paper_erratum":
            continue
        errata.append(claim.claim_id)
        assert rec.erratum is not None and rec.erratum.derivation, claim.claim_id
        assert rec.erratum.independent_check.passed, claim.claim_id
        assert _test_exists(rec.erratum.implementation_test), (claim.claim_id, rec.erratum.implementation_test)
    assert errata == ["Z-02"]  # the one finding that meets the policy today; a new one must be looked at by hand


def test_every_own_fidelity_has_its_cpu_overlay():
    """A claim family with a fidelity of its own names the overlay that selects its `cpu` fidelity (REPORT.md's
    commands), and that overlay sets exactly that config key to cpu at paper scale."""
    import yaml

    for claim in registry.implemented():
        if claim.fidelity:
            overlay = ROOT / registry.CPU_OVERLAYS[claim.fidelity]
            node = yaml.safe_load(overlay.read_text())
            for key in claim.fidelity.split("."):
                node = node[key]
            assert node == {"paper": "cpu", "quick": "quick"}, (claim.claim_id, overlay)

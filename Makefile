# grokrepro: the two set-up commands of the README, and a few helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all
SCALE ?= paper
TARGETS ?=
BENCH_STEPS ?= 100000
# `--config scale=...` only when another fidelity is asked for, so the default run is plain `snakemake --cores all`.
# Quick scale runs one torch thread per job (more jobs side by side: the same numbers, sooner; what CI runs).
SCALE_ARG := $(if $(filter-out paper,$(SCALE)),--config scale=$(SCALE)$(if $(filter quick,$(SCALE)), threads=1))

.PHONY: reproduce plan test test-fast quick publish bench lint clean gpu-wheels gpu-run publish-gpu

reproduce: $(VENV)/.installed  ## everything (SCALE=paper|quick, TARGETS=one figure), after printing the plan
	$(BIN)/python -m grokrepro.plan --scale $(SCALE) --cores $(CORES) $(TARGETS)
	$(BIN)/snakemake --cores $(CORES) $(TARGETS) $(SCALE_ARG)

plan: $(VENV)/.installed  ## what `make reproduce` would run and its estimated time
	$(BIN)/python -m grokrepro.plan --scale $(SCALE) --cores $(CORES) $(TARGETS)

test: $(VENV)/.installed  ## every test: unit, workflow (quick-scale DAG, SLURM, resume), published snapshot
	$(BIN)/python -m pytest

test-fast: $(VENV)/.installed  ## unit tests only, no Snakemake and no slow training (the inner loop)
	$(BIN)/python -m pytest tests/unit -m "not slow"

quick: $(VENV)/.installed  ## the whole DAG at quick scale (about 14 minutes on 2 cores)
	$(MAKE) reproduce SCALE=quick

publish: $(VENV)/.installed  ## refresh results/published/ from a finished paper-scale run (PARTIAL=--partial)
	$(BIN)/python -m grokrepro.publish results results/published $(PARTIAL)

bench: $(VENV)/.installed  ## batched trainer vs a per-model loop, side by side
	$(BIN)/python bench/train_throughput.py
	$(BIN)/python bench/panel_speed.py --steps $(BENCH_STEPS)
	$(BIN)/python bench/fullmodel_speed.py
	$(BIN)/python bench/mnist_speed.py
	$(BIN)/python bench/transformer_speed.py

# The GPU run (issue #23; bench/README.md, "The GPU run"): wheels here, the run on a lent GPU machine that has only
# PyTorch (no venv there: the carried wheels go to /tmp/grokrepro-site), the merge here.
BUDGET ?= 480
GPU_OUT ?= results/gpu_run
ARCHIVE ?= $(GPU_OUT)/gpu_run.tar.gz
gpu-wheels: $(VENV)/.installed  ## wheels of the packages a GPU machine lacks (Python 3.12), into .whl/
	$(BIN)/python -m grokrepro.gpu_run wheels .whl

gpu-run:  ## on the GPU machine: install .whl/ there, then BUDGET seconds of check, bench and paper-scale targets
	if [ -d .whl ]; then python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
	  --target /tmp/grokrepro-site .whl/*.whl; fi
	PYTHONPATH=/tmp/grokrepro-site:$(CURDIR) python3 -m grokrepro.gpu_run run --budget $(BUDGET) --out $(GPU_OUT) \
	  $(if $(OUT),--copy-to $(OUT))

publish-gpu: $(VENV)/.installed  ## merge a GPU run's archive (ARCHIVE=...) into results/published
	$(BIN)/python -m grokrepro.gpu_run merge $(ARCHIVE)
	$(BIN)/python -m grokrepro.families

lint: $(VENV)/.installed
	$(BIN)/snakemake --lint

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf $(VENV) .snakemake results/liu2022 results/zunkovic2022 results/claims results/logs \
	  results/claims.csv results/CLAIMS.md results/provenance.json

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

.PHONY: reproduce plan test test-fast quick publish bench lint clean

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

# grokrepro: the two set-up commands of the README, and a few helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all
BENCH_STEPS ?= 100000

.PHONY: reproduce test quick publish bench lint clean

reproduce: $(VENV)/.installed  ## everything, paper scale
	$(BIN)/snakemake --cores $(CORES)

test: $(VENV)/.installed  ## unit, workflow and claim tests
	$(BIN)/python -m pytest

quick: $(VENV)/.installed  ## the whole DAG at quick scale (minutes on 2 cores)
	$(BIN)/snakemake --cores $(CORES) --config scale=quick

publish: $(VENV)/.installed  ## refresh results/published/ from a finished paper-scale run (PARTIAL=--partial)
	$(BIN)/python -m grokrepro.publish results results/published $(PARTIAL)

bench: $(VENV)/.installed  ## batched trainer vs a per-model loop, side by side
	$(BIN)/python bench/train_throughput.py
	$(BIN)/python bench/panel_speed.py --steps $(BENCH_STEPS)

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

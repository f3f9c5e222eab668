# Two commands set up everything on a fresh machine (Python 3.11 + internet access to PyPI):
#   make figures   build every figure the workflow knows (default target `all`);
#                  DATA=/path/to/data for offline data, PRESET=quick for a fast preset
#   make test      linters + the test-suite
# Both create .venv on first use and reuse it afterwards.

PYTHON ?= python3
VENV   ?= .venv
CORES  ?= all
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SNAKEMAKE_ARGS ?=
# Offline: DATA=/path/to/data (laid out like ../shared/data; LINDAE_DATA works too) selects
# config/offline.yaml, i.e. a file:// MNIST mirror and the CIFAR-10 .npz import.
DATA ?= $(LINDAE_DATA)
# Presets: PRESET=quick layers config/quick.yaml (minutes instead of hours for Figs 5-6).
PRESET ?=
CONFIGS = config/config.yaml $(if $(PRESET),config/$(PRESET).yaml) $(if $(DATA),config/offline.yaml)
OFFLINE_ARGS = --configfile $(CONFIGS) $(if $(DATA),--config data_root=$(abspath $(DATA)))

.PHONY: figures test lint clean env

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

figures: $(STAMP)
	$(BIN)/snakemake $(SNAKEMAKE_ARGS) --cores $(CORES) $(OFFLINE_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint --cores 1

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf results .snakemake

# Two commands set up everything on a fresh machine (Python 3.11 + internet access to PyPI):
#   make figures   the main job: every figure (default target `all`), results/claims.csv,
#                  results/provenance.json, then the report results/report.html;
#                  DATA=/path/to/data for offline data, PRESET=quick for a fast preset
#   make test      linters + the test-suite
# Both create .venv on first use and reuse it afterwards.

PYTHON ?= python3
VENV   ?= .venv
CORES  ?= all
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The SLURM executor plugins (requirements-slurm.txt): PYTHONPATH=$(SLURM_PLUGINS) for SLURM runs
SLURM_PLUGINS := $(VENV)/slurm
SNAKEMAKE_ARGS ?=
# The self-contained HTML report of the main job (figures, captions with claim verdicts, tables).
REPORT ?= results/report.html
# Offline: DATA=/path/to/data (laid out like ../shared/data; LINDAE_DATA works too) selects
# config/offline.yaml, i.e. a file:// MNIST mirror and the CIFAR-10 .npz import. The path may
# hold spaces (it is passed on as one quoted argument), not a single quote.
DATA ?= $(LINDAE_DATA)
# Presets: PRESET=quick layers config/quick.yaml (minutes instead of hours for Figs 5-6).
PRESET ?=
CONFIGS = config/config.yaml $(if $(PRESET),config/$(PRESET).yaml) $(if $(DATA),config/offline.yaml)
# FIGURES=1,2,3,4 (or "1 2 3 4", or [1,2,3,4]) builds (checks, reports) only those figures:
# the config key `figures`.
FIGURES ?=
comma := ,
empty :=
space := $(empty) $(empty)
FIGURE_LIST = $(subst $(space),$(comma),$(strip $(subst $(comma), ,$(subst [, ,$(subst ], ,$(FIGURES))))))
# DATA as an absolute path, spaces kept (make's own abspath would split it at each space).
DATA_ROOT = $(if $(DATA),$(shell cd -- '$(DATA)' 2>/dev/null && pwd))
OVERRIDES = $(if $(DATA),'data_root=$(DATA_ROOT)') $(if $(FIGURES),'figures=[$(FIGURE_LIST)]')
OFFLINE_ARGS = --configfile $(CONFIGS) $(if $(strip $(DATA)$(FIGURES)),--config $(OVERRIDES))

.PHONY: figures report options test lint clean env readme

env: $(STAMP)

# The SLURM executor goes into a folder of its own (requirements-slurm.txt says why; a SLURM run
# puts it on PYTHONPATH), and out of .venv's packages, where earlier versions put it. Then what
# pip installed is byte-compiled on every core at once (pip compiles one file after another: a
# minute of a 2-core machine, 40 s this way); as with pip, a file that does not compile is
# skipped: one of torch's test helpers is written for Python 3.12.
$(STAMP): requirements.txt requirements-slurm.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m pip uninstall --quiet --yes snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep 2> /dev/null
	$(BIN)/python -m pip install --quiet --no-compile --no-deps --upgrade --target $(SLURM_PLUGINS) -r requirements-slurm.txt
	$(BIN)/python -m compileall -qq -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" $(SLURM_PLUGINS) || true
	touch $@

figures: $(STAMP) options
	$(BIN)/snakemake $(SNAKEMAKE_ARGS) --cores $(CORES) $(OFFLINE_ARGS)
	$(MAKE) --no-print-directory report

# Needs the outputs of the main job (the figure captions come from its claims).
report: $(STAMP) options
	$(BIN)/snakemake $(SNAKEMAKE_ARGS) $(OFFLINE_ARGS) --report $(REPORT)

# The make options, checked before Snakemake starts: each problem one line, naming the option.
options:
	@case '$(subst ','"'"',$(DATA))' in *"'"*) \
	  echo "make: DATA=$(DATA): a path holding a single quote cannot be passed on; rename or link the folder" >&2; exit 2;; esac
	@if [ -n '$(DATA)' ] && [ ! -d '$(DATA)' ]; then \
	  echo "make: DATA='$(DATA)' is not a folder (expected one laid out like ../shared/data: MNIST/raw/*.gz, CIFAR10/*.npz)" >&2; exit 2; fi
	@if [ -n '$(PRESET)' ] && [ ! -f 'config/$(PRESET).yaml' ]; then \
	  echo "make: PRESET=$(PRESET): there is no config/$(PRESET).yaml; presets: $(basename $(notdir $(filter-out config/config.yaml config/offline.yaml,$(wildcard config/*.yaml))))" >&2; exit 2; fi
	@case '$(FIGURE_LIST)' in *[!0-9,]*) \
	  echo "make: FIGURES=$(FIGURES): list figure numbers 1-6, e.g. FIGURES=1,2,3,4 or FIGURES=\"1 2\"" >&2; exit 2;; esac

lint: $(STAMP)
	$(BIN)/ruff check src tests workflow
	$(BIN)/snakefmt --check Snakefile workflow
	$(BIN)/snakemake --lint --cores 1

# Three pytest runs. 1: the unit tests on every core (pytest-xdist), with the real-SLURM test
# beside them on a worker of its own (listed first, so it starts at once; it mostly waits for
# SLURM's status checks) and the SLURM profiles' dry runs (no timing) last. 2: the workflow
# tests, a worker per core, one test module per worker at a time (its module fixtures built
# once; the shared ones too, tests/conftest.py): each drives Snakemake, whose start-up and
# imports keep one core busy while the other idles. 3: the tests that time their jobs, measure
# other work's CPU time or interrupt a job after a measured time, one after another on an
# otherwise idle machine. PYTEST_ARGS go to all three; TESTS=... (paths, -m or -k) runs only
# those, in one pytest.
TESTS ?=
WAITING_TESTS = tests/workflow/test_slurm_cluster.py
UNTIMED_TESTS = tests/workflow/test_slurm.py
TIMED_TESTS = tests/workflow/test_cost_estimate.py tests/workflow/test_faults.py tests/workflow/test_resume.py
MACHINE_CORES := $(shell nproc 2>/dev/null || echo 1)

test: $(STAMP)
ifeq ($(strip $(TESTS)),)
	$(BIN)/python -m pytest -n $$(( $(MACHINE_CORES) + 1 )) --dist worksteal $(WAITING_TESTS) tests/unit $(UNTIMED_TESTS) $(PYTEST_ARGS)
	$(BIN)/python -m pytest -n $(MACHINE_CORES) --dist loadfile --no-loadscope-reorder tests/workflow $(addprefix --ignore=,$(WAITING_TESTS) $(UNTIMED_TESTS) $(TIMED_TESTS)) $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(TIMED_TESTS) $(PYTEST_ARGS)
else
	$(BIN)/python -m pytest $(TESTS) $(PYTEST_ARGS)
endif

# The README's table of figure targets, regenerated from the figure registry.
readme: $(STAMP)
	PYTHONPATH=src $(BIN)/python -m lindae.workflow.gallery README.md

clean:
	rm -rf results .snakemake

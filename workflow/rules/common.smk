# Shared helpers: where outputs go, the library that rule scripts import, target lists.
import sys
from pathlib import Path

# The science lives in the importable package src/lindae. Snakemake hands its own sys.path
# to every script job (plain venv or --sdm conda alike), so putting src/ on it here makes
# `import lindae` work in rule scripts without installing the package into each environment.
LIBRARY = Path(workflow.current_basedir).parent.parent / "src" / "lindae"
sys.path.insert(0, str(LIBRARY.parent))
from lindae.config import check_config  # noqa: E402

RESULTS = config.get("results_dir", "results")
SUFFIX = {"faithful": "", "corrected": "_corrected"}
VARIANT = {suffix: variant for variant, suffix in SUFFIX.items()}


wildcard_constraints:
    figure="[1-4]",
    suffix="|_corrected",


def library(*modules):
    """Library modules a rule depends on, so that editing the science re-runs it."""
    return [str(LIBRARY / f"{name}.py") for name in ("__init__", *modules)]


def figure_outputs(*figures):
    """Every file of the given figures in every configured variant."""
    return [
        f"{RESULTS}/figures/fig{figure}{SUFFIX[variant]}.{ext}"
        for figure in figures
        for variant in config["variants"]
        for ext in ("pdf", "png", "csv")
    ] + [
        f"{RESULTS}/figures/fig{figure}{SUFFIX[variant]}_notes.json"
        for figure in figures
        for variant in config["variants"]
    ]

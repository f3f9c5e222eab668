"""Rule figure_plot: draw one figure rendering from its tables (no computation of results)."""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

import pandas as pd

from lindae.figure_output import save_figure
from lindae.figures import figure
from lindae.io import job_log

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    drawn = figure(params.stem)
    tables = {name: pd.read_csv(snakemake.input[name]) for name in drawn.table_names()}
    plot = drawn.plot(tables, params.settings, params.style, params.variant)
    for path in (snakemake.output.pdf, snakemake.output.png):
        save_figure(plot, path, dpi=params.style["dpi"])
        log.info("saved %s", path)

"""Rule figure_plot: draw one figure rendering from its tables (no computation of results)."""

import pandas as pd

from lindae.figures import figure
from lindae.io import job_log, save_figure

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    drawn = figure(params.stem)
    tables = {name: pd.read_csv(snakemake.input[name]) for name in drawn.table_names()}
    plot = drawn.plot(tables, params.settings, params.style, params.variant)
    for path in (snakemake.output.pdf, snakemake.output.png):
        save_figure(plot, path, dpi=params.style["dpi"])
        log.info("saved %s", path)

"""Rule figure_plot: draw one figure variant from its table (no computation of results)."""

import pandas as pd

from lindae.io import job_log, save_figure
from lindae.plotting import plot_figure

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    table = pd.read_csv(snakemake.input.table)
    figure = plot_figure(params.figure, table, params.variant, params.style, params.settings)
    for path in (snakemake.output.pdf, snakemake.output.png):
        save_figure(figure, path, dpi=params.style["dpi"])
        log.info("saved %s", path)

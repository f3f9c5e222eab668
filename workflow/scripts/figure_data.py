"""Rule figure_data: the long-form table and variant note of one data-free figure (Figs 1-4)."""

from lindae.curves import figure_table
from lindae.io import job_log, write_json, write_table
from lindae.notes import variant_notes

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    log.info(
        "figure %d, variant %s, settings %s", params.figure, params.variant, dict(params.settings)
    )
    table = figure_table(params.figure, params.settings, params.variant)
    write_table(table, snakemake.output.table)
    write_json(
        variant_notes(params.figure, params.variant, params.settings), snakemake.output.notes
    )
    log.info("wrote %d rows to %s", len(table), snakemake.output.table)

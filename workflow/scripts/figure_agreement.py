"""Rules <stem>_agreement: theory vs training per dataset, model and mode (Figs 5-6)."""

from lindae.figures import figure, load_inputs
from lindae.io import job_log, write_table

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    table = figure(params.stem).agreement(load_inputs(**params.inputs), params.settings)
    write_table(table, snakemake.output.agreement)
    log.info("wrote %d rows (dataset, model, mode) to %s", len(table), snakemake.output.agreement)

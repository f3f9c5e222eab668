"""Rules fig6_data / fig6_agreement: Fig. 6 table and note, or the theory agreement table."""

from lindae import fig6
from lindae.fig5 import load_inputs
from lindae.io import job_log, write_json, write_table
from lindae.notes import variant_notes

params, output = snakemake.params, snakemake.output
with job_log(snakemake.log[0]):
    spectra, records = load_inputs(
        params.datasets, snakemake.input.spectra, params.runs, snakemake.input.runs
    )
    if "agreement" in output.keys():
        write_table(fig6.agreement_table(records, spectra, params.settings), output.agreement)
    else:
        write_table(
            fig6.fig6_table(records, spectra, params.settings, params.variant), output.table
        )
        write_json(variant_notes(6, params.variant, params.settings), output.notes)

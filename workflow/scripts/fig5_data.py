"""Rule fig5_data: Fig. 5 table (theory vs trained linear models) and its variant note."""

from lindae.fig5 import fig5_table, load_inputs
from lindae.io import job_log, write_json, write_table
from lindae.notes import variant_notes

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    spectra, runs = load_inputs(
        params.datasets, snakemake.input.spectra, params.runs, snakemake.input.runs
    )
    table, nan_spans = fig5_table(spectra, runs, params.settings, params.fig5, params.variant)
    for span in nan_spans:  # the published figure's silent overflow, made visible
        log.warning(
            "authors' closed form is NaN from epoch %(first_nan_epoch)d: "
            "%(dataset)s %(model)s mode %(mode)d",
            span,
        )
    write_table(table, snakemake.output.table)
    notes = variant_notes(5, params.variant, params.fig5)
    notes["nan_spans"] = nan_spans
    write_json(notes, snakemake.output.notes)

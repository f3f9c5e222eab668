"""Rule fig5_agreement: per dataset, model and mode, max and RMS |theory - simulation|."""

import pandas as pd

from lindae.fig5 import agreement_table, load_inputs, sampled_noise_table
from lindae.io import job_log, load_record, write_table

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    spectra, runs = load_inputs(
        params.datasets, snakemake.input.spectra, params.runs, snakemake.input.runs
    )
    parts = [agreement_table(spectra, runs, params.settings, params.modes)]
    if snakemake.input.sampled:
        sampled = {
            d: load_record(p) for d, p in zip(params.sampled, snakemake.input.sampled, strict=True)
        }
        parts.append(sampled_noise_table(sampled, params.modes, params.settings["record_every"])[1])
    table = pd.concat(parts, ignore_index=True)
    write_table(table, snakemake.output.agreement)
    plotted = table[table.plotted]
    log.info("plotted modes:\n%s", plotted.to_string(index=False))

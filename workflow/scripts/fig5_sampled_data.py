"""Rule fig5_sampled_data: table of the sampled-noise companion figure."""

from lindae.fig5 import sampled_noise_table
from lindae.io import job_log, load_record, write_table

params = snakemake.params
with job_log(snakemake.log[0]):
    runs = {d: load_record(p) for d, p in zip(params.datasets, snakemake.input.runs, strict=True)}
    table, _ = sampled_noise_table(runs, params.modes, params.record_every)
    write_table(table, snakemake.output.table)

"""Rules <stem>_agreement: theory vs training per dataset, model and mode (Figs 5-6)."""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

from lindae.figure_output import write_table
from lindae.figures import figure, load_inputs
from lindae.io import job_log

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    table = figure(params.stem).agreement(load_inputs(**params.inputs), params.settings)
    write_table(table, snakemake.output.agreement)
    log.info("wrote %d rows (dataset, model, mode) to %s", len(table), snakemake.output.agreement)

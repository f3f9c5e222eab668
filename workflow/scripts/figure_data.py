"""Rules <stem>_data: one figure's tables (every number it draws) and notes, in one rendering."""

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
from lindae.io import job_log, write_json

params, output = snakemake.params, snakemake.output
with job_log(snakemake.log[0]) as log:
    drawn = figure(params.stem)
    log.info("%s (%s), settings %s", drawn.title, params.variant, params.settings)
    inputs = load_inputs(**params.inputs)
    tables = drawn.tables(inputs, params.settings, params.variant)
    for name in drawn.table_names():
        write_table(tables[name], output[name])
        log.info("wrote %d rows to %s", len(tables[name]), output[name])
    if drawn.has_notes:
        notes = drawn.notes(params.settings, params.variant, tables)
        for span in notes.get("nan_spans", []):  # a published figure's silent overflow
            log.warning(
                "authors' closed form is NaN from epoch %(first_nan_epoch)d: "
                "%(dataset)s %(model)s mode %(mode)d",
                span,
            )
        write_json(notes, output.notes)

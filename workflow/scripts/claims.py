"""Rule claims: check each figure's claim on its tables; write claims.csv and report captions."""

from pathlib import Path

from lindae.claims import claims_frame, evaluate_claims
from lindae.io import atomic_path, job_log, write_table
from lindae.workflow.captions import caption_template, claims_summary

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    tables = {Path(path).stem: path for path in snakemake.input.tables}
    claims = claims_frame(
        evaluate_claims(
            tables,
            params.thresholds,
            fig3_wdae_rule=params.fig3_wdae_rule,
            fig5_decay=params.fig5_decay,
        )
    )
    write_table(claims, snakemake.output.claims)
    # A failing claim is a result, not an error: it is logged and shown in the report.
    log.info("%s", claims_summary(claims))
    with atomic_path(snakemake.output.captions) as path:
        path.write_text(caption_template(claims, params.settings, params.variants))

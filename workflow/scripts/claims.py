"""Rule claims: check each figure's claims on its tables; write claims.csv and report captions."""

from lindae.claims import claims_frame, evaluate
from lindae.figures import REGISTRY
from lindae.io import atomic_path, job_log, write_table
from lindae.workflow.captions import caption_template, claims_summary

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    claims = claims_frame(
        evaluate(REGISTRY.values(), params.tables, params.settings, params.thresholds)
    )
    write_table(claims, snakemake.output.claims)
    # A failing claim is a result, not an error: it is logged and shown in the report.
    log.info("%s", claims_summary(claims))
    # Captions of every figure built, companions included (their families are configured).
    built = [f for f in REGISTRY.values() if int(f.family) in params.figures]
    with atomic_path(snakemake.output.captions) as path:
        path.write_text(caption_template(claims, built, params.settings, params.variants))

"""Rule claims: check each figure's claims on its tables; write claims.csv and report captions."""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

from lindae.claims import claims_frame, evaluate
from lindae.figure_output import write_table
from lindae.figures import REGISTRY
from lindae.io import atomic_path, job_log
from lindae.workflow.captions import caption_template, claims_summary

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    claims = claims_frame(
        evaluate(REGISTRY.values(), params.tables, params.settings, params.thresholds)
    )
    write_table(claims, snakemake.output.claims)
    # A failing claim is a result, not an error: it is logged and shown in the report.
    summary = claims_summary(claims)
    log.info("%s", summary)
    # also on the job's stderr: the run's end (onsuccess) does not print it where this
    # workflow is a module of another one
    print(f"lindae claims ({snakemake.output.claims}): {summary}", file=sys.stderr)
    # Captions of every figure built, companions included (their families are configured).
    families = {str(family) for family in params.figures}  # numbers, or "analysis"
    built = [f for f in REGISTRY.values() if f.family in families]
    with atomic_path(snakemake.output.captions) as path:
        named = f"results/{Path(snakemake.output.claims).name}"  # claims.csv, analysis_claims.csv
        path.write_text(caption_template(claims, built, params.settings, params.variants, named))

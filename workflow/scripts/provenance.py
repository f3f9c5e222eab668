"""Rule provenance: git state, packages, config hash, device, seeds, host, stage wall times."""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

from lindae.io import job_log, load_record, write_json
from lindae.workflow.provenance import provenance

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    runs = {}  # (the figure inputs only order this job last)
    results = Path(snakemake.output.provenance).parent
    for record in sorted([*results.glob("linear/*.npz"), *results.glob("nonlinear/*.npz")]):
        metadata = load_record(record)["metadata"]
        runs[f"{record.parent.name}/{record.stem}"] = {
            key: metadata.get(key) for key in ("device", "dtype", "seed", "wall_seconds")
        }
    # benchmarks beside the output: under a module's prefix too (params are not prefixed)
    payload = provenance(params.config, params.repository, results / "benchmarks", runs)
    write_json(payload, snakemake.output.provenance)
    log.info("commit %s (dirty: %s)", payload["git"]["commit"], payload["git"]["dirty"])

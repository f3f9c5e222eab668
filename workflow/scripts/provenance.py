"""Rule provenance: git state, packages, config hash, device, seeds, host, stage wall times."""

from pathlib import Path

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
    payload = provenance(params.config, params.repository, params.benchmarks, runs)
    write_json(payload, snakemake.output.provenance)
    log.info("commit %s (dirty: %s)", payload["git"]["commit"], payload["git"]["dirty"])

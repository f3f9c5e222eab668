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
from lindae.workflow.provenance import provenance, training_run

#: The rule that writes each kind of training record (for the rebuild hint of a bad one).
RULES = {"linear": "train_linear", "nonlinear": "train_nonlinear"}

params = snakemake.params
with job_log(snakemake.log[0]) as log:
    runs = {}  # (the figure inputs only order this job last)
    results = Path(snakemake.output.provenance).parent
    for record in sorted([*results.glob("linear/*.npz"), *results.glob("nonlinear/*.npz")]):
        family = record.parent.name
        rule = "train_sampled_noise" if record.stem.endswith("-sampled") else RULES[family]
        metadata = load_record(record, rule)["metadata"]
        runs[f"{family}/{record.stem}"] = training_run(metadata, family, record, rule)
    # benchmarks beside the output: under a module's prefix too (params are not prefixed)
    payload = provenance(params.config, params.repository, results / "benchmarks", runs)
    write_json(payload, snakemake.output.provenance)
    log.info("commit %s (dirty: %s)", payload["git"]["commit"], payload["git"]["dirty"])

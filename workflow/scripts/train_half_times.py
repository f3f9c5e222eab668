"""Rule train_half_times: the half-time ratio t_WDAE / t_DAE of one dataset (target analysis)."""

import sys
from pathlib import Path

# The library: the checkout's src/ beside workflow/, else the copy a remote (module) source
# gets in .snakemake/lindae/src (workflow/rules/common.smk). Never Snakemake's own sys.path.
_src = Path(snakemake.scriptdir).resolve().parent.parent / "src"
if not _src.is_dir():
    _src = Path(".snakemake", "lindae", "src").resolve()
sys.path.insert(0, str(_src))

from lindae.workflow.threads import pin_threads

THREADS = pin_threads(snakemake.config, snakemake.threads)  # before numpy and torch load


import torch

from lindae.half_times import measure_ratios
from lindae.io import job_log, load_record, save_record
from lindae.spectra import load_spectrum
from lindae.training.matched import decoupled_trainer

params, wildcards = snakemake.params, snakemake.wildcards
settings = params.settings
torch.set_num_threads(THREADS)
with job_log(snakemake.log[0]) as log:
    spectrum = load_spectrum(snakemake.input.spectrum)
    metadata = load_record(snakemake.input.rates, "train_linear")["metadata"]
    lr = float(metadata["lr"] if "lr" in metadata else params.fallback_lr)
    hidden = max(settings["modes"])
    log.info("%s: lr = %g (its linear models' rate), H = %d", wildcards.dataset, lr, hidden)
    train = decoupled_trainer(spectrum.eigenvalues, hidden, settings["u0"], lr, settings["dtype"])
    record = measure_ratios(spectrum.eigenvalues, settings, lr, train, log=log.info)
    save_record(
        snakemake.output.record,
        record,
        dict(settings, dataset=wildcards.dataset, lr=lr, hidden=hidden, device="cpu"),
    )

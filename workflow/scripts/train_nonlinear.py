"""Rule train_nonlinear: one ReLU AE / WDAE / DAE on one dataset (Fig. 6)."""

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

from lindae.data import load_training_matrix
from lindae.io import job_log, save_record
from lindae.models import nonlinear_regularisers
from lindae.spectra import load_spectrum
from lindae.training.nonlinear import train_relu_autoencoder
from lindae.workflow.device import require_visible_gpu
from lindae.workflow.training_job import monitoring

params, wildcards = snakemake.params, snakemake.wildcards
settings = params.settings
torch.set_num_threads(THREADS)
with job_log(snakemake.log[0]) as log:
    require_visible_gpu(params.gpus)  # a job given a GPU never trains on the CPU
    spectrum = load_spectrum(snakemake.input.spectrum)
    data = load_training_matrix(
        snakemake.input.arrays,
        spectrum.n_samples,
        dtype="float32",
        preprocessing=settings["preprocessing"],
    )
    noise_std, weight_decay = nonlinear_regularisers(wildcards.model, settings)
    epochs = settings["epochs"]
    progress, checkpoint = monitoring(
        f"{snakemake.rule} {wildcards.dataset} {wildcards.model}",
        epochs,
        log,
        params.monitoring,
        params.checkpoint,
        dict(
            settings,
            noise_std=noise_std,
            weight_decay=weight_decay,
            model=wildcards.model,
            device=params.device,
        ),
        [snakemake.input.spectrum, snakemake.input.arrays],
        [*snakemake.input.code, Path(snakemake.scriptdir, "train_nonlinear.py")],
    )
    run = train_relu_autoencoder(
        data,
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        settings["hidden"],
        settings["lr"],
        epochs,
        weight_decay=weight_decay,
        noise_std=noise_std,
        init_std=settings["init_std"],
        seed=settings["seed"],
        modes=settings["modes"],
        record_every=settings["record_every"],
        activation=settings["activation"],
        device=params.device,
        dtype=settings["dtype"],
        progress=progress,
        checkpoint=checkpoint,
    )
    log.info(
        "trained in %.1f s (metric %.1f s, %.2f %%)",
        run.wall_seconds,
        run.metric_seconds,
        100 * run.metric_seconds / run.wall_seconds,
    )
    save_record(
        snakemake.output.run,
        {
            "epochs": run.epochs,
            "faithful": run.faithful,
            "corrected": run.corrected,
            "loss": run.loss,
        },
        {
            **run.extra,
            **settings,
            # this model's own regularisers (the AE: no noise, no decay), not the config's
            "noise_std": noise_std,
            "weight_decay": weight_decay,
            "model": wildcards.model,
            "dataset": wildcards.dataset,
            "dimension": spectrum.dimension,
            "wall_seconds": run.wall_seconds,
            "metric_seconds": run.metric_seconds,
        },
    )
    checkpoint.remove()  # the result is written: nothing left to resume

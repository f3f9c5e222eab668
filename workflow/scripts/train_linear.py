"""Rule train_linear: one linear AE / WDAE / DAE on one dataset (Fig. 5)."""

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
from lindae.io import job_log
from lindae.models import linear_learning_rate, linear_regularisers
from lindae.spectra import load_spectrum
from lindae.training import linear, linear_init
from lindae.training.driver import record_steps, resolve_device
from lindae.workflow.device import require_visible_gpu
from lindae.workflow.training_job import monitoring

params, wildcards = snakemake.params, snakemake.wildcards
settings = params.settings
torch.set_num_threads(THREADS)
with job_log(snakemake.log[0]) as log:
    require_visible_gpu(params.gpus)  # a job given a GPU never trains on the CPU
    spectrum = load_spectrum(snakemake.input.spectrum)
    device = resolve_device(params.device)  # fails here, before any compute
    w1, w2 = linear_init.initial_weights(
        spectrum.dimension,
        settings["hidden"],
        settings["init_scale"],
        settings["seed"],
        wildcards.model,
    )
    u0 = linear_init.authors_u0(w1, w2, params.u0_top_k)
    if settings["init"] == "decoupled":
        w1, w2 = linear_init.decoupled_weights(spectrum.eigenvectors, settings["hidden"], u0)
    noise, decay = linear_regularisers(wildcards.model, settings)
    # the record states exactly what this model was trained with: its own noise and decay
    # (the AE: 0 and 0), not the config's amounts for the other models
    trained = {k: v for k, v in settings.items() if k not in ("noise", "decay")}
    lr, auto = linear_learning_rate(settings, spectrum.eigenvalues)
    if auto is not None:  # linear.lr.<dataset>: auto, the same for the dataset's models
        log.info("%s", auto)
        trained.update(lr=lr, lr_source="auto", lr_rule=str(auto))
    progress, checkpoint = monitoring(
        f"{snakemake.rule} {wildcards.dataset} {wildcards.model}",
        settings["epochs"],
        log,
        params.monitoring,
        params.checkpoint,
        dict(trained, noise=noise, decay=decay, model=wildcards.model, device=str(device)),
        [snakemake.input.spectrum, snakemake.input.arrays],
        [*snakemake.input.code, Path(snakemake.scriptdir, "train_linear.py")],
    )
    common = dict(
        lr=trained["lr"],
        epochs=settings["epochs"],
        decay=decay,
        noise=noise,
        steps=record_steps(settings["epochs"], settings["record_every"]),
        device=str(device),
        dtype=settings["dtype"],
        progress=progress,
        checkpoint=checkpoint,
    )
    log.info(
        "%s %s on %s (%s), u0 = %.4g",
        wildcards.dataset,
        wildcards.model,
        device,
        settings["algorithm"],
        u0,
    )
    if settings["algorithm"] == "eigenbasis":
        run = linear.train_eigenbasis(spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **common)
    else:
        data = load_training_matrix(
            snakemake.input.arrays, spectrum.n_samples, preprocessing=settings["preprocessing"]
        )
        run = linear.train_dataspace(
            data, spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **common
        )
    log.info("trained in %.1f s", run.wall_seconds)
    linear.save_run(
        run,
        snakemake.output.run,
        init_u0=u0,
        model=wildcards.model,
        dataset=wildcards.dataset,
        **trained,
        noise=noise,
        decay=decay,
    )
    checkpoint.remove()  # the result is written: nothing left to resume

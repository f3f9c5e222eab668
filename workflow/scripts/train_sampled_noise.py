"""Rule train_sampled_noise: linear DAE with noise drawn every epoch vs the marginalised DAE.

Both start from the same init on the same training subset, whose own spectrum is stored so
the theory overlay uses exactly the eigenvalues of the data trained on.
"""

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
from lindae.spectra import load_spectrum, second_moment_spectrum
from lindae.training import linear, linear_init
from lindae.training.driver import record_steps, resolve_device
from lindae.workflow.device import require_visible_gpu
from lindae.workflow.training_job import monitoring

params, wildcards = snakemake.params, snakemake.wildcards
settings, sampled = params.settings, params.sampled
torch.set_num_threads(THREADS)
with job_log(snakemake.log[0]) as log:
    require_visible_gpu(params.gpus)  # a job given a GPU never trains on the CPU
    device = str(resolve_device(params.device))
    # centred / standardised over these rows (sampled_noise.subset), not the spectrum's subset
    preprocessing = settings["preprocessing"]
    data = load_training_matrix(
        snakemake.input.arrays, sampled["subset"], preprocessing=preprocessing
    )
    spectrum = second_moment_spectrum(data, wildcards.dataset, preprocessing)
    w1, w2 = linear_init.initial_weights(
        spectrum.dimension, settings["hidden"], settings["init_scale"], settings["seed"], "DAE"
    )
    u0 = linear_init.authors_u0(w1, w2, params.u0_top_k)
    noise, _ = linear_regularisers("DAE", settings)
    # linear.lr.<dataset>: auto is derived from the dataset's spectrum, as for its Fig. 5 runs
    lr, auto = linear_learning_rate(settings, load_spectrum(snakemake.input.spectrum).eigenvalues)
    origin = {}
    if auto is not None:
        log.info("%s", auto)
        origin = dict(lr_source="auto", lr_rule=str(auto))
    else:
        lr = settings["lr"]
    common = dict(
        lr=lr,
        epochs=sampled["epochs"],
        noise=noise,
        steps=record_steps(sampled["epochs"], settings["record_every"]),
        device=device,
        dtype=settings["dtype"],
    )
    # only the sampled-noise run, the long one, checkpoints; its marginalised twin is recomputed
    progress, checkpoint = monitoring(
        f"{snakemake.rule} {wildcards.dataset} DAE-sampled",
        sampled["epochs"],
        log,
        params.monitoring,
        params.checkpoint,
        dict(settings, lr=lr, sampled=sampled, noise=noise, model="DAE", device=device),
        [snakemake.input.arrays, snakemake.input.spectrum],
        [*snakemake.input.code, Path(snakemake.scriptdir, "train_sampled_noise.py")],
    )
    marginal = linear.train_eigenbasis(
        spectrum.eigenvalues, spectrum.eigenvectors, w1, w2, **common
    )
    log.info("marginalised DAE: %.1f s", marginal.wall_seconds)
    run = linear.train_sampled_noise(
        data,
        spectrum.eigenvalues,
        spectrum.eigenvectors,
        w1,
        w2,
        batch_size=sampled["batch_size"],
        seed=sampled["seed"],
        progress=progress,
        checkpoint=checkpoint,
        **common,
    )
    log.info("sampled-noise DAE: %.1f s", run.wall_seconds)
    linear.save_run(
        run,
        snakemake.output.run,
        arrays=dict(
            eigenvalues=spectrum.eigenvalues, marginalised_projections=marginal.projections
        ),
        init_u0=u0,
        n_samples=spectrum.n_samples,
        preprocessing=preprocessing,
        model="DAE",
        variant="sampled_noise",
        dataset=wildcards.dataset,
        lr=lr,
        **origin,
        hidden=settings["hidden"],
        noise=noise,
        decay=0.0,
        epochs=sampled["epochs"],
        record_every=settings["record_every"],
        init="random",  # this comparison always starts from the authors' random init
        init_scale=settings["init_scale"],
        seed=settings["seed"],  # the init's
        noise_seed=sampled["seed"],  # the noise draws' and the minibatch order's
        batch_size=sampled["batch_size"],
        marginalised_wall_seconds=marginal.wall_seconds,
    )
    checkpoint.remove()  # the result is written: nothing left to resume

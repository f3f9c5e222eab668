"""How long a run will take, said before its first job: a cost model per job, priced at rates
measured on this machine (:mod:`lindae.workflow.rates`).

Each job's work comes from the config (:func:`job_work`): the FLOPs of its trainer (float32
products) or of the spectrum (float64 product and ``eigh``), the Gaussian numbers it draws, its
small per-epoch operations, and a fixed start-up (Python, the torch import, its inputs). Each
trainer reaches a share of the plain product rate (skinny products, element-wise work):
``EFFICIENCY`` and the ``*_SECONDS`` were fitted to the benchmark files of the 2-core build
machine (docs/running.md's stage times) and tests/workflow/test_cost_estimate.py compares each
job's estimate with its ``benchmark:`` file.

:func:`estimate_lines` formats the estimate per stage; the wall time assumes jobs side by side
up to ``--cores`` (:func:`wall_seconds`). :func:`chain_priority` turns the same estimates into
each job's Snakemake ``priority`` (the longest chain first). A job that will resume from a
checkpoint is priced for its epochs left (:func:`checkpoint_epoch`). Plain Python: never
imports snakemake or numpy, and torch only to read a checkpoint that is there.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lindae.limits import data_job_mem_mb
from lindae.workflow.config_datasets import configured_facts, sampled_noise_datasets
from lindae.workflow.rates import Rates

__all__ = [
    "STAGES",
    "stage_of",
    "Work",
    "JobEstimate",
    "job_work",
    "estimate_jobs",
    "training_epochs",
    "checkpoint_epoch",
    "stage_totals",
    "wall_seconds",
    "uses_torch",
    "estimate_lines",
    "format_seconds",
    "SUGGEST_QUICK_SECONDS",
    "REFERENCE_RATES",
    "runtime_minutes",
    "download_minutes",
    "chain_priority",
]

#: Stages of a run, in the order their jobs can start.
STAGES = (
    "data",
    "spectra",
    "linear training",
    "sampled-noise training",
    "nonlinear training",
    "figures/tables",
    "report",
)
_RULE_STAGES = {
    "data": "data",  # the benchmark folder of the download rules
    "spectrum": "spectra",
    "train_linear": "linear training",
    "train_sampled_noise": "sampled-noise training",
    "train_nonlinear": "nonlinear training",
    "claims": "report",
    "provenance": "report",
}
#: Longest chain of stages: a job's level; jobs of one level wait for the level before.
_LEVELS = {
    "data": 0,
    "spectra": 1,
    "linear training": 2,
    "sampled-noise training": 2,
    "nonlinear training": 2,
}
#: Above this estimated wall time the quick preset is suggested.
SUGGEST_QUICK_SECONDS = 30 * 60

# --- measured on the 2-core build machine (tests/workflow/test_cost_estimate.py) ----------
#: Share of the measured float32 GEMM rate each trainer reaches (skinny products, element-wise
#: updates, the records), and of the float64 rate for the spectrum's product and eigh.
EFFICIENCY = {
    "eigenbasis": 0.6,
    "dataspace": 0.5,
    "sampled_noise": 0.7,
    "nonlinear": 1.0,
    "spectrum": 1.0,
    # LAPACK's eigh (syevd): its tridiagonal reduction is memory-bound; measured 0.25-0.39
    # of the float64 GEMM rate for D = 784 and 3072 on one 2-core machine, 0.30-0.58 on
    # another: 0.4 keeps both within 1.6x
    "eigh": 0.4,
}
#: A ReLU autoencoder's products each stream an N x D operand, which costs about as much as
#: this many more hidden units: at H = 64 they ran at 0.67-0.78 of the measured product rate
#: (1 and 2 threads), at H = 256 and 512 at 0.92-0.96 (one 2-core machine, 2026-12-02).
STREAMING_UNITS = 24
#: Small operations per epoch of each trainer (kernel calls and Python steps of the loop) and
#: per record: what an epoch costs beyond its FLOPs, at the measured latency of one call.
OPS_PER_EPOCH = {"linear": 10, "sampled_noise": 12, "nonlinear": 15, "nonlinear_noisy": 30}
OPS_PER_RECORD = 20
#: Start-up of a training job besides importing torch: Python, numpy, the library, its inputs
#: (0.3-0.5 s measured on 1000-5000 images; importing torch took 1.2-1.4 s on that machine).
TRAINING_START_SECONDS = 0.5
#: Importing torch, where it was not measured (no torch in the main process).
TORCH_IMPORT_SECONDS = 2.0
#: Start-up of a spectrum job (Python, numpy, reading the dataset): 0.2-0.4 s measured.
SPECTRUM_START_SECONDS = 0.4
#: Importing a dataset: decoding its files and writing the canonical arrays (3.5-4 s measured
#: for MNIST and CIFAR-10).
DATA_SECONDS = 4.0
#: A table or plot job: Python, numpy, pandas, matplotlib; plus seconds per table row (the
#: quick preset's took 0.3-2.7 s and 1.0-2.6 s).
TABLE_SECONDS, PLOT_SECONDS, ROW_SECONDS = 1.0, 2.0, 2e-6
#: The claims and the provenance record.
REPORT_SECONDS = {"claims": 3.0, "provenance": 3.0}


#: A slow machine (2 cores, no GPU) by which the jobs' time limits (``runtime``) are set.
REFERENCE_RATES = Rates(
    gemm=1.5e11,
    double=5e10,
    normals=6e8,
    latency=2e-5,
    library="torch",
    threads=2,
    torch_import=3.0,
)


def stage_of(rule: str) -> str:
    """The stage of a rule (or of a benchmark folder named after one): ``download_<dataset>``
    is "data"; figure jobs (``figN_data``, ``figN_agreement``, ``figure_plot``) are
    "figures/tables"."""
    if rule.startswith("download_"):
        return "data"
    return _RULE_STAGES.get(rule, "figures/tables")


@dataclass(frozen=True)
class Work:
    """What one job computes: FLOPs by kind (already divided by the kind's efficiency),
    Gaussian draws, and fixed seconds; the torch import is added when ``torch`` is set."""

    gemm: float = 0.0
    double: float = 0.0
    normals: float = 0.0
    ops: float = 0.0  # small operations (kernel calls, Python steps): each costs the latency
    fixed: float = 0.0
    torch: bool = False

    def remaining(self, fraction: float) -> Work:
        """The work left when ``fraction`` of the epochs remain (a job resuming from a
        checkpoint): its compute shrinks, its start-up does not."""
        return Work(
            gemm=self.gemm * fraction,
            double=self.double * fraction,
            normals=self.normals * fraction,
            ops=self.ops * fraction,
            fixed=self.fixed,
            torch=self.torch,
        )

    def seconds(self, rates: Rates) -> float:
        """Wall seconds at ``rates``."""
        start = 0.0
        if self.torch:
            start = rates.torch_import if rates.torch_import is not None else TORCH_IMPORT_SECONDS
        compute = self.gemm / rates.gemm + self.double / rates.double
        overhead = self.ops * rates.latency
        return self.fixed + start + compute + self.normals / rates.normals + overhead


@dataclass(frozen=True)
class JobEstimate:
    """One job's estimate."""

    rule: str
    wildcards: Mapping[str, str]
    stage: str
    threads: int
    seconds: float


def _dimension(dataset: str, config: Mapping[str, Any]) -> int:
    """D of a configured dataset, from its data or its torchvision class
    (:mod:`lindae.workflow.config_datasets`); 0 while unknown (its import file is missing, so
    none of its jobs can run)."""
    facts = configured_facts(config).get(dataset)
    return facts.dimension if facts is not None else 0


def _linear(dataset: str, config: Mapping[str, Any]) -> Work:
    """Linear AE/WDAE/DAE: eigenbasis 8 D H^2 FLOPs per epoch, data space 10 N D H; each
    record (every k-th epoch and the next) rotates and factors the weights, ~10 D H^2 in
    float64."""
    linear = config["linear"]
    d, h = _dimension(dataset, config), linear["hidden"][dataset]
    n, epochs = config["datasets"][dataset]["subset"], _epochs("train_linear", config)
    if linear["algorithm"] == "eigenbasis":
        flops = 8 * d * h * h / EFFICIENCY["eigenbasis"]
    else:
        flops = 10 * n * d * h / EFFICIENCY["dataspace"]
    records = 2 * (epochs // linear["record_every"] + 1)
    return Work(
        gemm=flops * epochs,
        double=records * 10 * d * h * h,
        ops=epochs * OPS_PER_EPOCH["linear"] + records * OPS_PER_RECORD,
        fixed=TRAINING_START_SECONDS,
        torch=True,
    )


def _sampled(dataset: str, config: Mapping[str, Any]) -> Work:
    """Linear DAE with noise drawn every epoch: 10 N D H FLOPs and N D draws per epoch."""
    linear = config["linear"]
    sampled, h = linear["sampled_noise"], linear["hidden"][dataset]
    n, d = sampled["subset"], _dimension(dataset, config)
    epochs = _epochs("train_sampled_noise", config)
    records = 2 * (epochs // linear["record_every"] + 1)
    return Work(
        gemm=10 * n * d * h * epochs / EFFICIENCY["sampled_noise"],
        double=records * 10 * d * h * h,
        normals=n * d * epochs,
        ops=epochs * OPS_PER_EPOCH["sampled_noise"] + records * OPS_PER_RECORD,
        fixed=TRAINING_START_SECONDS,
        torch=True,
    )


def _nonlinear(dataset: str, model: str, config: Mapping[str, Any]) -> Work:
    """ReLU AE, full batch: forward and backward 10 N D H FLOPs per epoch, priced as
    10 N D (H + :data:`STREAMING_UNITS`) (the DAE also draws N D numbers); each record adds a
    clean forward pass, 4 N D H."""
    from lindae.models import MODELS

    nonlinear = config["nonlinear"]
    n, d = config["datasets"][dataset]["subset"], _dimension(dataset, config)
    h, epochs = nonlinear["hidden"].get(dataset, 0), _epochs("train_nonlinear", config)
    units = h + STREAMING_UNITS if h else 0  # 0: the dataset has no such models
    per_epoch = 10 * n * d * units * (1 + 0.4 / nonlinear["record_every"])
    noisy = MODELS[model].noisy
    return Work(
        gemm=per_epoch * epochs / EFFICIENCY["nonlinear"],
        normals=n * d * epochs if noisy else 0.0,
        ops=epochs * OPS_PER_EPOCH["nonlinear" + ("_noisy" if noisy else "")],
        fixed=TRAINING_START_SECONDS,
        torch=True,
    )


def _spectrum(dataset: str, config: Mapping[str, Any]) -> Work:
    """X^T X / N (N D^2 FLOPs: a symmetric product, float64) and ``eigh`` (~4 D^3)."""
    n, d = config["datasets"][dataset]["subset"], _dimension(dataset, config)
    flops = n * d * d / EFFICIENCY["spectrum"] + 4 * d**3 / EFFICIENCY["eigh"]
    return Work(double=flops, fixed=SPECTRUM_START_SECONDS)


def _rows(stem: str, config: Mapping[str, Any]) -> int:
    """Table rows of figure ``stem`` (from its memory estimate: the sizes live in limits)."""
    from lindae.limits import BASE_MB, BYTES_PER_ROW

    return max(0, data_job_mem_mb(stem, config) - BASE_MB) * 1_000_000 // BYTES_PER_ROW


def job_work(rule: str, wildcards: Mapping[str, str], config: Mapping[str, Any]) -> Work:
    """The work of one job of ``rule`` with ``wildcards``, from the config."""
    dataset = wildcards.get("dataset", "")
    if rule.startswith("download_"):
        return Work(fixed=DATA_SECONDS)
    if rule == "spectrum":
        return _spectrum(dataset, config)
    if rule == "train_linear":
        return _linear(dataset, config)
    if rule == "train_sampled_noise":
        return _sampled(dataset, config)
    if rule == "train_nonlinear":
        return _nonlinear(dataset, wildcards["model"], config)
    if rule in REPORT_SECONDS:
        return Work(fixed=REPORT_SECONDS[rule])
    if rule == "figure_plot":
        return Work(fixed=PLOT_SECONDS + ROW_SECONDS * _rows(wildcards["stem"], config) / 4)
    stem = rule.rsplit("_", 1)[0]  # figN_data, figN_agreement
    return Work(fixed=TABLE_SECONDS + ROW_SECONDS * _rows(stem, config))


#: Where each training rule's epochs are in the config.
_EPOCH_KEYS = {
    "train_linear": ("linear", "epochs"),
    "train_sampled_noise": ("linear", "sampled_noise", "epochs"),
    "train_nonlinear": ("nonlinear", "epochs"),
}


def _epochs(rule: str, config: Mapping[str, Any]) -> int:
    """The epochs a job of the training rule ``rule`` runs."""
    value: Any = config
    for key in _EPOCH_KEYS[rule]:
        value = value[key]
    return int(value)


def training_epochs(rule: str, config: Mapping[str, Any]) -> int | None:
    """The epochs a training job of ``rule`` runs; None for other rules."""
    return _epochs(rule, config) if rule in _EPOCH_KEYS else None


def checkpoint_epoch(path: str | os.PathLike[str]) -> int | None:
    """The epoch a training job's checkpoint file holds (the ``epoch`` of
    :class:`lindae.training.checkpoint.Checkpoint`'s payload), or None when there is no
    readable one. Its fingerprint is not checked: the job does that, and starts over from
    epoch 0 when the checkpoint was written for other settings, inputs or code."""
    if not Path(path).is_file():
        return None
    try:
        import torch  # only when a checkpoint is there: the main process seldom needs it

        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return int(payload["epoch"])
    except Exception:  # no torch here, or a damaged file (which the job will ignore)
        return None


def runtime_minutes(
    rule: str, wildcards: Mapping[str, str], config: Mapping[str, Any], floor: int
) -> int:
    """A job's time limit (minutes): twice its estimate on :data:`REFERENCE_RATES`, in whole
    10 minutes, at least ``floor``; it follows the dataset's size and the settings."""
    seconds = job_work(rule, wildcards, config).seconds(REFERENCE_RATES)
    return max(floor, 10 * math.ceil(2 * seconds / 600))


def _trainings(dataset: str, config: Mapping[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """The training jobs (rule, wildcards) the config can ask for on ``dataset``."""
    from lindae.models import MODELS

    jobs: list[tuple[str, dict[str, str]]] = []
    if dataset in config["linear"]["hidden"]:
        jobs.append(("train_linear", {"dataset": dataset, "model": "AE"}))
    if dataset in sampled_noise_datasets(config):
        jobs.append(("train_sampled_noise", {"dataset": dataset}))
    if dataset in config["nonlinear"]["hidden"]:
        jobs += [("train_nonlinear", {"dataset": dataset, "model": m}) for m in MODELS]
    return jobs


def chain_priority(rule: str, wildcards: Mapping[str, str], config: Mapping[str, Any]) -> int:
    """A job's Snakemake ``priority``: the estimated seconds (on :data:`REFERENCE_RATES`) from
    its start to the end of the longest chain of compute jobs that waits on it.

    A training job's chain is itself; a spectrum's adds its dataset's longest training; a
    dataset's download adds its spectrum's chain; figure and report jobs get 0. Snakemake
    starts the ready jobs of highest priority first, so the long chains start early and a run
    does not end with one late long job on one core while the others idle (list scheduling
    by critical path).
    """
    dataset = wildcards.get("dataset", "")
    if rule.startswith("download_"):
        dataset = rule.removeprefix("download_")
        own = job_work(rule, wildcards, config).seconds(REFERENCE_RATES)
        return round(own) + chain_priority("spectrum", {"dataset": dataset}, config)
    if rule == "spectrum":
        own = job_work(rule, wildcards, config).seconds(REFERENCE_RATES)
        trainings = [chain_priority(r, w, config) for r, w in _trainings(dataset, config)]
        return round(own) + max(trainings, default=0)
    if rule.startswith("train_"):
        return round(job_work(rule, wildcards, config).seconds(REFERENCE_RATES))
    return 0


def download_minutes(images: int, dimension: int) -> int:
    """A download job's time limit: 30 minutes per started 100 MB of training images (a slow
    mirror; MNIST 30, CIFAR-10 60)."""
    return 30 * max(1, math.ceil(images * dimension / 100e6))


def _work_left(
    rule: str, wildcards: Mapping[str, str], config: Mapping[str, Any], done: int
) -> Work:
    """A job's work after ``done`` epochs of a checkpoint (0: all of it)."""
    work = job_work(rule, wildcards, config)
    total = training_epochs(rule, config)
    if not done or not total:
        return work
    return work.remaining(max(0, total - done) / total)


def estimate_jobs(
    jobs: Iterable[tuple[str, Mapping[str, str], int]],
    config: Mapping[str, Any],
    rates: Rates,
    resumed: Mapping[int, int] | None = None,
) -> list[JobEstimate]:
    """Estimates of ``jobs``, each (rule, wildcards, threads); ``resumed`` maps the index of a
    job that continues from a checkpoint to the checkpoint's epoch (only the rest counts)."""
    resumed = resumed or {}
    return [
        JobEstimate(
            rule,
            dict(wildcards),
            stage_of(rule),
            threads,
            _work_left(rule, wildcards, config, resumed.get(index, 0)).seconds(rates),
        )
        for index, (rule, wildcards, threads) in enumerate(jobs)
    ]


def uses_torch(
    jobs: Iterable[tuple[str, Mapping[str, str], int]], config: Mapping[str, Any]
) -> bool:
    """Whether any of ``jobs`` (rule, wildcards, threads) trains in torch: only then are the
    rates measured with torch (whose import alone takes seconds)."""
    return any(job_work(rule, wildcards, config).torch for rule, wildcards, _ in jobs)


def wall_seconds(estimates: Iterable[JobEstimate], cores: int) -> float:
    """Wall time of ``estimates`` run side by side up to ``cores``: the larger of their
    core-seconds over the cores and the longest chain (data, spectra, training, then the
    rest; the longest job of each level)."""
    estimates = list(estimates)
    if not estimates:
        return 0.0
    shared = sum(e.seconds * min(e.threads, cores) for e in estimates) / cores
    levels: dict[int, float] = {}
    for e in estimates:
        level = _LEVELS.get(e.stage, 3)
        levels[level] = max(levels.get(level, 0.0), e.seconds)
    return max(shared, sum(levels.values()))


def stage_totals(
    estimates: Iterable[JobEstimate], cores: int
) -> dict[str, tuple[int, float, float]]:
    """Stage -> (jobs, serial seconds, wall seconds up to ``cores``), stages with jobs only."""
    by_stage: dict[str, list[JobEstimate]] = {}
    for e in estimates:
        by_stage.setdefault(e.stage, []).append(e)
    return {
        stage: (
            len(by_stage[stage]),
            sum(e.seconds for e in by_stage[stage]),
            max(
                max(e.seconds for e in by_stage[stage]),
                sum(e.seconds * min(e.threads, cores) for e in by_stage[stage]) / cores,
            ),
        )
        for stage in STAGES
        if stage in by_stage
    }


def format_seconds(seconds: float) -> str:
    """``1 h 02 min``, ``4 min 05 s`` or ``12 s``."""
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def estimate_lines(
    jobs: Iterable[tuple[str, Mapping[str, str], int]],
    config: Mapping[str, Any],
    cores: int,
    rates: Rates | None,
    resumed: Mapping[int, int] | None = None,
) -> list[str]:
    """The lines printed before a run's first job: per stage the jobs, their summed and their
    side-by-side (up to ``cores``) time, the total, and the quick preset when it is long;
    ``resumed`` as for :func:`estimate_jobs` (a line says how many jobs resume)."""
    if rates is None:
        return [
            "lindae: run time not estimated: neither torch nor numpy can be imported by "
            "Snakemake here (its own environment)"
        ]
    jobs, resumed = list(jobs), resumed or {}
    estimates = estimate_jobs(jobs, config, rates, resumed)
    lines = [
        f"lindae: expected run time on this machine ({len(estimates)} jobs, {cores} cores; "
        f"{rates.library} float32 GEMM {rates.gemm / 1e9:.0f} GFLOP/s with "
        f"{rates.threads} thread{'s' if rates.threads != 1 else ''}):"
    ]
    for stage, (count, serial, wall) in stage_totals(estimates, cores).items():
        lines.append(
            f"  {stage:<24}{count:>3} jobs  {format_seconds(serial):>13} of job time, "
            f"~{format_seconds(wall)} side by side"
        )
    total = wall_seconds(estimates, cores)
    serial = sum(e.seconds for e in estimates)
    lines.append(
        f"  {'total':<24}{len(estimates):>3} jobs  {format_seconds(serial):>13} of job time, "
        f"~{format_seconds(total)} wall (jobs side by side up to {cores} cores)"
    )
    if resumed:
        at = ", ".join(
            f"{jobs[index][0]} {'_'.join(jobs[index][1].values())} at epoch {epoch}"
            for index, epoch in sorted(resumed.items())
        )
        lines.append(
            f"  {len(resumed)} job{'s' if len(resumed) != 1 else ''} can resume from a "
            f"checkpoint ({at}): only the epochs left are counted"
        )
    if total > SUGGEST_QUICK_SECONDS:
        lines.append(
            "  that is long: `make figures PRESET=quick ...` builds every figure in minutes"
        )
    return lines

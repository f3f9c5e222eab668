"""What a configuration may ask for, decided from the config alone, before any job runs.

The workflow checks every setting while it parses (:mod:`lindae.workflow.config`), and parsing
must work with Snakemake alone, so everything here is plain Python (no numpy):

* **Stable steps of the scalar network** (Figs 1 and 4). Gradient descent on the per-mode loss
  S5 from the configured inits either stays finite or overflows; which one is decided by
  running that same descent here, init by init, until a certificate proves the rest of the run
  bounded (:func:`certified_stable`) or the run ends. The inits are numpy's legacy draws,
  reproduced bit for bit (:func:`legacy_uniform_pair`).
* **The authors' closed form S11** (Fig. 1, faithful) overflows once exp(G lam lr t) does
  (:func:`authors_s11_last_finite_epoch`).
* **Sizes**: the rows of every table of Figs 1-4 (:func:`table_rows`) and the memory of each
  job (:func:`data_job_mem_mb`, :func:`plot_job_mem_mb`, :func:`training_job_mem_mb`), so
  that oversized settings are refused with the key to change and each rule's ``mem_mb``
  follows its settings.

Memory figures are estimates with about 2x headroom over measurements (a table costs
~175 bytes per row while it is built and written; see tests/unit/test_config_properties.py).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "SEED_LIMIT",
    "MAX_JOB_MEM_MB",
    "MAX_IMAGE_PIXELS",
    "legacy_uniform_pair",
    "scalar_inits",
    "certified_stable",
    "largest_certified_lr",
    "Divergence",
    "descent_divergence",
    "authors_s11_last_finite_epoch",
    "table_rows",
    "rows_mem_mb",
    "data_job_mem_mb",
    "plot_job_mem_mb",
    "dataset_job_mem_mb",
    "training_record_mb",
    "training_job_mem_mb",
    "figure_inches",
]

#: Seeds numpy's legacy generator and torch both accept: 0 <= seed < 2**32.
SEED_LIMIT = 2**32
#: The most memory any job may be estimated to need (MB); larger settings are refused.
MAX_JOB_MEM_MB = 16_000
#: matplotlib's Agg renderer draws at most this many pixels along each side of an image.
MAX_IMAGE_PIXELS = 65_535
#: Memory of a job before its tables: Python, numpy, pandas, matplotlib (MB).
BASE_MB = 300
#: Peak bytes per table row while it is built and written (measured ~175), with headroom.
BYTES_PER_ROW = 400
#: Peak bytes per pixel of a rendered PNG (measured ~4.5), with headroom.
BYTES_PER_PIXEL = 8
#: |w1| + |w2| beyond this (times the init range) counts as diverged: the loss column
#: (~ lam w^4) overflows long before float64 does.
BLOWUP = 1e6
#: Scalar descent steps simulated per check at most (~0.5 s of parsing); a run neither
#: certified nor finished within them is refused (its message names the always-stable step).
STEP_BUDGET = 500_000
#: exp(x) overflows float64 for x > 709.78; S11 multiplies it by a few more factors.
LOG_FLOAT_MAX = 700.0
#: Points per side of the grids of the landscape panels (lindae.landscape).
SURFACE_GRID, MINIMA_GRID, GRADIENT_STRIDE, HALF_WIDTH = 100, 1000, 5, 2.0
#: Points of each branch of the exact hyperbola of minima (lindae.landscape.hyperbola).
HYPERBOLA_POINTS = 400


# --- the scalar network's inits and gradient descent ---------------------------------------


def legacy_uniform_pair(seed: int, init_range: float) -> tuple[float, float]:
    """(w1, w2) as ``numpy.random.RandomState(seed)`` draws them with two ``uniform(-r, r)``
    calls (lindae.scalar.legacy_uniform_inits), in plain Python: the same MT19937 state
    (numpy seeds an int with init_genrand) and the same 53-bit doubles as ``random.random``.
    """
    state = [seed % SEED_LIMIT]
    for index in range(1, 624):
        previous = state[-1]
        state.append((1812433253 * (previous ^ (previous >> 30)) + index) & 0xFFFFFFFF)
    generator = random.Random()
    generator.setstate((3, (*state, 624), None))
    low, high = -init_range, init_range
    return (
        low + (high - low) * generator.random(),
        low + (high - low) * generator.random(),
    )


def scalar_inits(
    seeds: Iterable[int], init_range: float, first: tuple[float, float] | None = None
) -> list[tuple[float, float]]:
    """The inits of a scalar figure: ``first`` (Fig. 4's small init), then one per seed."""
    inits = [first] if first is not None else []
    return inits + [legacy_uniform_pair(seed, init_range) for seed in seeds]


def certified_stable(
    w1: float, w2: float, lam: float, noise: float, decay: float, lr: float
) -> bool:
    """Whether gradient descent on S5 from (w1, w2) provably stays bounded from here on.

    With xi = lam + noise, u = w1 w2, u_bar = (lam - decay)/xi, c = w2^2 - w1^2: if
    lr decay <= 1/4 and lr xi sqrt(c^2 + 4 U^2) <= 1 with U = |u_bar| + |u - u_bar| (+ |c|
    when decay > 0), then |c| never grows, |u - u_bar| never grows (up to the decaying
    contribution of c under weight decay), so |u| <= U and w1^2 + w2^2 <= sqrt(c^2 + 4 U^2)
    for ever. (Each step multiplies u - u_bar by 1 - lr xi (w1^2 + w2^2) + O(lr^2), which the
    two conditions keep in [-1, 1].)
    """
    xi = lam + noise
    if lr * decay > 0.25:
        return False
    target = (lam - decay) / xi
    c = w2 * w2 - w1 * w1
    spread = abs(w1 * w2 - target) + (abs(c) if decay > 0 else 0.0)
    bound = abs(target) + spread
    return lr * xi * math.sqrt(c * c + 4.0 * bound * bound) <= 1.0


def largest_certified_lr(init_range: float, lam: float, noise: float, decay: float) -> float:
    """The largest step that :func:`certified_stable` accepts from every init in
    [-init_range, init_range]^2 (the step a message can recommend whatever the seeds)."""
    xi = lam + noise
    r2 = init_range * init_range
    target = (lam - decay) / xi
    spread = r2 + abs(target) + (r2 if decay > 0 else 0.0)
    bound = abs(target) + spread
    step = 1.0 / (xi * math.sqrt(r2 * r2 + 4.0 * bound * bound))
    return min(step, 0.25 / decay) if decay > 0 else step


@dataclass(frozen=True)
class Divergence:
    """A scalar gradient descent that overflows, or that could not be shown not to."""

    run: int
    epoch: int | None  # None: neither certified nor run to its end within the steps allowed

    def describe(self, where: str) -> str:
        """The clause of a message: what happened, to which run, ``where``."""
        if self.epoch is None:
            return f"gradient descent could not be shown to stay finite (run {self.run}, {where})"
        return f"gradient descent diverges (run {self.run} at epoch {self.epoch}, {where})"


def descent_divergence(
    inits: list[tuple[float, float]],
    lam: float,
    noise: float,
    decay: float,
    lr: float,
    epochs: int,
    budget: int = STEP_BUDGET,
) -> Divergence | None:
    """The first run whose full-batch GD on S5 overflows within ``epochs`` steps, else None.

    Runs the update of lindae.scalar.gradient_descent for all inits side by side, epoch by
    epoch, until the run ends, a run leaves the BLOWUP box, or :func:`certified_stable` proves
    each remaining run bounded from then on (most stable runs are certified within a few dozen
    steps). When ``budget`` steps are spent first, the first uncertified run counts as not
    shown stable.
    """
    xi = lam + noise
    limit = BLOWUP * max(1.0, *(abs(w) for init in inits for w in init))
    active = dict(enumerate(inits))
    for epoch in range(1, epochs + 1):
        for run, (w1, w2) in list(active.items()):
            if certified_stable(w1, w2, lam, noise, decay, lr):
                del active[run]
                continue
            if budget <= 0:
                return Divergence(run, None)
            budget -= 1
            h = lam - xi * w1 * w2
            w1, w2 = w1 - lr * (-w2 * h + decay * w1), w2 - lr * (-w1 * h + decay * w2)
            if not abs(w1) + abs(w2) <= limit:  # also catches NaN
                return Divergence(run, epoch)
            active[run] = (w1, w2)
        if not active:
            break
    return None


def authors_s11_last_finite_epoch(w1: float, w2: float, lam: float, noise: float, lr: float) -> int:
    """The last epoch at which the authors' S11 (lindae.theory.unbalanced_mode_strength_authors)
    is finite: it forms exp(G lam lr t) and products of it with G^2 and (c0 kappa)^2."""
    c0 = abs(w2 * w2 - w1 * w1)
    kappa = (lam + noise) / lam
    g = math.sqrt(c0 * c0 * kappa * kappa + 4.0)
    rate = g * lam * lr
    headroom = LOG_FLOAT_MAX - math.log(4.0 + g * g + 2.0 * c0 * kappa + 4.0 * g)
    last = headroom / rate if rate > 0 else math.inf  # a subnormal step: never
    return int(last) if last < 2**62 else 2**62


# --- sizes ---------------------------------------------------------------------------------


def _band_points(lam: float, noise: float, decay: float, grid: int = MINIMA_GRID) -> int:
    """Grid points of [-2, 2]^2 (grid x grid) within 1e-5 of the minimum of S5: what the
    authors' thresholded picture of the minima keeps (lindae.landscape.thresholded_minima).

    Near the minimum S5 - min ~ (xi/2)(u - u*)^2, so the points lie in the band
    |w1 w2 - u*| < d = sqrt(2e-5/xi); its area follows from area{w1 w2 <= t} in closed form.
    An estimate (weight decay's two-point minimum gets a band too: an overestimate).
    """
    xi = lam + noise
    target = max(0.0, (lam - decay) / xi)
    width = math.sqrt(2e-5 / xi)
    square = HALF_WIDTH * HALF_WIDTH

    def below(t: float) -> float:  # area of {w1 w2 <= t} inside [-h, h]^2
        if t >= square:
            return 4 * square
        if t <= -square:
            return 0.0
        if t == 0:
            return 2 * square
        size = abs(t) * (1.0 + math.log(square / abs(t)))
        return 2 * square + 2 * size if t > 0 else 2 * square - 2 * size

    fraction = (below(target + width) - below(target - width)) / (4 * square)
    return min(grid * grid, math.ceil(fraction * grid * grid * 2) + 100)


def _fig4_models(settings: Mapping[str, Any]) -> list[tuple[float, float]]:
    """(noise, decay) of Fig. 4's two rows: the noise and its matched weight decay."""
    lam, level = settings["lam"], settings["noise"]
    return [(level, 0.0), (0.0, lam * level / (lam + level))]


def table_rows(stem: str, settings: Mapping[str, Any], variant: str) -> dict[str, int]:
    """Rows of each table of the data-free figure ``stem`` (fig1..fig4) in one rendering,
    from its settings (``Figure.settings(config)``); upper estimates where a count depends
    on the data (the authors' thresholded minima)."""
    faithful = variant == "faithful"
    if stem == "fig1":
        epochs, runs = settings["epochs"], settings["runs"]
        levels = settings["noise_levels"]
        theory = epochs * runs if faithful else (epochs + 1) * runs
        curves = len(levels) * (5 * (epochs + 1) * runs + theory + 1)
        minima = [
            _band_points(settings["lam"], noise, 0.0) if faithful else 2 * HYPERBOLA_POINTS
            for noise in levels
        ]
        return {"curves": curves, "landscape": len(levels) * SURFACE_GRID**2 + sum(minima)}
    if stem == "fig2":
        lams = len(settings["lams"]) + (0 if faithful or not settings["show_dropped_lam"] else 1)
        return {"curves": lams * len(settings["noise_levels"]) * 2 * settings["epochs"]}
    if stem == "fig3":
        grid = settings["rate_grid"]
        points = max(0, math.ceil((grid["stop"] - grid["start"]) / grid["step"]))
        return {"curves": len(settings["noise_levels"]) * 3 * settings["epochs"] + 3 * points}
    if stem == "fig4":
        epochs, runs = settings["epochs"], settings["random_runs"] + 1
        per_row = (5 + (0 if faithful else 1)) * (epochs + 1) * runs + 1 + runs
        arrows = (SURFACE_GRID // GRADIENT_STRIDE) ** 2
        landscape = 0
        for noise, decay in _fig4_models(settings):
            minima = _band_points(settings["lam"], noise, decay) if faithful else 0
            if not faithful:
                minima = 2 * HYPERBOLA_POINTS if decay == 0 else 2
            landscape += SURFACE_GRID**2 + arrows + minima
        return {"curves": 2 * per_row, "landscape": landscape}
    raise ValueError(f"no size estimate for figure {stem!r}")


def rows_mem_mb(rows: int) -> int:
    """Memory (MB) of a job that builds (or reads) and writes tables of ``rows`` rows."""
    return BASE_MB + math.ceil(rows * BYTES_PER_ROW / 1e6)


def _real_data_rows(stem: str, config: Mapping[str, Any]) -> int:
    """Rows of the tables of the figures on real data (theory at every epoch, per mode)."""
    modes = len(config["fig5"]["modes"])
    if stem == "fig5":
        linear = config["linear"]
        epochs, every = linear["epochs"], linear["record_every"]
        return 2 * 3 * modes * ((epochs + 1) + 2 * (epochs // every + 2))
    if stem == "fig5_sampled_noise":
        sampled = config["linear"]["sampled_noise"]
        records = 2 * (sampled["epochs"] // config["linear"]["record_every"] + 2)
        return len(sampled["datasets"]) * modes * ((sampled["epochs"] + 1) + 2 * records)
    if stem == "fig6":
        nonlinear = config["nonlinear"]
        epochs, every = nonlinear["epochs"], nonlinear["record_every"]
        return 2 * 3 * nonlinear["modes"] * ((epochs + 1) + (epochs // every + 2))
    return 0


def data_job_mem_mb(stem: str, config: Mapping[str, Any]) -> int:
    """Estimated memory (MB) of the data job of figure ``stem`` (its largest rendering)."""
    if stem in ("fig1", "fig2", "fig3", "fig4"):
        settings = config[stem]
        rows = max(
            sum(table_rows(stem, settings, variant).values()) for variant in config["variants"]
        )
    else:
        rows = _real_data_rows(stem, config)
    return rows_mem_mb(rows)


def figure_inches(stem: str, config: Mapping[str, Any]) -> tuple[float, float]:
    """(width, height) in inches of figure ``stem`` as its plot draws it (the plots' figsize)."""
    datasets = 2
    if stem == "fig2":
        columns = len(config["fig2"]["lams"]) + int(bool(config["fig2"]["show_dropped_lam"]))
        return 4.0 * columns, 4.0
    sizes = {
        "fig1": (20.0, 10.0),
        "fig3": (15.0, 4.0),
        "fig4": (24.0, 8.0),
        "fig5": (12.0, 4.0 * datasets),
        "fig6": (6.0 * datasets, 4.0),
        "fig5_sampled_noise": (6.0 * datasets, 4.0),
        "spectra": (6.0, 4.0),
    }
    return sizes.get(stem, (20.0, 10.0))


def plot_job_mem_mb(stem: str, config: Mapping[str, Any]) -> int:
    """Estimated memory (MB) of a plot job: its tables read back, plus the rendered image."""
    width, height = figure_inches(stem, config)
    dpi = config["style"]["dpi"]
    pixels = width * dpi * height * dpi
    image = math.ceil(pixels * BYTES_PER_PIXEL / 1e6)
    return data_job_mem_mb(stem, config) + image


def _record_values(epochs: int, every: int, per_record: int, lagged: bool) -> int:
    """Floats a training record holds: ``per_record`` per recorded epoch (the linear models
    record every k-th epoch and the one after it, lindae.training.driver.record_steps)."""
    records = (epochs // every + 1) * (2 if lagged else 1) + 1
    return records * per_record


#: Memory (MB) of a dataset job: a fixed part (Python, numpy, torch where imported) plus
#: a multiple of the bytes of the arrays it holds, fitted with ~2x headroom to the jobs
#: measured on MNIST and CIFAR-10 (:func:`dataset_job_mem_mb`).
DATASET_JOB_MB = {
    # rule: (fixed MB, multiple of the arrays' MB)
    "download": (1000, 16),  # the four uint8 arrays (~1.2 x the training images' bytes)
    "spectrum": (500, 2),  # X (N x D, float64) and four D x D float64 matrices
    "train_linear": (1500, 7),  # the eigenvectors (D x D, float64); data space: 2 X
    "train_sampled_noise": (1500, 1),  # X of the sampled subset and the eigenvectors
    "train_nonlinear": (1000, 10),  # X and the hidden layer (float32), the eigenvectors
}
RECORD_ALLOWANCE_MB = 100


def _arrays_mb(rule: str, dataset: str, config: Mapping[str, Any], shape: tuple) -> float:
    """MB of the arrays a job of ``rule`` holds on a dataset of ``shape`` = (images, D)."""
    images, d = shape
    n = config["datasets"][dataset]["subset"]
    if rule == "download":
        values = 1.2 * images * d
    elif rule == "spectrum":
        values = 8 * (n * d + 4 * d * d)
    elif rule == "train_linear":
        values = 8 * d * d + (16 * n * d if config["linear"]["algorithm"] == "dataspace" else 0)
    elif rule == "train_sampled_noise":
        values = 8 * (config["linear"]["sampled_noise"]["subset"] * d + d * d)
    elif rule == "train_nonlinear":
        hidden = config["nonlinear"]["hidden"].get(dataset, 0)
        values = 4 * n * (d + hidden) + 8 * d * d
    else:
        raise ValueError(f"no memory estimate for rule {rule!r}")
    return values / 1e6


def dataset_job_mem_mb(
    rule: str, dataset: str, config: Mapping[str, Any], images: int, dimension: int
) -> int:
    """Estimated memory (MB) of a job of ``rule`` (``download``, ``spectrum`` or a training
    rule) on ``dataset`` of ``images`` training images of ``dimension`` D pixels: fixed part
    plus a multiple of its arrays (:data:`DATASET_JOB_MB`), to the nearest 500 MB (at least
    500), from the sizes alone (whatever the dataset's name)."""
    fixed, factor = DATASET_JOB_MB[rule]
    mb = fixed + factor * _arrays_mb(rule, dataset, config, (images, dimension))
    return max(500, 500 * round(mb / 500))


def training_record_mb(rule: str, dataset: str, config: Mapping[str, Any], dimension: int) -> int:
    """Memory (MB) of the record a training job keeps: a list of arrays, then stacked."""
    linear, nonlinear = config["linear"], config["nonlinear"]
    if rule in ("train_linear", "train_sampled_noise"):
        epochs = linear["epochs"] if rule == "train_linear" else linear["sampled_noise"]["epochs"]
        per_record = linear["hidden"].get(dataset, 0) + dimension  # singular values, projections
        values = _record_values(epochs, linear["record_every"], per_record, lagged=True)
    elif rule == "train_nonlinear":
        per_record = 2 * nonlinear["modes"] + 1  # faithful and clean metric, loss
        values = _record_values(nonlinear["epochs"], nonlinear["record_every"], per_record, False)
    else:
        raise ValueError(f"no memory estimate for rule {rule!r}")
    return math.ceil(2 * values * 8 / 1e6)


def training_job_mem_mb(
    rule: str, dataset: str, config: Mapping[str, Any], images: int, dimension: int
) -> int:
    """Estimated memory (MB) of training job ``rule`` on ``dataset`` (``images`` training
    images of D = ``dimension``): :func:`dataset_job_mem_mb`, plus whatever its record needs
    beyond the allowance measured with it."""
    record = training_record_mb(rule, dataset, config, dimension)
    base = dataset_job_mem_mb(rule, dataset, config, images, dimension)
    return base + max(0, record - RECORD_ALLOWANCE_MB)

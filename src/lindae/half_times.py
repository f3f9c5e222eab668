"""The paper's central claim, measured: weight decay reaches half its plateau later than noise.

Under matched regularisation (gamma_i = lambda_bar_i sigma^2 / (lambda_bar_i + sigma^2), S9)
the linear DAE with noise sigma^2 and the WDAE with decay gamma_i share the fixed point of mode
i, and the closed form S10 predicts t_WDAE / t_DAE = 1 + sigma^2 / lambda_bar_i for the epoch at
which each reaches half of it (:func:`lindae.theory.time_ratio_wdae_to_dae`). This module
measures that ratio on trained weights: for every mode and noise level it trains a DAE and a
WDAE with the matched decay of that mode (through a ``train`` callable: the workflow passes the
eigenbasis trainer of :mod:`lindae.training.linear`), reads v_i^T W v_i at the recorded epochs,
takes its final value as the measured plateau and interpolates the epoch at which it first
reaches half of it. A run whose mode still moved over its last stretch is marked *not settled*
(kept in the table, never dropped).

Gradient descent with step lr is the flow sampled at finite steps: to first order its growth
per step is ln(1 + lr a) instead of lr a, which lengthens a half time by about lr a / 2 and
shortens the measured ratio by about lr gamma_i / 2 (:func:`discretisation_estimate`): the
claim's threshold is chosen from this, not from a result (docs/analysis.md).

Pure numpy; never imports torch or snakemake.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import theory
from .lazy import lazy_import

np = lazy_import("numpy")

__all__ = [
    "RECORD_COLUMNS",
    "analysed_datasets",
    "analysis_settings",
    "analysis_problems",
    "crossing_time",
    "is_settled",
    "predicted_half_time",
    "discretisation_estimate",
    "run_length",
    "measure_ratios",
]

#: Train one model: (noise, decay, epochs, steps to record after) -> (steps, projections
#: v_i^T W v_i of modes 1..H at those steps, shape (len(steps), H)).
Trainer = Callable[[float, float, int, Sequence[int]], tuple[Any, Any]]

#: Arrays of a half-time record, one value per (mode, noise level), in this order.
RECORD_COLUMNS = (
    "mode",
    "noise",
    "eigenvalue",
    "decay",
    "fixed_point",
    "predicted_dae",
    "predicted_wdae",
    "measured_dae",
    "measured_wdae",
    "plateau_dae",
    "plateau_wdae",
    "epochs_dae",
    "epochs_wdae",
    "settled_dae",
    "settled_wdae",
)

#: Share of a run, at its end, over which a settled mode may move by at most the tolerance.
SETTLE_TAIL = 0.2


def analysed_datasets(config: Mapping[str, Any]) -> list[str]:
    """The datasets the ``analysis`` target covers: ``analysis.datasets``, or every configured
    dataset when that list is empty."""
    chosen = list(config["analysis"]["datasets"])
    return chosen or list(config["datasets"])


def analysis_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``analysis`` section with its defaults resolved: ``datasets`` (:func:`analysed_datasets`)
    and ``modes`` (``[]`` = Fig. 5's modes, ``fig5.modes``)."""
    analysis = dict(config["analysis"])
    analysis["datasets"] = analysed_datasets(config)
    analysis["modes"] = list(analysis["modes"] or config["fig5"]["modes"])
    return analysis


def analysis_problems(config: Mapping[str, Any]) -> list[str]:
    """The ``analysis`` settings that cannot work with the rest of the config, one line each
    naming the key, the value and what would be valid (checked before any job)."""
    analysis, configured = config["analysis"], list(config["datasets"])
    problems = [
        f"analysis.datasets: {name!r} is not a configured dataset; valid: {', '.join(configured)}"
        for name in analysis["datasets"]
        if name not in configured
    ]
    hidden, modes = config["linear"]["hidden"], analysis["modes"]  # [] = fig5.modes, checked
    for name in analysed_datasets(config) if modes else []:
        units = hidden.get(name) if isinstance(hidden, Mapping) else None
        if isinstance(units, int) and max(modes) > units:
            problems.append(
                f"analysis.modes = {analysis['modes']}: every mode must be <= "
                f"linear.hidden.{name} = {units} (the panels read the linear models' modes)"
            )
    return problems


def crossing_time(epochs: Any, values: Any, level: float) -> float:
    """Epoch at which ``values`` first reaches ``level``, linearly interpolated between the two
    records around the crossing; the first epoch when it starts there, NaN if it never does."""
    epochs, values = np.asarray(epochs, float), np.asarray(values, float)
    reached = np.flatnonzero(values >= level)
    if not reached.size:
        return math.nan
    k = int(reached[0])
    if k == 0:
        return float(epochs[0])
    before, after = values[k - 1], values[k]
    share = (level - before) / (after - before)
    return float(epochs[k - 1] + share * (epochs[k] - epochs[k - 1]))


def is_settled(epochs: Any, values: Any, tolerance: float, initial: float) -> bool:
    """Whether a mode ended on a plateau: it grew above twice its ``initial`` value, and over
    the last :data:`SETTLE_TAIL` of the run it moved by at most ``tolerance`` times its final
    value."""
    epochs, values = np.asarray(epochs, float), np.asarray(values, float)
    final = float(values[-1])
    if not final > 2.0 * initial:
        return False
    start = np.searchsorted(epochs, epochs[-1] - SETTLE_TAIL * (epochs[-1] - epochs[0]))
    moved = float(np.max(np.abs(values[start:] - final)))
    return moved <= tolerance * abs(final)


def predicted_half_time(lam: Any, noise: Any, decay: Any, lr: float, u0: float) -> Any:
    """Epoch at which the closed form (S10, gradient flow) reaches half its fixed point."""
    level = 0.5 * theory.fixed_point(lam, noise, decay)
    return theory.time_to_level(level, lam, noise, decay, lr, u0)


def discretisation_estimate(lr: float, decay: Any) -> Any:
    """First-order relative shortfall of the measured ratio under GD with step ``lr``:
    lr gamma_i / 2 (the half times grow by lr a / 2 each, and a_DAE - a_WDAE = gamma_i)."""
    return 0.5 * lr * np.asarray(decay, float)


def run_length(predicted: float, factor: float, cap: int) -> int:
    """Epochs of a run: ``factor`` times the predicted half time, at most ``cap``."""
    return int(min(cap, max(1, math.ceil(factor * predicted))))


def _steps(epochs: int, records: int, horizons: Sequence[int] = ()) -> Any:
    """Update counts to record after: about ``records`` evenly spaced over the run and over
    each of the shorter ``horizons`` (one run serves modes of very different half times), each
    with the one after it (what the trainer's oscillation check compares), and the last."""
    steps = np.array([epochs])
    for horizon in {epochs, *(min(h, epochs) for h in horizons)}:
        multiples = np.arange(0, horizon + 1, max(1, horizon // records))
        steps = np.union1d(steps, np.union1d(multiples, multiples + 1))
    return steps[steps <= epochs].astype(np.int64)


def _predicted(lam: Any, mode: int, noise: float, decay: float, lr: float, u0: float) -> float:
    """:func:`predicted_half_time` of ``mode``; a ValueError names ``analysis.u0`` when the
    mode starts at or above half its fixed point (no half time to measure)."""
    half = float(predicted_half_time(lam[mode - 1], noise, decay, lr, u0))
    if not math.isfinite(half):
        level = 0.5 * float(theory.fixed_point(lam[mode - 1], noise, decay))
        raise ValueError(
            f"analysis.u0 = {u0:g}: must be below half the fixed point of mode {mode} "
            f"(lambda_bar = {lam[mode - 1]:.6g}, sigma^2 = {noise:g}, gamma = {decay:.6g}: "
            f"{level:.6g}); use a smaller u0 or drop the mode from analysis.modes"
        )
    return half


def measure_ratios(
    eigenvalues: Any,
    settings: Mapping[str, Any],
    lr: float,
    train: Trainer,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train, per noise level, one DAE and one matched WDAE per mode, and measure each mode's
    half time (:data:`RECORD_COLUMNS` -> arrays, one entry per mode and noise level).

    ``settings`` is :func:`analysis_settings` of the config (``modes``, ``noise_levels``, ``u0``,
    ``epochs_factor``, ``max_epochs``, ``records``, ``settle_tolerance``); ``eigenvalues`` the
    dataset's spectrum (descending); ``train`` trains from the balanced decoupled init with
    mapping ``u0`` on modes 1..max(modes).
    """
    lam = np.asarray(eigenvalues, float)
    modes = sorted(settings["modes"])
    factor, cap, u0 = settings["epochs_factor"], settings["max_epochs"], settings["u0"]
    tolerance, records = settings["settle_tolerance"], settings["records"]

    def measured(steps: Any, projections: Any, mode: int) -> tuple[float, float, bool]:
        values = np.asarray(projections, float)[:, mode - 1]
        plateau = float(values[-1])
        half = crossing_time(steps, values, 0.5 * plateau)
        return half, plateau, is_settled(steps, values, tolerance, u0)

    rows: list[dict[str, Any]] = []
    for noise in settings["noise_levels"]:
        lengths = [run_length(_predicted(lam, m, noise, 0.0, lr, u0), factor, cap) for m in modes]
        dae_epochs = max(lengths)
        dae_run = train(noise, 0.0, dae_epochs, _steps(dae_epochs, records, lengths))
        dae = {mode: measured(*dae_run, mode) for mode in modes}
        for mode in modes:
            eigenvalue = float(lam[mode - 1])
            decay = float(theory.matched_weight_decay(eigenvalue, noise))
            t_dae = _predicted(lam, mode, noise, 0.0, lr, u0)
            t_wdae = _predicted(lam, mode, 0.0, decay, lr, u0)
            wdae_epochs = run_length(t_wdae, factor, cap)
            wdae_run = train(0.0, decay, wdae_epochs, _steps(wdae_epochs, records))
            wdae = measured(*wdae_run, mode)
            rows.append(
                dict(
                    mode=mode,
                    noise=float(noise),
                    eigenvalue=eigenvalue,
                    decay=decay,
                    fixed_point=float(theory.fixed_point(eigenvalue, noise)),
                    predicted_dae=t_dae,
                    predicted_wdae=t_wdae,
                    measured_dae=dae[mode][0],
                    measured_wdae=wdae[0],
                    plateau_dae=dae[mode][1],
                    plateau_wdae=wdae[1],
                    epochs_dae=dae_epochs,
                    epochs_wdae=wdae_epochs,
                    settled_dae=dae[mode][2],
                    settled_wdae=wdae[2],
                )
            )
            if log is not None:
                log(
                    f"mode {mode}, sigma^2 = {noise:g}: half times DAE {dae[mode][0]:.1f} "
                    f"(of {dae_epochs} epochs), WDAE {wdae[0]:.1f} (of {wdae_epochs}); "
                    f"predicted ratio {t_wdae / t_dae:.4f}"
                )
    return {name: np.array([row[name] for row in rows]) for name in RECORD_COLUMNS}

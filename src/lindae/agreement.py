"""How closely trained weights follow the theory: the one agreement metric, per mode.

For each mode, the curve of the theory and the trained network's value at the recorded epochs
are compared by the largest and the root-mean-square absolute difference. Figs 5-6 and the
sampled-noise companion all use :func:`difference_stats`; the linear models' per-mode rows come
from :func:`mode_agreement`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import theory
from .lazy import lazy_import
from .models import linear_regularisers

np = lazy_import("numpy")
pd = lazy_import("pandas")

__all__ = ["difference_stats", "mode_agreement", "trained_lr", "linear_run_agreement"]


def difference_stats(predicted: np.ndarray, simulated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(max, RMS) over time (axis 0) of |predicted - simulated|, one value per mode (column).

    Column by column, so each mean is numpy's pairwise sum over one mode's time series.
    """
    difference = np.abs(predicted - simulated)
    columns = [difference[:, i] for i in range(difference.shape[1])]
    largest = np.array([column.max() for column in columns])
    rms = np.array([np.sqrt(np.mean(column**2)) for column in columns])
    return largest, rms


def mode_agreement(
    dataset: str,
    model: str,
    lam: np.ndarray,
    noise: float,
    decay: float,
    predicted: np.ndarray,
    simulated: np.ndarray,
    plotted_modes: Sequence[int],
) -> pd.DataFrame:
    """One row per mode: eigenvalue, fixed point, final value, max and RMS |theory - run|."""
    largest, rms = difference_stats(predicted, simulated)
    return pd.DataFrame(
        [
            dict(
                dataset=dataset,
                model=model,
                mode=i + 1,
                eigenvalue=lam[i],
                fixed_point=float(theory.fixed_point(lam[i], noise, decay)),
                final_projection=simulated[-1, i],
                max_abs_difference=largest[i],
                rms_difference=float(rms[i]),
                plotted=(i + 1) in plotted_modes,
            )
            for i in range(len(lam))
        ]
    )


def trained_lr(linear: Mapping[str, Any], dataset: str, run: Mapping[str, Any]) -> float:
    """The learning rate a linear run on ``dataset`` trained with: the config's number, or,
    for ``linear.lr.<dataset>: auto`` (or no entry: auto is the default), the one derived from
    the spectrum and recorded in the run (:func:`lindae.models.linear_learning_rate`)."""
    lr = linear["lr"].get(dataset, "auto")
    return run["metadata"]["lr"] if lr == "auto" else lr


def linear_run_agreement(
    dataset: str,
    model: str,
    eigenvalues: np.ndarray,
    run: Mapping[str, Any],
    linear: Mapping[str, Any],
    plotted_modes: Sequence[int],
) -> pd.DataFrame:
    """:func:`mode_agreement` of one trained linear model on modes i <= H, at the epochs that
    are multiples of ``record_every`` and the last one (the stable S7 from the run's own u0),
    so that the final values are the final epoch's whatever ``epochs`` is."""
    lr, hidden = trained_lr(linear, dataset, run), linear["hidden"][dataset]
    noise, decay = linear_regularisers(model, linear)
    keep = (run["steps"] % linear["record_every"] == 0) | (run["steps"] == linear["epochs"])
    t = run["steps"][keep].astype(float)
    lam = eigenvalues[:hidden]
    predicted = theory.mode_strength(
        t[:, None], lam[None, :], noise, decay, lr, run["metadata"]["init_u0"]
    )
    simulated = run["projections"][keep][:, :hidden]
    return mode_agreement(dataset, model, lam, noise, decay, predicted, simulated, plotted_modes)

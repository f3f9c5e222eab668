"""Fig. 6 tables: mapping strength of ReLU AE / WDAE / DAE along the top eigen-directions.

Inputs are the nonlinear training records (:func:`lindae.nonlinear.train_relu_autoencoder`,
saved with :func:`lindae.io.save_record`) and the spectrum artefacts. Faithful: the metric of
the training forward pass (noisy for the DAE), drawn at array index k = 0..200 behind a zero
placeholder row (row k >= 1 is the metric after 10(k-1) updates; the axis labels 0..2000 sit
at indices 1..200). Corrected: the clean-pass metric at the true epoch, plus the linear theory
with the effective parameters of PAPER.md section 4 as a qualitative reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import theory
from .curves import COLUMNS, check_variant
from .fig5 import long_frame
from .nonlinear import effective_linear_parameters, model_regularisers


def effective_theory(
    record: Mapping[str, Any],
    eigenvalues: np.ndarray,
    settings: Mapping[str, Any],
    model: str,
    epochs: np.ndarray,
) -> np.ndarray:
    """S7 per mode with the effective linear parameters; u0 = |clean metric at epoch 0|."""
    weight_decay, noise_std = model_regularisers(model, settings)
    dimension = int(record["metadata"]["dimension"])
    effective = effective_linear_parameters(settings["lr"], weight_decay, noise_std, dimension)
    u0 = np.maximum(np.abs(record["corrected"][0]), 1e-12)
    return theory.mode_strength(
        epochs[:, None],
        eigenvalues[None, :],
        effective["noise"],
        effective["decay"],
        effective["lr"],
        u0[None, :],
    )


def fig6_table(
    records: Mapping[tuple[str, str], Mapping[str, Any]],
    spectra: Mapping[str, Any],
    settings: Mapping[str, Any],
    variant: str,
) -> pd.DataFrame:
    """Long-form Fig. 6 table (columns ``dataset`` + :data:`lindae.curves.COLUMNS`)."""
    check_variant(variant)
    parts = []
    for (dataset, model), record in records.items():
        epochs = record["epochs"]
        weight_decay, noise_std = model_regularisers(model, settings)
        labels = dict(
            dataset=dataset,
            panel=dataset,
            model=model,
            noise=noise_std**2,
            decay=weight_decay,
            lr=settings["lr"],
        )
        eigenvalues = spectra[dataset].eigenvalues[: record["faithful"].shape[1]]
        if variant == "faithful":
            values = np.vstack([np.zeros((1, eigenvalues.size)), record["faithful"][:-1]])
            x = np.arange(values.shape[0])
        else:
            values, x = record["corrected"], epochs
            curves = effective_theory(
                record, eigenvalues, settings, model, np.arange(epochs[-1] + 1)
            )
            for i, lam in enumerate(eigenvalues):
                parts.append(
                    long_frame(
                        curves[:, i],
                        np.arange(epochs[-1] + 1),
                        source="theory",
                        quantity="mapping",
                        lam=lam,
                        run=i + 1,
                        **labels,
                    )
                )
        for i, lam in enumerate(eigenvalues):
            parts.append(
                long_frame(
                    values[:, i],
                    x,
                    source="simulation",
                    quantity="mapping",
                    lam=lam,
                    run=i + 1,
                    **labels,
                )
            )
    table = pd.concat(parts, ignore_index=True)
    return table[["dataset", *COLUMNS]]


def agreement_table(
    records: Mapping[tuple[str, str], Mapping[str, Any]],
    spectra: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> pd.DataFrame:
    """Per dataset, model and mode: max and RMS |effective linear theory - clean metric|."""
    rows = []
    for (dataset, model), record in records.items():
        eigenvalues = spectra[dataset].eigenvalues[: record["corrected"].shape[1]]
        curves = effective_theory(record, eigenvalues, settings, model, record["epochs"])
        difference = np.abs(curves - record["corrected"])
        weight_decay, noise_std = model_regularisers(model, settings)
        effective = effective_linear_parameters(
            settings["lr"], weight_decay, noise_std, int(record["metadata"]["dimension"])
        )
        for i, lam in enumerate(eigenvalues):
            rows.append(
                dict(
                    dataset=dataset,
                    model=model,
                    mode=i + 1,
                    eigenvalue=lam,
                    linear_fixed_point=float(
                        theory.fixed_point(lam, effective["noise"], effective["decay"])
                    ),
                    final_metric=record["corrected"][-1, i],
                    final_metric_faithful=record["faithful"][-1, i],
                    max_abs_difference=difference[:, i].max(),
                    rms_difference=float(np.sqrt(np.mean(difference[:, i] ** 2))),
                )
            )
    return pd.DataFrame(rows)

"""Fig. 5 tables: per-mode theory (S7 with the data's eigenvalues) vs trained linear models.

Inputs are the spectrum artefacts (:mod:`lindae.spectra`) and the training records
(written by :func:`lindae.linear.save_run`, read with :func:`lindae.io.load_record`). Outputs
are a long-form table with the columns of :data:`lindae.curves.COLUMNS` (plus ``dataset``)
and a per-mode agreement table.

Faithful (the published figure): the authors' closed form in sum convention (it overflows to
NaN for mode 1; the NaN span is reported), one u0 from the AE model for every model and mode,
sorted singular values matched to modes by rank, recorded after 100(k-1)+1 updates and drawn at
100k behind a zero placeholder. Corrected: stable closed form, each model's own u0, the
eigen-projections v_i^T W v_i drawn at the epoch they were measured, modes i <= H only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import theory
from .curves import COLUMNS, check_variant
from .io import load_record
from .spectra import Spectrum, load_spectrum

#: Figure columns: panel name -> the two models drawn in it.
PANELS = {"weight_decay": ("AE", "WDAE"), "noise": ("AE", "DAE")}


def load_inputs(
    datasets: Sequence[str],
    spectrum_paths: Sequence[str],
    run_keys: Sequence[Sequence[str]],
    run_paths: Sequence[str],
) -> tuple[dict[str, Spectrum], dict[tuple[str, str], dict[str, Any]]]:
    """Spectra by dataset and training records by (dataset, model), as Fig. 5 consumes them."""
    spectra = {
        name: load_spectrum(path) for name, path in zip(datasets, spectrum_paths, strict=True)
    }
    runs = {tuple(key): load_record(path) for key, path in zip(run_keys, run_paths, strict=True)}
    return spectra, runs


def _model_parameters(model: str, settings: Mapping[str, Any]) -> tuple[float, float]:
    """(noise, decay) of a model."""
    return {
        "AE": (0.0, 0.0),
        "WDAE": (0.0, settings["decay"]),
        "DAE": (settings["noise"], 0.0),
    }[model]


def long_frame(values, epochs, **labels) -> pd.DataFrame:
    """Rows (epoch, value) of one curve, with constant label columns."""
    frame = pd.DataFrame({"epoch": np.asarray(epochs, float), "value": np.asarray(values, float)})
    for column, label in labels.items():
        frame[column] = label
    return frame


def theory_curve(
    eigenvalue: float,
    n_samples: int,
    model: str,
    settings: Mapping[str, Any],
    lr: float,
    u0: float,
    epochs: np.ndarray,
    variant: str,
) -> np.ndarray:
    """S7 for one mode: the authors' form in sum convention (faithful) or the stable form."""
    noise, decay = _model_parameters(model, settings)
    if variant == "faithful":
        lam_sum = n_samples * eigenvalue
        return theory.authors_logistic_solution(
            epochs, lam_sum - n_samples * decay, lam_sum + n_samples * noise, lr / n_samples, u0
        )
    return theory.mode_strength(epochs, eigenvalue, noise, decay, lr, u0)


def fig5_table(
    spectra: Mapping[str, Any],
    runs: Mapping[tuple[str, str], Mapping[str, Any]],
    settings: Mapping[str, Any],
    params: Mapping[str, Any],
    variant: str,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Long-form Fig. 5 table and, for the faithful theory, the NaN spans it contains.

    ``spectra[dataset]`` is a :class:`lindae.spectra.Spectrum`; ``runs[(dataset, model)]`` a
    record from :func:`lindae.io.load_record`; ``settings`` the config's ``linear`` section;
    ``params`` its ``fig5`` section.
    """
    check_variant(variant)
    epochs = settings["epochs"]
    every = settings["record_every"]
    parts, nan_spans, seen = [], [], set()
    for dataset, spectrum in spectra.items():
        lr = settings["lr"][dataset]
        hidden = settings["hidden"][dataset]
        reference_u0 = runs[(dataset, "AE")]["metadata"]["init_u0"]
        for panel, models in PANELS.items():
            for model in models:
                run = runs[(dataset, model)]
                noise, decay = _model_parameters(model, settings)
                labels = dict(
                    dataset=dataset,
                    panel=f"{dataset}/{panel}",
                    model=model,
                    noise=noise,
                    decay=decay,
                    lr=lr,
                )
                steps = run["steps"]
                if variant == "faithful":
                    t = np.arange(epochs)
                    u0 = reference_u0
                    lagged = np.arange(1, epochs, every) if epochs > 1 else np.array([], int)
                    index = np.searchsorted(steps, lagged)
                    marker_x = np.concatenate([[0], lagged - 1 + every])
                else:
                    t = np.arange(epochs + 1)
                    u0 = run["metadata"]["init_u0"]
                    index = np.searchsorted(steps, np.arange(0, epochs + 1, every))
                    marker_x = steps[index]
                for mode in params["modes"]:
                    i = mode - 1
                    eigenvalue = float(spectrum.eigenvalues[i])
                    curve = theory_curve(
                        eigenvalue, spectrum.n_samples, model, settings, lr, u0, t, variant
                    )
                    parts.append(
                        long_frame(
                            curve,
                            t,
                            source="theory",
                            quantity="mapping",
                            lam=eigenvalue,
                            run=mode,
                            **labels,
                        )
                    )
                    if np.isnan(curve).any() and (dataset, model, mode) not in seen:
                        seen.add((dataset, model, mode))  # the AE is drawn in both panels
                        nan_spans.append(
                            dict(
                                dataset=dataset,
                                model=model,
                                mode=mode,
                                first_nan_epoch=int(t[np.isnan(curve)][0]),
                            )
                        )
                    if variant == "faithful":
                        values = run["singular_values"][index, i] if i < hidden else 0 * index
                        values = np.concatenate([[0.0], values])
                        quantity = "singular_value"
                    else:
                        values = run["projections"][index, i]
                        quantity = "projection"
                    parts.append(
                        long_frame(
                            values,
                            marker_x,
                            source="simulation",
                            quantity=quantity,
                            lam=eigenvalue,
                            run=mode,
                            **labels,
                        )
                    )
    table = pd.concat(parts, ignore_index=True)
    return table[["dataset", *COLUMNS]], nan_spans


def _agreement_rows(
    dataset: str,
    model: str,
    lam: np.ndarray,
    noise: float,
    decay: float,
    curves: np.ndarray,
    simulated: np.ndarray,
    plotted_modes: list[int],
) -> list[dict[str, Any]]:
    """One row per mode: fixed point, final value, max and RMS |theory - simulation|."""
    difference = np.abs(curves - simulated)
    return [
        dict(
            dataset=dataset,
            model=model,
            mode=i + 1,
            eigenvalue=lam[i],
            fixed_point=float(theory.fixed_point(lam[i], noise, decay)),
            final_projection=simulated[-1, i],
            max_abs_difference=difference[:, i].max(),
            rms_difference=float(np.sqrt(np.mean(difference[:, i] ** 2))),
            plotted=(i + 1) in plotted_modes,
        )
        for i in range(len(lam))
    ]


def agreement_table(
    spectra: Mapping[str, Any],
    runs: Mapping[tuple[str, str], Mapping[str, Any]],
    settings: Mapping[str, Any],
    plotted_modes: list[int],
) -> pd.DataFrame:
    """Per dataset, model and mode i <= H: max and RMS |stable S7 - v_i^T W v_i| over records."""
    rows = []
    for dataset, spectrum in spectra.items():
        lr, hidden = settings["lr"][dataset], settings["hidden"][dataset]
        for model in ("AE", "WDAE", "DAE"):
            run = runs[(dataset, model)]
            noise, decay = _model_parameters(model, settings)
            steps = run["steps"]
            keep = steps % settings["record_every"] == 0
            t = steps[keep].astype(float)
            lam = spectrum.eigenvalues[:hidden]
            curves = theory.mode_strength(
                t[:, None], lam[None, :], noise, decay, lr, run["metadata"]["init_u0"]
            )
            simulated = run["projections"][keep][:, :hidden]
            rows += _agreement_rows(
                dataset, model, lam, noise, decay, curves, simulated, plotted_modes
            )
    return pd.DataFrame(rows)


SAMPLED_MODELS = {"marginalised_projections": "DAE (marginalised)", "projections": "DAE (sampled)"}


def sampled_noise_table(
    runs: Mapping[str, Mapping[str, Any]], modes: list[int], record_every: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Companion of Fig. 5: noise-averaged theory vs marginalised and sampled-noise linear DAEs.

    ``runs[dataset]`` is a record of ``train_sampled_noise`` (its own subset's eigenvalues,
    both trajectories, one init). Returns the long-form table and per-mode agreement rows.
    """
    parts, rows = [], []
    for dataset, run in runs.items():
        meta = run["metadata"]
        lr, noise, u0, hidden = meta["lr"], meta["noise"], meta["init_u0"], meta["hidden"]
        steps = run["steps"]
        keep = steps % record_every == 0
        epochs = np.arange(steps[-1] + 1)
        lam = run["eigenvalues"][:hidden]
        labels = dict(dataset=dataset, panel=f"{dataset}/noise", noise=noise, decay=0.0, lr=lr)
        theory_at_records = theory.mode_strength(steps[keep][:, None], lam, noise, 0.0, lr, u0)
        for mode in modes:
            curve = theory.mode_strength(epochs, lam[mode - 1], noise, 0.0, lr, u0)
            parts.append(
                long_frame(
                    curve,
                    epochs,
                    source="theory",
                    model="DAE",
                    quantity="mapping",
                    lam=lam[mode - 1],
                    run=mode,
                    **labels,
                )
            )
            for key, model in SAMPLED_MODELS.items():
                parts.append(
                    long_frame(
                        run[key][keep, mode - 1],
                        steps[keep],
                        source="simulation",
                        model=model,
                        quantity="projection",
                        lam=lam[mode - 1],
                        run=mode,
                        **labels,
                    )
                )
        for key, model in SAMPLED_MODELS.items():
            simulated = run[key][keep][:, :hidden]
            rows += _agreement_rows(
                dataset, model, lam, noise, 0.0, theory_at_records, simulated, modes
            )
    table = pd.concat(parts, ignore_index=True)
    return table[["dataset", *COLUMNS]], pd.DataFrame(rows)

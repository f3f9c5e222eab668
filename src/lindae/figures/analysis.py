"""The ``analysis`` target's figures for any configured dataset: its spectrum and Fig. 5's
corrected theory-vs-training panels, with Fig. 5's agreement table and claims per dataset.

Nothing here re-derives Fig. 5: the tables, the agreement, the claims and the plot are
:data:`lindae.figures.fig5.FIGURE`'s, called on the analysed datasets with the analysis modes
and each dataset's learning rate as its runs recorded it (a rate the workflow derived for a
dataset is then the one the theory uses). The spectrum is :mod:`lindae.figures.spectra`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..half_times import analysed_datasets, analysis_settings
from ..lazy import lazy_import
from .base import Figure, Settings, Tables
from .drawing import dataset_title
from .fig5 import FIGURE as FIG5
from .fig5 import linear_config
from .spectra import Spectra

pd = lazy_import("pandas")

__all__ = ["ANALYSIS_SPECTRA", "ANALYSIS_PANELS", "run_rates"]

FAMILY = "analysis"


def _datasets_text(settings: Settings) -> str:
    return ", ".join(dataset_title(name) for name in settings["datasets"])


def run_rates(inputs: Mapping[str, Any], linear: Mapping[str, Any]) -> dict[str, float]:
    """Each dataset's learning rate as its linear runs recorded it (``metadata.lr``; the config's
    ``linear.lr`` only for a record without one). A ValueError names a dataset whose runs were
    trained with different rates (one theory curve per dataset assumes one rate)."""
    rates: dict[str, set[float]] = {}
    for (dataset, _model), run in inputs["runs"].items():
        metadata = run["metadata"]
        rate = metadata["lr"] if "lr" in metadata else linear["lr"][dataset]
        rates.setdefault(dataset, set()).add(float(rate))
    for dataset, found in rates.items():
        if len(found) > 1:
            raise ValueError(
                f"the linear runs of {dataset} were trained with different learning rates "
                f"{sorted(found)}; the panels need one rate per dataset"
            )
    return {dataset: found.pop() for dataset, found in rates.items()}


class AnalysisSpectra(Spectra):
    """Fig. 5's spectrum companion for the analysed datasets."""

    stem, title, family = "analysis_spectra", "Spectra (analysis)", FAMILY

    def settings(self, config: Settings) -> dict[str, Any]:
        return {**super().settings(config), "datasets": analysed_datasets(config)}

    def datasets(self, config: Settings) -> list[str]:
        return analysed_datasets(config)

    def description(self, settings: Settings) -> str:
        return f"{super().description(settings)} Datasets: {_datasets_text(settings)}."


class AnalysisPanels(Figure):
    """Fig. 5's corrected panels (AE vs WDAE, AE vs DAE), one row per analysed dataset."""

    stem, title, family = "analysis_panels", "Theory vs training (analysis)", FAMILY
    gist = FIG5.gist
    variants, has_notes = ("corrected",), False
    inputs, agreement_inputs, trainer, has_agreement = (
        ("spectra", "runs"),
        ("spectra", "runs"),
        "linear",
        True,
    )

    def settings(self, config: Settings) -> dict[str, Any]:
        return {
            "datasets": analysed_datasets(config),
            "modes": analysis_settings(config)["modes"],
            "linear": linear_config(config),
        }

    @staticmethod
    def _fig5_settings(inputs: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
        """Fig. 5's settings with the analysis modes and the runs' own learning rates."""
        linear = settings["linear"]
        return {
            **settings,
            "linear": {**linear, "lr": {**linear["lr"], **run_rates(inputs, linear)}},
        }

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        """Fig. 5's corrected curves (stable closed form, each model's own u0) per dataset."""
        return FIG5.tables(inputs, self._fig5_settings(inputs, settings), "corrected")

    def agreement(self, inputs, settings) -> pd.DataFrame:
        """Fig. 5's agreement rows (lindae.agreement.linear_run_agreement) per dataset, model
        and mode i <= H."""
        paper = {key: inputs[key] for key in ("spectra", "runs")}
        return FIG5.agreement(paper, self._fig5_settings(inputs, settings))

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        """Fig. 5's claims with its thresholds, checked on each dataset on its own (claim ids
        prefixed by the dataset)."""
        claims = []
        for dataset in settings["datasets"]:
            own = {name: table[table["dataset"] == dataset] for name, table in tables.items()}
            for claim in FIG5.claims(own, settings, thresholds, "corrected"):
                claims.append(
                    dataclasses.replace(
                        claim,
                        figure=self.stem,
                        claim_id=f"{dataset}_{claim.claim_id}",
                        claim=f"{dataset_title(dataset)}: {claim.claim}",
                    )
                )
        return claims

    def description(self, settings: Settings) -> str:
        linear = settings["linear"]
        modes = ", ".join(str(mode) for mode in settings["modes"])
        return (
            f"Fig. 5's corrected panels for every analysed dataset ({_datasets_text(settings)}; "
            f"one row each): linear AE vs WDAE (gamma = {linear['decay']:g}) and AE vs DAE "
            f"(sigma^2 = {linear['noise']:g}) after {linear['epochs']} epochs of full-batch GD, "
            f"the stable closed form from each model's own u0 (lines) against v_i^T W v_i of "
            f"the trained weights (markers) for modes {modes}."
        )

    def plot(self, tables: Tables, settings, style, variant):
        return FIG5.plot(tables, settings, style, "corrected")


ANALYSIS_SPECTRA = AnalysisSpectra()
ANALYSIS_PANELS = AnalysisPanels()

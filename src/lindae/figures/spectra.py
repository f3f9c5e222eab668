"""Companion of Fig. 5: the eigenvalue spectrum of each dataset, with the WDAE threshold.

Weight decay gamma kills every mode with lambda_bar < gamma, so the spectrum shows at a glance
how many modes each dataset's WDAE can learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..lazy import lazy_import
from ..tables import assemble, rows, select
from .base import PAPER_DATASETS, Figure, Settings, Tables
from .drawing import dataset_title, pyplot

np = lazy_import("numpy")
pd = lazy_import("pandas")


class Spectra(Figure):
    stem, title, family = "spectra", "Spectra", "5"
    variants, inputs, has_notes = ("corrected",), ("spectra",), False

    def settings(self, config: Settings) -> dict[str, Any]:
        return {
            "decay": config["linear"]["decay"],
            # how each shown dataset's X was built (the schema fills in its default): the
            # caption names the matrix it shows
            "preprocessing": {
                name: config["datasets"][name]["preprocessing"]
                for name in self.datasets(config)
                if name in config["datasets"]
            },
        }

    def datasets(self, config: Settings) -> list[str]:
        """The datasets this figure shows: the paper's two (Fig. 5's)."""
        return list(PAPER_DATASETS)

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        """Per dataset: every eigenvalue of X^T X / N by rank, and the sample count N."""
        parts = []
        for dataset, spectrum in inputs["spectra"].items():
            labels = dict(dataset=dataset, panel="spectrum", source="data", model="")
            ranks = np.arange(1, spectrum.dimension + 1)  # one point per mode, no time axis
            parts.append(
                rows(spectrum.eigenvalues[None, :], quantity="eigenvalue", run=ranks, **labels)
            )
            parts.append(rows([spectrum.n_samples], quantity="n_samples", **labels))
        return {"curves": assemble(parts, leading=("dataset",))}

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        return []  # data, not a claim of the paper

    def description(self, settings: Settings) -> str:
        return (
            f"Eigenvalues of {_matrix_text(settings['preprocessing'])} by rank (log-log), "
            f"with the WDAE's weight decay gamma = {settings['decay']:g}: the linear WDAE never "
            "learns the modes below that line."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table = tables["curves"]
        datasets = list(table["dataset"].unique())
        figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        import seaborn as sns  # only plots need it (1 s to import: not while parsing)

        palette = sns.color_palette("deep", len(datasets))
        for color, dataset in zip(palette, datasets, strict=True):
            spectrum = select(table, dataset=dataset, quantity="eigenvalue")
            n_samples = int(select(table, dataset=dataset, quantity="n_samples")["value"].iloc[0])
            positive = spectrum[spectrum["value"] > 0]
            ax.plot(
                positive["run"],
                positive["value"],
                color=color,
                label=f"{dataset_title(dataset, style)} (N = {n_samples:,})",
            )
        ax.axhline(
            settings["decay"],
            color=style["colors"]["wdae"],
            linestyle="--",
            label=rf"WDAE $\gamma = {settings['decay']:g}$: modes below are never learned",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("mode rank i")
        ax.set_ylabel(r"eigenvalue $\bar\lambda_i$ of $X^\top X / N$")
        ax.legend(fontsize=8)
        return figure


FIGURE = Spectra()


#: What X^T X / N is, per ``datasets.<name>.preprocessing`` (lindae.data.PREPROCESSING).
_MATRICES = {
    "scale": "uncentred second moment",
    "center": "covariance (pixels centred)",
    "standardize": "correlation matrix (pixels standardised)",
}


def _matrix_text(preprocessing: Mapping[str, str]) -> str:
    """The matrix whose spectrum is shown: one phrase when every dataset was built alike
    (the paper's: the uncentred second moment), else one per dataset."""
    kinds = set(preprocessing.values())
    if not kinds:
        return "each dataset's X^T X / N"
    if len(kinds) == 1:
        return f"each dataset's {_MATRICES[kinds.pop()]} X^T X / N"
    each = ", ".join(
        f"{dataset_title(name)}: {_MATRICES[kind]}" for name, kind in preprocessing.items()
    )
    return f"X^T X / N ({each})"

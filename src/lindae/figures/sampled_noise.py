"""Companion of Fig. 5, beyond the paper: the linear DAE with noise drawn every epoch.

The paper's "DAE" is trained on the noise-averaged loss. Here the same model from the same
init is also trained with real Gaussian input noise, and both are drawn against the
noise-averaged theory (which uses the eigenvalues of exactly the subset trained on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import theory
from ..agreement import mode_agreement
from ..lazy import lazy_import
from ..tables import assemble, rows
from .base import Figure, Settings, Tables
from .drawing import dataset_title, legend_once, pyplot

np = lazy_import("numpy")
pd = lazy_import("pandas")

#: Record array -> model label.
RUNS = {"marginalised_projections": "DAE (marginalised)", "projections": "DAE (sampled)"}


class SampledNoise(Figure):
    stem, title, family = "fig5_sampled_noise", "Fig. 5 (sampled noise)", "5"
    variants, inputs, has_notes = ("corrected",), ("sampled",), False

    def settings(self, config: Settings) -> dict[str, Any]:
        sampled = config["linear"]["sampled_noise"]
        return {
            "modes": config["fig5"]["modes"],
            "record_every": config["linear"]["record_every"],
            "noise": config["linear"]["noise"],
            **{k: v for k, v in sampled.items() if k != "enabled"},
        }

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        parts = []
        for dataset, run in inputs["sampled"].items():
            meta = run["metadata"]
            lr, noise, u0, hidden = meta["lr"], meta["noise"], meta["init_u0"], meta["hidden"]
            steps = run["steps"]
            # every k-th epoch and the last one: the final values are the final epoch's
            keep = (steps % settings["record_every"] == 0) | (steps == settings["epochs"])
            epochs = np.arange(steps[-1] + 1)
            lam = run["eigenvalues"][:hidden]
            labels = dict(dataset=dataset, panel=f"{dataset}/noise", noise=noise, decay=0.0, lr=lr)
            for mode in settings["modes"]:
                curve = theory.mode_strength(epochs, lam[mode - 1], noise, 0.0, lr, u0)
                mode_labels = dict(lam=lam[mode - 1], run=mode, **labels)
                parts.append(
                    rows(
                        curve,
                        epochs,
                        source="theory",
                        model="DAE",
                        quantity="mapping",
                        **mode_labels,
                    )
                )
                for key, model in RUNS.items():
                    parts.append(
                        rows(
                            run[key][keep, mode - 1],
                            steps[keep],
                            source="simulation",
                            model=model,
                            quantity="projection",
                            **mode_labels,
                        )
                    )
        return {"curves": assemble(parts, leading=("dataset",))}

    def agreement(self, inputs, settings) -> pd.DataFrame:
        """Per dataset, both DAEs and every mode i <= H against the noise-averaged theory."""
        parts = []
        for dataset, run in inputs["sampled"].items():
            meta = run["metadata"]
            keep = (run["steps"] % settings["record_every"] == 0) | (
                run["steps"] == settings["epochs"]
            )
            steps = run["steps"][keep]
            lam = run["eigenvalues"][: meta["hidden"]]
            predicted = theory.mode_strength(
                steps[:, None], lam, meta["noise"], 0.0, meta["lr"], meta["init_u0"]
            )
            for key, model in RUNS.items():
                simulated = run[key][keep][:, : meta["hidden"]]
                parts.append(
                    mode_agreement(
                        dataset,
                        model,
                        lam,
                        meta["noise"],
                        0.0,
                        predicted,
                        simulated,
                        settings["modes"],
                    )
                )
        return pd.concat(parts, ignore_index=True)

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        return []  # checked through Fig. 5's agreement table (the sampled rows)

    def description(self, settings: Settings) -> str:
        batch = (
            "full batch" if not settings["batch_size"] else f"batches of {settings['batch_size']}"
        )
        return (
            f"Beyond the paper: the linear DAE (sigma^2 = {settings['noise']:g}) trained on the "
            f"first {settings['subset']} images with Gaussian noise drawn every epoch "
            f"({batch}, {settings['epochs']} epochs; circles), next to the noise-averaged DAE "
            "from the same init (crosses) and the noise-averaged theory (lines)."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table = tables["curves"]
        datasets = list(table["dataset"].unique())
        figure, axes = plt.subplots(
            1,
            len(datasets),
            figsize=(6 * len(datasets), 4),
            sharey=True,
            squeeze=False,
            layout="constrained",
        )
        markers = {
            "DAE (marginalised)": ("x", style["colors"]["dae"]),
            "DAE (sampled)": ("o", style["colors"]["simulation"]),
        }
        for ax, dataset in zip(axes[0], datasets, strict=True):
            curves = table[table["dataset"] == dataset]
            noise = curves["noise"].iloc[0]
            for _, curve in curves[curves.source == "theory"].groupby("run"):
                ax.plot(
                    curve["epoch"],
                    curve["value"],
                    color=style["colors"]["dae"],
                    label=rf"Theory ($\sigma^2 = {noise:g}$)",
                )
            for model, (marker, color) in markers.items():
                for _, marks in curves[curves.model == model].groupby("run"):
                    ax.scatter(
                        marks["epoch"],
                        marks["value"],
                        marker=marker,
                        color=color,
                        s=18,
                        facecolors="none" if marker == "o" else None,
                        label=model,
                    )
            legend_once(ax, loc="lower right")
            ax.set_title(f"{dataset_title(dataset, style)}: noise drawn every epoch")
            ax.set_xlabel("t (epoch)")
        axes[0, 0].set_ylabel(r"$v_i^\top W v_i$")
        return figure


FIGURE = SampledNoise()

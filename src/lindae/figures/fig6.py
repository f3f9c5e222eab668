"""Fig. 6: one-hidden-layer ReLU AE / WDAE / DAE, mapping strength along the top eigen-directions.

One panel per dataset, one line per model and mode. Faithful: the metric of the training
forward pass (noisy for the DAE), drawn at array index k = 0..R behind a zero placeholder row
(row k >= 1 is the metric after record_every*(k-1) updates; the axis labels 0..epochs sit at
indices 1..R). Corrected: the clean-pass metric at its true epoch, plus the linear theory with
the effective parameters (:func:`lindae.models.effective_linear_parameters`) as a qualitative
reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import theory
from ..agreement import difference_stats
from ..claims import Claim, final_values, measured_max, measured_min
from ..lazy import lazy_import
from ..models import effective_linear_parameters
from ..tables import assemble, check_variant, rows, select
from .base import Figure, Settings, Tables, note
from .drawing import dataset_title, legend_once, pyplot

np = lazy_import("numpy")
pd = lazy_import("pandas")


def regularisers(record: Mapping[str, Any]) -> tuple[float, float]:
    """(noise std, weight decay) one ReLU run was trained with, as its record states them (the
    model's own: the AE has neither; ``nonlinear.noise_std`` may differ per dataset)."""
    metadata = record["metadata"]
    return float(metadata["noise_std"]), float(metadata["weight_decay"])


def effective_parameters(record: Mapping[str, Any], settings: Settings) -> dict:
    """The linear-theory (lr, decay, noise) equivalent to one ReLU run's training."""
    noise_std, weight_decay = regularisers(record)
    dimension = int(record["metadata"]["dimension"])
    return effective_linear_parameters(settings["lr"], weight_decay, noise_std, dimension)


def effective_theory(
    record: Mapping[str, Any],
    eigenvalues: np.ndarray,
    settings: Settings,
    epochs: np.ndarray,
) -> np.ndarray:
    """S7 per mode with the effective linear parameters; u0 = |clean metric at epoch 0|."""
    effective = effective_parameters(record, settings)
    u0 = np.maximum(np.abs(record["corrected"][0]), 1e-12)
    return theory.mode_strength(
        epochs[:, None],
        eigenvalues[None, :],
        effective["noise"],
        effective["decay"],
        effective["lr"],
        u0[None, :],
    )


def _noise_text(settings: Settings) -> str:
    """``nonlinear.noise_std`` in words: ``2`` or, per dataset, ``2 on mnist, 3 on cifar10``."""
    noise = settings["noise_std"]
    if isinstance(noise, Mapping):
        return ", ".join(f"{value:g} on {name}" for name, value in noise.items())
    return f"{noise:g}"


_THEORY_LABEL = "linear theory (effective parameters)"


class Fig6(Figure):
    stem, title, family = "fig6", "Fig. 6", "6"
    gist = (
        "As in the linear theory, weight decay delays and shrinks the mapping and noise "
        "mainly lowers its plateaus."
    )
    inputs, trainer, has_agreement = ("spectra", "runs"), "nonlinear", True
    agreement_inputs = ("spectra", "runs")

    def settings(self, config: Settings) -> dict[str, Any]:
        return dict(config["nonlinear"])

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        check_variant(variant)
        parts = []
        for (dataset, model), record in inputs["runs"].items():
            epochs = record["epochs"]
            noise_std, weight_decay = regularisers(record)
            labels = dict(
                dataset=dataset,
                panel=dataset,
                model=model,
                noise=noise_std**2,
                decay=weight_decay,
                lr=settings["lr"],
            )
            spectrum = inputs["spectra"][dataset]
            eigenvalues = spectrum.eigenvalues[: record["faithful"].shape[1]]
            curves = {}
            if variant == "faithful":
                values = np.vstack([np.zeros((1, eigenvalues.size)), record["faithful"][:-1]])
                simulated = (values, np.arange(values.shape[0]))
            else:
                t = np.arange(epochs[-1] + 1)
                curves["theory"] = (effective_theory(record, eigenvalues, settings, t), t)
                simulated = (record["corrected"], epochs)
            curves["simulation"] = simulated
            for source, (values, x) in curves.items():
                for i, lam in enumerate(eigenvalues):
                    parts.append(
                        rows(
                            values[:, i],
                            x,
                            source=source,
                            quantity="mapping",
                            lam=lam,
                            run=i + 1,
                            **labels,
                        )
                    )
        return {"curves": assemble(parts, leading=("dataset",))}

    def agreement(self, inputs, settings) -> pd.DataFrame:
        """Per dataset, model and mode: max and RMS |effective linear theory - clean metric|."""
        records = []
        for (dataset, model), record in inputs["runs"].items():
            eigenvalues = inputs["spectra"][dataset].eigenvalues[: record["corrected"].shape[1]]
            curves = effective_theory(record, eigenvalues, settings, record["epochs"])
            largest, rms = difference_stats(curves, record["corrected"])
            effective = effective_parameters(record, settings)
            for i, lam in enumerate(eigenvalues):
                fixed = theory.fixed_point(lam, effective["noise"], effective["decay"])
                records.append(
                    dict(
                        dataset=dataset,
                        model=model,
                        mode=i + 1,
                        eigenvalue=lam,
                        linear_fixed_point=float(fixed),
                        final_metric=record["corrected"][-1, i],
                        final_metric_faithful=record["faithful"][-1, i],
                        max_abs_difference=largest[i],
                        rms_difference=float(rms[i]),
                    )
                )
        return pd.DataFrame(records)

    def differences(self, settings: Settings) -> list[dict[str, str]]:
        return [
            note(
                "seeds",
                "the authors set no seeds (published curves come from unseeded runs)",
                f"both variants use and record seed {settings['seed']}; curves match the "
                "published ones only statistically",
            ),
            note(
                "metric pass",
                "metric from the training forward pass, which for the DAE sees "
                "noisy inputs (the model is never put in eval mode)",
                "metric from a separate clean, noise-free forward pass",
            ),
            note(
                "x axis",
                f"array index 0..{settings['epochs'] // settings['record_every']} with a zero "
                f"placeholder row; ticks 0..{settings['epochs']} at indices 1.. (offset by up "
                f"to {settings['record_every']} epochs)",
                f"metric after every {settings['record_every']}th update drawn at its true "
                "epoch, no placeholder",
            ),
            note(
                "theory",
                "simulation only",
                "dotted: linear theory with the effective parameters alpha_eff = 2 alpha / D, "
                "gamma_eff = wd D / 2, sigma^2_eff = std^2 (a qualitative reference for ReLU)",
            ),
        ]

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        simulated = select(tables["curves"], source="simulation", quantity="mapping")
        finals = final_values(simulated, ["dataset", "model", "run"])
        ae, wdae, dae = (finals.xs(model, level="model") for model in ("AE", "WDAE", "DAE"))
        learned = ae >= thresholds["learned"]  # compare plateaus where the AE learned the mode
        claims = [
            Claim(
                "6",
                variant,
                "ae_learns_top_direction",
                "The ReLU AE learns the top eigen-direction: min over datasets of its final "
                "mapping on mode 1",
                measured_min(ae.xs(1, level="run"), depends=[finals]),
                ">=",
                thresholds["fig6_top_mode"],
            ),
            Claim(
                "6",
                variant,
                "decay_shrinks_mapping",
                "As in the linear theory, weight decay shrinks the mapping: max of final WDAE "
                f"/ final AE over the {int(learned.sum())} modes the AE has learned",
                measured_max((wdae / ae)[learned], depends=[finals]),
                "<=",
                1.0,
            ),
            Claim(
                "6",
                variant,
                "noise_lowers_mapping",
                "As in the linear theory, noise lowers the mapping: max of final DAE / final "
                f"AE over the {int(learned.sum())} modes the AE has learned",
                measured_max((dae / ae)[learned], depends=[finals]),
                "<=",
                1.0,
            ),
        ]
        if variant == "corrected" and "agreement" in tables:
            claims.append(self._effective_theory_claim(tables, thresholds))
        return claims

    @staticmethod
    def _effective_theory_claim(tables: Tables, thresholds: Mapping[str, float]) -> Claim:
        """Beyond the paper: the ReLU WDAE ends at the effective linear fixed point, judged
        only on modes where that theory itself has converged by the last epoch (within
        ``converged``); earlier modes are still rising there."""
        agreement = tables["agreement"]
        predicted = select(tables["curves"], source="theory", model="WDAE")
        final_theory = final_values(predicted, ["dataset", "run"])
        modes = agreement[agreement["model"] == "WDAE"].set_index(["dataset", "mode"])
        gap = (final_theory.reindex(modes.index) - modes["linear_fixed_point"]).abs()
        converged = modes[(gap < thresholds["converged"]).to_numpy()].reset_index()
        distance = np.abs(converged["final_metric"] - converged["linear_fixed_point"])
        return Claim(
            "6",
            "corrected",
            "wdae_matches_effective_theory",
            "Beyond the paper: on the modes where the effective linear theory has converged "
            f"({len(converged)} of {int((agreement['model'] == 'WDAE').sum())} modes), it ends "
            "at the linear theory's fixed point with the effective parameters (docs/theory.md): "
            "max |final - fixed point|",
            measured_max(distance, depends=[modes["final_metric"], modes["linear_fixed_point"]]),
            "<=",
            thresholds["fig6_wdae_gap"],
        )

    def description(self, settings: Settings) -> str:
        return (
            "One-hidden-layer ReLU AE (blue), WDAE (orange, weight decay "
            f"{settings['weight_decay']:g}) and DAE (green, noise std {_noise_text(settings)}) "
            f"trained by full-batch SGD (lr = {settings['lr']:g}, {settings['epochs']} epochs) "
            f"on MNIST and CIFAR-10: the mapping strength along the top {settings['modes']} "
            "eigen-directions of the data."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table, colors = tables["curves"], style["colors"]
        model_colors = {"AE": colors["ae"], "WDAE": colors["wdae"], "DAE": colors["dae_rates"]}
        datasets = list(table["dataset"].unique())
        figure, axes = plt.subplots(
            1, len(datasets), figsize=(6 * len(datasets), 4), sharey=True, squeeze=False
        )
        for ax, dataset in zip(axes[0], datasets, strict=True):
            curves = select(table, dataset=dataset)
            for source, style_args in (("simulation", {}), ("theory", {"linewidth": 1})):
                if source == "theory" and variant != "corrected":
                    continue
                for model, group in select(curves, source=source).groupby("model", sort=False):
                    label = model if source == "simulation" else _THEORY_LABEL
                    for _, curve in group.groupby("run"):
                        ax.plot(
                            curve["epoch"],
                            curve["value"],
                            "-" if source == "simulation" else ":",
                            color=model_colors[model],
                            label=label,
                            **style_args,
                        )
            if variant != "corrected":  # the notebook's axis: array index 1..R labelled 0..epochs
                ticks = np.linspace(1, int(curves["epoch"].max()), 6)
                labels = [f"{round(v):d}" for v in np.linspace(0, int(settings["epochs"]), 6)]
                ax.set_xticks(ticks, labels)
            ax.set_title(dataset_title(dataset, style))
            ax.set_xlabel("t (epoch)")
        axes[0, 0].set_ylabel("Mapping")
        legend_once(axes[0, 0], loc="lower right")
        return figure


FIGURE = Fig6()

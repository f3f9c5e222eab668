"""Fig. 5: linear AE / WDAE / DAE trained on real data against the per-mode theory S7.

Rows: datasets; left column AE vs WDAE, right column AE vs DAE; lines are the theory with the
data's eigenvalues, markers the trained weights, for the configured modes.

Faithful (the published figure): the authors' closed form in sum convention (it overflows to
NaN for mode 1; the NaN span is reported in the notes), one u0 from the AE model for every
model and mode, sorted singular values matched to modes by rank, recorded after 100(k-1)+1
updates and drawn at 100k behind a zero placeholder. Corrected: stable closed form, each
model's own u0, the eigen-projections v_i^T W v_i drawn at the epoch they were measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import theory
from ..agreement import linear_run_agreement, trained_lr
from ..claims import Claim, half_time, measured_count, measured_max
from ..lazy import lazy_import
from ..models import MODELS, linear_regularisers
from ..tables import assemble, check_variant, rows, select
from .base import Figure, Settings, Tables, note
from .drawing import dataset_title, legend_once, pyplot
from .sampled_noise import FIGURE as SAMPLED_NOISE

np = lazy_import("numpy")
pd = lazy_import("pandas")

#: Figure columns: panel name -> the two models drawn in it.
PANELS = {"weight_decay": ("AE", "WDAE"), "noise": ("AE", "DAE")}


def linear_config(config: Settings) -> dict[str, Any]:
    """The ``linear`` settings the paper's models depend on: not the sampled-noise extra, and
    ``auto_lr_fraction`` only when some dataset's learning rate is ``auto`` or not given (else
    it changes nothing drawn, and a figure's settings, hence its caption, stay those of
    explicit rates)."""
    settings = {k: v for k, v in config["linear"].items() if k != "sampled_noise"}
    rates = settings.get("lr")
    datasets = config.get("datasets") or {}
    if not (isinstance(rates, Mapping) and "auto" in [rates.get(d, "auto") for d in datasets]):
        settings.pop("auto_lr_fraction", None)
    return settings


def theory_curve(
    eigenvalue: float, n_samples: int, noise: float, decay: float, lr: float, u0, t, variant: str
) -> np.ndarray:
    """S7 for one mode: the authors' form in sum convention (faithful) or the stable form."""
    if variant == "faithful":
        lam_sum = n_samples * eigenvalue
        return theory.authors_logistic_solution(
            t, lam_sum - n_samples * decay, lam_sum + n_samples * noise, lr / n_samples, u0
        )
    return theory.mode_strength(t, eigenvalue, noise, decay, lr, u0)


def _record_positions(run: Mapping[str, Any], epochs: int, every: int, variant: str):
    """(theory time grid, record indices, marker x) of one run in the given rendering."""
    steps = run["steps"]
    if variant == "faithful":  # value after 100(k-1)+1 updates drawn at 100k, 0 placeholder
        lagged = np.arange(1, epochs, every) if epochs > 1 else np.array([], int)
        return (
            np.arange(epochs),
            np.searchsorted(steps, lagged),
            np.concatenate([[0], lagged - 1 + every]),
        )
    # every k-th epoch and the last one: the final marker is the final epoch's
    index = np.searchsorted(steps, np.union1d(np.arange(0, epochs + 1, every), [epochs]))
    return np.arange(epochs + 1), index, steps[index]


class Fig5(Figure):
    stem, title, family = "fig5", "Fig. 5", "5"
    gist = (
        "The theory tracks the trained models; weight decay delays learning and kills the "
        "modes with lambda_bar < gamma, noise mainly lowers the plateaus."
    )
    inputs, trainer, has_agreement = ("spectra", "runs"), "linear", True
    agreement_inputs = ("spectra", "runs", "sampled")

    def settings(self, config: Settings) -> dict[str, Any]:
        return {
            **config["fig5"],
            "linear": linear_config(config),
            "sampled_noise": SAMPLED_NOISE.settings(config),
        }

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        """Rows for every dataset, panel, model and mode (theory and simulation)."""
        check_variant(variant)
        linear = settings["linear"]
        epochs, every = linear["epochs"], linear["record_every"]
        parts = []
        for dataset, spectrum in inputs["spectra"].items():
            lr = trained_lr(linear, dataset, inputs["runs"][(dataset, "AE")])
            hidden = linear["hidden"][dataset]
            reference_u0 = inputs["runs"][(dataset, "AE")]["metadata"]["init_u0"]
            for panel, models in PANELS.items():
                for model in models:
                    run = inputs["runs"][(dataset, model)]
                    noise, decay = linear_regularisers(model, linear)
                    t, index, marker_x = _record_positions(run, epochs, every, variant)
                    u0 = reference_u0 if variant == "faithful" else run["metadata"]["init_u0"]
                    labels = dict(
                        dataset=dataset,
                        panel=f"{dataset}/{panel}",
                        model=model,
                        noise=noise,
                        decay=decay,
                        lr=lr,
                    )
                    for mode in settings["modes"]:
                        i = mode - 1
                        eigenvalue = float(spectrum.eigenvalues[i])
                        curve = theory_curve(
                            eigenvalue, spectrum.n_samples, noise, decay, lr, u0, t, variant
                        )
                        mode_labels = dict(lam=eigenvalue, run=mode, **labels)
                        parts.append(
                            rows(curve, t, source="theory", quantity="mapping", **mode_labels)
                        )
                        if variant == "faithful":
                            values = run["singular_values"][index, i] if i < hidden else 0 * index
                            values, quantity = np.concatenate([[0.0], values]), "singular_value"
                        else:
                            values, quantity = run["projections"][index, i], "projection"
                        simulated = dict(source="simulation", quantity=quantity, **mode_labels)
                        parts.append(rows(values, marker_x, **simulated))
        return {"curves": assemble(parts, leading=("dataset",))}

    def agreement(self, inputs, settings) -> pd.DataFrame:
        """Per dataset, model and mode i <= H: max and RMS |stable S7 - v_i^T W v_i|, then the
        sampled-noise DAEs of the companion figure (when they were trained)."""
        parts = [
            linear_run_agreement(
                dataset,
                model,
                spectrum.eigenvalues,
                inputs["runs"][(dataset, model)],
                settings["linear"],
                settings["modes"],
            )
            for dataset, spectrum in inputs["spectra"].items()
            for model in MODELS
        ]
        if inputs.get("sampled"):
            parts.append(SAMPLED_NOISE.agreement(inputs, settings["sampled_noise"]))
        return pd.concat(parts, ignore_index=True)

    def differences(self, settings: Settings) -> list[dict[str, str]]:
        return [
            note(
                "overflow",
                "authors' closed form exp(2at/tau) overflows: mode 1 turns NaN "
                "(line ends; spans logged)",
                "numerically stable closed form, no NaN",
            ),
            note(
                "marker lag",
                "value after 100(k-1)+1 updates drawn at 100k, zero placeholder at 0",
                "value after 100k updates drawn at 100k, true initial value at 0",
            ),
            note(
                "matching",
                "sorted singular values of W matched to modes by rank",
                "eigen-projections v_i^T W v_i, the quantity S7 describes",
            ),
            note(
                "u0",
                f"one u0 (top-{settings['u0_top_k']} singular values of the AE init / D) for "
                "every model",
                "each model's u0 from its own initial weights",
            ),
            note(
                "DAE label",
                "called a DAE although no noise is sampled",
                "labelled as marginalised noise (exact GD on the noise-averaged loss); "
                "a sampled-noise run is in fig5_sampled_noise",
            ),
            note("modes beyond H", "theory evaluated for all D modes", "restricted to i <= H"),
        ]

    def notes(self, settings, variant, tables) -> dict[str, Any]:
        """The notes, plus where the faithful closed form is NaN (the silent overflow)."""
        notes = super().notes(settings, variant, tables)
        predicted = select(tables["curves"], source="theory")
        spans, seen = [], set()
        for (dataset, model, mode), curve in predicted.groupby(
            ["dataset", "model", "run"], sort=False
        ):
            missing = curve[curve["value"].isna()]
            if len(missing) and (dataset, model, mode) not in seen:
                seen.add((dataset, model, mode))
                spans.append(
                    dict(
                        dataset=dataset,
                        model=model,
                        mode=int(mode),
                        first_nan_epoch=int(missing["epoch"].iloc[0]),
                    )
                )
        notes["nan_spans"] = spans
        return notes

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        """Checked on the corrected rendering (eigen-projections) and the agreement table: the
        faithful markers are rank-matched singular values, not the quantity S7 describes."""
        if variant != "corrected":
            return []
        agreement, limit = tables["agreement"], thresholds["fig5_min_eigenvalue"]
        models = agreement[agreement["model"].isin(list(MODELS))]
        plotted = models[models["plotted"].astype(bool)]
        strong = plotted[plotted["eigenvalue"] >= limit]
        decay = settings["linear"]["decay"]
        killed = models[(models["model"] == "WDAE") & (models["eigenvalue"] < decay)]
        late, lowered, projections = self._learned_mode_effects(
            tables["curves"], thresholds["learned"]
        )
        # NaN anywhere in the rows a claim selects from makes it not evaluated (pandas' max
        # would skip NaN, and a filter on a NaN eigenvalue would drop the row silently).
        measured = models[["eigenvalue", "final_projection", "rms_difference"]]
        return [
            Claim(
                "5",
                "corrected",
                "theory_tracks_runs",
                "The per-mode theory tracks the trained linear models: RMS over time of "
                f"|theory - v_i^T W v_i|, worst plotted mode with lambda_bar >= {limit:g} "
                f"({len(strong)} curves)",
                measured_max(strong["rms_difference"], depends=[measured]),
                "<=",
                thresholds["fig5_rms_gap"],
            ),
            Claim(
                "5",
                "corrected",
                "decay_kills_small_modes",
                f"Weight decay kills the modes with lambda_bar < gamma = {decay:g} "
                f"({len(killed)} modes <= H): max final |v_i^T W v_i| of the WDAE (the AE's "
                "plateau is 1)",
                measured_max(killed["final_projection"].abs(), depends=[measured]),
                "<=",
                thresholds["killed_fraction"],
            ),
            Claim(
                "5",
                "corrected",
                "decay_delays_learning",
                f"Weight decay delays learning: of the {len(lowered)} plotted modes the AE has "
                f"learned (final >= {thresholds['learned']:g}), those where the WDAE reaches "
                "half the AE's final value before the AE does",
                measured_count(late, len(lowered), depends=[projections]),
                "<=",
                0.0,
            ),
            Claim(
                "5",
                "corrected",
                "noise_lowers_plateaus",
                "Noise lowers the plateaus: max of final DAE / final AE over the same "
                f"{len(lowered)} modes",
                measured_max(lowered, depends=[projections]),
                "<=",
                1.0,
            ),
        ]

    @staticmethod
    def _learned_mode_effects(
        table: pd.DataFrame, learned: float
    ) -> tuple[int, list[float], pd.Series]:
        """Over the plotted modes the AE has learned: how many the WDAE reaches half of the
        AE's final value first (decay should delay), each final DAE / final AE, and the
        simulated projections these were measured on."""
        projections = select(table, source="simulation", quantity="projection")
        late, lowered = 0, []
        for (dataset, _mode), curves in projections.groupby(["dataset", "run"]):
            ae = select(curves, model="AE", panel=f"{dataset}/weight_decay").sort_values("epoch")
            wdae = select(curves, model="WDAE").sort_values("epoch")
            dae = select(curves, model="DAE").sort_values("epoch")
            if float(ae["value"].iloc[-1]) < learned:
                continue  # half of an unlearned mode's value is within the init's scatter
            level = 0.5 * float(ae["value"].iloc[-1])
            late += int(
                half_time(wdae["epoch"].to_numpy(), wdae["value"].to_numpy(), level)
                < half_time(ae["epoch"].to_numpy(), ae["value"].to_numpy(), level)
            )
            lowered.append(float(dae["value"].iloc[-1] / ae["value"].iloc[-1]))
        return late, lowered, projections["value"]

    def description(self, settings: Settings) -> str:
        linear = settings["linear"]
        modes = ", ".join(str(mode) for mode in settings["modes"])
        datasets = "MNIST and CIFAR-10"  # the paper's datasets, whatever else is configured
        return (
            f"Linear AE vs WDAE (gamma = {linear['decay']:g}, left) and AE vs DAE (sigma^2 = "
            f"{linear['noise']:g}, right) trained on {datasets} (one row each, "
            f"{linear['epochs']} epochs of full-batch GD): the per-mode theory with the data's "
            f"eigenvalues (lines) against the trained weights (markers) for modes {modes}."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table, colors = tables["curves"], style["colors"]
        model_colors = {"AE": colors["ae"], "WDAE": colors["wdae"], "DAE": colors["dae"]}
        datasets = list(table["dataset"].unique())
        figure, axes = plt.subplots(
            len(datasets),
            2,
            figsize=(12, 4 * len(datasets)),
            sharex="col",
            sharey="row",
            squeeze=False,
        )
        for row, dataset in enumerate(datasets):
            for column, (panel, symbol) in enumerate(
                (("weight_decay", r"\gamma"), ("noise", r"\sigma^2"))
            ):
                ax = axes[row, column]
                for model, group in select(table, panel=f"{dataset}/{panel}").groupby(
                    "model", sort=False
                ):
                    level = group["decay" if panel == "weight_decay" else "noise"].iloc[0]
                    marginal = (
                        ", marginalised" if (variant == "corrected" and model == "DAE") else ""
                    )
                    tag = rf"(${symbol} = {level:g}$" + marginal + ")"
                    color = model_colors[model]
                    for _, curve in group[group.source == "theory"].groupby("run"):
                        ax.plot(curve["epoch"], curve["value"], color=color, label=f"Theory {tag}")
                    for _, marks in group[group.source == "simulation"].groupby("run"):
                        ax.scatter(
                            marks["epoch"],
                            marks["value"],
                            marker="x",
                            color=color,
                            label=f"Actual {tag}",
                        )
                if row == 0:
                    ax.set_title("Weight decay" if panel == "weight_decay" else "Noise")
                    legend_once(
                        ax, "lower right", lambda label: (not label.startswith("Theory"), label)
                    )
                if row == len(datasets) - 1:
                    ax.set_xlabel("t (epoch)", fontsize=10)
                if column == 0:
                    ax.set_ylabel(r"$w_2 \cdot w_1$", fontsize=15)
            axes[row, -1].text(
                1.02,
                0.5,
                dataset_title(dataset, style),
                rotation=90,
                va="center",
                ha="left",
                transform=axes[row, -1].transAxes,
            )
        return figure


FIGURE = Fig5()

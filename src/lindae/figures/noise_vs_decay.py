"""Beyond the paper: the central claim measured. Weight decay reaches half its plateau later
than noise by t_WDAE / t_DAE = 1 + sigma^2 / lambda_bar_i under matched regularisation.

The ratios come from trained linear models (:mod:`lindae.half_times`, one record per dataset);
this figure only reads them. Left: measured against predicted ratio, one point per dataset,
mode and noise level, with the identity line. Right: the relative deviation per dataset (its
spread), with the theory's first-order discretisation estimate -lr gamma_i / 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..claims import Claim, measured_count, measured_max
from ..half_times import analysis_settings, discretisation_estimate
from ..lazy import lazy_import
from ..tables import assemble, rows, select
from .base import Figure, Settings, Tables
from .drawing import dataset_title, pyplot

np = lazy_import("numpy")
pd = lazy_import("pandas")

__all__ = ["FIGURE", "ratio_table"]

#: Columns of the agreement table (noise_vs_decay_agreement.csv).
AGREEMENT_COLUMNS = (
    "dataset",
    "mode",
    "noise",
    "lambda_bar",
    "decay",
    "lr",
    "predicted",
    "measured",
    "relative_deviation",
    "discretisation_estimate",
    "predicted_dae",
    "measured_dae",
    "predicted_wdae",
    "measured_wdae",
    "epochs_dae",
    "epochs_wdae",
    "settled",
)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def ratio_table(dataset: str, record: Mapping[str, Any]) -> pd.DataFrame:
    """The agreement rows of one dataset's half-time record: predicted 1 + sigma^2/lambda_bar
    and measured t_WDAE / t_DAE per mode and noise level, their relative deviation, and whether
    both runs settled on their plateau."""
    lr = float(record["metadata"]["lr"])
    predicted = record["predicted_wdae"] / record["predicted_dae"]
    with np.errstate(divide="ignore", invalid="ignore"):
        measured = record["measured_wdae"] / record["measured_dae"]
    table = pd.DataFrame(
        {
            "dataset": dataset,
            "mode": record["mode"].astype(int),
            "noise": record["noise"],
            "lambda_bar": record["eigenvalue"],
            "decay": record["decay"],
            "lr": lr,
            "predicted": predicted,
            "measured": measured,
            "relative_deviation": measured / predicted - 1.0,
            "discretisation_estimate": -discretisation_estimate(lr, record["decay"]),
            "predicted_dae": record["predicted_dae"],
            "measured_dae": record["measured_dae"],
            "predicted_wdae": record["predicted_wdae"],
            "measured_wdae": record["measured_wdae"],
            "epochs_dae": record["epochs_dae"].astype(int),
            "epochs_wdae": record["epochs_wdae"].astype(int),
            "settled": record["settled_dae"].astype(bool) & record["settled_wdae"].astype(bool),
        }
    )
    return table[list(AGREEMENT_COLUMNS)].sort_values(["noise", "mode"], ignore_index=True)


class NoiseVsDecay(Figure):
    stem, title, family = "noise_vs_decay", "Noise vs weight decay: half times", "analysis"
    gist = (
        "Under matched regularisation weight decay reaches half its plateau later than noise, "
        "by the predicted factor 1 + sigma^2 / lambda_bar on every dataset."
    )
    variants, has_notes, has_agreement = ("corrected",), False, True
    inputs = agreement_inputs = ("half_times",)

    def settings(self, config: Settings) -> dict[str, Any]:
        return analysis_settings(config)

    def agreement(self, inputs, settings) -> pd.DataFrame:
        parts = [ratio_table(name, record) for name, record in inputs["half_times"].items()]
        return pd.concat(parts, ignore_index=True)

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        """Per dataset, mode and noise level: the predicted (theory) and measured (simulation)
        ratio, whether the runs settled (quantity ``settled``, 1 or 0) and the theory's
        first-order discretisation estimate of the relative deviation."""
        parts = []
        for row in self.agreement(inputs, settings).itertuples():
            labels = dict(
                dataset=row.dataset,
                panel=row.dataset,
                model="WDAE/DAE",
                lam=row.lambda_bar,
                noise=row.noise,
                decay=row.decay,
                lr=row.lr,
                run=row.mode,
            )
            ratio = dict(quantity="half_time_ratio", **labels)
            parts.append(rows([row.predicted], source="theory", **ratio))
            parts.append(rows([row.measured], source="simulation", **ratio))
            parts.append(
                rows([float(row.settled)], source="simulation", quantity="settled", **labels)
            )
            estimate = dict(source="theory", quantity="discretisation_estimate", **labels)
            parts.append(rows([row.discretisation_estimate], **estimate))
        return {"curves": assemble(parts, leading=("dataset",))}

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        """Per dataset: the largest |measured / predicted - 1| within the threshold, and every
        run settled on its plateau (a run that did not counts, never dropped)."""
        agreement, limit = tables["agreement"], thresholds["noise_vs_decay_gap"]
        claims = []
        for dataset in settings["datasets"]:
            own = agreement[agreement["dataset"] == dataset]
            measured = own[["predicted", "measured"]]
            unsettled = int((~own["settled"].astype(bool)).sum())
            title = dataset_title(dataset)
            claims += [
                Claim(
                    self.stem,
                    variant,
                    f"{dataset}_ratio_matches_theory",
                    f"{title}: weight decay reaches half its plateau later than matched noise "
                    f"by 1 + sigma^2/lambda_bar: largest |measured / predicted - 1| over "
                    f"{len(own)} modes and noise levels",
                    measured_max(own["relative_deviation"].abs(), depends=[measured]),
                    "<=",
                    limit,
                ),
                Claim(
                    self.stem,
                    variant,
                    f"{dataset}_runs_settled",
                    f"{title}: every DAE and WDAE run ended on its plateau (the measured "
                    f"plateau is the final value): runs of the {len(own)} pairs that did not",
                    measured_count(unsettled, len(own)),
                    "<=",
                    0.0,
                ),
            ]
        return claims

    def description(self, settings: Settings) -> str:
        levels = ", ".join(f"{n:g}" for n in settings["noise_levels"])
        modes = ", ".join(str(m) for m in settings["modes"])
        datasets = ", ".join(dataset_title(d) for d in settings["datasets"])
        return (
            f"Half-time ratio t_WDAE / t_DAE measured on linear models trained by full-batch "
            f"GD (DAE with sigma^2 = {levels}; WDAE with the decay matched to each mode) against "
            f"the prediction 1 + sigma^2 / lambda_bar, for modes {modes} of {datasets}, from "
            f"the balanced init u0 = {settings['u0']:g}; left: measured vs predicted with the "
            f"identity line, right: the relative deviation per dataset (hollow: a run that did "
            f"not settle)."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        import seaborn as sns  # only plots need it
        from matplotlib.lines import Line2D

        table = tables["curves"]
        datasets = list(table["dataset"].unique())
        levels = sorted(set(table["noise"]))
        palette = sns.color_palette("deep", len(datasets))
        figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
        keys = ["run", "noise"]
        for position, (color, dataset) in enumerate(zip(palette, datasets, strict=True)):
            own = select(table, dataset=dataset)
            ratio = select(own, quantity="half_time_ratio")
            predicted = select(ratio, source="theory").set_index(keys)["value"]
            measured = select(ratio, source="simulation").set_index(keys)["value"]
            settled = select(own, quantity="settled").set_index(keys)["value"] > 0.5
            deviation = measured / predicted - 1.0
            estimate = select(own, quantity="discretisation_estimate").set_index(keys)["value"]
            for index, noise in enumerate(levels):
                chosen = [key for key in predicted.index if key[1] == noise]
                if not chosen:
                    continue
                marker = MARKERS[index % len(MARKERS)]
                for key in chosen:
                    face = color if settled[key] else "none"
                    left.scatter(
                        predicted[key], measured[key], marker=marker, color=color, facecolors=face
                    )
                    offset = 0.12 * (index - (len(levels) - 1) / 2)
                    right.scatter(
                        position + offset,
                        deviation[key],
                        marker=marker,
                        color=color,
                        facecolors=face,
                    )
                    right.scatter(
                        position + offset,
                        estimate[key],
                        marker="_",
                        color="grey",
                        label=r"$-\alpha\gamma_i/2$ (discretisation, first order)",
                    )
            worst = float(np.nanmax(np.abs(deviation.to_numpy())))
            right.annotate(
                f"max |dev| = {worst:.3g}",
                (position, 1.0),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        top = max(float(table["value"][table["quantity"] == "half_time_ratio"].max()), 1.0)
        left.plot([1.0, top], [1.0, top], color="grey", linestyle="--", label="identity")
        left.set_xlabel(r"predicted $t_\mathrm{WDAE}/t_\mathrm{DAE} = 1 + \sigma^2/\bar\lambda_i$")
        left.set_ylabel(r"measured $t_\mathrm{WDAE}/t_\mathrm{DAE}$")
        # one entry per dataset (colour) and per noise level (marker); hollow: not settled
        proxy = dict(linestyle="none", markersize=7)
        handles = [
            Line2D([], [], marker="o", color=color, label=dataset_title(dataset, style), **proxy)
            for color, dataset in zip(palette, datasets, strict=True)
        ]
        handles += [
            Line2D(
                [],
                [],
                marker=MARKERS[i % len(MARKERS)],
                color="grey",
                **proxy,
                label=rf"$\sigma^2 = {noise:g}$",
            )
            for i, noise in enumerate(levels)
        ]
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color="grey",
                markerfacecolor="none",
                **proxy,
                label="run not settled",
            )
        )
        left.legend(
            handles=[*handles, *left.get_legend_handles_labels()[0]], fontsize=8, loc="upper left"
        )
        right.axhline(0.0, color="grey", linestyle="--")
        right.set_xticks(range(len(datasets)), [dataset_title(d, style) for d in datasets])
        right.set_ylabel("measured / predicted - 1")
        handles, labels = right.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        right.legend(unique.values(), unique.keys(), fontsize=8, loc="lower right")
        return figure


FIGURE = NoiseVsDecay()

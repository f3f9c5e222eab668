"""Figures 1-4 drawn from their long-form tables (:mod:`lindae.curves`); no science here.

Each ``plot_figN(table, variant, style, params)`` returns a matplotlib Figure. ``style`` is the
``style`` section of the config (colours, dpi, minimum alpha), ``params`` the figure's section
(only for what the plot draws but the table cannot hold, e.g. the loss-surface grid).
Layouts follow PAPER.md section 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display on build machines or cluster nodes

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from . import theory  # noqa: E402

Style = Mapping[str, Any]

# Fig. 1 faithful surface colouring: the authors' fixed normalisation of log(Z - offset).
_FIG1_LOG_OFFSET = 4.68459160059e-9
_FIG1_LOG_RANGE = (-0.875466470014, 3.9608131696)


def _select(table: pd.DataFrame, **conditions: Any) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in conditions.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def _curves(table: pd.DataFrame, **conditions: Any) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values[time, run]) of the selected per-run curves."""
    rows = _select(table, **conditions)
    wide = rows.pivot_table(index="epoch", columns="run", values="value", sort=True)
    return wide.index.to_numpy(), wide.to_numpy()


def _shade(
    model: str, noise: float, decay: float, top_noise: float, variant: str, style: Style
) -> float:
    """Line alpha by regularisation strength (Figs 2-3).

    Faithful: the notebooks' eps / max(eps) for noise curves but the raw gamma for weight-decay
    curves, clipped to [0, 1] (gamma reaches 1.047). Corrected: eps / max(eps) for both rows so
    matched pairs share a shade, lifted to a floor so the unregularised baseline shows.
    """
    if variant == "faithful":
        level = decay if model == "WDAE" else noise / top_noise if top_noise > 0 else 1.0
        return float(np.clip(level, 0.0, 1.0))
    floor = style["corrected_min_alpha"]
    level = noise / top_noise if top_noise > 0 else 1.0
    return float(np.clip(floor + (1.0 - floor) * level, 0.0, 1.0))


def _minimum_set(lam: float, noise: float, decay: float, grid_size: int, half_width: float):
    """Grid points within 1e-5 of the minimum of S5 (the authors' thresholded minima)."""
    axis = np.linspace(-half_width, half_width, grid_size)
    w1, w2 = np.meshgrid(axis, axis)
    loss = theory.scalar_loss(w1, w2, lam, noise, decay)
    near = loss < loss.min() + 1e-5
    return w1[near], w2[near]


def _branches(x: np.ndarray, y: np.ndarray, jump: float = 0.1) -> list[np.ndarray]:
    """Split a point cloud ordered along x into pieces wherever consecutive points jump."""
    order = np.lexsort((y, x))
    points = np.column_stack([x[order], y[order]])
    gaps = np.hypot(*np.diff(points, axis=0).T) >= jump
    return np.split(points, np.flatnonzero(gaps) + 1)


def _hyperbola(target: float, half_width: float) -> list[np.ndarray]:
    """Exact branches of w1 w2 = target inside the square [-h, h]^2."""
    w1 = np.linspace(target / half_width, half_width, 400)
    return [np.column_stack([w1, target / w1]), np.column_stack([-w1, -target / w1])]


def plot_fig1(table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]) -> Figure:
    """Top: u = w1 w2 vs epoch (theory solid, GD dashed). Bottom: 3-D loss surface + GD paths."""
    colors = style["colors"]
    lam, noises = params["lam"], params["noise_levels"]
    figure = plt.figure(figsize=(20, 10))
    axis = np.linspace(-2.0, 2.0, 100)
    w1_grid, w2_grid = np.meshgrid(axis, axis[::-1])
    for column, noise in enumerate(noises):
        panel = f"noise={noise:g}"
        ax = figure.add_subplot(2, len(noises), column + 1)
        epoch, theory_u = _curves(table, panel=panel, source="theory", quantity="mapping")
        ax.plot(epoch, theory_u, color=colors["theory"], label="Theory")
        epoch, sim_u = _curves(table, panel=panel, source="simulation", quantity="mapping")
        ax.plot(epoch, sim_u, "--", color=colors["simulation"], label="Simulation")
        target = _select(table, panel=panel, quantity="fixed_point")["value"].iloc[0]
        ax.axhline(target, color=colors["fixed_point"], linestyle="-.", linewidth=2)
        ax.set_title(rf"$\epsilon = {noise:g}$", fontsize=15)
        ax.set_xlabel("Epoch", fontsize=15)
        ax.set_ylabel("w", fontsize=15)
        if column == 0:
            handles, labels = ax.get_legend_handles_labels()
            unique = dict(zip(labels, handles, strict=True))
            ax.legend(unique.values(), unique.keys(), loc="upper right")

        ax3 = figure.add_subplot(
            2, len(noises), len(noises) + column + 1, projection="3d", computed_zorder=False
        )  # paths stay above the surface
        u_grid = w1_grid * w2_grid
        if variant == "faithful":  # the authors' surface helper: 0.5 (lam - u)^2
            surface = 0.5 * (lam - u_grid) ** 2 + 0.5 * noise * u_grid**2
        else:
            surface = theory.scalar_loss(w1_grid, w2_grid, lam, noise)
        with np.errstate(invalid="ignore", divide="ignore"):
            shade = np.log(surface - _FIG1_LOG_OFFSET)
        faces = plt.get_cmap("jet")(Normalize(*_FIG1_LOG_RANGE)(shade))
        ax3.plot_surface(
            w1_grid,
            w2_grid,
            surface,
            facecolors=faces,
            shade=False,
            rstride=1,
            cstride=1,
            linewidth=0,
            antialiased=False,
        )
        ax3.scatter([0], [0], [0], color="red", marker="*", s=40, label="Saddle point")
        if variant == "faithful":
            pieces = _branches(*_minimum_set(lam, noise, 0.0, 1000, 2.0))
        else:
            pieces = _hyperbola(float(theory.fixed_point(lam, noise)), 2.0)
        for piece in pieces:
            ax3.plot(piece[:, 0], piece[:, 1], 0.0, color="cyan", label="Manifold of global minima")
        _, w1_path = _curves(table, panel=panel, source="simulation", quantity="w1")
        _, w2_path = _curves(table, panel=panel, source="simulation", quantity="w2")
        _, loss_path = _curves(table, panel=panel, source="simulation", quantity="loss")
        for run in range(w1_path.shape[1]):
            ax3.plot(
                w1_path[:, run],
                w2_path[:, run],
                loss_path[:, run],
                "--",
                color=colors["simulation"],
                label="GD path",
            )
        ax3.set_zlim(0, 50)
        ax3.view_init(elev=45, azim=10)
        ax3.set_xlabel(r"$w_1$", fontsize=20)
        ax3.set_ylabel(r"$w_2$", fontsize=20)
        ax3.set_zlabel("Loss", fontsize=20)
        if column == 0:
            handles, labels = ax3.get_legend_handles_labels()
            unique = dict(zip(labels, handles, strict=True))
            ax3.legend(unique.values(), unique.keys(), loc="upper right")
    return figure


def plot_fig2(table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]) -> Figure:
    """DAE (top, noise) and matched WDAE (bottom, weight decay) theory curves per lambda."""
    colors = style["colors"]
    panels = list(dict.fromkeys(table["panel"]))
    figure, axes = plt.subplots(
        2, len(panels), figsize=(4 * len(panels), 4), sharex=True, sharey=True, squeeze=False
    )
    top_noise = table["noise"].max()
    for column, panel in enumerate(panels):
        rows = _select(table, panel=panel)
        for row, (model, color) in enumerate((("DAE", colors["dae"]), ("WDAE", colors["wdae"]))):
            ax = axes[row, column]
            for (noise, decay), curve in _select(rows, model=model).groupby(["noise", "decay"]):
                ax.plot(
                    curve["epoch"],
                    curve["value"],
                    color=color,
                    alpha=_shade(model, noise, decay, top_noise, variant, style),
                )
            ax.set_ylim(0, 1.1)
            if row == 1:
                ax.set_xlabel("t (epoch)")
            if column == 0:
                ax.set_ylabel(r"$w(t, \lambda)$")
        axes[0, column].set_title(rf"$\lambda = {rows['lam'].iloc[0]:g}$")
    for row, label in enumerate(("Noise", "Weight decay")):
        axes[row, -1].text(
            1.03, 0.5, label, rotation=90, va="center", ha="left", transform=axes[row, -1].transAxes
        )
    return figure


def plot_fig3(table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]) -> Figure:
    """Left: DAE vs WDAE at scaled optimal rates. Middle: the rates. Right: their difference."""
    colors = style["colors"]
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4), layout="constrained")
    dynamics = _select(table, panel="dynamics")
    top_noise = dynamics["noise"].max()
    for (model, noise), curve in dynamics.groupby(["model", "noise"], sort=False):
        color = colors["dae"] if model == "DAE" else colors["wdae"]
        # corrected: WDAE dashed, so that curves coinciding with the DAE's stay visible
        dashes = "--" if (variant == "corrected" and model == "WDAE") else "-"
        left.plot(
            curve["epoch"],
            curve["value"],
            dashes,
            color=color,
            alpha=_shade(model, noise, curve["decay"].iloc[0], top_noise, variant, style),
        )
    left.set_ylim(0, 1.1)
    left.set_xlabel("t (epoch)")
    left.set_ylabel(r"$w(t, \lambda)$")

    rates = _select(table, panel="rates")
    palette = {"DAE": colors["dae_rates"], "WDAE": colors["wdae"], "ratio": colors["ratio"]}
    sns.lineplot(
        data=rates,
        x="noise",
        y="value",
        hue="model",
        style="model",
        palette=palette,
        dashes={"DAE": "", "WDAE": "", "ratio": (4, 2)},
        ax=middle,
    )
    handles, labels = middle.get_legend_handles_labels()
    middle.legend(handles, [{"ratio": "Ratio"}.get(label, label) for label in labels])
    middle.set_xlabel(r"$\epsilon$ (Noise)")
    middle.set_ylabel("Optimal learning rate")

    for noise, curve in _select(table, panel="difference").groupby("noise"):
        right.plot(
            curve["epoch"],
            curve["value"],
            color=colors["difference"],
            alpha=_shade("DAE", noise, 0.0, top_noise, variant, style),
        )
    largest = float(np.abs(_select(table, panel="difference")["value"]).max())
    if largest < 1e-9:  # curves coincide: show rounding noise on a readable scale
        right.set_ylim(-0.05, 0.3)
        right.text(
            0.5,
            0.85,
            f"DAE and WDAE coincide\nmax |difference| = {largest:.1e}",
            ha="center",
            transform=right.transAxes,
        )
    right.set_xlabel("t (epoch)")
    right.set_ylabel("Difference in learned mapping")
    return figure


def plot_fig4(table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]) -> Figure:
    """Rows: noise, weight decay. Columns: loss landscape + paths, w2 w1, weight norm."""
    colors = style["colors"]
    figure, axes = plt.subplots(2, 3, figsize=(24, 8))
    axis = np.linspace(-2.0, 2.0, 100)
    w1_grid, w2_grid = np.meshgrid(axis, axis)
    for row, panel in enumerate(("noise", "weight_decay")):
        rows = _select(table, panel=panel)
        lam, noise, decay = (rows[c].iloc[0] for c in ("lam", "noise", "decay"))
        landscape, paths, norms = axes[row]
        loss = theory.scalar_loss(w1_grid, w2_grid, lam, noise, decay)
        image = landscape.imshow(loss, extent=(-2, 2, -2, 2), origin="lower", cmap="coolwarm")
        colorbar = figure.colorbar(image, ax=landscape)
        colorbar.set_label("Loss", fontsize=15)
        grad_w2, grad_w1 = np.gradient(loss, axis, axis)
        landscape.quiver(
            w1_grid[::5, ::5], w2_grid[::5, ::5], -grad_w1[::5, ::5], -grad_w2[::5, ::5]
        )
        target = _select(rows, quantity="fixed_point")["value"].iloc[0]
        if variant == "faithful":
            landscape.scatter(*_minimum_set(lam, noise, decay, 1000, 2.0), s=0.1, color="cyan")
        elif decay == 0:
            for piece in _hyperbola(target, 2.0):
                landscape.plot(piece[:, 0], piece[:, 1], color="cyan", linewidth=2)
        else:  # the WDAE minimum set is the two points +-(sqrt u*, sqrt u*)
            corner = np.sqrt(target)
            landscape.plot([corner, -corner], [corner, -corner], "o", color="cyan")
        landscape.plot(0, 0, "*", color="red", markersize=10)
        landscape.set_xlabel(r"$w_1$", fontsize=15)
        landscape.set_ylabel(r"$w_2$", fontsize=15)

        epoch, w1_path = _curves(rows, source="simulation", quantity="w1")
        _, w2_path = _curves(rows, source="simulation", quantity="w2")
        _, mapping = _curves(rows, source="simulation", quantity="mapping")
        _, norm = _curves(rows, source="simulation", quantity="weight_norm")
        for run in range(w1_path.shape[1]):
            path_color = colors["small_init"] if run == 0 else colors["simulation"]
            norm_color = colors["small_init"] if run == 0 else colors["norm"]
            landscape.plot(w1_path[:, run], w2_path[:, run], "--", color=path_color)
            paths.plot(epoch, mapping[:, run], "--", color=path_color)
            norms.plot(epoch, norm[:, run], color=norm_color, linewidth=2)
        landscape.set_xlim(-2, 2)
        landscape.set_ylim(-2, 2)
        paths.axhline(target, color=colors["fixed_point"], linestyle="-.", linewidth=2)
        if variant == "corrected":
            epoch_theory, mapping_theory = _curves(rows, source="theory", quantity="mapping")
            paths.plot(epoch_theory, mapping_theory, color="black", linewidth=0.7)
            limits = _select(rows, quantity="norm_limit")["value"].to_numpy()
            for limit in np.unique(np.round(limits, 12)):
                norms.axhline(limit, color="black", linestyle=":", linewidth=1)
        paths.set_xlabel("Epoch", fontsize=12)
        paths.set_ylabel(r"$w_2 \cdot w_1$", fontsize=12)
        norms.set_xlabel("Epoch", fontsize=12)
        norms.set_ylabel("Weight norm", fontsize=12)
    return figure


DATASET_TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}


def plot_fig5(table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]) -> Figure:
    """Rows: datasets. Columns: AE vs WDAE, AE vs DAE. Theory lines, training markers."""
    colors = style["colors"]
    model_colors = {"AE": colors["ae"], "WDAE": colors["wdae"], "DAE": colors["dae"]}
    datasets = list(dict.fromkeys(table["dataset"]))
    figure, axes = plt.subplots(
        len(datasets), 2, figsize=(12, 4 * len(datasets)), sharex="col", sharey="row", squeeze=False
    )
    for row, dataset in enumerate(datasets):
        for column, (panel, symbol) in enumerate(
            (("weight_decay", r"\gamma"), ("noise", r"\sigma^2"))
        ):
            ax = axes[row, column]
            rows = _select(table, panel=f"{dataset}/{panel}")
            for model, group in rows.groupby("model", sort=False):
                level = (
                    group["decay"].iloc[0] if panel == "weight_decay" else group["noise"].iloc[0]
                )
                note = ", marginalised" if (variant == "corrected" and model == "DAE") else ""
                tag = rf"(${symbol} = {level:g}$" + note + ")"
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
                handles, labels = ax.get_legend_handles_labels()
                unique = dict(zip(labels, handles, strict=True))
                order = sorted(unique, key=lambda label: (not label.startswith("Theory"), label))
                ax.legend([unique[k] for k in order], order, loc="lower right")
            if row == len(datasets) - 1:
                ax.set_xlabel("t (epoch)", fontsize=10)
            if column == 0:
                ax.set_ylabel(r"$w_2 \cdot w_1$", fontsize=15)
        axes[row, -1].text(
            1.02,
            0.5,
            DATASET_TITLES.get(dataset, dataset),
            rotation=90,
            va="center",
            ha="left",
            transform=axes[row, -1].transAxes,
        )
    return figure


def plot_fig6(table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]) -> Figure:
    """Mapping strength along the top eigen-directions: one panel per dataset, 4 lines a model."""
    colors = style["colors"]
    model_colors = {"AE": colors["ae"], "WDAE": colors["wdae"], "DAE": colors["dae_rates"]}
    datasets = list(dict.fromkeys(table["dataset"]))
    figure, axes = plt.subplots(
        1, len(datasets), figsize=(6 * len(datasets), 4), sharey=True, squeeze=False
    )
    for ax, dataset in zip(axes[0], datasets, strict=True):
        rows = _select(table, dataset=dataset)
        for model, group in rows[rows.source == "simulation"].groupby("model", sort=False):
            for _, curve in group.groupby("run"):
                ax.plot(curve["epoch"], curve["value"], color=model_colors[model], label=model)
        if variant == "corrected":
            for model, group in rows[rows.source == "theory"].groupby("model", sort=False):
                for _, curve in group.groupby("run"):
                    ax.plot(
                        curve["epoch"],
                        curve["value"],
                        ":",
                        color=model_colors[model],
                        linewidth=1,
                        label="linear theory (effective parameters)",
                    )
        else:  # the notebook's axis: array index 1..200 labelled 0..2000
            last = int(rows["epoch"].max())
            ticks = np.linspace(1, last, 6)
            epochs = int(params["epochs"])
            ax.set_xticks(ticks, [f"{round(v):d}" for v in np.linspace(0, epochs, 6)])
        ax.set_title(DATASET_TITLES.get(dataset, dataset))
        ax.set_xlabel("t (epoch)")
    axes[0, 0].set_ylabel("Mapping")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    axes[0, 0].legend(unique.values(), unique.keys(), loc="lower right")
    return figure


def plot_sampled_noise(
    table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]
) -> Figure:
    """Companion of Fig. 5: noise-averaged theory vs marginalised and sampled-noise DAEs."""
    datasets = list(dict.fromkeys(table["dataset"]))
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
        rows = _select(table, dataset=dataset)
        noise = rows["noise"].iloc[0]
        for _, curve in rows[rows.source == "theory"].groupby("run"):
            ax.plot(
                curve["epoch"],
                curve["value"],
                color=style["colors"]["dae"],
                label=rf"Theory ($\sigma^2 = {noise:g}$)",
            )
        for model, (marker, color) in markers.items():
            for _, marks in rows[rows.model == model].groupby("run"):
                ax.scatter(
                    marks["epoch"],
                    marks["value"],
                    marker=marker,
                    color=color,
                    s=18,
                    facecolors="none" if marker == "o" else None,
                    label=model,
                )
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), loc="lower right")
        ax.set_title(f"{DATASET_TITLES.get(dataset, dataset)}: noise drawn every epoch")
        ax.set_xlabel("t (epoch)")
    axes[0, 0].set_ylabel(r"$v_i^\top W v_i$")
    return figure


def plot_spectra(spectra: Mapping[str, Any], style: Style, decay: float) -> Figure:
    """Eigenvalue decay of each dataset's uncentred second moment (log scale)."""
    figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    palette = sns.color_palette("deep", len(spectra))
    for color, (dataset, spectrum) in zip(palette, spectra.items(), strict=True):
        rank = np.arange(1, spectrum.dimension + 1)
        positive = spectrum.eigenvalues > 0
        ax.plot(
            rank[positive],
            spectrum.eigenvalues[positive],
            color=color,
            label=f"{DATASET_TITLES.get(dataset, dataset)} (N = {spectrum.n_samples:,})",
        )
    ax.axhline(
        decay,
        color=style["colors"]["wdae"],
        linestyle="--",
        label=rf"WDAE $\gamma = {decay:g}$: modes below are never learned",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mode rank i")
    ax.set_ylabel(r"eigenvalue $\bar\lambda_i$ of $X^\top X / N$")
    ax.legend(fontsize=8)
    return figure


PLOTTERS = {
    1: plot_fig1,
    2: plot_fig2,
    3: plot_fig3,
    4: plot_fig4,
    5: plot_fig5,
    6: plot_fig6,
    "5_sampled_noise": plot_sampled_noise,
}


def plot_figure(
    figure: int | str, table: pd.DataFrame, variant: str, style: Style, params: Mapping[str, Any]
) -> Figure:
    """Dispatch to ``plot_fig{figure}``."""
    if figure not in PLOTTERS:
        raise ValueError(f"no plotter for figure {figure!r}; valid: {sorted(PLOTTERS)}")
    return PLOTTERS[figure](table, variant, style, params)

"""Fig. 1: the scalar linear DAE, exact unbalanced-init theory (S11) vs gradient descent.

Top row: u = w1 w2 against the epoch for each noise level, theory solid, GD from random inits
dashed, the fixed point lambda/(lambda+eps) in red. Bottom row: the loss surface with the GD
paths and the manifold of global minima.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import landscape, theory
from ..claims import Claim, final_values, measured_max
from ..lazy import lazy_import
from ..scalar import gradient_descent, legacy_uniform_inits, trajectory_rows
from ..tables import assemble, rows, select
from .base import LandscapeFigure, Settings, Tables, note
from .drawing import legend_once, pyplot, wide

np = lazy_import("numpy")
pd = lazy_import("pandas")

# The authors' fixed colour normalisation of log(Z - offset) on the surface.
_LOG_OFFSET = 4.68459160059e-9
_LOG_RANGE = (-0.875466470014, 3.9608131696)
_HALF_WIDTH = 2.0


def _panel(noise: float) -> str:
    return f"noise={noise:g}"


class Fig1(LandscapeFigure):
    stem, title, family = "fig1", "Fig. 1", "1"
    gist = (
        "The closed form predicts gradient descent from every init; noise moves the fixed "
        "point and the minima towards the origin."
    )

    def curve_table(self, params: Settings, variant: str) -> pd.DataFrame:
        lam, lr, epochs = params["lam"], params["lr"], params["epochs"]
        seeds = params["seed_stride"] * np.arange(params["runs"])
        w1_0, w2_0 = legacy_uniform_inits(seeds, params["init_range"])
        parts = []
        for noise in params["noise_levels"]:
            labels = dict(panel=_panel(noise), lam=lam, noise=noise, decay=0.0, lr=lr)
            trajectory = gradient_descent(w1_0, w2_0, lam, noise, 0.0, lr, epochs)
            parts += trajectory_rows(trajectory, model="DAE", **labels)
            if variant == "faithful":  # authors' form on t = 0..epochs-1
                epoch = np.arange(epochs)
                mapping = theory.unbalanced_mode_strength_authors(
                    epoch[:, None], w1_0, w2_0, lam, noise, lr
                )
            else:  # simulation grid, Riccati form with balanced fallback
                epoch = np.arange(epochs + 1)
                mapping = theory.unbalanced_mode_strength(
                    epoch[:, None], w1_0, w2_0, lam, noise, lr
                )
            common = dict(source="theory", model="DAE", **labels)
            parts.append(
                rows(mapping, epoch, quantity="mapping", run=np.arange(len(seeds)), **common)
            )
            parts.append(rows([theory.fixed_point(lam, noise)], quantity="fixed_point", **common))
        return assemble(parts)

    def landscape_table(self, params: Settings, variant: str) -> pd.DataFrame:
        lam = params["lam"]
        w1, w2 = landscape.square_grid(_HALF_WIDTH, 100, descending_w2=True)
        parts = []
        for noise in params["noise_levels"]:
            panel = _panel(noise)
            if variant == "faithful":  # the authors' surface helper and thresholded grid
                surface = landscape.authors_surface(w1, w2, lam, noise)
                pieces = landscape.branches(
                    *landscape.thresholded_minima(lam, noise, 0.0, 1000, _HALF_WIDTH)
                )
            else:
                surface = theory.scalar_loss(w1, w2, lam, noise)
                pieces = landscape.hyperbola(float(theory.fixed_point(lam, noise)), _HALF_WIDTH)
            parts += [
                landscape.surface_rows(panel, w1, w2, surface),
                landscape.minimum_rows(panel, pieces),
            ]
        return pd.concat(parts, ignore_index=True)

    def differences(self, settings: Settings) -> list[dict[str, str]]:
        return [
            note(
                "theory grid",
                "S11 evaluated at t = 0..epochs-1 (one point short of the simulation)",
                "S11 evaluated on the simulation's grid t = 0..epochs",
            ),
            note(
                "theory form",
                "authors' hyperbolic-angle S11 (undefined for balanced inits)",
                "Riccati form of S11, falling back to the stable S7 when w1(0)^2 = w2(0)^2",
            ),
            note(
                "loss surface",
                "0.5 (lam - w1 w2)^2 + (eps/2)(w1 w2)^2 (authors' helper)",
                "the per-mode loss S5 itself; identical at lam = 1",
            ),
            note(
                "minima",
                "thresholded 1000x1000 grid (loss < min + 1e-5)",
                "exact hyperbola w1 w2 = lam / (lam + eps)",
            ),
        ]

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        table = tables["curves"]
        gaps, ends = [], []
        for _panel_name, panel in table.groupby("panel"):
            predicted = select(panel, source="theory", quantity="mapping")
            simulated = select(panel, source="simulation", quantity="mapping")
            fixed = float(select(panel, quantity="fixed_point")["value"].iloc[0])
            # one theory curve per init (S11 depends on it), matched on the common epochs
            joined = simulated.merge(predicted[["epoch", "run", "value"]], on=["epoch", "run"])
            gaps.append(measured_max(np.abs(joined["value_x"] - joined["value_y"])))
            ends.append(float(np.median(np.abs(final_values(simulated, ["run"]) - fixed))))
        return [
            Claim(
                "1",
                variant,
                "theory_predicts_gd",
                "The closed form (S11) predicts gradient descent from every init: "
                "max |GD - theory| over runs, epochs and noise levels",
                measured_max(gaps),
                "<=",
                thresholds["fig1_max_gap"],
            ),
            Claim(
                "1",
                variant,
                "noise_moves_fixed_point",
                "Noise moves the fixed point to lambda/(lambda+eps): median over runs of |final "
                "w2 w1 - lambda/(lambda+eps)|, worst noise level (inits near the saddle are "
                "slower)",
                measured_max(ends),
                "<=",
                thresholds["fixed_point_gap"],
            ),
        ]

    def description(self, settings: Settings) -> str:
        levels = ", ".join(f"{noise:g}" for noise in settings["noise_levels"])
        return (
            f"Scalar linear DAE (lambda = {settings['lam']:g}): the exact unbalanced-init "
            f"solution (solid) against gradient descent (lr = {settings['lr']:g}, "
            f"{settings['epochs']} steps) from {settings['runs']} random inits (dashed), one "
            f"column per noise level eps = {levels}, with the fixed point lambda/(lambda+eps) "
            "in red; bottom: the loss surface with the GD paths and the set of global minima."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table, geometry = tables["curves"], tables["landscape"]
        colors = style["colors"]
        noises = settings["noise_levels"]
        figure = plt.figure(figsize=(20, 10))
        for column, noise in enumerate(noises):
            panel = _panel(noise)
            ax = figure.add_subplot(2, len(noises), column + 1)
            epoch, predicted = wide(table, panel=panel, source="theory", quantity="mapping")
            ax.plot(epoch, predicted, color=colors["theory"], label="Theory")
            epoch, simulated = wide(table, panel=panel, source="simulation", quantity="mapping")
            ax.plot(epoch, simulated, "--", color=colors["simulation"], label="Simulation")
            target = select(table, panel=panel, quantity="fixed_point")["value"].iloc[0]
            ax.axhline(target, color=colors["fixed_point"], linestyle="-.", linewidth=2)
            ax.set_title(rf"$\epsilon = {noise:g}$", fontsize=15)
            ax.set_xlabel("Epoch", fontsize=15)
            ax.set_ylabel("w", fontsize=15)
            if column == 0:
                legend_once(ax)
            ax3 = figure.add_subplot(
                2, len(noises), len(noises) + column + 1, projection="3d", computed_zorder=False
            )  # paths stay above the surface
            self._draw_surface(ax3, geometry, table, panel, colors)
            if column == 0:
                legend_once(ax3)
        return figure

    @staticmethod
    def _draw_surface(ax3, geometry: pd.DataFrame, table: pd.DataFrame, panel: str, colors):
        plt = pyplot()
        w1, w2, surface = landscape.grid_arrays(geometry, panel)
        with np.errstate(invalid="ignore", divide="ignore"):
            shade = np.log(surface - _LOG_OFFSET)
        # Colour each grid cell by the shade at its first corner through a colour map: the
        # same colours as passing them as facecolors, which matplotlib converts one cell at a
        # time (seconds per panel), instead of once for the whole array.
        cells = ax3.plot_surface(
            w1,
            w2,
            surface,
            cmap=plt.get_cmap("jet"),
            norm=plt.Normalize(*_LOG_RANGE),
            shade=False,
            rstride=1,
            cstride=1,
            linewidth=0,
            antialiased=False,
            # one image in the PDF instead of a polygon per grid cell: the PDF of Fig. 1 is
            # saved several times faster and weighs less; the PNG is unchanged
            rasterized=True,
        )
        cells.set_array(shade[:-1, :-1].ravel())
        ax3.scatter([0], [0], [0], color="red", marker="*", s=40, label="Saddle point")
        for piece in landscape.points(geometry, panel):
            ax3.plot(piece["w1"], piece["w2"], 0.0, color="cyan", label="Manifold of global minima")
        _, w1_path = wide(table, panel=panel, source="simulation", quantity="w1")
        _, w2_path = wide(table, panel=panel, source="simulation", quantity="w2")
        _, loss_path = wide(table, panel=panel, source="simulation", quantity="loss")
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


FIGURE = Fig1()

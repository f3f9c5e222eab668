"""Fig. 4: scalar DAE (noise, top row) vs WDAE with the matched decay (bottom row).

Columns: the loss landscape with its gradient field, the set of global minima and the GD
paths; the mapping w2 w1 against the epoch; the weight norm against the epoch. Run 0 is the
small balanced init (magenta), runs 1..R random inits with seeds stride*k.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import landscape, theory
from ..claims import Claim, final_values, measured_max, measured_spread
from ..lazy import lazy_import
from ..scalar import (
    gradient_descent,
    gradient_flow_mapping,
    legacy_uniform_inits,
    trajectory_rows,
)
from ..tables import assemble, rows, select
from .base import LandscapeFigure, Settings, Tables, note
from .drawing import pyplot, wide

np = lazy_import("numpy")
pd = lazy_import("pandas")

_PANELS = ("noise", "weight_decay")
_HALF_WIDTH = 2.0


def _models(settings: Settings) -> list[tuple[str, str, float, float]]:
    """(panel, model, noise, decay) of the two rows: the noise and its matched decay."""
    level = settings["noise"]
    decay = float(theory.matched_weight_decay(settings["lam"], level))
    return [("noise", "DAE", level, 0.0), ("weight_decay", "WDAE", 0.0, decay)]


class Fig4(LandscapeFigure):
    stem, title, family = "fig4", "Fig. 4", "4"
    gist = (
        "Weight decay drives every run to one weight norm; with noise the final norm "
        "depends on the init."
    )

    @staticmethod
    def _inits(params: Settings) -> tuple[np.ndarray, np.ndarray]:
        seeds = params["seed_stride"] * np.arange(1, params["random_runs"] + 1)
        w1_rand, w2_rand = legacy_uniform_inits(seeds, params["init_range"])
        small = [params["small_init"]]
        return np.concatenate([small, w1_rand]), np.concatenate([small, w2_rand])

    def curve_table(self, params: Settings, variant: str) -> pd.DataFrame:
        lam, lr, epochs = params["lam"], params["lr"], params["epochs"]
        w1_0, w2_0 = self._inits(params)
        runs = np.arange(len(w1_0))
        epoch = np.arange(epochs + 1)
        parts = []
        for panel, model, noise, decay in _models(params):
            labels = dict(panel=panel, lam=lam, noise=noise, decay=decay, lr=lr)
            trajectory = gradient_descent(w1_0, w2_0, lam, noise, decay, lr, epochs)
            parts += trajectory_rows(trajectory, model=model, **labels)
            theory_labels = dict(source="theory", model=model, **labels)
            target = float(theory.fixed_point(lam, noise, decay))
            parts.append(rows([target], quantity="fixed_point", **theory_labels))
            c = 0.0 if model == "WDAE" else theory.conserved_quantity(w1_0, w2_0)
            limit = np.broadcast_to(theory.final_weight_norm(c, lam, noise, decay), runs.shape)
            parts.append(rows(limit[None, :], quantity="norm_limit", run=runs, **theory_labels))
            if variant == "corrected":
                if model == "DAE":
                    mapping = theory.unbalanced_mode_strength(
                        epoch[:, None], w1_0, w2_0, lam, noise, lr
                    )
                else:
                    mapping = np.column_stack(
                        [
                            gradient_flow_mapping(a, b, lam, noise, decay, lr, epoch.astype(float))
                            for a, b in zip(w1_0, w2_0, strict=True)
                        ]
                    )
                parts.append(rows(mapping, epoch, quantity="mapping", run=runs, **theory_labels))
        return assemble(parts)

    def landscape_table(self, params: Settings, variant: str) -> pd.DataFrame:
        lam = params["lam"]
        w1, w2 = landscape.square_grid(_HALF_WIDTH, 100)
        parts = []
        for panel, _model, noise, decay in _models(params):
            loss = theory.scalar_loss(w1, w2, lam, noise, decay)
            parts += [
                landscape.surface_rows(panel, w1, w2, loss),
                landscape.gradient_rows(panel, w1, w2, loss, stride=5),
            ]
            target = float(theory.fixed_point(lam, noise, decay))
            if variant == "faithful":  # the authors' thresholded grid, drawn as a scatter
                near = landscape.thresholded_minima(lam, noise, decay, 1000, _HALF_WIDTH)
                parts.append(landscape.minimum_rows(panel, [np.column_stack(near)], "points"))
            elif decay == 0:
                parts.append(landscape.minimum_rows(panel, landscape.hyperbola(target, 2.0)))
            else:  # the WDAE minimum set is the two points +-(sqrt u*, sqrt u*)
                corner = np.sqrt(target)
                pair = np.array([[corner, corner], [-corner, -corner]])
                parts.append(landscape.minimum_rows(panel, [pair], "markers"))
        return pd.concat(parts, ignore_index=True)

    def differences(self, settings: Settings) -> list[dict[str, str]]:
        return [
            note(
                "minimum set",
                "thresholded 1000x1000 grid scatter (nearly invisible for the WDAE)",
                "exact hyperbola w1 w2 = u* (noise) or the two points +-(sqrt u*, sqrt u*) "
                "(weight decay)",
            ),
            note(
                "theory",
                "simulation only",
                "thin black lines: S11 (noise row), integrated S5 gradient flow (decay row)",
            ),
            note(
                "norm limits",
                "not drawn",
                "dotted lines: sqrt(2 u*) (weight decay) and (c^2 + 4 u*^2)^(1/4) per run (noise)",
            ),
        ]

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        table = tables["curves"]
        noise = select(table, panel="noise", source="simulation")
        decay = select(table, panel="weight_decay", source="simulation")
        limit = float(select(table, panel="weight_decay", quantity="norm_limit")["value"].iloc[0])
        fixed = float(select(table, quantity="fixed_point")["value"].iloc[0])
        wdae_norms = final_values(select(decay, quantity="weight_norm"), ["run"])
        dae_norms = final_values(select(noise, quantity="weight_norm"), ["run"])
        finals = pd.concat(
            [
                final_values(select(noise, quantity="mapping"), ["run"]),
                final_values(select(decay, quantity="mapping"), ["run"]),
            ]
        )
        return [
            Claim(
                "4",
                variant,
                "decay_fixes_the_norm",
                "Weight decay drives every run to one weight norm sqrt(2u*): max |final norm - "
                f"{limit:.4f}| over the WDAE runs",
                measured_max(np.abs(wdae_norms - limit)),
                "<=",
                thresholds["norm_gap"],
            ),
            Claim(
                "4",
                variant,
                "noise_norm_depends_on_init",
                "With noise the final norm depends on the init: spread (max - min) of the DAE "
                "runs' final norms",
                measured_spread(dae_norms),
                ">=",
                thresholds["norm_spread"],
            ),
            Claim(
                "4",
                variant,
                "same_fixed_point",
                f"Both rows reach the fixed point u* = {fixed:.4f}: max |final w2 w1 - u*|",
                measured_max(np.abs(finals - fixed)),
                "<=",
                thresholds["fixed_point_gap"],
            ),
        ]

    def description(self, settings: Settings) -> str:
        decay = float(theory.matched_weight_decay(settings["lam"], settings["noise"]))
        return (
            f"Scalar DAE (top, eps = {settings['noise']:g}) vs WDAE with the matched decay "
            f"(bottom, gamma = {decay:.4g}) at lambda = {settings['lam']:g}: loss landscape "
            f"with GD paths ({settings['random_runs']} random inits, {settings['epochs']} "
            "steps), the mapping w2 w1 and the weight norm; magenta is the small-init run."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table, geometry, colors = tables["curves"], tables["landscape"], style["colors"]
        figure, axes = plt.subplots(2, 3, figsize=(24, 8))
        for row, panel in enumerate(_PANELS):
            curves = select(table, panel=panel)
            landscape_ax, paths, norms = axes[row]
            self._draw_landscape(figure, landscape_ax, geometry, panel)
            epoch, w1_path = wide(curves, source="simulation", quantity="w1")
            _, w2_path = wide(curves, source="simulation", quantity="w2")
            _, mapping = wide(curves, source="simulation", quantity="mapping")
            _, norm = wide(curves, source="simulation", quantity="weight_norm")
            for run in range(w1_path.shape[1]):
                path_color = colors["small_init"] if run == 0 else colors["simulation"]
                norm_color = colors["small_init"] if run == 0 else colors["norm"]
                landscape_ax.plot(w1_path[:, run], w2_path[:, run], "--", color=path_color)
                paths.plot(epoch, mapping[:, run], "--", color=path_color)
                norms.plot(epoch, norm[:, run], color=norm_color, linewidth=2)
            landscape_ax.set_xlim(-2, 2)
            landscape_ax.set_ylim(-2, 2)
            target = select(curves, quantity="fixed_point")["value"].iloc[0]
            paths.axhline(target, color=colors["fixed_point"], linestyle="-.", linewidth=2)
            if variant == "corrected":
                epoch_theory, mapping_theory = wide(curves, source="theory", quantity="mapping")
                paths.plot(epoch_theory, mapping_theory, color="black", linewidth=0.7)
                limits = select(curves, quantity="norm_limit")["value"].to_numpy()
                for limit in np.unique(np.round(limits, 12)):
                    norms.axhline(limit, color="black", linestyle=":", linewidth=1)
            paths.set_xlabel("Epoch", fontsize=12)
            paths.set_ylabel(r"$w_2 \cdot w_1$", fontsize=12)
            norms.set_xlabel("Epoch", fontsize=12)
            norms.set_ylabel("Weight norm", fontsize=12)
        return figure

    @staticmethod
    def _draw_landscape(figure, ax, geometry: pd.DataFrame, panel: str) -> None:
        _, _, loss = landscape.grid_arrays(geometry, panel)
        image = ax.imshow(loss, extent=(-2, 2, -2, 2), origin="lower", cmap="coolwarm")
        figure.colorbar(image, ax=ax).set_label("Loss", fontsize=15)
        field = geometry[(geometry["panel"] == panel) & (geometry["quantity"] == "gradient")]
        ax.quiver(field["w1"], field["w2"], field["d_w1"], field["d_w2"])
        for piece in landscape.points(geometry, panel):
            kind = piece["shape"].iloc[0]
            if kind == "points":
                ax.scatter(piece["w1"], piece["w2"], s=0.1, color="cyan")
            elif kind == "markers":
                ax.plot(piece["w1"], piece["w2"], "o", color="cyan")
            else:
                ax.plot(piece["w1"], piece["w2"], color="cyan", linewidth=2)
        ax.plot(0, 0, "*", color="red", markersize=10)
        ax.set_xlabel(r"$w_1$", fontsize=15)
        ax.set_ylabel(r"$w_2$", fontsize=15)


FIGURE = Fig4()

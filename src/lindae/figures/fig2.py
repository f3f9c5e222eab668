"""Fig. 2: noise (DAE, top) vs the matched weight decay (WDAE, bottom), closed form S7.

One column per eigenvalue lambda; within a column one curve per noise level eps, and below it
the WDAE with the weight decay gamma = lambda eps / (lambda + eps) that has the same fixed point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .. import theory
from ..claims import Claim, half_time, measured_count, measured_max
from ..lazy import lazy_import
from ..tables import assemble, check_variant, rows, select
from .base import Figure, Settings, Tables, note
from .drawing import pyplot, shade

np = lazy_import("numpy")
pd = lazy_import("pandas")


class Fig2(Figure):
    stem, title, family = "fig2", "Fig. 2", "2"
    gist = (
        "Noise and the matched weight decay reach the same plateau, but weight decay gets "
        "there later, much later for small lambda."
    )

    @staticmethod
    def _lams(params: Settings, variant: str) -> list[float]:
        lams = list(params["lams"])
        if variant == "corrected" and params["show_dropped_lam"]:
            lams.append(params["dropped_lam"])
        return lams

    def tables(self, inputs, settings, variant) -> dict[str, pd.DataFrame]:
        check_variant(variant)
        epoch = np.arange(settings["epochs"])
        lr, u0 = settings["lr"], settings["u0"]
        parts = []
        for lam in self._lams(settings, variant):
            for noise in np.asarray(settings["noise_levels"], dtype=np.float64):
                decay = float(theory.matched_weight_decay(lam, noise))
                for model, n, g in (("DAE", noise, 0.0), ("WDAE", 0.0, decay)):
                    curve = theory.mode_strength(epoch, lam, n, g, lr, u0)
                    parts.append(
                        rows(
                            curve,
                            epoch,
                            panel=f"lam={lam:g}",
                            source="theory",
                            model=model,
                            quantity="mapping",
                            lam=lam,
                            noise=noise,
                            decay=decay,
                            lr=lr,
                        )
                    )
        return {"curves": assemble(parts)}

    def differences(self, settings: Settings) -> list[dict[str, str]]:
        dropped = settings["dropped_lam"]
        return [
            note(
                "alpha range",
                "weight-decay rows shaded by raw gamma, clipped to [0, 1] "
                "(gamma = 1.047 at lam = 2.5, eps = 1.8)",
                "both rows shaded by eps / max(eps), so matched pairs share a shade",
            ),
            note(
                "invisible baseline",
                "eps = 0 curves drawn with alpha 0",
                "a minimum alpha (style.corrected_min_alpha) keeps them visible",
            ),
            note(
                "dropped column",
                f"lam = {dropped:g} silently dropped by zip",
                f"lam = {dropped:g} drawn as a fourth column"
                if settings["show_dropped_lam"]
                else "still omitted (config fig2.show_dropped_lam: false)",
            ),
        ]

    def claims(self, tables: Tables, settings, thresholds: Mapping[str, float], variant):
        late, pairs, spreads = 0, 0, []
        for _, panel in tables["curves"].groupby("panel"):
            dae, wdae = select(panel, model="DAE"), select(panel, model="WDAE")
            lam = float(panel["lam"].iloc[0])
            rates = []
            for noise, curve in dae.groupby("noise"):
                curve = curve.sort_values("epoch")
                epochs, values = curve["epoch"].to_numpy(), curve["value"].to_numpy()
                plateau = float(theory.fixed_point(lam, noise))
                # Early growth rate d ln u / dt while u < 1% of the plateau (onset).
                early = values < 0.01 * plateau
                stop = int(np.argmin(early)) if not early.all() else len(values)
                stop = max(stop // 2, 2)
                rates.append(np.log(values[stop - 1] / values[0]) / (epochs[stop - 1] - epochs[0]))
                if noise > 0:
                    decay = float(theory.matched_weight_decay(lam, noise))
                    matched = wdae[np.isclose(wdae["decay"], decay)].sort_values("epoch")
                    pairs += 1
                    t_dae = half_time(epochs, values, 0.5 * plateau)
                    t_wdae = half_time(
                        matched["epoch"].to_numpy(), matched["value"].to_numpy(), 0.5 * plateau
                    )
                    late += int(t_dae > t_wdae or not math.isfinite(t_dae))
            rates = np.asarray(rates)
            spreads.append(float((rates.max() - rates.min()) / rates.max()))
        return [
            Claim(
                "2",
                variant,
                "dae_reaches_plateau_first",
                f"For every matched (lambda, eps > 0) pair ({pairs} pairs) the DAE reaches half "
                "its plateau no later than the WDAE: number of pairs where it does not",
                measured_count(late, pairs),
                "<=",
                0.0,
            ),
            Claim(
                "2",
                variant,
                "noise_keeps_onset",
                "Noise does not delay the onset: relative spread across noise levels of the "
                "early growth rate d ln u/dt (u < 1% of the plateau), worst lambda",
                measured_max(spreads),
                "<=",
                thresholds["onset_spread"],
            ),
        ]

    def description(self, settings: Settings) -> str:
        lams = ", ".join(f"{lam:g}" for lam in settings["lams"])
        levels = ", ".join(f"{noise:g}" for noise in settings["noise_levels"])
        return (
            "Closed-form dynamics of the DAE (top, noise eps) and of the WDAE with the matched "
            "weight decay gamma = lambda eps/(lambda+eps) (bottom), one column per eigenvalue "
            f"lambda = {lams}, noise levels eps = {levels} (lr = {settings['lr']:g}, "
            f"{settings['epochs']} epochs); darker curves mean more regularisation."
        )

    def plot(self, tables: Tables, settings, style, variant):
        plt = pyplot()
        table, colors = tables["curves"], style["colors"]
        panels = list(table["panel"].unique())
        figure, axes = plt.subplots(
            2, len(panels), figsize=(4 * len(panels), 4), sharex=True, sharey=True, squeeze=False
        )
        top_noise = table["noise"].max()
        for column, panel in enumerate(panels):
            curves = select(table, panel=panel)
            for row, (model, color) in enumerate(
                (("DAE", colors["dae"]), ("WDAE", colors["wdae"]))
            ):
                ax = axes[row, column]
                for (noise, decay), curve in select(curves, model=model).groupby(
                    ["noise", "decay"]
                ):
                    alpha = shade(model, noise, decay, top_noise, variant, style)
                    ax.plot(curve["epoch"], curve["value"], color=color, alpha=alpha)
                ax.set_ylim(0, 1.1)
                if row == 1:
                    ax.set_xlabel("t (epoch)")
                if column == 0:
                    ax.set_ylabel(r"$w(t, \lambda)$")
            axes[0, column].set_title(rf"$\lambda = {curves['lam'].iloc[0]:g}$")
        for row, label in enumerate(("Noise", "Weight decay")):
            axes[row, -1].text(
                1.03,
                0.5,
                label,
                rotation=90,
                va="center",
                ha="left",
                transform=axes[row, -1].transAxes,
            )
        return figure


FIGURE = Fig2()

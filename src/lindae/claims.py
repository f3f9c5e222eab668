"""Each figure's claim (PAPER.md section 0 and the section 3 caption gists) as a check on its data.

Every check reads the long-form tables the figure rules write (``figN[_corrected].csv``, the
agreement tables) and returns :class:`Claim` rows: the statement, the value measured on the data,
the threshold, the relation between them and the verdict. A failed claim is a result, not an
error: :func:`evaluate_claims` always returns every row, so one failing figure never hides the
others. Thresholds come from ``claims:`` in the config (see ``DEFAULT_THRESHOLDS``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Claim",
    "DEFAULT_THRESHOLDS",
    "CLAIM_COLUMNS",
    "evaluate_claims",
    "claims_frame",
    "half_time",
]

CLAIM_COLUMNS = [
    "figure",
    "variant",
    "claim_id",
    "claim",
    "measured",
    "relation",
    "threshold",
    "passed",
]

# The defaults of ``claims:`` in config/config.yaml (kept in step by a test).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "fig1_max_gap": 0.2,
    "fixed_point_gap": 0.05,
    "onset_spread": 0.05,
    "coincide": 1e-12,
    "norm_gap": 0.05,
    "norm_spread": 0.1,
    "fig5_rms_gap": 0.1,
    "fig5_min_eigenvalue": 1.0,
    "killed_fraction": 0.05,
    "learned": 0.5,
    "fig6_top_mode": 0.9,
    "fig6_wdae_gap": 0.05,
    "converged": 0.01,
}


@dataclass(frozen=True)
class Claim:
    """One machine-checked claim: ``measured <relation> threshold`` decides ``passed``."""

    figure: str
    variant: str
    claim_id: str
    claim: str
    measured: float
    relation: str  # "<=" or ">="
    threshold: float

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.measured):
            return False
        if self.relation == "<=":
            return self.measured <= self.threshold
        return self.measured >= self.threshold

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def claims_frame(claims: list[Claim]) -> pd.DataFrame:
    """The rows of ``results/claims.csv``, in ``CLAIM_COLUMNS`` order."""
    return pd.DataFrame([c.row() for c in claims], columns=CLAIM_COLUMNS)


def half_time(epochs: np.ndarray, values: np.ndarray, level: float) -> float:
    """First epoch at which ``values`` reaches ``level`` (inf if it never does)."""
    reached = np.flatnonzero(values >= level)
    return float(epochs[reached[0]]) if reached.size else math.inf


def _curves(table: pd.DataFrame, **selection: Any) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for column, value in selection.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def _final(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Value at the last recorded epoch of each curve identified by ``keys``."""
    last = rows.sort_values("epoch").groupby(keys, sort=True).tail(1)
    return last.set_index(keys)["value"]


# --- Figs 1-4: synthetic / theory -----------------------------------------------------------


def fig1_claims(table: pd.DataFrame, variant: str, t: Mapping[str, float]) -> list[Claim]:
    gaps, ends = [], []
    for _panel, rows in table.groupby("panel"):
        theory = _curves(rows, source="theory", quantity="mapping")
        simulation = _curves(rows, source="simulation", quantity="mapping")
        fixed = float(_curves(rows, quantity="fixed_point")["value"].iloc[0])
        # one theory curve per init (S11 depends on it), matched on the common epochs
        joined = simulation.merge(theory[["epoch", "run", "value"]], on=["epoch", "run"])
        gaps.append(float(np.max(np.abs(joined["value_x"] - joined["value_y"]))))
        ends.append(float(np.median(np.abs(_final(simulation, ["run"]) - fixed))))
    return [
        Claim(
            "1",
            variant,
            "theory_predicts_gd",
            "The closed form (S11) predicts gradient descent from every init: "
            "max |GD - theory| over runs, epochs and noise levels",
            max(gaps),
            "<=",
            t["fig1_max_gap"],
        ),
        Claim(
            "1",
            variant,
            "noise_moves_fixed_point",
            "Noise moves the fixed point to lambda/(lambda+eps): median over runs of |final "
            "w2 w1 - lambda/(lambda+eps)|, worst noise level (inits near the saddle are slower)",
            max(ends),
            "<=",
            t["fixed_point_gap"],
        ),
    ]


def fig2_claims(table: pd.DataFrame, variant: str, t: Mapping[str, float]) -> list[Claim]:
    late, pairs, spreads = 0, 0, []
    for _, rows in table.groupby("panel"):
        dae = _curves(rows, model="DAE")
        wdae = _curves(rows, model="WDAE")
        lam = float(rows["lam"].iloc[0])
        rates = []
        for noise, curve in dae.groupby("noise"):
            curve = curve.sort_values("epoch")
            epochs, values = curve["epoch"].to_numpy(), curve["value"].to_numpy()
            plateau = lam / (lam + noise)
            # Early growth rate d ln u / dt while u < 1% of the plateau (onset).
            early = values < 0.01 * plateau
            stop = int(np.argmin(early)) if not early.all() else len(values)
            stop = max(stop // 2, 2)
            rates.append(np.log(values[stop - 1] / values[0]) / (epochs[stop - 1] - epochs[0]))
            if noise > 0:
                matched = wdae[np.isclose(wdae["decay"], lam * noise / (lam + noise))]
                matched = matched.sort_values("epoch")
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
            float(late),
            "<=",
            0.0,
        ),
        Claim(
            "2",
            variant,
            "noise_keeps_onset",
            "Noise does not delay the onset: relative spread across noise levels of the early "
            "growth rate d ln u/dt (u < 1% of the plateau), worst lambda",
            max(spreads),
            "<=",
            t["onset_spread"],
        ),
    ]


def fig3_claims(
    table: pd.DataFrame, variant: str, t: Mapping[str, float], wdae_rule: str = "hessian"
) -> list[Claim]:
    ratio = _curves(table, quantity="learning_rate_ratio")["value"]
    difference = _curves(table, quantity="mapping_difference")["value"]
    claims = [
        Claim(
            "3",
            variant,
            "dae_needs_smaller_step",
            "The DAE needs a smaller step: max over eps of (DAE rate / WDAE rate)",
            float(ratio.max()),
            "<=",
            1.0,
        )
    ]
    if variant == "faithful":
        claims.append(
            Claim(
                "3",
                variant,
                "dae_learns_faster",
                "With the notebook's rates the DAE still learns faster: min over t and eps of "
                "DAE - WDAE",
                float(difference.min()),
                ">=",
                -t["coincide"],
            )
        )
    elif wdae_rule == "hessian":
        claims.append(
            Claim(
                "3",
                variant,
                "curves_coincide",
                "Under one consistent rate rule 1/(2 lambda + gamma) the DAE and WDAE coincide "
                "(no speed advantage): max |DAE - WDAE|",
                float(difference.abs().max()),
                "<=",
                t["coincide"],
            )
        )
    return claims


def fig4_claims(table: pd.DataFrame, variant: str, t: Mapping[str, float]) -> list[Claim]:
    noise = _curves(table, panel="noise", source="simulation")
    decay = _curves(table, panel="weight_decay", source="simulation")
    limit = float(_curves(table, panel="weight_decay", quantity="norm_limit")["value"].iloc[0])
    fixed = float(_curves(table, quantity="fixed_point")["value"].iloc[0])
    wdae_norms = _final(_curves(decay, quantity="weight_norm"), ["run"])
    dae_norms = _final(_curves(noise, quantity="weight_norm"), ["run"])
    finals = pd.concat(
        [
            _final(_curves(noise, quantity="mapping"), ["run"]),
            _final(_curves(decay, quantity="mapping"), ["run"]),
        ]
    )
    return [
        Claim(
            "4",
            variant,
            "decay_fixes_the_norm",
            "Weight decay drives every run to one weight norm sqrt(2u*): max |final norm - "
            f"{limit:.4f}| over the WDAE runs",
            float(np.max(np.abs(wdae_norms - limit))),
            "<=",
            t["norm_gap"],
        ),
        Claim(
            "4",
            variant,
            "noise_norm_depends_on_init",
            "With noise the final norm depends on the init: spread (max - min) of the DAE "
            "runs' final norms",
            float(dae_norms.max() - dae_norms.min()),
            ">=",
            t["norm_spread"],
        ),
        Claim(
            "4",
            variant,
            "same_fixed_point",
            f"Both rows reach the fixed point u* = {fixed:.4f}: max |final w2 w1 - u*|",
            float(np.max(np.abs(finals - fixed))),
            "<=",
            t["fixed_point_gap"],
        ),
    ]


# --- Figs 5-6: real data --------------------------------------------------------------------


def fig5_claims(
    agreement: pd.DataFrame, table: pd.DataFrame, decay: float, t: Mapping[str, float]
) -> list[Claim]:
    """Fig. 5 claims on the agreement table and the corrected figure's projections."""
    models = agreement[agreement["model"].isin(["AE", "WDAE", "DAE"])]
    plotted = models[models["plotted"].astype(bool)]
    strong = plotted[plotted["eigenvalue"] >= t["fig5_min_eigenvalue"]]
    claims = [
        Claim(
            "5",
            "corrected",
            "theory_tracks_runs",
            "The per-mode theory tracks the trained linear models: RMS over time of |theory - "
            f"v_i^T W v_i|, worst plotted mode with lambda_bar >= {t['fig5_min_eigenvalue']:g} "
            f"({len(strong)} curves)",
            float(strong["rms_difference"].max()) if len(strong) else math.nan,
            "<=",
            t["fig5_rms_gap"],
        )
    ]
    killed = models[(models["model"] == "WDAE") & (models["eigenvalue"] < decay)]
    claims.append(
        Claim(
            "5",
            "corrected",
            "decay_kills_small_modes",
            f"Weight decay kills the modes with lambda_bar < gamma = {decay:g} "
            f"({len(killed)} modes <= H): max final |v_i^T W v_i| of the WDAE (the AE's "
            "plateau is 1)",
            float(killed["final_projection"].abs().max()) if len(killed) else math.nan,
            "<=",
            t["killed_fraction"],
        )
    )
    projections = _curves(table, source="simulation", quantity="projection")
    late, lowered, count = 0, [], 0
    for (dataset, _mode), rows in projections.groupby(["dataset", "run"]):
        ae = _curves(rows, model="AE", panel=f"{dataset}/weight_decay").sort_values("epoch")
        wdae = _curves(rows, model="WDAE").sort_values("epoch")
        dae = _curves(rows, model="DAE").sort_values("epoch")
        if float(ae["value"].iloc[-1]) < t["learned"]:
            continue  # half of an unlearned mode's value is within the init's scatter
        level = 0.5 * float(ae["value"].iloc[-1])
        count += 1
        late += int(
            half_time(wdae["epoch"].to_numpy(), wdae["value"].to_numpy(), level)
            < half_time(ae["epoch"].to_numpy(), ae["value"].to_numpy(), level)
        )
        lowered.append(float(dae["value"].iloc[-1] / ae["value"].iloc[-1]))
    claims += [
        Claim(
            "5",
            "corrected",
            "decay_delays_learning",
            f"Weight decay delays learning: of the {count} plotted modes the AE has learned "
            f"(final >= {t['learned']:g}), those where the WDAE reaches half the AE's final "
            "value before the AE does",
            float(late),
            "<=",
            0.0,
        ),
        Claim(
            "5",
            "corrected",
            "noise_lowers_plateaus",
            "Noise lowers the plateaus: max of final DAE / final AE over the same "
            f"{len(lowered)} modes",
            max(lowered) if lowered else math.nan,
            "<=",
            1.0,
        ),
    ]
    return claims


def fig6_claims(
    table: pd.DataFrame,
    variant: str,
    t: Mapping[str, float],
    agreement: pd.DataFrame | None = None,
) -> list[Claim]:
    simulation = _curves(table, source="simulation", quantity="mapping")
    finals = _final(simulation, ["dataset", "model", "run"])
    ae, wdae, dae = (finals.xs(model, level="model") for model in ("AE", "WDAE", "DAE"))
    top = ae.xs(1, level="run")
    learned = ae >= t["learned"]  # compare plateaus only where the AE has learned the mode
    claims = [
        Claim(
            "6",
            variant,
            "ae_learns_top_direction",
            "The ReLU AE learns the top eigen-direction: min over datasets of its final "
            "mapping on mode 1",
            float(top.min()),
            ">=",
            t["fig6_top_mode"],
        ),
        Claim(
            "6",
            variant,
            "decay_shrinks_mapping",
            "As in the linear theory, weight decay shrinks the mapping: max of final WDAE / "
            f"final AE over the {int(learned.sum())} modes the AE has learned",
            float((wdae / ae)[learned].max()),
            "<=",
            1.0,
        ),
        Claim(
            "6",
            variant,
            "noise_lowers_mapping",
            "As in the linear theory, noise lowers the mapping: max of final DAE / final AE "
            f"over the {int(learned.sum())} modes the AE has learned",
            float((dae / ae)[learned].max()),
            "<=",
            1.0,
        ),
    ]
    if agreement is not None:
        # Compare with the fixed point only where the effective theory itself has converged by
        # the last epoch (within ``converged``); earlier modes are still rising there.
        theory = _final(_curves(table, source="theory", model="WDAE"), ["dataset", "run"])
        rows = agreement[agreement["model"] == "WDAE"].set_index(["dataset", "mode"])
        gap = (theory.reindex(rows.index) - rows["linear_fixed_point"]).abs()
        rows = rows[(gap < t["converged"]).to_numpy()].reset_index()
        claims.append(
            Claim(
                "6",
                variant,
                "wdae_matches_effective_theory",
                "Beyond the paper: on the modes where the effective linear theory has converged "
                f"({len(rows)} of {int((agreement['model'] == 'WDAE').sum())} modes), it ends "
                "at the linear theory's fixed point with the effective parameters of PAPER.md "
                "section 4: max |final - fixed point|",
                float(np.max(np.abs(rows["final_metric"] - rows["linear_fixed_point"])))
                if len(rows)
                else math.nan,
                "<=",
                t["fig6_wdae_gap"],
            )
        )
    return claims


Loader = Callable[[str], pd.DataFrame]


def evaluate_claims(
    tables: Mapping[str, str],
    thresholds: Mapping[str, float] | None = None,
    *,
    fig3_wdae_rule: str = "hessian",
    fig5_decay: float = 0.5,
    read: Loader = pd.read_csv,
) -> list[Claim]:
    """Every claim whose data is in ``tables`` (name -> CSV path).

    Names are the figure stems (``fig1``, ``fig1_corrected``, ...) and ``fig5_agreement`` /
    ``fig6_agreement``. A check that cannot run on its data (a missing column, an empty
    selection) yields a failed claim with a NaN measurement rather than an exception.
    """
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    claims: list[Claim] = []

    def guarded(figure: str, variant: str, build: Callable[[], list[Claim]]) -> None:
        try:
            claims.extend(build())
        except (KeyError, IndexError, ValueError, ZeroDivisionError) as error:
            claims.append(
                Claim(
                    figure,
                    variant,
                    "data_readable",
                    f"The figure's data could be checked ({type(error).__name__}: {error})",
                    math.nan,
                    ">=",
                    0.0,
                )
            )

    simple = {"1": fig1_claims, "2": fig2_claims, "4": fig4_claims}
    for figure in "123456":
        for variant, stem in (
            ("faithful", f"fig{figure}"),
            ("corrected", f"fig{figure}_corrected"),
        ):
            if stem not in tables:
                continue
            path = tables[stem]
            if figure in simple:
                guarded(
                    figure, variant, lambda f=figure, v=variant, p=path: simple[f](read(p), v, t)
                )
            elif figure == "3":
                guarded(
                    figure,
                    variant,
                    lambda v=variant, p=path: fig3_claims(read(p), v, t, fig3_wdae_rule),
                )
            elif figure == "5" and variant == "corrected" and "fig5_agreement" in tables:
                guarded(
                    figure,
                    variant,
                    lambda p=path: fig5_claims(
                        read(tables["fig5_agreement"]), read(p), fig5_decay, t
                    ),
                )
            elif figure == "6":
                agreement = tables.get("fig6_agreement") if variant == "corrected" else None
                guarded(
                    figure,
                    variant,
                    lambda v=variant, p=path, a=agreement: fig6_claims(
                        read(p), v, t, read(a) if a else None
                    ),
                )
    return claims

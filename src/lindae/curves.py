"""The numbers behind Figs 1-4: one long-form table per figure and variant.

Each ``figN_table(params, variant)`` returns a :class:`pandas.DataFrame` with the columns of
:data:`COLUMNS`, one row per plotted point. ``params`` is the figure's section of the workflow
config (``config/config.yaml``); ``variant`` is ``"faithful"`` (the published figure) or
``"corrected"`` (PAPER.md section 3 fixes). Plotting only reads these tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.integrate import solve_ivp

from . import theory
from .scalar import gradient_descent, legacy_uniform_inits

VARIANTS = ("faithful", "corrected")

#: Columns of every figure table, in order. ``epoch`` is NaN where the x axis is not time
#: (Fig. 3 middle panel: x is ``noise``); ``run`` is -1 for curves that belong to no init.
COLUMNS = (
    "panel",
    "source",
    "model",
    "quantity",
    "lam",
    "noise",
    "decay",
    "lr",
    "run",
    "epoch",
    "value",
)


def check_variant(variant: str) -> str:
    """Return ``variant`` or raise a ValueError that lists the valid ones."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown figure variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return variant


def _rows(values: np.ndarray, epoch: np.ndarray | None = None, **labels: Any) -> pd.DataFrame:
    """Long-form rows for one curve (or a ``(time, run)`` block of curves)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n_points, n_runs = values.shape
    if epoch is None:
        epoch = np.full(n_points, np.nan)
    runs = np.asarray(labels.pop("run", np.full(n_runs, -1)))
    frame = pd.DataFrame(
        {
            "epoch": np.repeat(np.asarray(epoch, dtype=np.float64), n_runs),
            "run": np.tile(runs, n_points),
            "value": values.ravel(),
        }
    )
    for column, label in labels.items():
        frame[column] = label
    return frame


def _assemble(parts: list[pd.DataFrame]) -> pd.DataFrame:
    table = pd.concat(parts, ignore_index=True)
    for column in ("lam", "noise", "decay", "lr"):
        if column not in table:
            table[column] = np.nan
    return table[list(COLUMNS)]


def _simulation_rows(trajectory, panel: str, model: str, **labels: Any) -> list[pd.DataFrame]:
    epoch = np.arange(trajectory.w1.shape[0])
    runs = np.arange(trajectory.w1.shape[1])
    lam, noise, decay = labels["lam"], labels["noise"], labels["decay"]
    quantities = {
        "w1": trajectory.w1,
        "w2": trajectory.w2,
        "mapping": trajectory.mapping,
        "weight_norm": trajectory.weight_norm,
        "loss": theory.scalar_loss(trajectory.w1, trajectory.w2, lam, noise, decay),
    }
    return [
        _rows(
            values,
            epoch,
            panel=panel,
            source="simulation",
            model=model,
            quantity=name,
            run=runs,
            **labels,
        )
        for name, values in quantities.items()
    ]


def fig1_table(params: Mapping[str, Any], variant: str) -> pd.DataFrame:
    """Fig. 1: scalar DAE from 10 random inits; S11 theory vs GD, per noise level."""
    check_variant(variant)
    lam, lr, epochs = params["lam"], params["lr"], params["epochs"]
    seeds = params["seed_stride"] * np.arange(params["runs"])
    w1_0, w2_0 = legacy_uniform_inits(seeds, params["init_range"])
    parts = []
    for noise in params["noise_levels"]:
        panel = f"noise={noise:g}"
        labels = dict(lam=lam, noise=noise, decay=0.0, lr=lr)
        trajectory = gradient_descent(w1_0, w2_0, lam, noise, 0.0, lr, epochs)
        parts += _simulation_rows(trajectory, panel, "DAE", **labels)
        if variant == "faithful":  # authors' form on t = 0..epochs-1
            epoch = np.arange(epochs)
            mapping = theory.unbalanced_mode_strength_authors(
                epoch[:, None], w1_0, w2_0, lam, noise, lr
            )
        else:  # simulation grid, Riccati form with balanced fallback
            epoch = np.arange(epochs + 1)
            mapping = theory.unbalanced_mode_strength(epoch[:, None], w1_0, w2_0, lam, noise, lr)
        parts.append(
            _rows(
                mapping,
                epoch,
                panel=panel,
                source="theory",
                model="DAE",
                quantity="mapping",
                run=np.arange(len(seeds)),
                **labels,
            )
        )
        parts.append(
            _rows(
                [theory.fixed_point(lam, noise)],
                panel=panel,
                source="theory",
                model="DAE",
                quantity="fixed_point",
                **labels,
            )
        )
    return _assemble(parts)


def _noise_grid(params: Mapping[str, Any]) -> np.ndarray:
    return np.asarray(params["noise_levels"], dtype=np.float64)


def fig2_table(params: Mapping[str, Any], variant: str) -> pd.DataFrame:
    """Fig. 2: S7 for the DAE (noise) and the matched WDAE (weight decay), per lambda."""
    check_variant(variant)
    lams = list(params["lams"])
    if variant == "corrected" and params["show_dropped_lam"]:
        lams.append(params["dropped_lam"])
    epoch = np.arange(params["epochs"])
    lr, u0 = params["lr"], params["u0"]
    parts = []
    for lam in lams:
        for noise in _noise_grid(params):
            decay = float(theory.matched_weight_decay(lam, noise))
            for model, n, g in (("DAE", noise, 0.0), ("WDAE", 0.0, decay)):
                curve = theory.mode_strength(epoch, lam, n, g, lr, u0)
                parts.append(
                    _rows(
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
    return _assemble(parts)


def fig3_table(params: Mapping[str, Any], variant: str) -> pd.DataFrame:
    """Fig. 3: DAE vs WDAE at scaled "optimal" rates (S13), the rates, and their difference.

    Faithful: WDAE rate 1/(2 lam + gamma) in the middle panel, scale/(2 lam + 2 gamma) on the
    left and right (the notebook's inconsistency). Corrected: ``corrected_wdae_rule`` in all
    three panels.
    """
    check_variant(variant)
    lam, u0, scale = params["lam"], params["u0"], params["lr_scale"]
    epoch = np.arange(params["epochs"])
    if variant == "faithful":
        curve_rule, rate_rule = "notebook", "hessian"
    else:
        curve_rule = rate_rule = params["corrected_wdae_rule"]
    parts = []
    for noise in _noise_grid(params):
        decay = float(theory.matched_weight_decay(lam, noise))
        lr_dae = scale * float(theory.optimal_learning_rate_dae(lam, noise))
        lr_wdae = scale * float(theory.optimal_learning_rate_wdae(lam, decay, curve_rule))
        dae = theory.mode_strength(epoch, lam, noise, 0.0, lr_dae, u0)
        wdae = theory.mode_strength(epoch, lam, 0.0, decay, lr_wdae, u0)
        common = dict(source="theory", lam=lam, noise=noise, decay=decay)
        parts.append(
            _rows(
                dae, epoch, panel="dynamics", model="DAE", quantity="mapping", lr=lr_dae, **common
            )
        )
        parts.append(
            _rows(
                wdae,
                epoch,
                panel="dynamics",
                model="WDAE",
                quantity="mapping",
                lr=lr_wdae,
                **common,
            )
        )
        parts.append(
            _rows(
                dae - wdae,
                epoch,
                panel="difference",
                model="DAE-WDAE",
                quantity="mapping_difference",
                **common,
            )
        )
    grid = params["rate_grid"]
    noise = np.arange(grid["start"], grid["stop"], grid["step"])
    decay = theory.matched_weight_decay(lam, noise)
    rate_dae = theory.optimal_learning_rate_dae(lam, noise)
    rate_wdae = theory.optimal_learning_rate_wdae(lam, decay, rate_rule)
    for model, quantity, values in (
        ("DAE", "learning_rate", rate_dae),
        ("WDAE", "learning_rate", rate_wdae),
        ("ratio", "learning_rate_ratio", rate_dae / rate_wdae),
    ):
        frame = _rows(
            values, panel="rates", source="theory", model=model, quantity=quantity, lam=lam
        )
        frame["noise"], frame["decay"] = noise, decay
        parts.append(frame)
    return _assemble(parts)


def _gradient_flow(w1_0, w2_0, lam, noise, decay, lr, epoch) -> np.ndarray:
    """u(t) of the S5 gradient flow by adaptive integration (no closed form with decay)."""

    def rhs(_, w):
        grad_w1, grad_w2 = theory.scalar_loss_gradient(w[0], w[1], lam, noise, decay)
        return [-lr * grad_w1, -lr * grad_w2]

    solution = solve_ivp(
        rhs,
        (epoch[0], epoch[-1]),
        [w1_0, w2_0],
        method="DOP853",
        t_eval=epoch,
        rtol=1e-10,
        atol=1e-13,
    )
    if not solution.success:
        raise RuntimeError(f"gradient-flow integration failed: {solution.message}")
    return solution.y[0] * solution.y[1]


def fig4_table(params: Mapping[str, Any], variant: str) -> pd.DataFrame:
    """Fig. 4: scalar DAE (noise) vs matched WDAE (decay): paths, mapping and weight norms.

    Run 0 is the small balanced init; runs 1..R use seeds stride*k. Both variants carry the
    asymptotic norms of S12 (``norm_limit``); the corrected one adds theory curves.
    """
    check_variant(variant)
    lam, lr, epochs, noise_level = params["lam"], params["lr"], params["epochs"], params["noise"]
    seeds = params["seed_stride"] * np.arange(1, params["random_runs"] + 1)
    w1_rand, w2_rand = legacy_uniform_inits(seeds, params["init_range"])
    w1_0 = np.concatenate([[params["small_init"]], w1_rand])
    w2_0 = np.concatenate([[params["small_init"]], w2_rand])
    runs = np.arange(len(w1_0))
    decay_level = float(theory.matched_weight_decay(lam, noise_level))
    epoch = np.arange(epochs + 1)
    parts = []
    for panel, model, noise, decay in (
        ("noise", "DAE", noise_level, 0.0),
        ("weight_decay", "WDAE", 0.0, decay_level),
    ):
        labels = dict(lam=lam, noise=noise, decay=decay, lr=lr)
        parts += _simulation_rows(
            gradient_descent(w1_0, w2_0, lam, noise, decay, lr, epochs), panel, model, **labels
        )
        target = float(theory.fixed_point(lam, noise, decay))
        parts.append(
            _rows(
                [target],
                panel=panel,
                source="theory",
                model=model,
                quantity="fixed_point",
                **labels,
            )
        )
        c = 0.0 if model == "WDAE" else theory.conserved_quantity(w1_0, w2_0)
        limit = np.broadcast_to(theory.final_weight_norm(c, lam, noise, decay), runs.shape)
        parts.append(
            _rows(
                limit[None, :],
                panel=panel,
                source="theory",
                model=model,
                quantity="norm_limit",
                run=runs,
                **labels,
            )
        )
        if variant == "corrected":
            if model == "DAE":
                mapping = theory.unbalanced_mode_strength(
                    epoch[:, None], w1_0, w2_0, lam, noise, lr
                )
            else:
                mapping = np.column_stack(
                    [
                        _gradient_flow(a, b, lam, noise, decay, lr, epoch.astype(float))
                        for a, b in zip(w1_0, w2_0, strict=True)
                    ]
                )
            parts.append(
                _rows(
                    mapping,
                    epoch,
                    panel=panel,
                    source="theory",
                    model=model,
                    quantity="mapping",
                    run=runs,
                    **labels,
                )
            )
    return _assemble(parts)


TABLES = {1: fig1_table, 2: fig2_table, 3: fig3_table, 4: fig4_table}


def figure_table(figure: int, params: Mapping[str, Any], variant: str) -> pd.DataFrame:
    """Dispatch to ``fig{figure}_table``; raises a ValueError naming the valid figures."""
    if figure not in TABLES:
        raise ValueError(f"no data-free figure {figure!r}; valid: {sorted(TABLES)}")
    return TABLES[figure](params, variant)

"""What a config's settings would cost or blow up: the checks built on :mod:`lindae.limits`.

Part of what a JSON schema cannot express (:mod:`lindae.workflow.config_checks` runs these
last, on a config whose keys agree): tables and jobs within the memory a job may use
(:func:`size_problems`), PNGs matplotlib can render (:func:`image_problems`) and, for Figs 1
and 4, gradient descent from the configured inits that stays finite and the authors' closed
form S11 that does not overflow (:func:`descent_problems`). Each line names the key that is
too large and the value that fits. Never imports snakemake, numpy or pandas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lindae import limits
from lindae.workflow.config_datasets import configured_facts

__all__ = ["size_problems", "image_problems", "descent_problems"]


def descent_problems(config: Mapping[str, Any]) -> list[str]:
    """Figs 1 and 4: gradient descent from the configured inits stays finite, and (Fig. 1,
    faithful) the authors' S11 does not overflow within the epochs drawn."""
    problems = []
    fig1, fig4 = config["fig1"], config["fig4"]
    # one budget of simulated steps for the whole check, whatever the number of noise levels
    budget = limits.STEP_BUDGET // (len(fig1["noise_levels"]) + 2)
    inits = limits.scalar_inits(
        (fig1["seed_stride"] * k for k in range(fig1["runs"])), fig1["init_range"]
    )
    for noise in fig1["noise_levels"]:
        where = f"noise level {noise:g}"
        problem = _descent_problem("fig1", fig1, inits, noise, 0.0, where, budget)
        if problem:
            problems.append(problem)
            break
    if "faithful" in config["variants"]:
        last = min(
            limits.authors_s11_last_finite_epoch(w1, w2, fig1["lam"], noise, fig1["lr"])
            for w1, w2 in inits
            for noise in fig1["noise_levels"]
        )
        if fig1["epochs"] - 1 > last:
            problems.append(
                f"fig1.epochs = {fig1['epochs']}: the authors' closed form S11 (faithful Fig. 1) "
                f"overflows after epoch {last} with fig1.lr = {fig1['lr']:g} and fig1.lam = "
                f"{fig1['lam']:g}; use fig1.epochs <= {last + 1} or a smaller fig1.lr (or "
                "variants: [corrected])"
            )
    small = (fig4["small_init"], fig4["small_init"])
    seeds = (fig4["seed_stride"] * k for k in range(1, fig4["random_runs"] + 1))
    inits = limits.scalar_inits(seeds, fig4["init_range"], first=small)
    lam, level = fig4["lam"], fig4["noise"]
    rows = [(level, 0.0, "noise row"), (0.0, lam * level / (lam + level), "weight-decay row")]
    for noise, decay, where in rows:
        problem = _descent_problem("fig4", fig4, inits, noise, decay, where, budget)
        if problem:
            problems.append(problem)
            break
    return problems


def _descent_problem(
    figure: str,
    settings: Mapping[str, Any],
    inits: list[tuple[float, float]],
    noise: float,
    decay: float,
    where: str,
    budget: int,
) -> str | None:
    """The line for a scalar figure whose descent (one noise level or row) would overflow."""
    lam, lr = settings["lam"], settings["lr"]
    epochs = settings["epochs"]
    divergence = limits.descent_divergence(inits, lam, noise, decay, lr, epochs, budget)
    if divergence is None:
        return None
    reach = max(settings["init_range"], settings.get("small_init", 0.0))
    safe = limits.largest_certified_lr(reach, lam, noise, decay)
    return (
        f"{figure}.lr = {lr:g}: {divergence.describe(f'{where}, lam = {lam:g}')}; steps up "
        f"to {safe:.3g} are stable from any init in "
        f"[-{reach:g}, {reach:g}]: lower {figure}.lr (or {figure}.init_range, {figure}.epochs)"
    )


def _table_size_problem(
    stem: str, config: Mapping[str, Any], budget_rows: float, limit: str
) -> str | None:
    """The key that makes figure ``stem``'s tables too large, and the value that fits (rows
    grow linearly with the epochs, on top of a part that does not: landscapes, rate grid)."""

    def rows(**changes: Any) -> int:
        settings = {**config[stem], **changes}
        return max(sum(limits.table_rows(stem, settings, v).values()) for v in config["variants"])

    settings, total = config[stem], rows()
    mem = limits.rows_mem_mb(total)
    size = f"the {stem} tables would have {total:.3g} rows (~{mem:,} MB to build); {limit}"
    per_epoch = rows(epochs=2) - rows(epochs=1)
    fixed = rows(epochs=1) - per_epoch
    if stem == "fig3":
        grid = settings["rate_grid"]
        points = 3 * math.ceil((grid["stop"] - grid["start"]) / grid["step"])
        curves = total - points
        if points > curves and curves < budget_rows:
            step = 3 * (grid["stop"] - grid["start"]) / (budget_rows - curves)
            return f"fig3.rate_grid.step = {grid['step']!r}: {size}: use step >= {step:.3g}"
        fixed -= points
    if fixed + per_epoch <= budget_rows:
        fits = int((budget_rows - fixed) / per_epoch)
        return f"{stem}.epochs = {settings['epochs']}: {size}: use epochs <= {fits}"
    if stem == "fig4":
        return (
            f"fig4.lam = {settings['lam']:g}: {size} (the faithful landscape keeps every grid "
            "point within 1e-5 of the minimum, most of the grid at a small lam): use a larger "
            "lam or variants: [corrected]"
        )
    levels = settings["noise_levels"]
    return f"{stem}.noise_levels = {_brief(levels)}: {size}: use fewer noise levels"


def size_problems(config: Mapping[str, Any], max_mem_mb: int, max_table_mb: int) -> list[str]:
    """Jobs whose estimated memory exceeds ``max_mem_mb`` (the data jobs of Figs 1-4:
    ``max_table_mb``), each naming the key that makes them large and the value that fits."""
    problems = []
    budget_rows = (max_table_mb - limits.BASE_MB) * 1e6 / limits.BYTES_PER_ROW
    table_limit = f"a job may use at most {max_table_mb:,} MB"
    for stem in ("fig1", "fig2", "fig3", "fig4"):
        if limits.data_job_mem_mb(stem, config) > max_table_mb:
            problems.append(_table_size_problem(stem, config, budget_rows, table_limit))
    limit = f"a job may use at most {max_mem_mb:,} MB"
    trained = [("train_linear", "linear"), ("train_nonlinear", "nonlinear")]
    if config["linear"]["sampled_noise"]["enabled"]:
        trained.append(("train_sampled_noise", "linear"))
    facts = configured_facts(config)
    for rule, section in trained:
        every = config[section]["record_every"]
        for dataset, known in facts.items():
            if known is None:
                continue  # sized once its import file exists
            size = (known.train_count, known.dimension)
            mem = limits.training_job_mem_mb(rule, dataset, config, *size)
            if mem <= max_mem_mb:
                continue
            # the record shrinks in proportion to the interval between records
            record = limits.training_record_mb(rule, dataset, config, known.dimension)
            base = limits.dataset_job_mem_mb(rule, dataset, config, *size)
            room = max_mem_mb - base + limits.RECORD_ALLOWANCE_MB
            needed = math.ceil(every * record / max(1, room))
            problems.append(
                f"{section}.record_every = {every}: the {rule} record on {dataset} would need "
                f"~{mem:,} MB; {limit}: use record_every >= {needed} (or fewer epochs)"
            )
            break
    for stem in ("fig5", "fig5_sampled_noise", "fig6"):
        mem = limits.data_job_mem_mb(stem, config)
        if mem > max_mem_mb:
            key = "nonlinear.epochs" if stem == "fig6" else "linear.epochs"
            if stem == "fig5_sampled_noise":
                key = "linear.sampled_noise.epochs"
            section = config
            for part in key.split("."):
                section = section[part]
            problems.append(
                f"{key} = {section}: the {stem} tables draw the theory at every epoch "
                f"(~{mem:,} MB to build); {limit}: train fewer epochs"
            )
    return problems


def _brief(values: list[Any]) -> str:
    """A list as a message shows it: whole when short, else its ends and its length."""
    if len(values) <= 8:
        return repr(values)
    return f"[{values[0]!r}, {values[1]!r}, ..., {values[-1]!r}] ({len(values)} values)"


def image_problems(config: Mapping[str, Any]) -> list[str]:
    """Figures whose PNG would be wider than matplotlib can render (Fig. 2 grows with its
    columns), or whose plot job would need more memory than a job may use."""
    dpi = config["style"]["dpi"]
    width, _ = limits.figure_inches("fig2", config)
    if width * dpi > limits.MAX_IMAGE_PIXELS:
        columns = int(limits.MAX_IMAGE_PIXELS // (4 * dpi))
        return [
            f"fig2.lams = {_brief(config['fig2']['lams'])}: {int(width // 4)} columns at "
            f"style.dpi = {dpi} make a {int(width * dpi)}-pixel-wide PNG, more than matplotlib "
            f"draws ({limits.MAX_IMAGE_PIXELS}); use at most {columns} columns or a lower style.dpi"
        ]
    return []

"""What a JSON schema cannot express: the cross-key checks of a config that passed it.

:func:`semantic_problems` (run by :func:`lindae.workflow.config.config_problems` once the
schema has no finding) reports, one line each naming the key and the value that would do:
values that only make sense together (subsets, hidden units and modes against each dataset's
facts and the rank of its data, record intervals against epochs, seeds times runs against the
generators' range), an output folder Snakemake can use and colours matplotlib knows; then what
the settings would cost or blow up (:mod:`lindae.workflow.config_limits`: images, table and
job sizes, gradient descent and closed forms of Figs 1 and 4). Never imports snakemake, numpy
or pandas; matplotlib only where it is installed.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from lindae import limits
from lindae.workflow.config_datasets import dataset_problems
from lindae.workflow.config_limits import descent_problems, image_problems, size_problems

__all__ = ["semantic_problems"]


def _dataset_problems(config: Mapping[str, Any]) -> list[str]:
    """The dataset entries and per-dataset settings (:mod:`lindae.workflow.config_datasets`),
    and the Fig. 3 rate grid."""
    problems = dataset_problems(config)
    grid = config.get("fig3", {}).get("rate_grid", {})
    if {"start", "stop"} <= grid.keys() and grid["stop"] <= grid["start"]:
        problems.append(
            f"fig3.rate_grid: stop = {grid['stop']!r} must be above start = {grid['start']!r} "
            "(empty grid)"
        )
    return problems


def _rank_problems(config: Mapping[str, Any]) -> list[str]:
    """Modes against the rank of the data: N images span at most N eigen-directions, and a
    network of H hidden units learns at most H modes."""
    problems = []
    modes = config["fig5"]["modes"]
    sampled = config["linear"]["sampled_noise"]
    tracked = config["nonlinear"]["modes"]
    for name in config["datasets"]:
        subset = config["datasets"][name]["subset"]
        if max(modes) > subset:
            problems.append(
                f"fig5.modes = {modes}: mode {max(modes)} is beyond the rank of the {name} "
                f"data (datasets.{name}.subset = {subset} images span at most {subset} "
                f"eigen-directions); use modes <= {subset} or a larger subset"
            )
        if sampled["enabled"] and name in sampled["datasets"] and max(modes) > sampled["subset"]:
            problems.append(
                f"fig5.modes = {modes}: mode {max(modes)} is beyond the rank of the "
                f"{sampled['subset']} images of linear.sampled_noise.subset (its figure draws "
                f"these modes); use modes <= {sampled['subset']} or a larger subset"
            )
        hidden = config["nonlinear"]["hidden"].get(name)
        if hidden is not None and tracked > min(hidden, subset):
            problems.append(
                f"nonlinear.modes = {tracked}: must be <= nonlinear.hidden.{name} = {hidden} "
                f"and <= datasets.{name}.subset = {subset} (a network of H hidden units on N "
                "images has at most min(H, N) modes)"
            )
    return problems


def _record_problems(config: Mapping[str, Any]) -> list[str]:
    """Record intervals against the epochs they divide (a longer interval records nothing
    after the first epochs)."""
    linear, nonlinear = config["linear"], config["nonlinear"]
    every = linear["record_every"]
    pairs = [("linear.record_every", every, "linear.epochs", linear["epochs"])]
    if linear["sampled_noise"]["enabled"]:  # it records on the same interval
        epochs = linear["sampled_noise"]["epochs"]
        pairs.append(("linear.record_every", every, "linear.sampled_noise.epochs", epochs))
    every = nonlinear["record_every"]
    pairs.append(("nonlinear.record_every", every, "nonlinear.epochs", nonlinear["epochs"]))
    return [
        f"{every_key} = {every}: must be <= {epochs_key} = {epochs} (epochs between records; "
        "a longer interval records only the start of the run)"
        for every_key, every, epochs_key, epochs in pairs
        if every > epochs
    ]


def _seed_problems(config: Mapping[str, Any]) -> list[str]:
    """Seeds of the scalar figures' runs (stride times run number) within the generators'
    range 0 <= seed < 2**32."""
    problems = []
    for figure, runs_key, last in (("fig1", "runs", -1), ("fig4", "random_runs", 0)):
        stride, runs = config[figure]["seed_stride"], config[figure][runs_key]
        largest = stride * (runs + last)
        if largest >= limits.SEED_LIMIT:
            allowed = (limits.SEED_LIMIT - 1) // max(1, runs + last)
            problems.append(
                f"{figure}.seed_stride = {stride}: the last run's seed {largest} is beyond "
                f"numpy's seed range (0 <= seed < 2**32) with {figure}.{runs_key} = {runs}; "
                f"use seed_stride <= {allowed}"
            )
    return problems


def _results_dir_problems(config: Mapping[str, Any]) -> list[str]:
    """``results_dir`` as Snakemake can use it in every output path (no wildcards, normalised
    so that its file matching is consistent, no unexpanded home)."""
    folder = config["results_dir"]
    prefix = f"results_dir = {folder!r}: "
    if any(ord(c) < 32 for c in folder) or folder != folder.strip():
        return [prefix + "must not start or end with spaces or hold control characters"]
    if "{" in folder or "}" in folder:
        return [prefix + "must not contain { or } (Snakemake reads them as wildcards)"]
    if folder.startswith("~"):
        return [
            prefix + "'~' is not expanded (a folder named '~' would be created): use "
            f"{os.path.expanduser(folder)!r}"
        ]
    normal = os.path.normpath(folder)
    if normal in (".", os.sep):
        return [prefix + "must name a folder of its own (e.g. 'results')"]
    if normal != folder:
        return [
            prefix + f"use {normal!r} (Snakemake matches files by their path as written: "
            "'./', '//' or a trailing '/' make the same file look different)"
        ]
    return []


def _colour_problems(config: Mapping[str, Any]) -> list[str]:
    """Plot colours matplotlib can draw (skipped where matplotlib is not installed: parsing
    needs only Snakemake, and the plot jobs' environment has it)."""
    try:
        from matplotlib.colors import get_named_colors_mapping, is_color_like
    except ImportError:
        return []
    problems = []
    names = None
    for name, colour in config["style"]["colors"].items():
        if is_color_like(colour):
            continue
        names = names or sorted(get_named_colors_mapping())
        close = difflib.get_close_matches(str(colour).lower(), names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            f"style.colors.{name} = {colour!r}: not a colour matplotlib knows{hint}; use a "
            "colour name ('blue', 'tab:blue', 'xkcd:sky blue') or a hex code ('#1f77b4')"
        )
    return problems


def semantic_problems(
    config: Mapping[str, Any],
    *,
    colours: bool = True,
    max_job_mem_mb: int = limits.MAX_JOB_MEM_MB,
    max_table_mem_mb: int | None = None,
) -> list[str]:
    """Cross-key checks a JSON schema cannot express (the config passed the schema).

    The keywords are those of :func:`lindae.workflow.config.config_problems`.
    """
    problems = _dataset_problems(config)
    if problems:
        return problems  # the later checks assume sizes within the datasets' facts
    problems += _rank_problems(config)
    problems += _record_problems(config)
    problems += _seed_problems(config)
    problems += _results_dir_problems(config)
    if colours:
        problems += _colour_problems(config)
    problems += image_problems(config)
    size = size_problems(config, max_job_mem_mb, max_table_mem_mb or max_job_mem_mb)
    problems += size
    if not size and not _seed_problems(config):  # descent checks simulate: sizes first
        problems += descent_problems(config)
    return problems

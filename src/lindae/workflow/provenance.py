"""Provenance of a run: lindae version, git state, package versions, config hash, device, seeds,
stage times.

``provenance`` collects what ``results/provenance.json`` records: the lindae version, the git
state of the workflow checkout, package versions, a hash of the config, the requested and
resolved device and the seeds, the host, the wall time per stage from the rules'
``benchmark:`` files and, per training run, the settings its record says it was trained with
(:func:`training_run`). Never imports snakemake.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import lindae
from lindae.io import intermediate_file_error

__all__ = [
    "PACKAGES",
    "config_hash",
    "git_state",
    "package_versions",
    "benchmark_times",
    "find_seeds",
    "RUN_FIELDS",
    "training_run",
    "provenance",
]

PACKAGES = (
    "snakemake",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "seaborn",
    "torch",
    "torchvision",
    "pyyaml",
    "jsonschema",
)


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 of the config as canonical JSON (sorted keys): equal configs, equal hashes."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def git_state(repository: str | os.PathLike[str]) -> dict[str, Any]:
    """Commit and dirty flag of the checkout holding the workflow (None outside git)."""

    def git(*arguments: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(repository), *arguments],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None, "note": "not a git checkout"}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": commit,
        "dirty": bool(status),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
    }


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each package in the environment running this code (None: absent)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def benchmark_times(benchmarks: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """Wall time per stage (rule) from Snakemake's benchmark files under ``benchmarks``.

    Layout ``<benchmarks>/<stage>/<job>.tsv`` or, for one-job stages, ``<benchmarks>/<stage>.tsv``;
    returns, per stage, the number of jobs and the summed and largest wall-clock seconds (column
    ``s``) and the largest resident memory (MiB).
    """
    stages: dict[str, dict[str, float]] = {}
    root = Path(benchmarks)
    for path in sorted([*root.glob("*.tsv"), *root.glob("*/*.tsv")]):
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        if not rows:
            continue
        name = path.stem if path.parent == root else path.parent.name
        stage = stages.setdefault(
            name, {"jobs": 0, "seconds": 0.0, "max_seconds": 0.0, "max_rss_mb": 0.0}
        )
        seconds = float(rows[-1]["s"])
        rss = rows[-1].get("max_rss", "-")
        stage["jobs"] += 1
        stage["seconds"] += seconds
        stage["max_seconds"] = max(stage["max_seconds"], seconds)
        if rss not in ("-", "", "NA"):
            stage["max_rss_mb"] = max(stage["max_rss_mb"], float(rss))
    return stages


def find_seeds(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every config entry whose key names a seed (``seed``, ``seed_stride``), by dotted path."""
    seeds: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            seeds.update(find_seeds(value, f"{path}."))
        elif "seed" in str(key):
            seeds[path] = value
    return seeds


#: What provenance.json states of every training run, by record folder: the model's own
#: regularisers (sigma^2 and gamma of the linear models, std and weight decay of the ReLU ones),
#: its seed, learning rate, epochs, device, dtype and wall time.
RUN_FIELDS: dict[str, tuple[str, ...]] = {
    "linear": ("model", "dataset", "noise", "decay", "lr", "epochs", "seed", "device", "dtype"),
    "nonlinear": (
        *("model", "dataset", "noise_std", "weight_decay", "lr", "epochs", "seed"),
        *("device", "dtype"),
    ),
}
#: Stated as well where a record has them (the sampled-noise run's second seed, ...).
OPTIONAL_RUN_FIELDS = (
    "variant",
    "noise_seed",
    "batch_size",
    "algorithm",
    "activation",
    "preprocessing",
)


def training_run(
    metadata: Mapping[str, Any], family: str, path: str | os.PathLike[str], rule: str | None = None
) -> dict[str, Any]:
    """What provenance.json states of one training run (``family``: ``linear`` or
    ``nonlinear``), read from its record's ``metadata``; ``wall_seconds`` always comes last.

    A record without one of :data:`RUN_FIELDS` (or with a null there), e.g. one written by an
    older lindae, raises :class:`lindae.io.IntermediateFileError` naming ``path`` and how to
    rebuild it (``rule``): provenance never reports a setting as unknown.
    """
    fields = (*RUN_FIELDS[family], "wall_seconds")
    missing = [key for key in fields if metadata.get(key) is None]
    if missing:
        problem = f"its metadata does not state {', '.join(missing)}; written by an older lindae?"
        raise intermediate_file_error(path, "training record", problem, rule)
    run = {key: metadata[key] for key in fields[:-1]}
    run.update({key: metadata[key] for key in OPTIONAL_RUN_FIELDS if key in metadata})
    run["wall_seconds"] = metadata["wall_seconds"]
    return run


def _device_info(requested: str) -> dict[str, Any]:
    info: dict[str, Any] = {"requested": requested}
    try:
        import torch
    except ImportError:  # the figures environment has no torch
        info["cuda_available"] = None
        return info
    available = torch.cuda.is_available()
    info["cuda_available"] = available
    info["resolved"] = (
        "cuda" if requested == "cuda" or (requested == "auto" and available) else "cpu"
    )
    if available:
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def provenance(
    config: Mapping[str, Any],
    repository: str | os.PathLike[str],
    benchmarks: str | os.PathLike[str],
    training_records: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The content of ``results/provenance.json``."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "lindae_version": lindae.__version__,
        "git": git_state(repository),
        "packages": package_versions(),
        "python": platform.python_version(),
        "config_sha256": config_hash(config),
        "device": _device_info(str(config.get("device", "auto"))),
        "training_dtypes": {
            "linear": config.get("linear", {}).get("dtype"),
            "nonlinear": config.get("nonlinear", {}).get("dtype"),
        },
        "training_runs": dict(training_records or {}),
        "seeds": find_seeds(config),
        "host": {
            "name": platform.node(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "stages": benchmark_times(benchmarks),
    }

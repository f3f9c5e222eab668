"""Report captions and provenance: what each figure shows, its claims' verdicts, how it was made.

``caption_template`` writes the reStructuredText caption of every figure variant as one Jinja
template that Snakemake's report renders per output file (it picks the block of the file's
``figure``/``suffix`` wildcards). The verdicts are baked in when the claims are evaluated, so
the report shows the numbers of the run it documents. ``provenance`` collects the git state,
package versions, a hash of the config, device and seeds, the host and the wall time per stage
from the rules' ``benchmark:`` files.
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

import pandas as pd

__all__ = [
    "FIGURE_DESCRIPTIONS",
    "VARIANT_DESCRIPTIONS",
    "PACKAGES",
    "caption_rst",
    "rst_escape",
    "caption_template",
    "claims_summary",
    "config_hash",
    "git_state",
    "package_versions",
    "benchmark_times",
    "find_seeds",
    "provenance",
]

FIGURE_DESCRIPTIONS = {
    "1": "Scalar linear DAE (lambda = 1): the exact unbalanced-init solution (solid) against "
    "gradient descent from random inits (dashed), one column per noise level, with the fixed "
    "point lambda/(lambda+eps) in red; bottom: the loss surface with the GD paths and the "
    "hyperbola of minima.",
    "2": "Closed-form dynamics of the DAE (top, noise eps) and of the WDAE with the matched "
    "weight decay gamma = lambda eps/(lambda+eps) (bottom), one column per eigenvalue lambda; "
    "darker curves mean more regularisation.",
    "3": "DAE vs WDAE at scaled inverse-Hessian ('optimal') learning rates: dynamics (left), "
    "the rates against the noise level (middle) and the difference DAE - WDAE (right).",
    "4": "Scalar DAE (top, eps = 0.1) vs WDAE with the matched decay (bottom): loss landscape "
    "with GD paths, the mapping w2 w1 and the weight norm; magenta is the small-init run.",
    "5": "Linear AE vs WDAE (left) and AE vs DAE (right) trained on MNIST (top) and CIFAR-10 "
    "(bottom): the per-mode theory with the data's eigenvalues (lines) against the trained "
    "weights (markers) for modes 1, 4, 8, 16 and 32.",
    "6": "One-hidden-layer ReLU AE (blue), WDAE (orange) and DAE (green) on MNIST and "
    "CIFAR-10: the mapping strength along the top eigen-directions of the data.",
}

VARIANT_DESCRIPTIONS = {
    "faithful": "Faithful rendering: the published figure, quirks of the authors' code kept "
    "(listed in the figure's _notes.json).",
    "corrected": "Corrected rendering: the defects listed in PAPER.md fixed, each change "
    "listed in the figure's _notes.json.",
}

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

SUFFIX = {"faithful": "", "corrected": "_corrected"}


def rst_escape(text: str) -> str:
    """Text shown literally in reStructuredText (no substitutions, emphasis or roles)."""
    for character in ("\\", "|", "*", "`"):
        text = text.replace(character, "\\" + character)
    return text


def _settings_lines(settings: Mapping[str, Any]) -> list[str]:
    lines = []
    for key, value in settings.items():
        text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
        lines.append(f"- ``{key}``: {text}")
    return lines


def caption_rst(
    figure: str, variant: str, settings: Mapping[str, Any], claims: pd.DataFrame
) -> str:
    """The caption of one figure variant: what is plotted, settings, claims with verdicts."""
    rows = claims[(claims["figure"].astype(str) == figure) & (claims["variant"] == variant)]
    lines = [
        FIGURE_DESCRIPTIONS.get(figure, f"Figure {figure}."),
        "",
        VARIANT_DESCRIPTIONS[variant],
        "",
        "**Settings**",
        "",
        *_settings_lines(settings),
        "",
        "**Claims** (``results/claims.csv``)",
        "",
    ]
    if rows.empty:
        lines.append("- no machine-checked claim for this rendering")
    for row in rows.itertuples():
        verdict = "PASS" if bool(row.passed) else "FAIL"
        lines.append(
            f"- **{verdict}** {rst_escape(row.claim)}: measured {row.measured:.4g} "
            f"(required {row.relation} {row.threshold:.4g})"
        )
    return "\n".join(lines) + "\n"


def caption_template(
    claims: pd.DataFrame, settings: Mapping[str, Mapping[str, Any]], variants: Iterable[str]
) -> str:
    """One Jinja/rst template holding the caption of every figure variant.

    Snakemake renders it per figure output with ``snakemake.wildcards``; each block is guarded
    by the wildcards of one figure and variant. The caption text itself is escaped from Jinja
    (``{% raw %}``) so that braces in settings cannot break the template.
    """
    blocks = []
    for figure, figure_settings in settings.items():
        for variant in variants:
            condition = (
                f'snakemake.wildcards.figure == "{figure}" and '
                f'snakemake.wildcards.suffix == "{SUFFIX[variant]}"'
            )
            text = caption_rst(figure, variant, figure_settings, claims)
            blocks.append(f"{{% if {condition} %}}{{% raw %}}\n{text}{{% endraw %}}{{% endif %}}")
    return "\n".join(blocks) + "\n"


def claims_summary(claims: pd.DataFrame) -> str:
    """One line per failing claim, or a line saying that all pass."""
    failed = claims[~claims["passed"].astype(bool)]
    if failed.empty:
        return f"All {len(claims)} claims pass."
    lines = [f"{len(failed)} of {len(claims)} claims FAIL:"]
    lines += [
        f"  Fig. {row.figure} ({row.variant}) {row.claim_id}: measured {row.measured:.4g}, "
        f"required {row.relation} {row.threshold:.4g}"
        for row in failed.itertuples()
    ]
    return "\n".join(lines)


# --- provenance ------------------------------------------------------------------------------


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

"""Profile entries that a command-line option silently replaces.

Snakemake reads a profile as default command-line arguments, so an option given on the command
line replaces the profile's entry of the same name *as a whole*: ``--config data_root=...``
drops every ``config:`` entry of the profile (``device=cuda`` in an older
``profiles/slurm-gpu``), ``--set-resources a:runtime=5`` drops all of its ``set-resources``
(the GPU request of the training rules), ``--configfile`` its ``configfile:``. Nothing says so.
:func:`dropped_entries` compares what a profile sets with what is in effect and describes each
entry that was lost, so that the workflow can refuse to plan rather than run without it.
Never imports snakemake.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["profile_arguments", "dropped_entries"]


def profile_arguments(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The ``--profile`` values of a snakemake command line (else ``$SNAKEMAKE_PROFILE``).

    Empty unless ``argv`` is Snakemake's own (its first item names snakemake), so that an
    embedding program's arguments are never misread.
    """
    if not argv or "snakemake" not in os.fspath(argv[0]).lower():
        return []
    found, arguments = [], list(argv[1:])
    for index, argument in enumerate(arguments):
        if argument == "--profile":
            found += [
                value for value in arguments[index + 1 : index + 2] if not value.startswith("-")
            ]
        elif argument.startswith("--profile="):
            found.append(argument.split("=", 1)[1])
    if not found and environ.get("SNAKEMAKE_PROFILE"):
        found.append(environ["SNAKEMAKE_PROFILE"])
    return [profile for profile in found if profile and profile != "none"]


def _pairs(entries: Any) -> dict[str, str]:
    """``key=value`` entries (a list of strings, or a mapping) as key -> value text."""
    if isinstance(entries, Mapping):
        return {str(key): str(value) for key, value in entries.items()}
    if isinstance(entries, str):
        entries = entries.split()
    pairs = {}
    for entry in entries or []:
        key, _, value = str(entry).partition("=")
        pairs[key.strip()] = value.strip()
    return pairs


def _rule_resources(entries: Any) -> dict[tuple[str, str], str]:
    """``set-resources`` (rule -> {name: value}, or ``rule:name=value`` strings) as
    (rule, name) -> value text."""
    pairs: dict[tuple[str, str], str] = {}
    if isinstance(entries, Mapping):
        for rule, resources in entries.items():
            for name, value in _pairs(resources).items():
                pairs[str(rule), name] = value
        return pairs
    for entry in [entries] if isinstance(entries, str) else entries or []:
        rule, _, assignment = str(entry).partition(":")
        for name, value in _pairs([assignment]).items():
            pairs[rule.strip(), name] = value
    return pairs


def _files(entries: Any, base: Path) -> list[Path]:
    """Config file entries as paths; a single one relative to the profile's folder when it
    exists there (as Snakemake reads it), else to the working directory."""
    if isinstance(entries, str):
        return [base / entries if (base / entries).exists() else Path(entries)]
    return [Path(str(entry)) for entry in entries or []]


def dropped_entries(
    profile: Mapping[str, Any],
    config_keys: Iterable[str],
    set_resources: Mapping[str, Iterable[str]],
    configfiles: Iterable[str | os.PathLike[str]],
    base: str | os.PathLike[str] = ".",
) -> list[str]:
    """One line per entry of ``profile`` (its parsed YAML) that is not in effect.

    ``config_keys`` are the top-level keys of the ``--config`` in effect, ``set_resources``
    the rule -> resource names of the ``--set-resources`` in effect, ``configfiles`` the
    ``--configfile`` paths in effect. An entry whose key is in effect, even with another
    value, is not dropped: the command line meant to override it. ``base`` is the profile's
    folder.
    """
    lines = []
    config = _pairs(profile.get("config"))
    lost = [f"{key}={value}" for key, value in config.items() if key not in set(config_keys)]
    if lost:
        lines.append(
            f"--config on the command line replaces the profile's config: entries, so "
            f"{' '.join(lost)} would be dropped; add them to the command line "
            f"(--config {' '.join(lost)} ...)"
        )
    effective = {(rule, name) for rule, names in set_resources.items() for name in names}
    resources = _rule_resources(profile.get("set-resources"))
    lost = [
        f"{rule}:{name}={value}"
        for (rule, name), value in resources.items()
        if (rule, name) not in effective
    ]
    if lost:
        lines.append(
            "--set-resources on the command line replaces the profile's set-resources:, so "
            f"{' '.join(lost)} would be dropped; add them to the command line "
            f"(--set-resources {' '.join(lost)} ...)"
        )
    in_effect = {Path(path).resolve() for path in configfiles}
    files = _files(profile.get("configfile") or profile.get("configfiles"), Path(base))
    lost = [str(path) for path in files if path.resolve() not in in_effect]
    if lost:
        lines.append(
            "--configfile on the command line replaces the profile's configfile:, so "
            f"{' '.join(lost)} would be dropped; add them to the command line's --configfile"
        )
    return lines

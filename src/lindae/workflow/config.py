"""Readable configuration errors: every problem at once, each naming its key and what is allowed.

The workflow validates ``config/config.yaml`` against ``workflow/schemas/config.schema.yaml``
with ``snakemake.utils.validate``; this module runs first and turns jsonschema's findings into
one line per problem (``fig1.lr = -0.01: must be > 0 ...``), plus the checks a schema cannot
express (a grid whose stop is not above its start). Never imports snakemake.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from lindae.data import DATASETS

__all__ = ["ConfigError", "load_schema", "config_problems", "check_config"]


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem found."""


def load_schema(path: str | Path) -> dict[str, Any]:
    """Read a YAML JSON-schema file."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _key(path: Iterable[Any]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


def _allowed(error: jsonschema.ValidationError) -> str:
    schema, keyword = error.schema, error.validator
    if keyword == "exclusiveMinimum":
        return f"must be > {schema['exclusiveMinimum']}"
    if keyword == "minimum":
        return f"must be >= {schema['minimum']}"
    if keyword == "maximum":
        return f"must be <= {schema['maximum']}"
    if keyword == "exclusiveMaximum":
        return f"must be < {schema['exclusiveMaximum']}"
    if keyword == "enum":
        return "must be one of " + ", ".join(repr(v) for v in schema["enum"])
    if keyword == "type":
        return f"must be of type {schema['type']}"
    if keyword == "minItems":
        return f"must have at least {schema['minItems']} item(s)"
    if keyword == "uniqueItems":
        return "must not repeat values"
    if keyword == "required":
        return error.message
    return error.message


def _describe(error: jsonschema.ValidationError, schema: Mapping[str, Any]) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        lines = []
        for name in unknown:
            key = _key([*error.absolute_path, name])
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{key}: unknown key{hint}; allowed keys here: {', '.join(allowed)}")
        return "\n".join(lines)
    key = _key(error.absolute_path)
    description = error.schema.get("description")
    about = f" ({description})" if description else ""
    if error.validator == "required":
        return f"{key}: {error.message}"
    return f"{key} = {error.instance!r}: {_allowed(error)}{about}"


def _semantic_problems(config: Mapping[str, Any]) -> list[str]:
    """Cross-key checks a JSON schema cannot express."""
    problems = []
    for name, info in DATASETS.items():
        size, dimension = info.train_count, info.dimension
        source = config.get("datasets", {}).get(name, {})
        if "mirrors" in source and not source["mirrors"] and not source.get("import_npz"):
            problems.append(
                f"datasets.{name}.mirrors = []: must list at least one mirror (http(s):// or "
                f"file://) while datasets.{name}.import_npz is null; or set import_npz to a "
                "pre-extracted .npz"
            )
        subset = source.get("subset")
        if subset is not None and subset > size:
            problems.append(
                f"datasets.{name}.subset = {subset}: must be <= {size} "
                f"(the {name} training-set size)"
            )
        hidden = config.get("linear", {}).get("hidden", {}).get(name)
        if hidden is not None and hidden > dimension:
            problems.append(f"linear.hidden.{name} = {hidden}: must be <= D = {dimension}")
        wide = config.get("nonlinear", {}).get("hidden", {}).get(name)
        if wide is not None and wide > dimension:
            problems.append(f"nonlinear.hidden.{name} = {wide}: must be <= D = {dimension}")
        modes = config.get("fig5", {}).get("modes", [])
        if hidden is not None and modes and max(modes) > hidden:
            problems.append(
                f"fig5.modes = {modes}: every mode must be <= linear.hidden.{name} "
                f"= {hidden} (only H modes can be learned)"
            )
        sampled = config.get("linear", {}).get("sampled_noise", {})
        if sampled.get("subset") is not None and sampled["subset"] > size:
            problems.append(
                f"linear.sampled_noise.subset = {sampled['subset']}: must be <= "
                f"{size} (the smallest training set it may use)"
            )
            break
    sampled = config.get("linear", {}).get("sampled_noise", {})
    if sampled.get("enabled") and sampled.get("datasets") == []:
        problems.append(
            "linear.sampled_noise.datasets = []: must name at least one of "
            f"{', '.join(DATASETS)} while linear.sampled_noise.enabled is true "
            "(or set enabled: false)"
        )
    grid = config.get("fig3", {}).get("rate_grid", {})
    if {"start", "stop"} <= grid.keys() and grid["stop"] <= grid["start"]:
        problems.append(
            f"fig3.rate_grid: stop = {grid['stop']!r} must be above start = {grid['start']!r} "
            "(empty grid)"
        )
    return problems


def config_problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every problem of ``config`` against ``schema``, one readable line each (empty if valid)."""
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [_describe(error, schema) for error in errors]
    if not problems:
        problems = _semantic_problems(config)
    return problems


def check_config(config: Mapping[str, Any], schema_path: str | Path) -> None:
    """Raise :class:`ConfigError` listing every problem, or return if the config is valid."""
    problems = config_problems(config, load_schema(schema_path))
    if problems:
        raise ConfigError("invalid configuration (nothing was run):\n  " + "\n  ".join(problems))

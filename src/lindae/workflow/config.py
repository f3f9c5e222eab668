"""Readable configuration errors: every problem at once, each naming its key and what is allowed.

The workflow validates ``config/config.yaml`` against ``workflow/schemas/config.schema.yaml``
with ``snakemake.utils.validate``; this module runs first (:func:`check_config`, before any
job) and reports one line per problem (``fig1.lr = -0.01: must be > 0 ...``):

* the config files themselves: a key given twice in one mapping (YAML keeps the later one
  silently), with file and line (:func:`config_file_problems`, from
  :mod:`lindae.workflow.config_files`);
* jsonschema's findings, with non-finite numbers (NaN, +-inf: every range check of JSON
  schema is false for NaN) rejected wherever a number is expected;
* what a schema cannot express (:mod:`lindae.workflow.config_checks`): values that only make
  sense together (modes vs hidden units and the rank of the data, record intervals vs epochs,
  seeds times runs vs the generators' range), colours matplotlib knows, an output folder
  Snakemake can use, gradient descent that stays finite and closed forms that do not overflow
  (Figs 1 and 4), and tables and jobs small enough to build (:mod:`lindae.limits`).

Values ``--config`` hands over as strings (Snakemake reads nested values with YAML's
BaseLoader, so ``--config 'fig1={epochs: 10}'`` gives ``'10'``) are first converted where the
schema expects a number, integer, boolean or null and the text means exactly one
(:func:`coerce_config`). Never imports snakemake; matplotlib only where it is installed.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from lindae import limits
from lindae.errors import UserError
from lindae.workflow.config_checks import semantic_problems
from lindae.workflow.config_files import config_file_problems

__all__ = [
    "ConfigError",
    "load_schema",
    "coerce_config",
    "config_file_problems",
    "config_problems",
    "check_config",
]


class ConfigError(UserError, ValueError):
    """The configuration is invalid; the message lists every problem found."""


def load_schema(path: str | Path) -> dict[str, Any]:
    """Read a YAML JSON-schema file."""
    # libyaml's loader where installed: every parse of the workflow reads the schema
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


# --- strings from --config -----------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_NULLS = {"null", "~"}
_YAML_FLOATS = {".nan": math.nan, ".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf}


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with a local ``$ref`` (``#/$defs/...``) replaced by its target."""
    while "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


def _coerced(value: Any, types: set[str]) -> Any:
    """``value`` as the type the schema expects, where that is unambiguous; else unchanged."""
    if isinstance(value, float) and "integer" in types and "number" not in types:
        return int(value) if value.is_integer() else value  # 1.0e4 in a YAML file
    if isinstance(value, str) and {"number", "string"} <= types:  # a number or a word (auto)
        converted = _coerced(value, types - {"string"})
        return value if isinstance(converted, str) else converted
    if not isinstance(value, str) or "string" in types - {"null"}:
        if isinstance(value, str) and "null" in types and value.strip() in _NULLS:
            return None  # a path or null: "null" names no file
        return value
    text = value.strip()
    if types & {"integer", "number"} and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types:
        if text.lower() in _YAML_FLOATS:
            return _YAML_FLOATS[text.lower()]
        try:
            return float(text)
        except ValueError:
            pass
    if "boolean" in types and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    if "null" in types and text in _NULLS:
        return None
    return value


def coerce_config(config: MutableMapping[str, Any], schema: Mapping[str, Any]) -> None:
    """Convert, in place, values whose text means exactly one value of the type the schema
    expects: ``'10'`` where an integer is expected, ``'0.5'``/``'1e-4'`` for a number,
    ``'true'``/``'false'`` for a boolean, ``'null'`` for a key that may be null, and integral
    floats (``1.0e4``) for an integer.

    Snakemake reads every nested ``--config`` value with YAML's BaseLoader, i.e. as a string
    (``--config 'nonlinear={epochs: 10}'`` gives ``'10'``, ``figures=[1,2]`` gives ``['1',
    '2']``); a YAML file would have read the same text as the number. Anything else (``'ten'``)
    is left for the schema to reject, naming the key.
    """

    def walk(value: Any, schema: Mapping[str, Any]) -> Any:
        schema = _resolve(schema, root)
        value = _coerced(value, _types(schema))
        if isinstance(value, MutableMapping):
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for key in list(value):
                child = properties.get(key, extra if isinstance(extra, Mapping) else None)
                if child is not None:
                    value[key] = walk(value[key], child)
        elif isinstance(value, list) and isinstance(schema.get("items"), Mapping):
            value[:] = [walk(item, schema["items"]) for item in value]
        return value

    root = schema
    walk(config, schema)


# --- schema findings -----------------------------------------------------------------------


def _key(path: Iterable[Any]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "(top level)"


def _number(value: Any) -> str:
    """A bound as a message shows it: 0, 0.1, 1e-06, 1e+06."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(schema: Mapping[str, Any]) -> str:
    """The interval a number must lie in, e.g. ' in (0, 0.1]' or ' >= 0' (empty if none)."""
    low = high = None
    if "exclusiveMinimum" in schema:
        low = ("(", schema["exclusiveMinimum"], ">")
    elif "minimum" in schema:
        low = ("[", schema["minimum"], ">=")
    if "exclusiveMaximum" in schema:
        high = (")", schema["exclusiveMaximum"], "<")
    elif "maximum" in schema:
        high = ("]", schema["maximum"], "<=")
    if low and high:
        return f" in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    if low:
        return f" {low[2]} {_number(low[1])}"
    if high:
        return f" {high[2]} {_number(high[1])}"
    return ""


def _allowed(error: jsonschema.ValidationError) -> str:
    schema, keyword = error.schema, error.validator
    if keyword == "finite":
        kind = "integer" if "number" not in _types(schema) else "number"
        return f"must be a finite {kind}{_range(schema)}"
    if keyword == "exclusiveMinimum":
        return f"must be > {_number(schema['exclusiveMinimum'])}"
    if keyword == "minimum":
        return f"must be >= {_number(schema['minimum'])}"
    if keyword == "maximum":
        return f"must be <= {_number(schema['maximum'])}"
    if keyword == "exclusiveMaximum":
        return f"must be < {_number(schema['exclusiveMaximum'])}"
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
    if "propertyNames" in error.schema_path:  # a key (e.g. a dataset's name), not a value
        rule = error.schema.get("pattern", "")
        return f"{key}.{error.instance}: not a valid name, must match {rule}{about}"
    if error.validator == "required":
        return f"{key}: {error.message}"
    return f"{key} = {_shown(error.instance)}: {_allowed(error)}{about}"


def _shown(value: Any, width: int = 80) -> str:
    """A value as a one-line message shows it: its repr, cut short when long."""
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 15]}... ({len(text)} chars)"


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _finite_validator(schema: Mapping[str, Any]) -> jsonschema.protocols.Validator:
    """The schema's validator, with NaN and +-inf failing wherever a number is expected.

    JSON schema knows no NaN: every range keyword compares, and every comparison with NaN is
    false, so ``.nan`` passed ``exclusiveMinimum: 0``; ``.inf`` passes any lower bound.
    """
    base = jsonschema.validators.validator_for(schema)
    check_type = base.VALIDATORS["type"]

    def finite_type(validator, types, instance, subschema):
        if _non_finite(instance) and {"number", "integer"} & _types(subschema):
            yield jsonschema.ValidationError(
                f"{instance!r} is not a finite number", validator="finite", validator_value=True
            )
            return
        yield from check_type(validator, types, instance, subschema)

    return jsonschema.validators.extend(base, {"type": finite_type})(schema)


def _schema_problems(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """jsonschema's findings, one line each; a non-finite value gets one line, not also the
    range keywords it happens to fail."""
    errors = sorted(
        _finite_validator(schema).iter_errors(config),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    non_finite = {tuple(e.absolute_path) for e in errors if e.validator == "finite"}
    errors = [
        e for e in errors if e.validator == "finite" or tuple(e.absolute_path) not in non_finite
    ]
    return [_describe(error, schema) for error in errors]


def config_problems(
    config: Mapping[str, Any],
    schema: Mapping[str, Any],
    *,
    colours: bool = True,
    max_job_mem_mb: int = limits.MAX_JOB_MEM_MB,
    max_table_mem_mb: int | None = None,
) -> list[str]:
    """Every problem of ``config`` against ``schema``, one readable line each (empty if valid).

    ``colours`` checks the plot colours with matplotlib (when installed); ``max_job_mem_mb``
    is the most memory a job may be estimated to need, ``max_table_mem_mb`` (default: the
    same) that of the data jobs of Figs 1-4, whose tables grow with their settings alone.
    """
    problems = _schema_problems(config, schema)
    if not problems:
        problems = semantic_problems(
            config,
            colours=colours,
            max_job_mem_mb=max_job_mem_mb,
            max_table_mem_mb=max_table_mem_mb,
        )
    return problems


def check_config(
    config: Mapping[str, Any],
    schema_path: str | Path,
    files: Iterable[str | os.PathLike[str]] = (),
    *,
    colours: bool = True,
    max_job_mem_mb: int = limits.MAX_JOB_MEM_MB,
    max_table_mem_mb: int | None = None,
) -> None:
    """Raise :class:`ConfigError` listing every problem, or return if the config is valid.

    ``files`` are the config files the config was read from (checked for keys given twice);
    a mutable ``config`` first has its ``--config`` strings converted (:func:`coerce_config`).
    The keywords are those of :func:`config_problems`.
    """
    schema = load_schema(schema_path)
    problems = config_file_problems(files)
    if isinstance(config, MutableMapping):
        coerce_config(config, schema)
    problems += config_problems(
        config,
        schema,
        colours=colours,
        max_job_mem_mb=max_job_mem_mb,
        max_table_mem_mb=max_table_mem_mb,
    )
    if problems:
        raise ConfigError("invalid configuration (nothing was run):\n  " + "\n  ".join(problems))

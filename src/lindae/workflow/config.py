"""Readable configuration errors: every problem at once, each naming its key and what is allowed.

The workflow validates ``config/config.yaml`` against ``workflow/schemas/config.schema.yaml``
with ``snakemake.utils.validate``; this module runs first (:func:`check_config`, before any
job) and reports one line per problem (``fig1.lr = -0.01: must be > 0 ...``):

* the config files themselves: a key given twice in one mapping (YAML keeps the later one
  silently), with file and line (:func:`config_file_problems`);
* jsonschema's findings, with non-finite numbers (NaN, +-inf: every range check of JSON
  schema is false for NaN) rejected wherever a number is expected;
* what a schema cannot express: values that only make sense together (modes vs hidden units
  and the rank of the data, record intervals vs epochs, seeds times runs vs the generators'
  range), colours matplotlib knows, an output folder Snakemake can use, gradient descent that
  stays finite and closed forms that do not overflow (Figs 1 and 4), and tables and jobs small
  enough to build (:mod:`lindae.limits`).

Values ``--config`` hands over as strings (Snakemake reads nested values with YAML's
BaseLoader, so ``--config 'fig1={epochs: 10}'`` gives ``'10'``) are first converted where the
schema expects a number, integer, boolean or null and the text means exactly one
(:func:`coerce_config`). Never imports snakemake; matplotlib only where it is installed.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from lindae import limits
from lindae.data import DATASETS
from lindae.errors import UserError

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
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# --- the config files: keys given twice ----------------------------------------------------


def _mapping_duplicates(node: yaml.Node, path: list[str], name: str) -> list[str]:
    """Keys repeated within one mapping of a composed YAML document, recursively."""
    problems = []
    if isinstance(node, yaml.MappingNode):
        first_lines: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if key is not None and key != "<<":  # '<<' merges a mapping: not a key
                identity = (key_node.tag, key)
                dotted = ".".join(p if p.isprintable() else repr(p) for p in [*path, key])
                if identity in first_lines:
                    problems.append(
                        f"{name}, line {line}: duplicate key {dotted} (first given at line "
                        f"{first_lines[identity]}); YAML would keep only the later one: give "
                        "each key once (merge the two)"
                    )
                else:
                    first_lines[identity] = line
            problems += _mapping_duplicates(value_node, [*path, str(key)], name)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            problems += _mapping_duplicates(item, [*path[:-1], f"{path[-1]}[{index}]"], name)
    return problems


def _json_duplicates(text: str, name: str) -> list[str]:
    """Keys repeated within one JSON object (JSON config files YAML cannot read)."""
    problems: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen = set()
        for key, _ in items:
            if key in seen:
                problems.append(
                    f"{name}: duplicate key {key!r} in one JSON object; JSON readers keep only "
                    "the later one: give each key once (merge the two)"
                )
            seen.add(key)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return []  # neither YAML nor JSON: Snakemake has already said so
    return problems


def config_file_problems(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Every key given twice in the same mapping of the config files ``paths`` (the files
    Snakemake loaded: the workflow's own and each ``--configfile``), with file and line.

    Snakemake reads them with PyYAML, which keeps the later of two equal keys without a word
    (two ``fig1:`` sections: the first one is silently ignored). Files that cannot be read
    are skipped: Snakemake reports those itself.
    """
    problems = []
    for path in dict.fromkeys(str(p) for p in paths):  # each file once
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            problems += _json_duplicates(text, path)
            continue
        if node is not None:
            problems += _mapping_duplicates(node, [], path)
    return problems


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


# --- what a schema cannot express ----------------------------------------------------------


def _dataset_problems(config: Mapping[str, Any]) -> list[str]:
    """Sources, subsets, hidden sizes and modes against each dataset's facts."""
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


def _rank_problems(config: Mapping[str, Any]) -> list[str]:
    """Modes against the rank of the data: N images span at most N eigen-directions, and a
    network of H hidden units learns at most H modes."""
    problems = []
    modes = config["fig5"]["modes"]
    sampled = config["linear"]["sampled_noise"]
    tracked = config["nonlinear"]["modes"]
    for name in DATASETS:
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
        hidden = config["nonlinear"]["hidden"][name]
        if tracked > min(hidden, subset):
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


def _descent_problems(config: Mapping[str, Any]) -> list[str]:
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


def _size_problems(config: Mapping[str, Any], max_mem_mb: int, max_table_mb: int) -> list[str]:
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
    for rule, section in trained:
        every = config[section]["record_every"]
        for dataset in DATASETS:
            mem = limits.training_job_mem_mb(rule, dataset, config)
            if mem <= max_mem_mb:
                continue
            # the record shrinks in proportion to the interval between records
            record = limits.training_record_mb(rule, dataset, config)
            room = max_mem_mb - limits.TRAINING_BASE_MB[rule][dataset] + limits.RECORD_ALLOWANCE_MB
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


def _image_problems(config: Mapping[str, Any]) -> list[str]:
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


def _semantic_problems(
    config: Mapping[str, Any],
    *,
    colours: bool = True,
    max_job_mem_mb: int = limits.MAX_JOB_MEM_MB,
    max_table_mem_mb: int | None = None,
) -> list[str]:
    """Cross-key checks a JSON schema cannot express (the config passed the schema)."""
    problems = _dataset_problems(config)
    if problems:
        return problems  # the later checks assume sizes within the datasets' facts
    problems += _rank_problems(config)
    problems += _record_problems(config)
    problems += _seed_problems(config)
    problems += _results_dir_problems(config)
    if colours:
        problems += _colour_problems(config)
    problems += _image_problems(config)
    size = _size_problems(config, max_job_mem_mb, max_table_mem_mb or max_job_mem_mb)
    problems += size
    if not size and not _seed_problems(config):  # descent checks simulate: sizes first
        problems += _descent_problems(config)
    return problems


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
        problems = _semantic_problems(
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

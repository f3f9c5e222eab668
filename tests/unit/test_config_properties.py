"""Property: every config of the data-free figures either stops with one line per problem, each
naming its key, or builds tables that hold only finite numbers.

Hypothesis changes one to three settings of Figs 1-4 and their style (random types, NaN and
+-inf, huge and tiny numbers, numbers as text, lists of anything, values scaled far from the
paper's) and writes the result as a YAML file, sometimes with a key given twice. The file must
be refused with its line, or the config must pass :func:`check_config` (the workflow's own
check, ``--config`` strings converted) and then build every table of the changed figures
without an infinite value, and without a NaN where the paper's settings have a number. The
size estimates of :mod:`lindae.limits` must not undercount what was built.

Bounded and deterministic: a fixed example count, derandomised, small base settings and a
small memory budget per job (so whatever passes builds in well under a second).
"""

from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import CONFIG, SCHEMA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lindae import limits
from lindae.figures import REGISTRY
from lindae.workflow.config import ConfigError, check_config, config_file_problems

STEMS = ("fig1", "fig2", "fig3", "fig4")
# Jobs may use at most this much memory here (the workflow allows limits.MAX_JOB_MEM_MB): a
# config that passes builds its tables in well under a second.
BUDGET_MB = 330
# The paper's settings, shortened: every figure builds in a fraction of a second.
SMALL = {
    "fig1": {"epochs": 30, "runs": 3},
    "fig2": {"epochs": 40, "lams": [2.5, 0.5], "noise_levels": [0.0, 0.8, 1.8]},
    "fig3": {"epochs": 40, "noise_levels": [0.0, 1.0], "rate_grid": {"step": 0.5}},
    "fig4": {"epochs": 30, "random_runs": 2},
}
# A problem line: a key path of the config, then its value (" = ...") or a remark (": ...").
PROBLEM = re.compile(r"^(?:[a-z_0-9]+)(?:\.[a-z_0-9]+|\[\d+\])* ?[=:] ")
# A duplicate-key line: the file, its line, the key.
DUPLICATE = re.compile(r"^(?P<file>.+), line (?P<line>\d+): duplicate key (?P<key>[\w.\[\]]+) ")


def _merge(base: dict, changes: dict) -> dict:
    for key, value in changes.items():
        if isinstance(value, dict):
            _merge(base.setdefault(key, {}), value)
        else:
            base[key] = value
    return base


BASE = _merge(yaml.safe_load(CONFIG.read_text()), copy.deepcopy(SMALL))


def _leaves(node, path=()):
    """Every (path, value) of the sections under test, lists and their items included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, node
        if isinstance(node, list):
            for index, item in enumerate(node):
                yield (*path, index), item


LEAVES = [path for stem in (*STEMS, "style") for path, _ in _leaves(BASE[stem], (stem,))]

special_floats = st.sampled_from(
    [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-300, 5e-324, 1e300, -1e300, 1.7e308]
)
weird_values = st.one_of(
    special_floats,
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**32, 2**63, 10**9]),
    st.sampled_from(["10", "0.5", "1e-3", "nan", "-inf", ".inf", "true", "null", "", "ten"]),
    st.text(max_size=8),
    st.booleans(),
    st.none(),
    st.lists(st.one_of(special_floats, st.integers(-5, 5), st.text(max_size=3)), max_size=4),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@st.composite
def scaled(draw, value):
    """A value of the paper's type, moved far from it (or a list with items moved)."""
    factor = draw(st.sampled_from([0.0, 1e-12, 1e-6, 0.01, 0.5, 2.0, 10.0, 1e3, 1e6, 1e12, -1.0]))
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return int(value * factor) if abs(value * factor) < 2**80 else 2**80
    if isinstance(value, float):
        return value * factor if value else factor
    if isinstance(value, list):
        return [draw(scaled(item)) for item in value] + draw(
            st.lists(st.sampled_from(value or [1.0]), max_size=2)
        )
    return value


@st.composite
def plausible(draw, value):
    """A value of the paper's type anywhere in a wide range (log-uniform), or a list of them."""
    if isinstance(value, bool):
        return draw(st.booleans())
    if isinstance(value, int):
        return draw(st.sampled_from([1, 2, 3, 7, 50, 400, 3000, 10**5, 10**6]))
    if isinstance(value, float):
        exponent = draw(st.floats(min_value=-7, max_value=7))
        return float(f"{10**exponent:.3g}")
    if isinstance(value, list) and value:
        return draw(st.lists(plausible(value[0]), min_size=1, max_size=5))
    return value


@st.composite
def configs(draw):
    """A copy of BASE with one to three leaves replaced: their paths and the config."""
    config = copy.deepcopy(BASE)
    paths = draw(st.lists(st.sampled_from(LEAVES), min_size=1, max_size=3, unique=True))
    for path in paths:
        parent = config
        for part in path[:-1]:
            parent = parent[part]
            if not isinstance(parent, (dict, list)):
                break
        last = path[-1]
        fits = (isinstance(parent, dict) and last in parent) or (
            isinstance(parent, list) and isinstance(last, int) and last < len(parent)
        )
        if not fits:
            continue  # inside a value an earlier change replaced
        old = parent[path[-1]]
        kind = draw(st.integers(min_value=0, max_value=4))  # mostly values of the right type
        new = draw([weird_values, scaled(old)][kind] if kind < 2 else plausible(old))
        parent[path[-1]] = new
    return paths, config


def _duplicate(text: str, choice: int) -> tuple[str, int, str]:
    """``text`` with one of its mapping keys given twice (a copy right after the original's
    entry, same indentation): the new text, the copy's line (1-based) and the dotted key."""
    entries = []

    def walk(node: yaml.Node, path: list[str]) -> None:
        if isinstance(node, yaml.MappingNode) and not node.flow_style:
            for key, value in node.value:
                if key.style is None and re.fullmatch(r"[A-Za-z_]\w*", str(key.value)):
                    entries.append((key, value, ".".join([*path, key.value])))
                    walk(value, [*path, key.value])

    walk(yaml.compose(text), [])
    key, value, dotted = entries[choice % len(entries)]
    # a block collection ends where the next entry starts; a scalar or flow value on its line
    block = isinstance(value, yaml.CollectionNode) and not value.flow_style
    end = value.end_mark.line if block else value.end_mark.line + 1
    lines = text.splitlines()
    copied = " " * key.start_mark.column + f"{key.value}: null"
    return "\n".join([*lines[:end], copied, *lines[end:]]) + "\n", end + 1, dotted


def _check_tables(stem: str, config: dict) -> None:
    figure = REGISTRY[stem]
    settings_ = figure.settings(config)
    for variant in config["variants"]:
        tables = figure.tables({}, settings_, variant)
        estimate = limits.table_rows(stem, settings_, variant)
        for name, table in tables.items():
            numbers = table.select_dtypes("number").to_numpy(dtype=float)
            assert not np.isinf(numbers).any(), f"{stem} {variant} {name}: infinite values"
            for quantity, part in (
                table.groupby("quantity") if "quantity" in table else [("", table)]
            ):
                for column in part.select_dtypes("number"):
                    missing = part[column].isna()
                    assert missing.all() or not missing.any(), (
                        f"{stem} {variant} {name}: NaN among the numbers of {column} ({quantity})"
                    )
            assert len(table) <= estimate[name], (stem, variant, name, len(table), estimate)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("property")


def test_small_base_config_is_valid_and_finite():
    check_config(copy.deepcopy(BASE), SCHEMA, max_table_mem_mb=BUDGET_MB)
    for stem in STEMS:
        _check_tables(stem, BASE)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written to the checkout (.hypothesis/)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(configs(), st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=3))
def test_every_config_is_refused_by_key_or_builds_finite_tables(workdir, case, choice, twice):
    """One in four files gets a key twice (``twice == 0``)."""
    paths, config = case
    text = yaml.safe_dump({k: config[k] for k in (*STEMS, "style")}, sort_keys=False)
    file = workdir / "overlay.yaml"
    if twice == 0:
        text, line, key = _duplicate(text, choice)
        file.write_text(text)
        problems = config_file_problems([file])
        assert problems, text
        found = [DUPLICATE.match(p) for p in problems]
        assert all(found), problems
        assert (str(file), str(line), key) in {(m["file"], m["line"], m["key"]) for m in found}
        return
    file.write_text(text)
    assert config_file_problems([file]) == []
    try:
        check_config(config, SCHEMA, [file], max_table_mem_mb=BUDGET_MB)
    except ConfigError as error:
        header, *problems = str(error).split("\n")
        assert header == "invalid configuration (nothing was run):"
        assert problems
        for problem in problems:
            line = problem.removeprefix("  ")
            assert PROBLEM.match(line), f"not a key path first: {line!r}"
        return
    changed = {path[0] for path in paths} & set(STEMS)
    for stem in sorted(changed):
        _check_tables(stem, config)

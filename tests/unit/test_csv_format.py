"""lindae.csv_format: the fast CSV text is byte for byte pandas' ``to_csv(index=False)``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lindae import csv_format, figure_output

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
# safe words and words the csv writer must quote (comma, quote, line breaks, empty)
WORDS = st.sampled_from(["DAE", "WDAE", "mode 1", "a,b", 'say "hi"', "two\nlines", "cr\r", ""])


def pandas_text(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n")


@st.composite
def tables(draw):
    """Long-form tables: repeated settings, mostly distinct values, text, ints, bools."""
    rows = draw(st.integers(min_value=0, max_value=40))
    settings_pool = draw(st.lists(FLOATS, min_size=1, max_size=4))
    columns = {
        "model": draw(st.lists(WORDS, min_size=rows, max_size=rows)),
        "noise": draw(st.lists(st.sampled_from(settings_pool), min_size=rows, max_size=rows)),
        "epoch": draw(st.lists(st.integers(-(2**62), 2**62), min_size=rows, max_size=rows)),
        "value": draw(st.lists(FLOATS, min_size=rows, max_size=rows)),
        "settled": draw(st.lists(st.booleans(), min_size=rows, max_size=rows)),
    }
    table = pd.DataFrame(columns)
    table["noise"] = table["noise"].astype(np.float64)
    table["value"] = table["value"].astype(np.float64)
    if draw(st.booleans()):
        table["model"] = table["model"].astype("str")  # pandas' string dtype, as the figures
    keep = draw(st.lists(st.sampled_from(list(columns)), min_size=1, max_size=5, unique=True))
    return table[keep]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(tables())
def test_the_text_is_pandas_text(table):
    assert csv_format.csv_text(table) == pandas_text(table)


@pytest.mark.parametrize(
    "value",
    [0.1, 1e-5, 1e-4, 1e16, 9999999999999998.0, 1e300, 5e-324, -0.0, np.nan, np.inf, -np.inf],
)
def test_float_edges_in_repeated_and_distinct_columns(value):
    repeated = pd.DataFrame({"x": [value, 1.0] * 30, "y": [value] * 60})
    distinct = pd.DataFrame({"x": np.arange(60.0) + value, "y": np.full(60, value)})
    among_distinct = pd.DataFrame({"x": np.arange(60.0), "y": np.arange(60.0) / 7})
    among_distinct.loc[7, ["x", "y"]] = value
    for table in (repeated, distinct, among_distinct):
        assert csv_format.csv_text(table) == pandas_text(table)


def test_the_fast_path_is_taken_on_a_long_form_table(monkeypatch):
    """A plain long-form table never reaches pandas' writer (else this is only a wrapper)."""
    rows = 2 * csv_format.CHUNK_ROWS + 7  # several blocks, the last one short
    table = pd.DataFrame(
        {
            "model": pd.Series(np.where(np.arange(rows) % 3, "DAE", "WDAE"), dtype="str"),
            "noise": np.arange(rows) % 4 * 0.1,
            "epoch": np.arange(rows),
            "value": np.random.default_rng(0).standard_normal(rows),
        }
    )
    expected = pandas_text(table)

    def refuse(*args, **kwargs):
        raise AssertionError("fell back to DataFrame.to_csv")

    monkeypatch.setattr(pd.DataFrame, "to_csv", refuse)
    assert csv_format.csv_text(table) == expected


def test_write_table_writes_the_same_bytes(tmp_path):
    table = pd.DataFrame({"model": ["AE", "a,b"], "value": [0.1, np.nan]})
    figure_output.write_table(table, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == pandas_text(table).encode()

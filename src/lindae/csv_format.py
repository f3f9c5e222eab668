"""A long-form table as CSV text: byte for byte what ``DataFrame.to_csv(index=False)`` writes
(line ends ``\\n``), a few times faster on the tables this project writes.

pandas formats every float of a column on its own (numpy's shortest round-trip text, as
``repr``), at about a microsecond each on a 2-core build machine, and passes every field
through Python's csv writer: 9 s for Fig. 2's 1.2 million rows. A long-form table repeats most
of its values (the settings columns hold a few hundred distinct numbers), so this formats each
distinct value of a column once, joins the fields directly and yields the text in blocks of
rows (memory stays near the table's own). Joining directly equals the csv writer's output only
where no field needs quoting: :func:`csv_chunks` checks that first and otherwise leaves the
whole table to pandas, as it does for column types it does not handle.
``tests/unit/test_csv_format.py`` holds both to the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .lazy import lazy_import

if TYPE_CHECKING:
    import pandas

np = lazy_import("numpy")
pd = lazy_import("pandas")

__all__ = ["csv_chunks", "csv_text"]

#: Characters that make the csv writer quote a field (delimiter, quote, line breaks).
_NEEDS_QUOTING = (",", '"', "\n", "\r")
#: Rows per block of text.
CHUNK_ROWS = 100_000

#: fields(start, stop): the texts of one column's rows start..stop-1.
Fields = Callable[[int, int], list[str]]


def _plain(text: str) -> bool:
    """Whether ``text`` is written as is (non-empty, nothing the csv writer would quote)."""
    return bool(text) and not any(mark in text for mark in _NEEDS_QUOTING)


def _float_texts(values) -> list[str]:
    """numpy's str of each float64 (the shortest round-trip text, as pandas writes it); NaN
    empty, as pandas' default ``na_rep``."""
    texts = values.astype(str)
    missing = np.isnan(values)
    if missing.any():
        texts = texts.astype(object)
        texts[missing] = ""
    return texts.tolist()


def _column(column: pandas.Series) -> Fields | None:
    """The fields of one column as pandas writes them, or None when this column type (or a
    value needing quotes) is left to pandas."""
    dtype, values = column.dtype, column.to_numpy()
    if dtype == np.float64 or dtype == np.int64:
        if dtype == np.float64 and np.signbit(values[values == 0.0]).any():
            return None  # factorize takes -0.0 for 0.0; pandas writes each as itself
        codes, distinct = pd.factorize(values, use_na_sentinel=True)
        if 2 * len(distinct) > len(values):  # mostly distinct: format block by block
            if dtype == np.int64:
                return lambda start, stop: values[start:stop].astype(str).tolist()
            return lambda start, stop: _float_texts(values[start:stop])
        distinct = np.asarray(distinct)
        texts = distinct.astype(str).tolist() if dtype == np.int64 else _float_texts(distinct)
        texts.append("")  # code -1: NaN
    elif dtype == np.bool_:
        codes, texts = values.astype(np.int64), ["False", "True"]
    elif isinstance(dtype, pd.StringDtype) or dtype == np.dtype("O"):
        try:
            codes, distinct = pd.factorize(values, use_na_sentinel=False)
        except TypeError:  # unhashable values (lists, ...)
            return None
        texts = list(distinct)
        if not all(isinstance(text, str) and _plain(text) for text in texts):
            return None
    else:
        return None
    return lambda start, stop: [texts[code] for code in codes[start:stop].tolist()]


def csv_chunks(table: pandas.DataFrame) -> Iterator[str]:
    """The text of ``table.to_csv(index=False, lineterminator="\\n")`` in blocks of rows."""
    names = [str(name) for name in table.columns]
    columns = None
    if len(names) > 1 and len(table) and all(_plain(name) for name in names):
        columns = [_column(table.iloc[:, index]) for index in range(len(names))]
    if columns is None or any(column is None for column in columns):
        yield table.to_csv(index=False, lineterminator="\n")
        return
    yield ",".join(names) + "\n"
    for start in range(0, len(table), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, len(table))
        rows = zip(*(fields(start, stop) for fields in columns), strict=True)
        yield "\n".join(map(",".join, rows)) + "\n"


def csv_text(table: pandas.DataFrame) -> str:
    """The whole text of ``table.to_csv(index=False, lineterminator="\\n")``."""
    return "".join(csv_chunks(table))

"""The long-form table every figure writes: its column schema and the one row builder.

One row per plotted point. Figures on real data (5, 6 and their companions) put a ``dataset``
column first. ``epoch`` is NaN where the x axis is not time; ``run`` is -1 for curves that
belong to no init (for real data: the 1-based mode rank).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .lazy import lazy_import

np = lazy_import("numpy")
pd = lazy_import("pandas")


__all__ = ["COLUMNS", "VARIANTS", "SUFFIXES", "check_variant", "rows", "assemble", "select"]

#: Columns of every figure table, in order (after ``dataset`` where there is one).
COLUMNS = (
    "panel",
    "source",
    "model",
    "quantity",
    "lam",
    "noise",
    "decay",
    "lr",
    "run",
    "epoch",
    "value",
)

#: The two renderings of a figure: the published one, quirks kept, and the corrected one.
VARIANTS = ("faithful", "corrected")
#: File-name suffix of each rendering (``fig1.csv``, ``fig1_corrected.csv``).
SUFFIXES = {"faithful": "", "corrected": "_corrected"}


def check_variant(variant: str) -> str:
    """Return ``variant`` or raise a ValueError that lists the valid ones."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown figure variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return variant


def rows(values: Any, epoch: Any = None, **labels: Any) -> pd.DataFrame:
    """Long-form rows of one curve (1-D ``values``) or a ``(time, run)`` block of curves.

    ``epoch`` gives the x of each point (NaN when omitted); ``run`` may be one label or one per
    column; every other keyword becomes a constant column.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n_points, n_runs = values.shape
    if epoch is None:
        epoch = np.full(n_points, np.nan)
    runs = np.broadcast_to(np.asarray(labels.pop("run", -1)), (n_runs,))
    frame = pd.DataFrame(
        {
            "epoch": np.repeat(np.asarray(epoch, dtype=np.float64), n_runs),
            "run": np.tile(runs, n_points),
            "value": values.ravel(),
        }
    )
    for column, label in labels.items():
        frame[column] = label
    return frame


def assemble(parts: Sequence[pd.DataFrame], leading: Sequence[str] = ()) -> pd.DataFrame:
    """Concatenate row blocks into one table with ``leading`` columns, then :data:`COLUMNS`
    (the regularisation columns are NaN where a block has none)."""
    table = pd.concat(parts, ignore_index=True)
    for column in ("lam", "noise", "decay", "lr"):
        if column not in table:
            table[column] = np.nan
    return table[[*leading, *COLUMNS]]


def select(table: pd.DataFrame, **conditions: Any) -> pd.DataFrame:
    """The rows of ``table`` whose columns equal the given values."""
    mask = np.ones(len(table), dtype=bool)
    for column, value in conditions.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]

"""What the figure jobs write: long-form tables as CSV and rendered figures, atomically.

Apart from :mod:`lindae.io` because only the table, agreement, claims and plot jobs use it:
every module a rule script imports is one of its code inputs, so an edit here (the CSV text,
how a figure is trimmed) reruns those jobs and never a download, spectrum or training job.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .csv_format import csv_chunks
from .io import atomic_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_table", "save_figure"]


def write_table(table: pd.DataFrame, destination: str | os.PathLike[str]) -> None:
    """Write a long-form table as CSV (full float precision, as ``to_csv(index=False)``;
    :mod:`lindae.csv_format`), atomically (:func:`lindae.io.atomic_path`)."""
    with atomic_path(destination) as path, path.open("w", encoding="utf-8", newline="") as stream:
        stream.writelines(csv_chunks(table))


def save_figure(figure: Any, destination: str | os.PathLike[str], dpi: int = 150) -> None:
    """Save a matplotlib figure (format from the suffix), trimmed to its content, atomically."""
    file_format = Path(destination).suffix.lstrip(".")
    with atomic_path(destination) as path:
        figure.savefig(path, format=file_format, dpi=dpi, bbox_inches="tight")

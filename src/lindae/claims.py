"""Machine-checked claims: the row type, the measurements they share, and their evaluation.

Each figure states its own claims (:meth:`lindae.figures.base.Figure.claims`) as checks on its
own tables. A claim is ``measured <relation> threshold``; the thresholds come from ``claims:``
in the config. A failed claim is a result, not an error, and a check that cannot run on its
data becomes a failed row rather than an exception, so one failing figure never hides the
others.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .lazy import lazy_import

np = lazy_import("numpy")
pd = lazy_import("pandas")


__all__ = [
    "Claim",
    "CLAIM_COLUMNS",
    "claims_frame",
    "half_time",
    "final_values",
    "unreadable",
    "guarded",
    "evaluate",
]

CLAIM_COLUMNS = [
    "figure",
    "variant",
    "claim_id",
    "claim",
    "measured",
    "relation",
    "threshold",
    "passed",
]


@dataclass(frozen=True)
class Claim:
    """One machine-checked claim: ``measured <relation> threshold`` decides ``passed``."""

    figure: str
    variant: str
    claim_id: str
    claim: str
    measured: float
    relation: str  # "<=" or ">="
    threshold: float

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.measured):
            return False
        if self.relation == "<=":
            return self.measured <= self.threshold
        return self.measured >= self.threshold

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def claims_frame(claims: Iterable[Claim]) -> pd.DataFrame:
    """The rows of ``results/claims.csv``, in ``CLAIM_COLUMNS`` order."""
    return pd.DataFrame([c.row() for c in claims], columns=CLAIM_COLUMNS)


def half_time(epochs: np.ndarray, values: np.ndarray, level: float) -> float:
    """First epoch at which ``values`` reaches ``level`` (inf if it never does)."""
    reached = np.flatnonzero(values >= level)
    return float(epochs[reached[0]]) if reached.size else math.inf


def final_values(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Value at the last recorded epoch of each curve identified by ``keys``."""
    last = rows.sort_values("epoch").groupby(keys, sort=True).tail(1)
    return last.set_index(keys)["value"]


def unreadable(figure: str, variant: str, error: BaseException) -> Claim:
    """The failed row that stands for checks that could not run on the figure's data."""
    return Claim(
        figure,
        variant,
        "data_readable",
        f"The figure's data could be checked ({type(error).__name__}: {error})",
        math.nan,
        ">=",
        0.0,
    )


def guarded(figure: str, variant: str, check: Callable[[], list[Claim]]) -> list[Claim]:
    """``check()``, or one failed :func:`unreadable` row if the data does not allow it."""
    try:
        return check()
    except (KeyError, IndexError, ValueError, ZeroDivisionError, OSError) as error:
        return [unreadable(figure, variant, error)]


def evaluate(
    figures: Iterable[Any],
    tables: Mapping[str, Mapping[str, str]],
    settings: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, float],
    read: Callable[[str], pd.DataFrame] | None = None,
) -> list[Claim]:
    """Every claim of ``figures`` (:class:`~lindae.figures.base.Figure` objects, in order).

    ``tables[stem + suffix]`` maps table names (``curves``, extras, ``agreement``) to CSV paths
    for each rendering that was built; ``settings[stem]`` is the figure's config part.
    ``read`` loads a table (default: ``pandas.read_csv``).
    """
    read = read or pd.read_csv
    claims: list[Claim] = []
    for figure in figures:
        for variant in figure.variants:
            paths = tables.get(figure.stem + figure.suffix(variant))
            if paths is None:
                continue
            key = figure.stem[3:] if figure.stem.startswith("fig") else figure.stem

            def check(figure=figure, variant=variant, paths=paths) -> list[Claim]:
                loaded = {name: read(path) for name, path in paths.items()}
                return figure.claims(loaded, settings[figure.stem], thresholds, variant)

            claims += guarded(key, variant, check)
    return claims

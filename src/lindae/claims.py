"""Machine-checked claims: the row type, the measurements they share, and their evaluation.

Each figure states its own claims (:meth:`lindae.figures.base.Figure.claims`) as checks on its
own tables. A claim is ``measured <relation> threshold``; the thresholds come from ``claims:``
in the config. A failed claim is a result, not an error, and a check that cannot run on its
data becomes a row rather than an exception, so one failing figure never hides the others.

A claim is *evaluated* when its measurement is a number. It is *not evaluated*, and never a
pass, when the measurement could not be made: the data holds NaN where the claim looks, there
are no rows to measure, or the figure's tables could not be read (a figure that was not built).
The measurement helpers (:func:`measured_max`, :func:`measured_min`, :func:`measured_count`)
return an :class:`Unmeasured` NaN that says why; in ``claims.csv`` such a row has an empty
``measured``, ``passed`` False and the reason appended to its text (``[not evaluated: ...]``).
Rows of evaluated claims are unchanged by this, byte for byte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .lazy import lazy_import

np = lazy_import("numpy")
pd = lazy_import("pandas")


__all__ = [
    "Claim",
    "CLAIM_COLUMNS",
    "NOT_EVALUATED",
    "Unmeasured",
    "claims_frame",
    "claim_status",
    "not_evaluated_reason",
    "half_time",
    "final_values",
    "measured_max",
    "measured_min",
    "measured_count",
    "measured_spread",
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


# How a row of claims.csv marks a claim that was not evaluated (after its text).
NOT_EVALUATED = "[not evaluated: {reason}]"
_NOT_EVALUATED = re.compile(r" \[not evaluated: (?P<reason>.*)\]$", flags=re.S)


class Unmeasured(float):
    """A measurement that could not be made: NaN, carrying the reason (``reason``).

    A float, so that figures can hand it to :class:`Claim` like any measured value; the claim
    is then *not evaluated* and says why.
    """

    reason: str

    def __new__(cls, reason: str) -> Unmeasured:
        value = super().__new__(cls, math.nan)
        value.reason = reason
        return value


def _values(values: Any) -> np.ndarray:
    """``values`` (a Series, array, list or scalar) as a flat float array."""
    return np.asarray(values, dtype=float).ravel()


def _unmeasurable(values: np.ndarray, depends: Iterable[Any]) -> Unmeasured | None:
    """Why a reduction of ``values`` cannot stand for the data (None when it can): no values,
    or NaN among them or among the ``depends`` arrays the selection was made from (pandas'
    ``max`` would skip NaN, and a NaN row excluded by a filter is just as silent)."""
    if values.size == 0:
        return Unmeasured("no rows to measure")
    for name, array in (("measured values", values), *(("data", _values(d)) for d in depends)):
        missing = int(np.isnan(array).sum())
        if missing:
            return Unmeasured(f"{missing} of {array.size} {name} are NaN")
    return None


def measured_max(values: Any, depends: Iterable[Any] = ()) -> float:
    """The largest of ``values``, or :class:`Unmeasured` when there are none or any value (or
    any value of ``depends``) is NaN. Equals ``max`` exactly otherwise."""
    array = _values(values)
    unmeasured = _unmeasurable(array, depends)
    return unmeasured if unmeasured is not None else float(array.max())


def measured_min(values: Any, depends: Iterable[Any] = ()) -> float:
    """The smallest of ``values``; :class:`Unmeasured` as for :func:`measured_max`."""
    array = _values(values)
    unmeasured = _unmeasurable(array, depends)
    return unmeasured if unmeasured is not None else float(array.min())


def measured_spread(values: Any, depends: Iterable[Any] = ()) -> float:
    """``max - min`` of ``values``; :class:`Unmeasured` as for :func:`measured_max`."""
    array = _values(values)
    unmeasured = _unmeasurable(array, depends)
    return unmeasured if unmeasured is not None else float(array.max() - array.min())


def measured_count(count: int, basis: int, depends: Iterable[Any] = ()) -> float:
    """``count`` cases out of ``basis`` checked, as a measurement: :class:`Unmeasured` when
    nothing was checked (``basis`` 0: a count of 0 would pass without evidence) or ``depends``
    holds NaN."""
    if basis == 0:
        return Unmeasured("no cases to check")
    unmeasured = _unmeasurable(np.zeros(1), depends)
    return unmeasured if unmeasured is not None else float(count)


@dataclass(frozen=True)
class Claim:
    """One machine-checked claim: ``measured <relation> threshold`` decides ``passed``.

    A NaN ``measured`` (an :class:`Unmeasured` says why) means *not evaluated*: never a pass.
    """

    figure: str
    variant: str
    claim_id: str
    claim: str
    measured: float
    relation: str  # "<=" or ">="
    threshold: float

    @property
    def evaluated(self) -> bool:
        return not math.isnan(self.measured)

    @property
    def reason(self) -> str:
        """Why the claim was not evaluated ("" when it was)."""
        if self.evaluated:
            return ""
        return getattr(self.measured, "reason", "") or "the measured value is NaN"

    @property
    def passed(self) -> bool:
        if not math.isfinite(self.measured):
            return False
        if self.relation == "<=":
            return self.measured <= self.threshold
        return self.measured >= self.threshold

    def row(self) -> dict[str, Any]:
        """The claims.csv row; a claim not evaluated says why at the end of its text."""
        text = self.claim
        if not self.evaluated:
            text = f"{text} {NOT_EVALUATED.format(reason=self.reason)}"
        row = {**asdict(self), "claim": text, "measured": float(self.measured)}
        return {**row, "passed": self.passed}


def claim_status(row: Any) -> str:
    """``passed``, ``failed`` or ``not evaluated`` of a claims.csv row (or a :class:`Claim`):
    not evaluated when nothing was measured (an empty ``measured``)."""
    measured = float(row.measured)
    if math.isnan(measured):
        return "not evaluated"
    return "passed" if _is_true(row.passed) else "failed"


def _is_true(value: Any) -> bool:
    """A ``passed`` cell as read back from CSV: True only for a real true value (never NaN)."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True or (isinstance(value, (int, np.bool_)) and bool(value))


def not_evaluated_reason(text: str) -> str:
    """The reason a claims.csv row's text gives for not evaluating it ("" when none)."""
    match = _NOT_EVALUATED.search(str(text))
    return match["reason"] if match else ""


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
    """The row, not evaluated, that stands for the checks that could not run on the figure's
    data (a table that is missing because the figure was not built, or cannot be read)."""
    return Claim(
        figure,
        variant,
        "data_readable",
        "The figure's claims could be checked on its tables",
        Unmeasured(f"{type(error).__name__}: {error}"),
        ">=",
        0.0,
    )


def guarded(figure: str, variant: str, check: Callable[[], list[Claim]]) -> list[Claim]:
    """``check()``, or one :func:`unreadable` row (not evaluated) if the data does not allow
    it."""
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

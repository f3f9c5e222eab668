"""Drawing helpers the figures share: table selections as arrays, legends, shades, titles.

Matplotlib runs headless (``Agg``): build machines and cluster nodes have no display.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..lazy import lazy_import
from ..tables import select

np = lazy_import("numpy")
pd = lazy_import("pandas")

__all__ = ["pyplot", "wide", "legend_once", "shade", "dataset_title"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the headless ``Agg`` backend (imported when a plot is drawn,
    never when the workflow is parsed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def dataset_title(dataset: str, style: Mapping[str, Any] | None = None) -> str:
    """How a dataset is named on a figure: its ``datasets.<name>.title``, which the plot jobs
    hand over in ``style["dataset_titles"]``, else its config name."""
    return dict((style or {}).get("dataset_titles", {})).get(dataset, dataset)


def wide(table: pd.DataFrame, **conditions: Any) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values[time, run]) of the selected per-run curves."""
    rows = select(table, **conditions)
    pivot = rows.pivot_table(index="epoch", columns="run", values="value", sort=True)
    return pivot.index.to_numpy(), pivot.to_numpy()


def legend_once(ax: Any, loc: str = "upper right", order: Any = None) -> None:
    """A legend with one entry per label (curves drawn per run repeat their labels)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    keys = list(unique) if order is None else sorted(unique, key=order)
    ax.legend([unique[k] for k in keys], keys, loc=loc)


def shade(
    model: str,
    noise: float,
    decay: float,
    top_noise: float,
    variant: str,
    style: Mapping[str, Any],
) -> float:
    """Line alpha by regularisation strength (Figs 2-3).

    Faithful: the notebooks' eps / max(eps) for noise curves but the raw gamma for weight-decay
    curves, clipped to [0, 1] (gamma reaches 1.047). Corrected: eps / max(eps) for both rows so
    matched pairs share a shade, lifted to a floor so the unregularised baseline shows.
    """
    if variant == "faithful":
        level = decay if model == "WDAE" else noise / top_noise if top_noise > 0 else 1.0
        return float(np.clip(level, 0.0, 1.0))
    floor = style["corrected_min_alpha"]
    level = noise / top_noise if top_noise > 0 else 1.0
    return float(np.clip(floor + (1.0 - floor) * level, 0.0, 1.0))

"""The scalar network's loss landscape (Figs 1 and 4): surfaces, minimum sets, gradient fields.

Everything a landscape panel draws is computed here and written as a table, so the plot only
reads it and a claim could check it. Tables are long-form with :data:`GEOMETRY_COLUMNS`:
``quantity`` is ``surface`` (``value`` = loss at the grid point ``(w1, w2)``), ``minimum``
(points of the set of global minima, ``piece`` numbers connected pieces, ``value`` is NaN;
``shape`` says whether a piece is drawn as a ``curve`` or as ``points``) or ``gradient``
(``value`` unused; ``d_w1``, ``d_w2`` hold the descent direction -grad).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .lazy import lazy_import
from .theory import scalar_loss

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

np = lazy_import("numpy")
pd = lazy_import("pandas")

__all__ = [
    "GEOMETRY_COLUMNS",
    "square_grid",
    "authors_surface",
    "thresholded_minima",
    "branches",
    "hyperbola",
    "surface_rows",
    "minimum_rows",
    "gradient_rows",
    "grid_arrays",
    "points",
]

GEOMETRY_COLUMNS = ("panel", "quantity", "shape", "piece", "w1", "w2", "d_w1", "d_w2", "value")


def square_grid(
    half_width: float = 2.0, size: int = 100, descending_w2: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``meshgrid`` of [-h, h]^2 (w2 running downwards when ``descending_w2``, as in Fig. 1)."""
    axis = np.linspace(-half_width, half_width, size)
    return np.meshgrid(axis, axis[::-1] if descending_w2 else axis)


def authors_surface(w1: ArrayLike, w2: ArrayLike, lam: float, noise: float) -> NDArray:
    """The surface the authors' Fig. 1 helper draws: 0.5 (lam - u)^2 + (eps/2) u^2, u = w1 w2.

    It equals the per-mode loss S5 only at lam = 1 (the figure's setting).
    """
    u = np.asarray(w1) * np.asarray(w2)
    return 0.5 * (lam - u) ** 2 + 0.5 * noise * u**2


def thresholded_minima(
    lam: float, noise: float, decay: float, grid_size: int = 1000, half_width: float = 2.0
) -> tuple[NDArray, NDArray]:
    """Grid points within 1e-5 of the minimum of S5 (the authors' picture of the minima)."""
    axis = np.linspace(-half_width, half_width, grid_size)
    w1, w2 = np.meshgrid(axis, axis)
    loss = scalar_loss(w1, w2, lam, noise, decay)
    near = loss < loss.min() + 1e-5
    return w1[near], w2[near]


def branches(x: NDArray, y: NDArray, jump: float = 0.1) -> list[NDArray]:
    """Split a point cloud ordered along x into pieces wherever consecutive points jump."""
    order = np.lexsort((y, x))
    cloud = np.column_stack([x[order], y[order]])
    gaps = np.hypot(*np.diff(cloud, axis=0).T) >= jump
    return np.split(cloud, np.flatnonzero(gaps) + 1)


def hyperbola(target: float, half_width: float) -> list[NDArray]:
    """Exact branches of w1 w2 = target inside the square [-h, h]^2."""
    w1 = np.linspace(target / half_width, half_width, 400)
    return [np.column_stack([w1, target / w1]), np.column_stack([-w1, -target / w1])]


def _frame(panel: str, quantity: str, shape: str = "", piece: float = math.nan, **arrays: Any):
    frame = pd.DataFrame({name: np.asarray(value).ravel() for name, value in arrays.items()})
    frame["panel"], frame["quantity"] = panel, quantity
    frame["shape"], frame["piece"] = shape, piece
    for column in GEOMETRY_COLUMNS:
        if column not in frame:
            frame[column] = "" if column == "shape" else np.nan
    return frame[list(GEOMETRY_COLUMNS)]


def surface_rows(panel: str, w1: NDArray, w2: NDArray, loss: NDArray) -> pd.DataFrame:
    """A loss surface on a grid, in the grid's (row-major) order."""
    return _frame(panel, "surface", w1=w1, w2=w2, value=loss)


def minimum_rows(panel: str, pieces: list[NDArray], shape: str = "curve") -> pd.DataFrame:
    """The set of global minima as numbered pieces (polylines, or ``points`` to scatter)."""
    parts = [
        _frame(panel, "minimum", shape=shape, piece=k, w1=piece[:, 0], w2=piece[:, 1])
        for k, piece in enumerate(pieces)
    ]
    return pd.concat(parts, ignore_index=True)


def gradient_rows(panel: str, w1: NDArray, w2: NDArray, loss: NDArray, stride: int) -> pd.DataFrame:
    """Descent directions -grad of a gridded surface (finite differences, as the authors'
    notebook draws them), every ``stride``-th grid point."""
    grad_w2, grad_w1 = np.gradient(loss, w2[:, 0], w1[0])
    keep = (slice(None, None, stride), slice(None, None, stride))
    return _frame(
        panel, "gradient", w1=w1[keep], w2=w2[keep], d_w1=-grad_w1[keep], d_w2=-grad_w2[keep]
    )


def grid_arrays(
    table: pd.DataFrame, panel: str, columns: tuple[str, ...] = ("w1", "w2", "value")
) -> list[NDArray]:
    """The 2-D grids of ``columns`` of one panel's surface, in the order they were computed."""
    rows = table[(table["panel"] == panel) & (table["quantity"] == "surface")]
    size = int(round(np.sqrt(len(rows))))
    return [rows[c].to_numpy().reshape(size, size) for c in columns]


def points(table: pd.DataFrame, panel: str, quantity: str = "minimum") -> list[pd.DataFrame]:
    """The pieces of one panel's minimum set (each with columns w1, w2, shape)."""
    rows = table[(table["panel"] == panel) & (table["quantity"] == quantity)]
    return [piece for _, piece in rows.groupby("piece", sort=True)]

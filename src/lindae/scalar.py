"""Scalar two-weight network: initialisations and full-batch gradient descent on S5.

The authors draw each run's init with numpy's legacy global MT19937 generator: ``seed(s)``,
then ``w1 ~ U(-r, r)``, then ``w2 ~ U(-r, r)``. :class:`numpy.random.RandomState` is that
generator without the global state, so the draws are identical and nothing leaks between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .lazy import lazy_import
from .tables import rows
from .theory import scalar_loss, scalar_loss_gradient

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    FloatArray = NDArray[np.float64]

np = lazy_import("numpy")
pd = lazy_import("pandas")


__all__ = [
    "ScalarTrajectory",
    "legacy_uniform_inits",
    "gradient_descent",
    "gradient_flow_mapping",
    "trajectory_rows",
]


def legacy_uniform_inits(
    seeds: ArrayLike, init_range: float = 2.0
) -> tuple[FloatArray, FloatArray]:
    """Draw (w1, w2) ~ U(-r, r) per seed as the authors do: seed(s), then w1, then w2."""
    w1, w2 = [], []
    for seed in np.atleast_1d(np.asarray(seeds, dtype=np.int64)):
        generator = np.random.RandomState(int(seed))
        w1.append(generator.uniform(-init_range, init_range))
        w2.append(generator.uniform(-init_range, init_range))
    return np.array(w1), np.array(w2)


@dataclass(frozen=True)
class ScalarTrajectory:
    """Weights after steps 0..epochs; arrays of shape ``(epochs + 1,) + init_shape``."""

    w1: FloatArray
    w2: FloatArray

    @property
    def mapping(self) -> FloatArray:
        """u = w1 w2, the learned mapping of the mode."""
        return self.w1 * self.w2

    @property
    def weight_norm(self) -> FloatArray:
        """sqrt(w1^2 + w2^2)."""
        return np.hypot(self.w1, self.w2)


def gradient_descent(
    w1_0: ArrayLike,
    w2_0: ArrayLike,
    lam: float,
    noise: float = 0.0,
    decay: float = 0.0,
    lr: float = 0.01,
    epochs: int = 200,
) -> ScalarTrajectory:
    """Full-batch GD w <- w - lr * grad S5, vectorised over any number of inits (float64)."""
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    w1 = np.array(w1_0, dtype=np.float64)
    w2 = np.array(w2_0, dtype=np.float64)
    w1, w2 = np.broadcast_arrays(w1, w2)
    history_w1 = np.empty((epochs + 1,) + w1.shape)
    history_w2 = np.empty_like(history_w1)
    history_w1[0], history_w2[0] = w1, w2
    for step in range(1, epochs + 1):
        grad_w1, grad_w2 = scalar_loss_gradient(w1, w2, lam, noise, decay)
        w1, w2 = w1 - lr * grad_w1, w2 - lr * grad_w2
        history_w1[step], history_w2[step] = w1, w2
    return ScalarTrajectory(history_w1, history_w2)


def gradient_flow_mapping(
    w1_0: float, w2_0: float, lam: float, noise: float, decay: float, lr: float, epoch: FloatArray
) -> FloatArray:
    """u(t) = w1 w2 of the S5 gradient flow dw/dt = -lr grad, by adaptive integration.

    With weight decay there is no closed form for unbalanced inits; DOP853 at rtol 1e-10 is
    far below what a figure can show.
    """
    from scipy.integrate import solve_ivp

    def rhs(_, w):
        grad_w1, grad_w2 = scalar_loss_gradient(w[0], w[1], lam, noise, decay)
        return [-lr * grad_w1, -lr * grad_w2]

    solution = solve_ivp(
        rhs,
        (epoch[0], epoch[-1]),
        [w1_0, w2_0],
        method="DOP853",
        t_eval=epoch,
        rtol=1e-10,
        atol=1e-13,
    )
    if not solution.success:
        raise RuntimeError(f"gradient-flow integration failed: {solution.message}")
    return solution.y[0] * solution.y[1]


def trajectory_rows(
    trajectory: ScalarTrajectory, panel: str, model: str, **labels: float
) -> list[pd.DataFrame]:
    """Long-form rows of a GD run: w1, w2, the mapping, the weight norm and the loss S5."""
    epoch = np.arange(trajectory.w1.shape[0])
    runs = np.arange(trajectory.w1.shape[1])
    lam, noise, decay = labels["lam"], labels["noise"], labels["decay"]
    quantities = {
        "w1": trajectory.w1,
        "w2": trajectory.w2,
        "mapping": trajectory.mapping,
        "weight_norm": trajectory.weight_norm,
        "loss": scalar_loss(trajectory.w1, trajectory.w2, lam, noise, decay),
    }
    return [
        rows(
            values,
            epoch,
            panel=panel,
            source="simulation",
            model=model,
            quantity=name,
            run=runs,
            **labels,
        )
        for name, values in quantities.items()
    ]

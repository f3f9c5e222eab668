"""The runs behind the measured half-time ratio (:mod:`lindae.half_times`): linear DAEs and
WDAEs trained by the eigenbasis trainer from the balanced decoupled init.

With the init W1 = V A, W2 = A^T V^T of :func:`lindae.training.linear_init.decoupled_weights`
(A = sqrt(u0) on modes 1..H), the rotated factors of every mode beyond H are zero and gradient
descent keeps them exactly zero, and modes 1..H never mix. Training on the top-H block of the
spectrum (eigenvectors: the identity) is therefore the same trajectory of v_i^T W v_i as
training in the full eigenbasis, at O(H^3) instead of O(D H^2) per step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..half_times import Trainer
from . import linear, linear_init

__all__ = ["decoupled_trainer"]


def decoupled_trainer(
    eigenvalues: NDArray,
    hidden: int,
    u0: float,
    lr: float,
    dtype: str = "float64",
    device: str = "cpu",
) -> Trainer:
    """A :data:`lindae.half_times.Trainer`: full-batch GD with step ``lr`` of a linear network
    with ``hidden`` units on the top ``hidden`` modes of ``eigenvalues``, every mode starting
    at the mapping ``u0``; returns the recorded steps and v_i^T W v_i of modes 1..hidden."""
    lam = np.asarray(eigenvalues, dtype=np.float64)[:hidden]
    basis = np.eye(hidden)
    w1, w2 = linear_init.decoupled_weights(basis, hidden, u0)

    def train(noise: float, decay: float, epochs: int, steps: Sequence[int]):
        run = linear.train_eigenbasis(
            lam,
            basis,
            w1,
            w2,
            lr=lr,
            epochs=epochs,
            decay=decay,
            noise=noise,
            steps=steps,
            device=device,
            dtype=dtype,
        )
        return run.steps, run.projections

    return train

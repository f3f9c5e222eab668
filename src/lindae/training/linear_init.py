"""The authors' initial weights of the linear AE / WDAE / DAE (Fig. 5; docs/data.md).

:func:`initial_weights` draws W1 and W2 as the authors' code does (one seeded torch generator
per dataset, the models drawn in turn); :func:`authors_u0` condenses them into the authors'
single scale u0, from which :func:`decoupled_weights` builds the balanced init aligned with
the eigenvectors of Sigma_bar that the closed forms of :mod:`lindae.theory` start from. The
trainers of :mod:`lindae.training.linear` take either pair of weights.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import NDArray

from .. import models
from .linear import singular_values

__all__ = ["initial_weights", "authors_u0", "decoupled_weights"]


def initial_weights(
    dimension: int, hidden: int, scale: float, seed: int, model: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The authors' init: W1 (D x H), then W2 (H x D), entries scale * N(0, 1), float32 draws.

    One torch CPU generator seeded once per dataset; AE, WDAE and DAE draw in that order
    (:data:`lindae.models.MODELS`), so ``model`` selects which consecutive pair of draws
    is returned.
    """
    models.model(model)  # a ValueError naming the valid models
    generator = torch.Generator().manual_seed(seed)
    for name in models.MODELS:
        w1 = scale * torch.randn(dimension, hidden, generator=generator)
        w2 = scale * torch.randn(hidden, dimension, generator=generator)
        if name == model:
            return w1.double().numpy(), w2.double().numpy()
    raise AssertionError("unreachable")


def authors_u0(w1: NDArray, w2: NDArray, top_k: int) -> float:
    """The authors' single u0: sum of the top-k singular values of W1 W2, divided by D."""
    values = singular_values(np.asarray(w1, float), np.asarray(w2, float))
    return float(np.sort(values)[::-1][:top_k].sum() / w1.shape[0])


def decoupled_weights(
    eigenvectors: NDArray, hidden: int, u0: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Balanced decoupled init W1 = V A, W2 = A^T V^T with A = sqrt(u0) on the first H modes."""
    dimension = eigenvectors.shape[0]
    core = np.zeros((dimension, hidden))
    core[np.arange(hidden), np.arange(hidden)] = math.sqrt(u0)
    return eigenvectors @ core, core.T @ eigenvectors.T

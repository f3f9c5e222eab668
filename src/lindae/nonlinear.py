"""One-hidden-layer ReLU autoencoders (Fig. 6; PAPER.md section 4), trained in torch.

Model: x_hat = W2 relu(W1 x_tilde), W1 (H x D) and W2 (D x H) without biases (torch ``Linear``
weight layout), entries N(0, init_std^2). Loss: mean squared error over all N*D entries.
Full-batch SGD; the WDAE adds SGD weight decay (grad += wd * w), the DAE adds Gaussian input
noise drawn afresh every epoch (see :class:`NoisyInputs`). Gradients are written out by hand
(10 N D H flops per epoch, all in GEMMs), which is both faster than autograd here and bitwise
deterministic on CPU.

The mapping metric along the top-k eigen-directions v_i of Sigma = X^T X (eigenvalues
s_i = N lambda_bar_i) is m_i = ((X_hat v_i) . (X v_i)) / s_i, computed by projection in
O(N D k) with X v_i precomputed, never from a D x D matrix. For a linear map X_hat = X W^T it
equals v_i^T W v_i. Two variants are recorded every ``record_every`` epochs, before the update:

* ``faithful``: from that epoch's training forward pass (noisy inputs for the DAE), as the
  authors did;
* ``corrected``: from a clean, noise-free forward pass (identical for AE and WDAE).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from .linear import DivergenceError, divergence_message, resolve_device, resolve_dtype

__all__ = [
    "NonlinearTrajectory",
    "initial_weights",
    "mapping_metric",
    "effective_linear_parameters",
    "model_regularisers",
    "train_relu_autoencoder",
    "NoisyInputs",
    "ACTIVATIONS",
    "NOISE_STREAMS",
]

ACTIVATIONS = ("relu", "linear")
# Independent noise generators per DAE run; fixed, so results never depend on the thread count.
NOISE_STREAMS = 8

Progress = Callable[[int, float], None]


@dataclass
class NonlinearTrajectory:
    """Metric records (float64) of one run; row r holds the metric after ``epochs[r]`` updates."""

    epochs: NDArray[np.int64]
    faithful: NDArray[np.float64]  # (R, k) from the training forward pass
    corrected: NDArray[np.float64]  # (R, k) from a clean forward pass
    loss: NDArray[np.float64]  # (R,) training loss of that epoch's forward pass
    wall_seconds: float = 0.0
    metric_seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def initial_weights(
    dimension: int, hidden: int, std: float, seed: int, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """W1 (H x D), then W2 (D x H), entries N(0, std^2), from a CPU generator seeded ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    w1 = std * torch.randn(hidden, dimension, generator=generator, dtype=dtype)
    w2 = std * torch.randn(dimension, hidden, generator=generator, dtype=dtype)
    return w1, w2


class NoisyInputs:
    """Writes X_tilde = X + std * E (E standard Gaussian, fresh at each ``draw``) into a buffer.

    Drawing N*D Gaussian numbers is the DAE's main cost beyond its GEMMs, and one torch
    generator fills them on one core. So the rows are cut into ``NOISE_STREAMS`` fixed blocks,
    each with its own generator seeded from ``numpy.random.SeedSequence(seed)``, and the blocks
    are filled by a pool of ``threads`` workers (on CUDA, one after another). Each block's
    numbers depend only on its generator, so the result is bitwise the same for any ``threads``.
    Use as a context manager (it owns the worker pool).
    """

    def __init__(self, x: torch.Tensor, std: float, seed: int, threads: int = 1) -> None:
        self.x, self.std = x, std
        self.out = torch.empty_like(x)
        seeds = np.random.SeedSequence(seed).generate_state(NOISE_STREAMS)
        self.generators = [
            torch.Generator(device=x.device).manual_seed(int(value)) for value in seeds
        ]
        self.blocks = list(
            zip(self.x.chunk(NOISE_STREAMS), self.out.chunk(NOISE_STREAMS), strict=True)
        )
        parallel = x.device.type == "cpu" and threads > 1 and len(self.blocks) > 1
        self.pool = ThreadPoolExecutor(max_workers=threads) if parallel else None

    def _fill(self, index: int) -> None:
        clean, noisy = self.blocks[index]
        torch.randn(noisy.shape, generator=self.generators[index], out=noisy)
        torch.add(clean, noisy, alpha=self.std, out=noisy)  # one pass: x + std * e

    def draw(self) -> torch.Tensor:
        """Fresh noisy inputs (the same buffer every time)."""
        if self.pool is None:
            for index in range(len(self.blocks)):
                self._fill(index)
        else:
            list(self.pool.map(self._fill, range(len(self.blocks))))
        return self.out

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()

    def __enter__(self) -> NoisyInputs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def mapping_metric(
    prediction: torch.Tensor,
    data_projections: torch.Tensor,
    directions: torch.Tensor,
    strengths: torch.Tensor,
) -> torch.Tensor:
    """m_i = ((X_hat v_i) . (X v_i)) / s_i for the columns v_i of ``directions`` (D x k)."""
    return ((prediction @ directions) * data_projections).sum(dim=0) / strengths


def model_regularisers(model: str, settings: Mapping[str, Any]) -> tuple[float, float]:
    """(weight decay, input-noise std) of a nonlinear model."""
    return {
        "AE": (0.0, 0.0),
        "WDAE": (settings["weight_decay"], 0.0),
        "DAE": (0.0, settings["noise_std"]),
    }[model]


def effective_linear_parameters(
    lr: float, weight_decay: float, noise_std: float, dimension: int
) -> dict[str, float]:
    """Linear-theory parameters equivalent to MSE-mean + SGD decay (PAPER.md section 4).

    MSE over N*D entries is (2/D) times the S1/S2 loss, so alpha_eff = 2 alpha / D,
    gamma_eff = wd D / 2 and sigma^2_eff = std^2 (exact for a linear net).
    """
    return {
        "lr": 2.0 * lr / dimension,
        "decay": weight_decay * dimension / 2.0,
        "noise": noise_std**2,
    }


def train_relu_autoencoder(
    data: NDArray,
    eigenvalues: NDArray,
    eigenvectors: NDArray,
    hidden: int,
    lr: float,
    epochs: int,
    weight_decay: float = 0.0,
    noise_std: float = 0.0,
    init_std: float = 1e-3,
    seed: int = 0,
    modes: int = 4,
    record_every: int = 10,
    activation: str = "relu",
    device: str = "cpu",
    dtype: str = "float32",
    progress: Progress | None = None,
) -> NonlinearTrajectory:
    """Full-batch SGD of the (ReLU) autoencoder; records the mapping metric every k epochs.

    ``data`` is X (N x D); ``eigenvalues``/``eigenvectors`` those of X^T X / N (descending),
    of which the top ``modes`` are tracked. ``seed`` seeds the init and (through
    :class:`NoisyInputs`) the noise draws. ``metric_seconds`` of the result times the mapping
    metric alone (both variants, the DAE's clean pass included), not the loss or progress.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    x = torch.as_tensor(np.ascontiguousarray(data), dtype=torch_dtype, device=torch_device)
    n_samples, dimension = x.shape
    w1, w2 = (
        w.to(torch_device) for w in initial_weights(dimension, hidden, init_std, seed, torch_dtype)
    )
    directions = torch.as_tensor(
        np.ascontiguousarray(eigenvectors[:, :modes]), dtype=torch_dtype, device=torch_device
    )
    strengths = torch.as_tensor(
        n_samples * np.asarray(eigenvalues[:modes]), dtype=torch_dtype, device=torch_device
    )
    data_projections = x @ directions  # X v_i, once
    scale = 2.0 / (n_samples * dimension)  # d(mean squared error)/d(x_hat)
    faithful, corrected, losses, recorded = [], [], [], []
    metric_seconds = 0.0

    # Preallocated work arrays: the epoch loop allocates nothing of size N x D or N x H.
    def buffer(*shape):
        return torch.empty(shape, dtype=torch_dtype, device=torch_device)

    act, grad_act = buffer(n_samples, hidden), buffer(n_samples, hidden)
    prediction = buffer(n_samples, dimension)
    noise = NoisyInputs(x, noise_std, seed + 1, torch.get_num_threads()) if noise_std > 0 else None
    start = time.perf_counter()
    with torch.no_grad(), noise if noise is not None else contextlib.nullcontext():
        for epoch in range(epochs + 1):
            noisy = noise.draw() if noise is not None else x
            torch.mm(noisy, w1.T, out=act)
            if activation == "relu":
                act.clamp_min_(0.0)
            torch.mm(act, w2.T, out=prediction)
            if epoch % record_every == 0 or epoch == epochs:
                tick = time.perf_counter()
                # X_hat V = h (W2^T V): the same formula, projected through the hidden layer
                # (O(N H k) instead of O(N D k)), for both passes.
                decoder_directions = w2.T @ directions  # H x k
                metric = mapping_metric(act, data_projections, decoder_directions, strengths)
                if noise is not None:  # clean pass relu(X W1^T): grad_act is free until backward
                    clean = torch.mm(x, w1.T, out=grad_act)
                    clean = clean.clamp_min_(0.0) if activation == "relu" else clean
                    clean_metric = mapping_metric(
                        clean, data_projections, decoder_directions, strengths
                    )
                else:
                    clean_metric = metric
                metric_seconds += time.perf_counter() - tick
            residual = prediction.sub_(x)  # in place: X_hat - X
            if epoch % record_every == 0 or epoch == epochs:
                loss = float(torch.linalg.vector_norm(residual) ** 2) / (n_samples * dimension)
                if not math.isfinite(loss):
                    last = (recorded[-1], losses[-1]) if recorded else None
                    raise DivergenceError(
                        divergence_message(
                            epoch,
                            loss,
                            lr,
                            dimension / (2.0 * float(eigenvalues[0])),
                            last,
                            "its linear limit is stable only for lr < D/(2 lambda_bar_1)",
                        )
                    )
                faithful.append(metric.double().cpu().numpy())
                corrected.append(clean_metric.double().cpu().numpy())
                losses.append(loss)
                recorded.append(epoch)
                if progress is not None:
                    progress(epoch, loss)
            if epoch == epochs:
                break
            residual.mul_(scale)  # G = dL/dX_hat
            grad_w2 = residual.T @ act  # D x H
            torch.mm(residual, w2, out=grad_act)  # N x H
            if activation == "relu":
                grad_act.mul_(act > 0)
            grad_w1 = grad_act.T @ noisy  # H x D
            if weight_decay:
                grad_w1.add_(w1, alpha=weight_decay)
                grad_w2.add_(w2, alpha=weight_decay)
            w1.sub_(grad_w1, alpha=lr)
            w2.sub_(grad_w2, alpha=lr)
    return NonlinearTrajectory(
        epochs=np.asarray(recorded, dtype=np.int64),
        faithful=np.array(faithful),
        corrected=np.array(corrected),
        loss=np.array(losses),
        wall_seconds=time.perf_counter() - start,
        metric_seconds=metric_seconds,
        extra={"device": str(torch_device), "dtype": dtype, "activation": activation},
    )

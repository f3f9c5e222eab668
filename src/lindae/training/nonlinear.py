"""One-hidden-layer ReLU autoencoders (Fig. 6; docs/data.md), trained in torch.

Model: x_hat = W2 relu(W1 x_tilde), W1 (H x D) and W2 (D x H) without biases (torch ``Linear``
weight layout), entries N(0, init_std^2). Loss: mean squared error over all N*D entries.
Full-batch SGD; the WDAE adds SGD weight decay (grad += wd * w), the DAE adds Gaussian input
noise drawn afresh every epoch (:class:`~lindae.training.noise.NoisyInputs`). Gradients are
written out by hand (10 N D H flops per epoch, all in GEMMs), which is both faster than
autograd here and bitwise deterministic on CPU. The epochs run through
:func:`lindae.training.driver.run_epochs`.

The mapping metric along the top-k eigen-directions v_i of Sigma = X^T X (eigenvalues
s_i = N lambda_bar_i) is m_i = ((X_hat v_i) . (X v_i)) / s_i, computed by projection in
O(N D k) with X v_i precomputed, never from a D x D matrix. For a linear map X_hat = X W^T it
equals v_i^T W v_i. Two variants are recorded every ``record_every`` epochs, before the update:

* ``faithful``: from that epoch's training forward pass (noisy inputs for the DAE), as the
  authors did;
* ``corrected``: from a clean, noise-free forward pass (identical for AE and WDAE).

The epoch after each record also measures the faithful metric (from the forward pass that
update makes anyway, O(N H k)) and feeds both to an
:class:`~lindae.training.stability.OscillationMonitor`: a run that swings instead of converging
stops with an error stating the linear-limit stability bound
(:func:`lindae.models.nonlinear_stability`, with the weight decay and noise of the model).
Given a ``checkpoint``, a run saves its weights, noise generators and records now and then
and resumes from them.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..models import nonlinear_stability
from .checkpoint import Checkpoint
from .driver import (
    Resumable,
    check_training_settings,
    record_epochs,
    resolve_device,
    resolve_dtype,
    run_epochs,
)
from .noise import NOISE_STREAMS, NoisyInputs
from .progress import ProgressMeter
from .stability import OscillationMonitor

__all__ = [
    "NonlinearTrajectory",
    "initial_weights",
    "mapping_metric",
    "train_relu_autoencoder",
    "NoisyInputs",
    "ACTIVATIONS",
    "NOISE_STREAMS",
]

ACTIVATIONS = ("relu", "linear")
RULE = "its linear limit is stable only for lr <"
METRIC = "the mapping metric m_i"


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


def mapping_metric(
    prediction: torch.Tensor,
    data_projections: torch.Tensor,
    directions: torch.Tensor,
    strengths: torch.Tensor,
) -> torch.Tensor:
    """m_i = ((X_hat v_i) . (X v_i)) / s_i for the columns v_i of ``directions`` (D x k)."""
    return ((prediction @ directions) * data_projections).sum(dim=0) / strengths


class _Epochs:
    """The ``record``/``update`` callbacks of one ReLU run, sharing each epoch's forward pass.

    :meth:`forward` computes h = act(X_tilde W1^T) and the residual X_hat - X into
    preallocated buffers (the epoch loop allocates nothing of size N x D or N x H). ``record``
    runs it, measures, and leaves it for the ``update`` of the same epoch, which runs it only
    when that epoch was not recorded: one forward pass per epoch either way. The update of the
    epoch after a record also measures the faithful metric for ``monitor`` (not recorded).
    """

    def __init__(
        self,
        x: torch.Tensor,
        w1: torch.Tensor,
        w2: torch.Tensor,
        directions: torch.Tensor,
        strengths: torch.Tensor,
        lr: float,
        weight_decay: float,
        activation: str,
        noise: NoisyInputs | None,
        monitor: OscillationMonitor,
    ) -> None:
        self.x, self.w1, self.w2, self.lr, self.weight_decay = x, w1, w2, lr, weight_decay
        self.monitor, self.updates, self.watch = monitor, 0, -1  # watch: epoch to measure
        self.directions, self.strengths, self.noise = directions, strengths, noise
        self.relu = activation == "relu"
        n_samples, dimension = x.shape
        hidden = w1.shape[0]
        self.entries = n_samples * dimension
        self.data_projections = x @ directions  # X v_i, once
        self.act = x.new_empty(n_samples, hidden)
        self.grad_act = x.new_empty(n_samples, hidden)
        self.residual = x.new_empty(n_samples, dimension)
        self.noisy = x
        self.fresh = False  # whether the buffers hold the forward pass of the current weights
        self.faithful: list[NDArray] = []
        self.corrected: list[NDArray] = []
        self.metric_seconds = 0.0

    def forward(self) -> None:
        """Noisy inputs (DAE), hidden layer and residual X_hat - X of the current weights."""
        self.noisy = self.noise.draw() if self.noise is not None else self.x
        torch.mm(self.noisy, self.w1.T, out=self.act)
        if self.relu:
            self.act.clamp_min_(0.0)
        torch.mm(self.act, self.w2.T, out=self.residual)
        self.residual.sub_(self.x)  # in place: X_hat - X
        self.fresh = True

    def _faithful(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(W2^T V, the metric of the current forward pass): X_hat V = h (W2^T V), the same
        formula projected through the hidden layer (O(N H k) instead of O(N D k))."""
        decoder_directions = self.w2.T @ self.directions  # H x k
        metric = mapping_metric(self.act, self.data_projections, decoder_directions, self.strengths)
        return decoder_directions, metric

    def record(self, epoch: int) -> float:
        """Both mapping metrics and the loss of this epoch's forward pass."""
        if not self.fresh:
            self.forward()
        tick = time.perf_counter()
        decoder_directions, metric = self._faithful()
        clean_metric = metric
        if self.noise is not None:  # clean pass act(X W1^T): grad_act is free until the update
            clean = torch.mm(self.x, self.w1.T, out=self.grad_act)
            clean = clean.clamp_min_(0.0) if self.relu else clean
            clean_metric = mapping_metric(
                clean, self.data_projections, decoder_directions, self.strengths
            )
        self.metric_seconds += time.perf_counter() - tick
        self.faithful.append(metric.double().cpu().numpy())
        self.corrected.append(clean_metric.double().cpu().numpy())
        self.monitor.observe(epoch, self.faithful[-1])
        self.watch = epoch + 1
        return float(torch.linalg.vector_norm(self.residual) ** 2) / self.entries

    def save(self) -> dict[str, Any]:
        """The run's state at the start of an epoch (the buffers then hold nothing needed)."""
        return {
            "w1": self.w1.cpu().clone(),
            "w2": self.w2.cpu().clone(),
            "noise": self.noise.state() if self.noise is not None else None,
            "updates": self.updates,
            "watch": self.watch,
            "faithful": [torch.from_numpy(row) for row in self.faithful],
            "corrected": [torch.from_numpy(row) for row in self.corrected],
            "metric_seconds": self.metric_seconds,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`save`."""
        self.w1.copy_(state["w1"])
        self.w2.copy_(state["w2"])
        if self.noise is not None:
            self.noise.restore(state["noise"])
        self.updates, self.watch = int(state["updates"]), int(state["watch"])
        self.faithful = [row.numpy() for row in state["faithful"]]
        self.corrected = [row.numpy() for row in state["corrected"]]
        self.metric_seconds, self.fresh = float(state["metric_seconds"]), False

    def update(self) -> None:
        """One full-batch SGD step from this epoch's forward pass (run here if not recorded)."""
        if not self.fresh:
            self.forward()
            if self.updates == self.watch:  # the epoch after a record: the monitor's pair
                metric = self._faithful()[1]
                self.monitor.observe(self.updates, metric.double().cpu().numpy())
        self.updates += 1
        residual = self.residual.mul_(2.0 / self.entries)  # G = dL/dX_hat of the mean
        grad_w2 = residual.T @ self.act  # D x H
        torch.mm(residual, self.w2, out=self.grad_act)  # N x H
        if self.relu:
            self.grad_act.mul_(self.act > 0)
        grad_w1 = self.grad_act.T @ self.noisy  # H x D
        if self.weight_decay:
            grad_w1.add_(self.w1, alpha=self.weight_decay)
            grad_w2.add_(self.w2, alpha=self.weight_decay)
        self.w1.sub_(grad_w1, alpha=self.lr)
        self.w2.sub_(grad_w2, alpha=self.lr)
        self.fresh = False


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
    progress: ProgressMeter | None = None,
    checkpoint: Checkpoint | None = None,
) -> NonlinearTrajectory:
    """Full-batch SGD of the (ReLU) autoencoder; records the mapping metric every k epochs.

    ``data`` is X (N x D); ``eigenvalues``/``eigenvectors`` those of X^T X / N (descending),
    of which the top ``modes`` are tracked. ``seed`` seeds the init and (through
    :class:`NoisyInputs`) the noise draws. ``metric_seconds`` of the result times the mapping
    metric alone (both variants, the DAE's clean pass included), not the loss or progress.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
    check_training_settings(lr, epochs, weight_decay=weight_decay, noise_std=noise_std)
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)

    def tensor(array: NDArray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(array), dtype=torch_dtype, device=torch_device)

    x = tensor(data)
    n_samples, dimension = x.shape
    w1, w2 = (
        w.to(torch_device) for w in initial_weights(dimension, hidden, init_std, seed, torch_dtype)
    )
    directions = tensor(eigenvectors[:, :modes])
    strengths = tensor(n_samples * np.asarray(eigenvalues[:modes]))
    noise = NoisyInputs(x, noise_std, seed + 1, torch.get_num_threads()) if noise_std > 0 else None
    bound = nonlinear_stability(eigenvalues, dimension, weight_decay, noise_std, hidden)
    # the DAE's faithful metric comes from noisy passes: only swings far above that noise count
    monitor = OscillationMonitor.noisy(METRIC) if noise is not None else OscillationMonitor(METRIC)
    with torch.no_grad(), noise if noise is not None else contextlib.nullcontext():
        run = _Epochs(
            x, w1, w2, directions, strengths, lr, weight_decay, activation, noise, monitor
        )
        schedule = record_epochs(epochs, record_every)
        records = run_epochs(
            epochs,
            schedule,
            run.record,
            run.update,
            lr,
            bound,
            RULE,
            progress,
            monitor,
            checkpoint,
            Resumable(run.save, run.restore),
        )
    return NonlinearTrajectory(
        epochs=records.epochs,
        faithful=np.array(run.faithful),
        corrected=np.array(run.corrected),
        loss=records.loss,
        wall_seconds=records.wall_seconds,
        metric_seconds=run.metric_seconds,
        extra={
            "device": str(torch_device),
            "dtype": dtype,
            "activation": activation,
            "stability_bound": bound.value,
            "stability_formula": bound.formula,
            "resumed_from_epoch": records.resumed_from_epoch,
        },
    )

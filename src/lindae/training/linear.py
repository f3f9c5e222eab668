"""Linear AE / WDAE / DAE trained by full-batch gradient descent (docs/data.md), in torch.

Row convention of the authors' code: X_hat = X W1 W2 with W1 (D x H), W2 (H x D), W = W1 W2.
Losses: (1/2N)||X W - X||^2 + (sigma^2/2)||W||_F^2 + (gamma/2)(||W1||^2 + ||W2||^2), i.e. the
noise-averaged DAE (S1) and the weight-decay AE (S2).

Two exact algorithms for the same GD trajectory:

* :func:`train_eigenbasis` (the default): with Sigma_bar = V Lambda V^T, rotate A = V^T W1 and
  B = W2 V. GD on (A, B) is GD on (W1, W2) and costs O(D H^2) per step, independent of N.
* :func:`train_dataspace`: the authors' data-matrix algorithm, O(N D H) per step; kept as the
  reference the tests compare against.

:func:`train_sampled_noise` is beyond the paper: the same linear DAE with real Gaussian input
noise drawn every epoch (full batch or minibatches), in data space.

Every run goes through :func:`lindae.training.driver.run_epochs` and records, after the update
counts in ``steps`` (:func:`record_steps`: pairs k, k + 1 and the last epoch), the sorted
singular values of W (the paper's "actual"), the eigen-projections v_i^T W v_i of all D modes,
and the loss. A run stops with an error when it diverges or, fed with the projections of each
such pair, an :class:`~lindae.training.stability.OscillationMonitor` finds a mode swinging for
good; both messages state the model's stability bound (:func:`lindae.models.linear_stability`,
with its sigma^2 and gamma). Given a ``checkpoint``, a run saves its weights (and noise
generator) with its records now and then and resumes from them (the driver's
:class:`~lindae.training.driver.Resumable`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from .. import models
from ..io import save_record
from .checkpoint import Checkpoint
from .driver import (
    Resumable,
    check_training_settings,
    record_steps,
    resolve_device,
    resolve_dtype,
    run_epochs,
)
from .noise import GaussianStreams
from .progress import ProgressMeter
from .stability import OscillationMonitor

__all__ = [
    "Trajectory",
    "record_steps",
    "singular_values",
    "train_eigenbasis",
    "train_dataspace",
    "train_sampled_noise",
    "save_run",
]

#: Reader of the current weights as the rotated factors (A = V^T W1, B = W2 V): float64 torch
#: tensors on the CPU. The records are computed from them in torch, on its own threads: numpy's
#: BLAS beside torch's busy OpenMP threads took 2-6x longer (docs/running.md).
Rotated = Callable[[], tuple[torch.Tensor, torch.Tensor]]

#: What the oscillation monitor watches (and its messages name).
PROJECTION = "v_i^T W v_i"


@dataclass
class Trajectory:
    """What one training run records (float64 numpy arrays)."""

    steps: NDArray[np.int64]  # number of updates done at each record
    singular_values: NDArray[np.float64]  # (R, H), descending
    projections: NDArray[np.float64]  # (R, D): v_i^T W v_i
    loss: NDArray[np.float64]  # (R,)
    wall_seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def singular_values(a: NDArray | torch.Tensor, b: NDArray | torch.Tensor) -> NDArray[np.float64]:
    """Singular values of A B (A: D x H, B: H x D) from the H x H core of two QR factorisations
    (float64)."""
    a, b = (
        m.double() if isinstance(m, torch.Tensor) else torch.from_numpy(np.array(m, np.float64))
        for m in (a, b)
    )
    r_a = torch.linalg.qr(a, mode="r")[1]
    r_b = torch.linalg.qr(b.T, mode="r")[1]
    return torch.linalg.svdvals(r_a @ r_b.T).numpy()


@dataclass(frozen=True)
class _Run:
    """The settings of one run as its trainer was called, passed on to :func:`_run` whole."""

    eigenvalues: NDArray  # of Sigma_bar, descending
    hidden: int  # H
    noise: float  # sigma^2 of the loss (the noise-averaged DAE) or of the sampled noise
    decay: float  # gamma
    lr: float
    epochs: int
    steps: Sequence[int]  # update counts to record after
    dtype: str
    progress: ProgressMeter | None
    checkpoint: Checkpoint | None


def _run(
    run: _Run,
    algorithm: str,
    device: torch.device,
    update: Callable[[], None],
    rotated: Rotated,
    monitor: OscillationMonitor,
    weights: Resumable,
) -> Trajectory:
    """Drive ``update`` through the shared driver, recording after the update counts in
    ``run.steps`` the singular values, eigen-projections and loss (all float64); the
    projections also feed ``monitor``. ``weights`` saves and restores the trainer's own state
    for ``run.checkpoint``; this adds the records. The trajectory's ``extra`` names the
    stability bound, the ``algorithm``, ``device`` and dtype."""
    eigenvalues, noise, decay = run.eigenvalues, run.noise, run.decay
    check_training_settings(run.lr, run.epochs, noise=noise, decay=decay)
    recorded: list[tuple[NDArray, NDArray]] = []
    lam = torch.from_numpy(np.array(eigenvalues, dtype=np.float64))  # a copy: any strides

    def record(epoch: int) -> float:
        a, b = rotated()
        if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
            return math.nan
        projections = (a * b.T).sum(dim=1)  # v_i^T W v_i = sum_h A_ih B_hi
        scaled = lam[:, None] * a
        gram_b = b @ b.T
        data_term = 0.5 * (((a.T @ scaled) * gram_b).sum() - 2.0 * (lam @ projections) + lam.sum())
        loss = (
            data_term
            + 0.5 * noise * ((a.T @ a) * gram_b).sum()
            + 0.5 * decay * ((a * a).sum() + (b * b).sum())
        )
        recorded.append((singular_values(a, b), projections.numpy()))
        monitor.observe(epoch, recorded[-1][1])
        return float(loss)

    def save() -> dict[str, Any]:
        records = [[torch.from_numpy(s), torch.from_numpy(p)] for s, p in recorded]
        return {"weights": weights.save(), "recorded": records}

    def restore(state: Mapping[str, Any]) -> None:
        weights.restore(state["weights"])
        recorded[:] = [(s.numpy(), p.numpy()) for s, p in state["recorded"]]

    bound = models.linear_stability(eigenvalues, noise, decay, run.hidden)
    records = run_epochs(
        run.epochs,
        run.steps,
        record,
        update,
        run.lr,
        bound,
        progress=run.progress,
        monitor=monitor,
        checkpoint=run.checkpoint,
        trainer=Resumable(save, restore),
    )
    return Trajectory(
        steps=records.epochs,
        singular_values=np.array([r[0] for r in recorded]),
        projections=np.array([r[1] for r in recorded]),
        loss=records.loss,
        wall_seconds=records.wall_seconds,
        extra={
            "stability_bound": bound.value,
            "stability_formula": bound.formula,
            "resumed_from_epoch": records.resumed_from_epoch,
            "algorithm": algorithm,
            "device": str(device),
            "dtype": run.dtype,
        },
    )


def train_eigenbasis(
    eigenvalues: NDArray,
    eigenvectors: NDArray,
    w1: NDArray,
    w2: NDArray,
    lr: float,
    epochs: int,
    decay: float = 0.0,
    noise: float = 0.0,
    steps: Sequence[int] = (0,),
    device: str = "cpu",
    dtype: str = "float32",
    progress: ProgressMeter | None = None,
    checkpoint: Checkpoint | None = None,
) -> Trajectory:
    """Exact full-batch GD in the eigenbasis of Sigma_bar: 4 GEMMs of 2 D H^2 flops per step.

    dA = ((Lambda + sigma^2) A)(B B^T) - Lambda B^T + gamma A,
    dB^T = B^T (A^T (Lambda + sigma^2) A) - Lambda A + gamma B^T.
    ``steps`` should hold pairs k, k + 1 (:func:`record_steps`) for oscillation detection.
    """
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)

    def tensor(array: NDArray) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(array), dtype=torch_dtype, device=torch_device)

    lam = tensor(np.asarray(eigenvalues)[:, None])
    lam_noise = lam + noise
    a = tensor(eigenvectors.T @ w1)
    b_t = tensor((w2 @ eigenvectors).T)  # B stored transposed: every D x H array contiguous

    @torch.no_grad()
    def update() -> None:
        nonlocal a, b_t
        scaled = lam_noise * a  # (Lambda + sigma^2) A
        gram = a.T @ scaled  # A^T (Lambda + sigma^2) A (symmetric), from the old A
        # A - lr dA and B^T - lr dB^T: each GEMM fused with its accumulation
        new_a = torch.addmm(a, scaled, b_t.T @ b_t, alpha=-lr).addcmul_(lam, b_t, value=lr)
        new_b_t = torch.addmm(b_t, b_t, gram, alpha=-lr).addcmul_(lam, a, value=lr)
        if decay:
            new_a.add_(a, alpha=-lr * decay)
            new_b_t.add_(b_t, alpha=-lr * decay)
        a, b_t = new_a, new_b_t

    def rotated() -> tuple[torch.Tensor, torch.Tensor]:
        return a.double().cpu(), b_t.T.double().cpu()

    def save() -> dict[str, Any]:
        return {"a": a.cpu(), "b_t": b_t.cpu()}

    def restore(state: Mapping[str, Any]) -> None:
        a.copy_(state["a"])
        b_t.copy_(state["b_t"])

    run = _Run(
        eigenvalues, w1.shape[1], noise, decay, lr, epochs, steps, dtype, progress, checkpoint
    )
    monitor, weights = OscillationMonitor(PROJECTION), Resumable(save, restore)
    return _run(run, "eigenbasis", torch_device, update, rotated, monitor, weights)


def _dataspace_state(
    data: NDArray, eigenvectors: NDArray, w1: NDArray, w2: NDArray, device: str, dtype: str
) -> tuple[torch.device, torch.Tensor, torch.Tensor, torch.Tensor, Rotated]:
    """Device, X and copies of W1, W2 as tensors, and a reader of the rotated factors (A, B)."""
    torch_device, torch_dtype = resolve_device(device), resolve_dtype(dtype)
    x = torch.as_tensor(np.ascontiguousarray(data), dtype=torch_dtype, device=torch_device)
    p = torch.as_tensor(w1, dtype=torch_dtype, device=torch_device).clone()
    q = torch.as_tensor(w2, dtype=torch_dtype, device=torch_device).clone()

    basis = torch.as_tensor(np.ascontiguousarray(eigenvectors), dtype=torch.float64)  # V, CPU

    def rotated() -> tuple[torch.Tensor, torch.Tensor]:
        return basis.T @ p.double().cpu(), q.double().cpu() @ basis

    return torch_device, x, p, q, rotated


def _weights(
    p: torch.Tensor,
    q: torch.Tensor,
    generator: torch.Generator | None = None,
    streams: GaussianStreams | None = None,
):
    """Save and restore of W1, W2 (in place) and of the minibatch order's ``generator`` and
    the noise ``streams``, if any."""

    def save() -> dict[str, Any]:
        state = {"w1": p.cpu().clone(), "w2": q.cpu().clone()}
        if generator is not None:
            state["generator"] = generator.get_state()
        if streams is not None:
            state["streams"] = streams.state()
        return state

    def restore(state: Mapping[str, Any]) -> None:
        p.copy_(state["w1"])
        q.copy_(state["w2"])
        if generator is not None:
            generator.set_state(state["generator"])
        if streams is not None:
            streams.restore(state["streams"])

    return Resumable(save, restore)


def train_dataspace(
    data: NDArray,
    eigenvalues: NDArray,
    eigenvectors: NDArray,
    w1: NDArray,
    w2: NDArray,
    lr: float,
    epochs: int,
    decay: float = 0.0,
    noise: float = 0.0,
    steps: Sequence[int] = (0,),
    device: str = "cpu",
    dtype: str = "float32",
    progress: ProgressMeter | None = None,
    checkpoint: Checkpoint | None = None,
) -> Trajectory:
    """The authors' data-matrix GD (reference): 10 N D H flops per step.

    dW1 = X^T[(XW - X)/N] W2^T + gamma W1 + sigma^2 W1 W2 W2^T,
    dW2 = (X W1)^T (XW - X)/N + gamma W2 + sigma^2 W1^T W1 W2.
    """
    torch_device, x, p, q, rotated = _dataspace_state(data, eigenvectors, w1, w2, device, dtype)
    n_samples = x.shape[0]

    @torch.no_grad()
    def update() -> None:
        hidden = x @ p
        # in place: the same arithmetic as (hidden @ q - x) / N, without two N x D temporaries
        residual = (hidden @ q).sub_(x).div_(n_samples)
        grad_p = x.T @ (residual @ q.T)
        grad_q = hidden.T @ residual
        if noise:
            grad_p += noise * (p @ (q @ q.T))
            grad_q += noise * ((p.T @ p) @ q)
        if decay:
            grad_p += decay * p
            grad_q += decay * q
        p.sub_(lr * grad_p)
        q.sub_(lr * grad_q)

    run = _Run(
        eigenvalues, w1.shape[1], noise, decay, lr, epochs, steps, dtype, progress, checkpoint
    )
    monitor, weights = OscillationMonitor(PROJECTION), _weights(p, q)
    return _run(run, "dataspace", torch_device, update, rotated, monitor, weights)


def train_sampled_noise(
    data: NDArray,
    eigenvalues: NDArray,
    eigenvectors: NDArray,
    w1: NDArray,
    w2: NDArray,
    lr: float,
    epochs: int,
    noise: float,
    batch_size: int = 0,
    seed: int = 0,
    steps: Sequence[int] = (0,),
    device: str = "cpu",
    dtype: str = "float32",
    progress: ProgressMeter | None = None,
    checkpoint: Checkpoint | None = None,
) -> Trajectory:
    """Linear DAE with Gaussian input noise (variance ``noise``) drawn afresh every epoch.

    Loss per batch: (1/2n)||X - (X + E) W||^2. ``batch_size`` 0 is full batch (one update per
    epoch, directly comparable with the noise-averaged theory); otherwise a shuffled pass of
    minibatches per epoch. The recorded loss is the noise-averaged one, for comparability.
    ``seed`` seeds the minibatch order and (through
    :class:`~lindae.training.noise.GaussianStreams`, drawn on all of torch's threads) the noise.
    """
    torch_device, x, p, q, rotated = _dataspace_state(data, eigenvectors, w1, w2, device, dtype)
    generator = torch.Generator(device=torch_device).manual_seed(seed)
    streams = GaussianStreams(seed, torch_device, torch.get_num_threads())
    n_samples = x.shape[0]
    size = n_samples if batch_size in (0, None) else min(batch_size, n_samples)
    std = math.sqrt(noise)
    buffer = torch.empty_like(x[:size])  # the noisy inputs of one batch

    @torch.no_grad()
    def update() -> None:
        order = (
            torch.randperm(n_samples, generator=generator, device=torch_device)
            if size < n_samples
            else None
        )
        for start in range(0, n_samples, size):
            clean = x if order is None else x[order[start : start + size]]
            # in place: clean + std * E and (hidden @ q - clean) / n without N x D temporaries
            # (an epoch's non-GEMM work is memory traffic)
            noisy = streams.noisy(clean, std, buffer[: clean.shape[0]])
            hidden = noisy @ p
            residual = (hidden @ q).sub_(clean).div_(clean.shape[0])
            grad_p = noisy.T @ (residual @ q.T)
            grad_q = hidden.T @ residual
            p.sub_(lr * grad_p)
            q.sub_(lr * grad_q)

    # noise drawn every epoch moves the projections a little from one epoch to the next: only
    # swings far above that count (see OscillationMonitor.noisy). Minibatches make an epoch
    # several steps, which can hide a swing of period two steps; the workflow also trains the
    # marginalised twin (full batch, same bound), which shows it.
    run = _Run(eigenvalues, w1.shape[1], noise, 0.0, lr, epochs, steps, dtype, progress, checkpoint)
    monitor, weights = OscillationMonitor.noisy(PROJECTION), _weights(p, q, generator, streams)
    with streams:
        trajectory = _run(run, "sampled_noise", torch_device, update, rotated, monitor, weights)
    trajectory.extra.update(batch_size=size)
    return trajectory


def save_run(
    trajectory: Trajectory,
    destination: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray] | None = None,
    **metadata: Any,
) -> None:
    """Write a training record (its arrays, extra ``arrays``, JSON ``metadata``) atomically.

    The metadata holds the trainer's own facts (algorithm, device, dtype, stability bound,
    ``wall_seconds``) plus ``metadata``: the caller states the settings the run was trained
    with. Read it back with :func:`lindae.io.load_record` (no torch needed).
    """
    save_record(
        destination,
        {
            **dict(arrays or {}),
            "steps": trajectory.steps,
            "singular_values": trajectory.singular_values,
            "projections": trajectory.projections,
            "loss": trajectory.loss,
        },
        {**trajectory.extra, "wall_seconds": trajectory.wall_seconds, **metadata},
    )

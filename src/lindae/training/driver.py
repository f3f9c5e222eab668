"""The one training driver: epochs, records, progress, checkpoints and timing.

A trainer supplies two callbacks and the driver runs, for ``epoch`` = 0 .. ``epochs``::

    if epoch is recorded: loss = record(epoch)   # measure the weights after `epoch` updates
    if epoch < epochs:    update()               # one update (full-batch step or epoch)

``record`` stores whatever the trainer measures and returns the loss; a non-finite loss (the
trainer returns NaN when it finds non-finite weights) stops the run with a
:class:`~lindae.training.stability.DivergenceError` naming the epoch, the loss, the last finite
loss and the model's stability bound (:class:`lindae.models.StabilityBound`). Because
``record(epoch)`` always comes right before the ``update()`` of the same epoch, a trainer whose
update needs a forward pass can run it in ``record`` and reuse it in ``update`` (see
:mod:`lindae.training.nonlinear`): recording costs no extra pass.

A learning rate a little above the bound does not diverge but swings for ever: an
:class:`~lindae.training.stability.OscillationMonitor` fed by the trainer detects that, and the
driver stops the run with an :class:`~lindae.training.stability.OscillationError`
(:mod:`lindae.training.stability` says how both are detected).

A run given a :class:`~lindae.training.checkpoint.Checkpoint` and a :class:`Resumable` (the
trainer's ``save``/``restore`` of its weights, generators and records) saves its full state
at the start of an epoch now and then, and a later run with the same fingerprint continues
from there: same records, bit for bit on CPU. A :class:`~lindae.training.progress.ProgressMeter`
shows epoch, speed and ETA as whole lines.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import DeviceError, UserError
from ..models import StabilityBound
from .checkpoint import Checkpoint
from .progress import ProgressMeter
from .stability import (
    LINEAR_RULE,
    DivergenceError,
    OscillationError,
    OscillationMonitor,
    divergence_message,
    oscillation_message,
)

__all__ = [
    "Checkpoint",
    "ProgressMeter",
    "Resumable",
    "TrainingSettingsError",
    "DeviceError",
    "check_training_settings",
    "resolve_device",
    "resolve_dtype",
    "record_steps",
    "record_epochs",
    "Records",
    "run_epochs",
]


class TrainingSettingsError(ValueError, UserError):
    """A training setting (learning rate, epochs, noise, decay) is not a valid number."""


def check_training_settings(lr: float, epochs: int, **amounts: float) -> None:
    """Refuse, before any compute, a learning rate that is not finite and > 0, a negative or
    non-integer epoch count, or an amount (``noise=``, ``decay=`` ...) that is not finite and
    >= 0: each would train into a meaningless (or NaN) result."""
    if not (isinstance(lr, int | float) and math.isfinite(lr) and lr > 0):
        raise TrainingSettingsError(f"learning rate lr = {lr!r}: must be a finite number > 0")
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 0:
        raise TrainingSettingsError(f"epochs = {epochs!r}: must be an integer >= 0")
    for name, value in amounts.items():
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise TrainingSettingsError(f"{name} = {value!r}: must be a finite number >= 0")


def resolve_device(device: str) -> torch.device:
    """``auto`` -> cuda when available else cpu; ``cuda`` without a GPU is an error (no compute)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            "device: cuda was requested but no CUDA GPU is visible to PyTorch "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}); "
            "nothing was trained. Set device: cpu, or device: auto (uses a GPU when one is "
            "visible, else the CPU), in the config or with --config device=auto "
            "(valid: device: auto|cpu|cuda)"
        )
    if device not in ("cpu", "cuda"):
        raise ValueError(f"unknown device {device!r}; valid: device: auto|cpu|cuda")
    return torch.device(device)


def resolve_dtype(dtype: str) -> torch.dtype:
    """``float32`` or ``float64`` -> the torch dtype."""
    dtypes = {"float32": torch.float32, "float64": torch.float64}
    if dtype not in dtypes:
        raise ValueError(f"unknown dtype {dtype!r}; valid: {', '.join(dtypes)}")
    return dtypes[dtype]


def record_steps(epochs: int, record_every: int) -> NDArray[np.int64]:
    """Update counts to record: 0, every k-th, one after each (the authors' lagged records of
    the linear models), and the last one, so that a run's final values are its final epoch's
    whatever ``epochs`` is."""
    multiples = np.arange(0, epochs + 1, record_every)
    steps = np.union1d(np.union1d(multiples, multiples + 1), [epochs])
    return steps[steps <= epochs].astype(np.int64)


def record_epochs(epochs: int, record_every: int) -> NDArray[np.int64]:
    """Epochs to record: every k-th from 0, and the last one (the ReLU models' records)."""
    return np.union1d(np.arange(0, epochs + 1, record_every), [epochs]).astype(np.int64)


@dataclass
class Records:
    """What the driver itself records: the epochs recorded, their losses and the wall time."""

    epochs: NDArray[np.int64]  # number of updates done at each record, ascending
    loss: NDArray[np.float64]  # (R,)
    wall_seconds: float  # of all sessions of a resumed run
    resumed_from_epoch: int = 0  # the checkpoint's epoch this run continued from (0: none)


@dataclass
class Resumable:
    """A trainer's part of a checkpoint: ``save()`` returns its state (weights, generator
    states, records so far: tensors, numbers, lists, dicts) at the start of an epoch;
    ``restore(state)`` puts it back."""

    save: Callable[[], dict[str, Any]]
    restore: Callable[[Mapping[str, Any]], None]


def run_epochs(
    epochs: int,
    record_at: Iterable[int],
    record: Callable[[int], float],
    update: Callable[[], None],
    lr: float,
    bound: StabilityBound | None = None,
    rule: str = LINEAR_RULE,
    progress: ProgressMeter | None = None,
    monitor: OscillationMonitor | None = None,
    checkpoint: Checkpoint | None = None,
    trainer: Resumable | None = None,
) -> Records:
    """Run ``epochs`` updates, calling ``record(epoch)`` at each epoch of ``record_at`` (those
    outside 0 .. ``epochs`` are ignored) before that epoch's update; see the module docstring.

    ``monitor``, fed by the callbacks, stops the run once it has found a sustained oscillation.
    ``lr``, ``bound`` and ``rule`` only go into the error messages. With ``checkpoint`` and
    ``trainer``, the run starts from a matching checkpoint if there is one and saves one when
    due (never at the last epoch: the caller writes the result and removes it).
    """
    recorded = np.asarray(sorted({int(e) for e in record_at if 0 <= e <= epochs}), dtype=np.int64)
    wanted = set(recorded.tolist())
    losses: list[float] = []
    first, earlier_seconds = 0, 0.0
    resumable = checkpoint is not None and checkpoint.enabled and trainer is not None
    if resumable:
        found = checkpoint.load(epochs)
        if found is not None:
            first, state = found
            losses = state["losses"].tolist()
            earlier_seconds = float(state["wall_seconds"])
            if monitor is not None:
                monitor.restore(state["monitor"])
            trainer.restore(state["trainer"])
        checkpoint.start(first)
    if progress is not None:
        progress.start(first)
        if losses:  # resumed: the first line shows the last recorded loss, not NaN
            progress.loss(losses[-1])
    start = time.perf_counter()
    for epoch in range(first, epochs + 1):
        if resumable and first < epoch < epochs and checkpoint.due(epoch):
            checkpoint.save(
                epoch,
                {
                    "losses": torch.tensor(losses, dtype=torch.float64),
                    "wall_seconds": earlier_seconds + time.perf_counter() - start,
                    "monitor": monitor.state() if monitor is not None else None,
                    "trainer": trainer.save(),
                },
            )
        if epoch in wanted:
            loss = record(epoch)
            if not math.isfinite(loss):
                last = (int(recorded[len(losses) - 1]), losses[-1]) if losses else None
                raise DivergenceError(divergence_message(epoch, loss, lr, bound, last, rule))
            losses.append(loss)
            if progress is not None:
                progress.loss(loss)
        if progress is not None:
            progress.epoch(epoch)
        if monitor is not None and monitor.found is not None:
            raise OscillationError(oscillation_message(monitor.found, lr, bound, rule))
        if epoch < epochs:
            update()
    wall = earlier_seconds + time.perf_counter() - start
    return Records(recorded, np.array(losses), wall, first)

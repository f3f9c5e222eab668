"""The one training driver: epochs, records, divergence detection, progress and timing.

A trainer supplies two callbacks and the driver runs, for ``epoch`` = 0 .. ``epochs``::

    if epoch is recorded: loss = record(epoch)   # measure the weights after `epoch` updates
    if epoch < epochs:    update()               # one update (full-batch step or epoch)

``record`` stores whatever the trainer measures and returns the loss; a non-finite loss (the
trainer returns NaN when it finds non-finite weights) stops the run with a
:class:`DivergenceError` naming the epoch, the loss, the last finite loss and the stability
bound. Because ``record(epoch)`` always comes right before the ``update()`` of the same epoch,
a trainer whose update needs a forward pass can run it in ``record`` and reuse it in
``update`` (see :mod:`lindae.training.nonlinear`): recording costs no extra pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

__all__ = [
    "Progress",
    "DivergenceError",
    "divergence_message",
    "LINEAR_RULE",
    "resolve_device",
    "resolve_dtype",
    "record_steps",
    "record_epochs",
    "Records",
    "run_epochs",
]

#: ``progress(epoch, loss)``, called after every record.
Progress = Callable[[int, float], None]

#: What the stability bound of full-batch GD on the linear models is.
LINEAR_RULE = "full-batch GD is stable only for lr < 1/lambda_bar_1"


class DivergenceError(RuntimeError):
    """Training produced non-finite weights or loss (learning rate above the stability bound)."""


def divergence_message(
    epoch: int,
    loss: float,
    lr: float,
    bound: float | None = None,
    last: tuple[int, float] | None = None,
    rule: str = LINEAR_RULE,
) -> str:
    """The text of a :class:`DivergenceError`: epoch, loss, learning rate, stability bound.

    ``last`` is the (epoch, loss) of the last finite record, when there is one; ``rule`` says
    what ``bound`` is.
    """
    seen = f"; last finite loss {last[1]:.6g} at epoch {last[0]}" if last else ""
    limit = f"; {rule} = {bound:.4g}" if bound is not None else ""
    return (
        f"training diverged: non-finite weights or loss detected at epoch {epoch} "
        f"(loss {loss:g}{seen}; learning rate {lr:g}{limit}); lower the learning rate "
        "in the config. No result file was written."
    )


def resolve_device(device: str) -> torch.device:
    """``auto`` -> cuda when available else cpu; ``cuda`` without a GPU is an error (no compute)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
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
    """Update counts to record: 0, every k-th, and one after each (the authors' lagged records
    of the linear models)."""
    multiples = np.arange(0, epochs + 1, record_every)
    steps = np.union1d(multiples, multiples + 1)
    return steps[steps <= epochs].astype(np.int64)


def record_epochs(epochs: int, record_every: int) -> NDArray[np.int64]:
    """Epochs to record: every k-th from 0, and the last one (the ReLU models' records)."""
    return np.union1d(np.arange(0, epochs + 1, record_every), [epochs]).astype(np.int64)


@dataclass
class Records:
    """What the driver itself records: the epochs recorded, their losses and the wall time."""

    epochs: NDArray[np.int64]  # number of updates done at each record, ascending
    loss: NDArray[np.float64]  # (R,)
    wall_seconds: float


def run_epochs(
    epochs: int,
    record_at: Iterable[int],
    record: Callable[[int], float],
    update: Callable[[], None],
    lr: float,
    bound: float | None = None,
    rule: str = LINEAR_RULE,
    progress: Progress | None = None,
) -> Records:
    """Run ``epochs`` updates, calling ``record(epoch)`` at each epoch of ``record_at`` (those
    outside 0 .. ``epochs`` are ignored) before that epoch's update; see the module docstring.

    ``lr``, ``bound`` and ``rule`` only go into the :class:`DivergenceError` message.
    """
    recorded = np.asarray(sorted({int(e) for e in record_at if 0 <= e <= epochs}), dtype=np.int64)
    wanted = set(recorded.tolist())
    losses: list[float] = []
    start = time.perf_counter()
    for epoch in range(epochs + 1):
        if epoch in wanted:
            loss = record(epoch)
            if not math.isfinite(loss):
                last = (int(recorded[len(losses) - 1]), losses[-1]) if losses else None
                raise DivergenceError(divergence_message(epoch, loss, lr, bound, last, rule))
            losses.append(loss)
            if progress is not None:
                progress(epoch, loss)
        if epoch < epochs:
            update()
    return Records(recorded, np.array(losses), time.perf_counter() - start)

"""The one training driver: epochs, records, divergence and oscillation, progress and timing.

A trainer supplies two callbacks and the driver runs, for ``epoch`` = 0 .. ``epochs``::

    if epoch is recorded: loss = record(epoch)   # measure the weights after `epoch` updates
    if epoch < epochs:    update()               # one update (full-batch step or epoch)

``record`` stores whatever the trainer measures and returns the loss; a non-finite loss (the
trainer returns NaN when it finds non-finite weights) stops the run with a
:class:`DivergenceError` naming the epoch, the loss, the last finite loss and the model's
stability bound (:class:`lindae.models.StabilityBound`). Because ``record(epoch)`` always comes
right before the ``update()`` of the same epoch, a trainer whose update needs a forward pass can
run it in ``record`` and reuse it in ``update`` (see :mod:`lindae.training.nonlinear`):
recording costs no extra pass.

A learning rate a little above the bound does not diverge: the top mode swings between two
values for ever. An :class:`OscillationMonitor`, fed by the trainer with values it measures
anyway at two consecutive epochs (the linear models record after k and k + 1 updates), detects
such a sustained oscillation and the driver stops the run with an :class:`OscillationError`.
Both are user errors (:class:`lindae.errors.UserError`): a job shows their message as one line.

A run given a :class:`~lindae.training.checkpoint.Checkpoint` and a :class:`Resumable` (the
trainer's ``save``/``restore`` of its weights, generators and records) saves its full state
at the start of an epoch now and then, and a later run with the same fingerprint continues
from there: same records, bit for bit on CPU. A :class:`~lindae.training.progress.ProgressMeter`
shows epoch, speed and ETA as whole lines.
"""

from __future__ import annotations

import math
import time
from collections import deque
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

__all__ = [
    "Checkpoint",
    "ProgressMeter",
    "Resumable",
    "DivergenceError",
    "OscillationError",
    "TrainingSettingsError",
    "DeviceError",
    "divergence_message",
    "oscillation_message",
    "check_training_settings",
    "LINEAR_RULE",
    "Oscillation",
    "OscillationMonitor",
    "resolve_device",
    "resolve_dtype",
    "record_steps",
    "record_epochs",
    "Records",
    "run_epochs",
]

#: What the stability bound of full-batch GD on the linear models says (the bound follows).
LINEAR_RULE = "full-batch GD is stable only for lr <"


class DivergenceError(RuntimeError, UserError):
    """Training produced non-finite weights or loss (learning rate above the stability bound)."""


class OscillationError(DivergenceError):
    """Training did not settle: a measured value kept alternating from one update to the next."""


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


def _limit(lr: float, bound: StabilityBound | None, rule: str) -> tuple[str, str]:
    """(the bound's clause, the advice) of an instability message; the advice never says to
    lower a learning rate that is already below the bound without saying so."""
    if bound is None:
        return "", "lower the learning rate in the config."
    clause = f"; {rule} {bound}"
    if lr >= bound.value:
        return clause, "lower the learning rate in the config."
    return clause, (
        "the learning rate is below that bound, which holds for the noise-averaged model near "
        "its minimum: input noise drawn every epoch, or a large or unbalanced initialisation "
        "(init_scale, init_std), can still make it swing or diverge; lower the learning rate "
        "(or the initial scale) in the config."
    )


def divergence_message(
    epoch: int,
    loss: float,
    lr: float,
    bound: StabilityBound | None = None,
    last: tuple[int, float] | None = None,
    rule: str = LINEAR_RULE,
) -> str:
    """The text of a :class:`DivergenceError`: epoch, loss, learning rate, stability bound.

    ``last`` is the (epoch, loss) of the last finite record, when there is one; ``rule`` says
    what ``bound`` is.
    """
    seen = f"; last finite loss {last[1]:.6g} at epoch {last[0]}" if last else ""
    clause, advice = _limit(lr, bound, rule)
    return (
        f"training diverged: non-finite weights or loss detected at epoch {epoch} "
        f"(loss {loss:g}{seen}; learning rate {lr:g}{clause}); {advice} "
        "No result file was written."
    )


@dataclass(frozen=True)
class Oscillation:
    """A sustained oscillation: which value swung, between what, and since when (within the
    window it was seen in)."""

    quantity: str  # what was measured, e.g. "v_i^T W v_i"
    mode: int  # 1-based index of the value
    since: int  # first epoch of the swing
    epoch: int  # the update count of the last swing seen
    before: float  # value after ``epoch`` updates
    after: float  # value after ``epoch + 1`` updates

    def __str__(self) -> str:
        return (
            f"{self.quantity} of mode {self.mode} went from {self.before:.6g} after "
            f"{self.epoch} updates to {self.after:.6g} after {self.epoch + 1} and keeps "
            f"swinging back and forth (seen over epochs {self.since}-{self.epoch + 1})"
        )


def oscillation_message(
    found: Oscillation, lr: float, bound: StabilityBound | None = None, rule: str = LINEAR_RULE
) -> str:
    """The text of an :class:`OscillationError`."""
    clause, advice = _limit(lr, bound, rule)
    return (
        f"training oscillates instead of converging: {found} (learning rate {lr:g}{clause}); "
        f"{advice} No result file was written."
    )


class OscillationMonitor:
    """Detects a sustained oscillation in values measured at pairs of consecutive epochs.

    Feed it, with :meth:`observe`, every measurement of a vector of values (one per mode); two
    measurements after e and e + 1 updates form a pair. At each pair the one-update change
    a = v(e+1) - v(e) of every value is compared with the trend T = v(e) - v(e-k) since the
    previous pair, k updates earlier. A value *swings* there when |a| exceeds ``atol`` +
    ``rtol`` |v| and either

    * it comes back: |T| < |a|/2 when k is even, T against a when k is odd. A period-2
      oscillation, what GD does just above its stability bound, returns to the same value
      every second update; a smooth trajectory (learning, converging, decaying) keeps its
      direction, so T has the sign of a and, over k >= 2 updates, at least 0.59 |a| even while
      it grows as fast as GD does at 1.4 x its bound; or
    * it jumps by 20 % or more of itself in one update (wider swings: period 4, chaos). A
      smooth trajectory cannot do that for long: 200 such updates would multiply or divide a
      value by 10^16, while these values stay of order one (and those below ``atol`` / 20 %
      never count).

    The swing is *sustained* when the value swung at three quarters (or more) of the pairs
    of the last ``window`` epochs, counting the newest pair at least that old, swings now, and
    swings at least half as much as the most it did in that time. GD below its bound may
    overshoot and swing as well, but that swing decays by |1 - lr h| per update; decaying by
    less than half over ``window`` = 200 epochs needs a learning rate within 0.2 % of the
    bound. Then :attr:`found` describes it. Values whose size stays below ``floor`` are not
    watched. Cost: O(values) per pair, and memory for the pairs of one window. A swing that
    starts less than ``window`` epochs before the end goes unnoticed (just above the bound it
    grows slowly out of rounding noise: at 1.003 x the bound that takes ~ 3000 updates).
    """

    def __init__(
        self,
        quantity: str,
        rtol: float = 1e-3,
        atol: float = 1e-6,
        window: int = 200,
        floor: float = 0.0,
    ) -> None:
        self.quantity, self.rtol, self.atol, self.window = quantity, rtol, atol, window
        self.floor = floor
        self.found: Oscillation | None = None
        self._last: tuple[int, NDArray] | None = None  # the latest measurement
        self._pair: tuple[int, NDArray] | None = None  # the first half of the latest pair
        # (epoch, |a|, swinging) of the pairs of the last window, and the newest one before
        self._recent: deque[tuple[int, NDArray, NDArray]] = deque()

    @classmethod
    def noisy(cls, quantity: str) -> OscillationMonitor:
        """For values with epoch-to-epoch noise (input noise drawn every epoch): only values
        of at least 0.05 (learned modes) and swings of more than 2 % (and 1e-3) count, far
        above that noise, while GD above its bound swings by tens of per cent."""
        return cls(quantity, rtol=2e-2, atol=1e-3, floor=0.05)

    def state(self) -> dict[str, Any]:
        """What :meth:`observe` remembers, as tensors (for a checkpoint)."""

        def pair(item: tuple[int, NDArray] | None) -> list | None:
            return None if item is None else [item[0], torch.from_numpy(item[1].copy())]

        recent = [
            [epoch, torch.from_numpy(size.copy()), torch.from_numpy(swung.copy())]
            for epoch, size, swung in self._recent
        ]
        return {"last": pair(self._last), "pair": pair(self._pair), "recent": recent}

    def restore(self, state: Mapping[str, Any]) -> None:
        """Continue from a :meth:`state` (no oscillation found yet: the run went on)."""

        def pair(item: list | None) -> tuple[int, NDArray] | None:
            return None if item is None else (int(item[0]), item[1].numpy())

        self.found, self._last, self._pair = None, pair(state["last"]), pair(state["pair"])
        self._recent = deque(
            (int(epoch), size.numpy(), swung.numpy()) for epoch, size, swung in state["recent"]
        )

    def observe(self, epoch: int, values: NDArray) -> None:
        """Take the values measured after ``epoch`` updates."""
        values = np.asarray(values, dtype=np.float64)
        last, self._last = self._last, (epoch, values)
        if last is None or epoch != last[0] + 1 or self.found is not None:
            return
        start, before = last
        previous, self._pair = self._pair, (start, before)
        if previous is None or previous[1].shape != before.shape:
            self._recent.clear()
            return
        change = values - before
        trend = before - previous[1]
        size = np.abs(change)
        scale = np.maximum(np.abs(before), np.abs(values))
        if (start - previous[0]) % 2 == 0:
            returning = np.abs(trend) < 0.5 * size
        else:
            returning = trend * change < 0
        swinging = (
            (returning | (size >= 0.2 * scale))
            & (size > self.atol + self.rtol * scale)
            & (scale >= self.floor)
        )
        self._recent.append((start, size, swinging))
        while len(self._recent) > 1 and self._recent[1][0] <= start - self.window:
            self._recent.popleft()
        since = self._recent[0][0]
        if since > start - self.window:
            return  # not yet a window's worth of pairs
        share = np.mean([swung for _, _, swung in self._recent], axis=0)
        largest = np.max([swing for _, swing, _ in self._recent], axis=0)
        sustained = swinging & (share >= 0.75) & (size >= 0.5 * largest)
        if sustained.any():
            mode = int(np.flatnonzero(sustained)[0])
            since = next(epoch for epoch, _, swung in self._recent if swung[mode])
            self.found = Oscillation(
                self.quantity, mode + 1, since, start, float(before[mode]), float(values[mode])
            )


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

"""Instability of a training run: divergence and sustained oscillation, and their messages.

Gradient descent with a learning rate above the model's stability bound
(:class:`lindae.models.StabilityBound`) does one of two things, and a run that did either must
not write a result:

* it *diverges*: the weights or the loss become non-finite. The training driver
  (:func:`lindae.training.driver.run_epochs`) sees a NaN loss and raises a
  :class:`DivergenceError` whose text (:func:`divergence_message`) names the epoch, the loss,
  the last finite loss and the bound;
* just above the bound it *oscillates*: the top mode swings between two values for ever, and
  the curves would be wrong without any NaN. An :class:`OscillationMonitor`, fed by the
  trainer with values it measures anyway at two consecutive epochs (the linear models record
  after k and k + 1 updates), detects such a sustained swing (:class:`Oscillation`) and the
  driver raises an :class:`OscillationError` (:func:`oscillation_message`).

Both are user errors (:class:`lindae.errors.UserError`): a job shows their message as one line,
with advice that never tells to lower a learning rate already below the bound without saying so.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ..errors import UserError
from ..models import StabilityBound

__all__ = [
    "LINEAR_RULE",
    "DivergenceError",
    "OscillationError",
    "divergence_message",
    "Oscillation",
    "oscillation_message",
    "OscillationMonitor",
]

#: What the stability bound of full-batch GD on the linear models says (the bound follows).
LINEAR_RULE = "full-batch GD is stable only for lr <"


class DivergenceError(RuntimeError, UserError):
    """Training produced non-finite weights or loss (learning rate above the stability bound)."""


class OscillationError(DivergenceError):
    """Training did not settle: a measured value kept alternating from one update to the next."""


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

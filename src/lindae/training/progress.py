"""Live progress of a training run: one complete line now and then, for terminals and logs.

Several jobs may print to one terminal, or to a file (a SLURM log, CI): so no ``\\r`` bar,
but whole lines, each naming its job, e.g.::

    train_nonlinear mnist DAE: epoch 120/2000 (6 %), 0.512 s/epoch, ETA 16 min 02 s, loss 0.0123

The training driver (:func:`lindae.training.driver.run_epochs`) calls :meth:`ProgressMeter.epoch`
before every epoch's work and :meth:`ProgressMeter.loss` after every record; a line is emitted
after the first update of the run, then every ``every_seconds`` seconds or ``every_epochs``
epochs (whichever comes first; 0 switches one off), and at the end. The speed and ETA count
only this run's epochs (not those before a resumed checkpoint). The speed is the median, per
epoch, of the last :data:`SPEED_INTERVALS` intervals between lines: a pause (a suspended job,
a minute of other work on the machine) lengthens one interval and does not inflate the ETA for
the rest of the run, while a lasting change of speed shows within a few lines. Cost: one
clock read per epoch.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import deque
from collections.abc import Callable

__all__ = ["ProgressMeter", "duration", "SPEED_INTERVALS"]

#: Intervals between lines whose median seconds per epoch is the speed shown.
SPEED_INTERVALS = 5


def duration(seconds: float) -> str:
    """``seconds`` as ``1 h 02 min``, ``3 min 05 s`` or ``12 s`` (``?`` when not finite)."""
    if not math.isfinite(seconds):
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s" if whole >= 10 else f"{seconds:.1f} s"


class ProgressMeter:
    """Emits ``<label>: epoch <e>/<total> (<p> %), <s> s/epoch, ETA <t>, loss <l>`` lines.

    ``emit`` receives each line (a job writes it to stderr and its log); ``label`` names the
    job (rule, dataset, model).
    """

    def __init__(
        self,
        label: str,
        total: int,
        emit: Callable[[str], None],
        every_seconds: float = 30.0,
        every_epochs: int = 0,
    ) -> None:
        self.label, self.total, self.emit = label, int(total), emit
        self.every_seconds, self.every_epochs = float(every_seconds), int(every_epochs)
        self.last_loss = math.nan
        self.start(0)

    def start(self, epoch: int) -> None:
        """The run starts (or resumes) at ``epoch``: speed and ETA count from here, now."""
        self._first = self._shown = epoch
        self._shown_at = time.monotonic()
        self._speeds: deque[float] = deque(maxlen=SPEED_INTERVALS)  # s/epoch between lines

    def loss(self, value: float) -> None:
        """The loss of the latest record (shown in the next line)."""
        self.last_loss = value

    def epoch(self, done: int) -> None:
        """``done`` updates are done; emit a line if one is due."""
        if done <= self._shown:
            return
        now = time.monotonic()
        if (
            done == self._first + 1
            or done >= self.total
            or (self.every_epochs > 0 and done - self._shown >= self.every_epochs)
            or (self.every_seconds > 0 and now - self._shown_at >= self.every_seconds)
        ):
            self._speeds.append((now - self._shown_at) / (done - self._shown))
            self._shown, self._shown_at = done, now
            self.emit(self.line(done))

    def line(self, done: int) -> str:
        """The progress line after ``done`` updates (the speed of the lines so far)."""
        speed = statistics.median(self._speeds) if self._speeds else math.nan
        percent = 100.0 * done / self.total if self.total else 100.0
        return (
            f"{self.label}: epoch {done}/{self.total} ({percent:.0f} %), "
            f"{speed:.3g} s/epoch, ETA {duration(speed * (self.total - done))}, "
            f"loss {self.last_loss:.6g}"
        )

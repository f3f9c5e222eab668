"""Cost of checkpoints and progress lines in a training run (shared by the trainer benchmarks).

A run with a checkpoint and a progress line at *every* epoch is timed against the same run
without either (seconds per epoch); each checkpoint is timed from the moment it is due to the
end of its save (gathering the state, writing the file), which a busy machine's noise cannot
hide. The share at the default settings follows: one checkpoint per ``every_epochs`` epochs or
``every_minutes`` minutes, whichever comes first; progress costs a clock read per epoch.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from lindae.training.checkpoint import Checkpoint
from lindae.training.progress import ProgressMeter

CONFIG = yaml.safe_load((Path(__file__).resolve().parent.parent / "config/config.yaml").read_text())


class TimedCheckpoint(Checkpoint):
    """A checkpoint that adds up the time from each ``due`` to the end of its ``save``."""

    seconds, saves, _since = 0.0, 0, 0.0

    def due(self, epoch: int) -> bool:
        self._since = time.perf_counter()
        return super().due(epoch)

    def save(self, epoch: int, state) -> None:
        super().save(epoch, state)
        self.seconds += time.perf_counter() - self._since
        self.saves += 1


def progress_cost(calls: int = 100_000) -> float:
    """Seconds one ``ProgressMeter.epoch`` call costs when no line is due (every epoch)."""
    meter = ProgressMeter("bench", 10 * calls, lambda line: None, every_seconds=3600)
    meter.epoch(1)  # the first line
    start = time.perf_counter()
    for done in range(2, calls + 2):
        meter.epoch(done)
    return (time.perf_counter() - start) / calls


def overhead(train: Callable[..., object], epochs: int) -> dict[str, float]:
    """Time ``train(epochs)`` plain and ``train(epochs, progress=..., checkpoint=...)`` with a
    checkpoint and a line at every epoch: seconds per epoch, seconds per checkpoint, and the
    shares of training time that checkpoints and progress take at the default settings."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        train(epochs)
        plain = time.perf_counter() - start
        meter = ProgressMeter("bench", epochs, lambda line: None, every_seconds=0, every_epochs=1)
        saving = TimedCheckpoint(Path(folder, "c.pt"), "bench", every_epochs=1)
        train(epochs, progress=meter, checkpoint=saving)
    per_epoch = plain / epochs
    per_save = saving.seconds / max(saving.saves, 1)
    defaults = CONFIG["checkpoint"]
    interval = min(defaults["every_epochs"] * per_epoch, 60 * defaults["every_minutes"])
    return {
        "per_epoch": per_epoch,
        "per_save": per_save,
        "checkpoint_share": per_save / interval,
        "progress_share": progress_cost() / per_epoch,
    }


def report(name: str, costs: dict[str, float], gemm_share: float) -> str:
    """One Markdown row of the overhead table; ``gemm_share``: the trainer's share of the GEMM
    rate without checkpoints or progress, which at the defaults they lower by their shares."""
    on = gemm_share * (1.0 - costs["checkpoint_share"] - costs["progress_share"])
    return (
        f"| {name} | {costs['per_epoch']:.4f} | {costs['per_save']:.4f} | "
        f"{costs['checkpoint_share']:.3%} | {costs['progress_share']:.4%} | {gemm_share:.1%} | "
        f"{on:.1%} |"
    )


HEADER = (
    "| run | s / epoch | s / checkpoint | checkpoint share (defaults) | progress share | "
    "share of GEMM rate | with checkpoints and progress |\n"
    "| --- | --- | --- | --- | --- | --- | --- |"
)

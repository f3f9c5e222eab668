"""Cost of checkpoints and progress lines in a training run (shared by the trainer benchmarks).

A run with a checkpoint and a progress line at *every* epoch is timed against the same run
without either; the difference per epoch is what one checkpoint (plus one line) costs. The
share at the default settings follows: one checkpoint per ``every_epochs`` epochs or
``every_minutes`` minutes (whichever comes first), one line per 30 s.
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
        saving = Checkpoint(Path(folder, "c.pt"), "bench", every_epochs=1)
        start = time.perf_counter()
        train(epochs, progress=meter, checkpoint=saving)
        both = time.perf_counter() - start
    per_epoch = plain / epochs
    per_save = max(both - plain, 0.0) / max(epochs - 1, 1)  # none at epoch 0 nor at the end
    defaults = CONFIG["checkpoint"]
    interval = min(defaults["every_epochs"] * per_epoch, 60 * defaults["every_minutes"])
    return {
        "per_epoch": per_epoch,
        "per_save": per_save,
        "checkpoint_share": per_save / interval,
        "progress_share": progress_cost() / per_epoch,
    }


def report(name: str, costs: dict[str, float], gemm_share: float) -> str:
    """One Markdown row of the overhead table."""
    return (
        f"| {name} | {costs['per_epoch']:.4f} | {costs['per_save']:.4f} | "
        f"{costs['checkpoint_share']:.3%} | {costs['progress_share']:.4%} | {gemm_share:.0%} |"
    )


HEADER = (
    "| run | s / epoch | s / checkpoint | checkpoint share (defaults) | progress share | "
    "share of GEMM rate |\n| --- | --- | --- | --- | --- | --- |"
)

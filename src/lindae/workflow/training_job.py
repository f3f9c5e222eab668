"""What every training job shows and keeps while it runs: progress lines and its checkpoint.

The three training rule scripts call :func:`monitoring` once; it turns the config's
``progress`` and ``checkpoint`` sections, the job's identity and what the run depends on into
a :class:`~lindae.training.progress.ProgressMeter` and a
:class:`~lindae.training.checkpoint.Checkpoint` for the trainer. Their lines go to stderr
(the terminal of a local run, the SLURM log of a cluster job) and to the job's log, each
starting with the job's identity, e.g. ``train_linear mnist DAE: epoch 500/5000 ...``.
Never imports snakemake.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..training.checkpoint import Checkpoint, fingerprint
from ..training.progress import ProgressMeter

__all__ = ["job_lines", "monitoring"]


def job_lines(label: str, log: logging.Logger) -> Callable[[str], None]:
    """A writer of whole lines ``<label>: <text>`` to stderr (flushed) and to ``log``."""

    def emit(text: str) -> None:
        line = text if text.startswith(f"{label}: ") else f"{label}: {text}"
        print(line, file=sys.stderr, flush=True)
        log.info("%s", line)

    return emit


def monitoring(
    label: str,
    epochs: int,
    log: logging.Logger,
    options: Mapping[str, Mapping[str, Any]],
    path: str | os.PathLike[str],
    settings: Mapping[str, Any],
    inputs: Iterable[str | os.PathLike[str]],
    code: Iterable[str | os.PathLike[str]],
) -> tuple[ProgressMeter, Checkpoint]:
    """The progress meter and checkpoint of one training job.

    ``options``: the config's ``progress`` and ``checkpoint`` sections; ``path``: the
    checkpoint file; ``settings``, ``inputs`` and ``code``: everything the result depends on
    (the checkpoint's fingerprint), i.e. the model's settings, device and dtype, the input
    files and the library files the job's script imports (and the script itself).
    """
    emit = job_lines(label, log)
    progress = options["progress"]
    meter = ProgressMeter(
        label, epochs, emit, progress["every_seconds"], progress.get("every_epochs", 0)
    )
    saving = options["checkpoint"]
    checkpoint = Checkpoint(
        path,
        fingerprint(settings, inputs, code),
        saving["every_epochs"],
        60.0 * saving["every_minutes"],
        report=emit,
    )
    return meter, checkpoint

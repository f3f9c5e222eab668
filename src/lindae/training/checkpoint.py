"""Resumable training: a run's full state saved now and then, and picked up by a rerun.

A :class:`Checkpoint` is one file (``torch.save``, written atomically with
:func:`lindae.io.atomic_path`: complete or absent, never half-written) holding whatever the
driver and the trainer need to continue exactly where they stopped: the epoch, the weights,
every random generator's state, the records so far. The training driver
(:func:`lindae.training.driver.run_epochs`) saves one every ``every_epochs`` epochs or
``every_seconds`` seconds, whichever comes first, and loads it when a run starts; a run
continued from a checkpoint ends with the same records, bit for bit on CPU, as one that never
stopped.

A checkpoint is only used by the run it was written for: it carries a :func:`fingerprint` of
the run's settings, the identity of its input files and the library code, and one with a
different fingerprint is ignored (with a log line saying why) and later overwritten. The file
holds only tensors, numbers, strings, lists and dicts, so it is read with
``torch.load(weights_only=True)`` (no pickled code runs). Nothing here knows about the science
or the workflow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from ..io import atomic_path

__all__ = ["FORMAT", "fingerprint", "Checkpoint"]

#: Version of the file layout; part of every fingerprint.
FORMAT = 1


def fingerprint(
    settings: Mapping[str, Any],
    inputs: Iterable[str | os.PathLike[str]] = (),
    code: Iterable[str | os.PathLike[str]] = (),
) -> str:
    """A hex digest of everything a run's result depends on.

    ``settings``: JSON-able values (hyper-parameters, model, device, dtype); ``inputs``: files
    trained on, identified by name and the SHA-256 of their contents (not their modification
    time: an input rebuilt with the same bytes, e.g. after its source file was copied again,
    keeps the checkpoint; hashing costs about 0.1 s per 100 MB, once per job); ``code``:
    source files whose contents are hashed (the library version).
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([FORMAT, settings], sort_keys=True, default=str).encode())
    for path in map(Path, inputs):
        digest.update(f"\0input {path.name} {_file_digest(path)}".encode())
    for path in sorted(map(str, code)):
        digest.update(f"\0code {Path(path).name} ".encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    """SHA-256 of a file's contents, read in 8 MiB blocks (inputs can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 23), b""):
            digest.update(block)
    return digest.hexdigest()


class Checkpoint:
    """Where and how often one run saves its state, and the fingerprint that must match.

    ``every_epochs`` / ``every_seconds``: save when that many epochs or seconds have passed
    since the run started or last saved (0 switches that trigger off; both 0: never save, and
    never resume). ``report`` receives the messages, one line each (resumed; ignored, and why);
    by default they go to the ``lindae`` logger.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        digest: str,
        every_epochs: int = 0,
        every_seconds: float = 0.0,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.path, self.digest = Path(path), digest
        self.every_epochs, self.every_seconds = int(every_epochs), float(every_seconds)
        self.report = report or logging.getLogger("lindae").info
        self._epoch, self._time = 0, time.monotonic()

    @property
    def enabled(self) -> bool:
        """Whether this run saves (and resumes from) checkpoints at all."""
        return self.every_epochs > 0 or self.every_seconds > 0

    def start(self, epoch: int) -> None:
        """Count the intervals from ``epoch``, now (the run starts or resumes there)."""
        self._epoch, self._time = epoch, time.monotonic()

    def due(self, epoch: int) -> bool:
        """Whether to save at ``epoch``: an interval of epochs or of seconds has passed."""
        if self.every_epochs > 0 and epoch - self._epoch >= self.every_epochs:
            return True
        return self.every_seconds > 0 and time.monotonic() - self._time >= self.every_seconds

    def save(self, epoch: int, state: Mapping[str, Any]) -> None:
        """Write ``state`` (tensors, numbers, strings, lists, dicts) as the state after
        ``epoch`` updates, atomically, and restart the intervals."""
        payload = {"format": FORMAT, "fingerprint": self.digest, "epoch": epoch, "state": state}
        with atomic_path(self.path) as temporary:
            torch.save(payload, temporary)
        self.start(epoch)

    def load(self, total: int) -> tuple[int, dict[str, Any]] | None:
        """(epoch, state) of a checkpoint written for this run, else None.

        A missing file is no message; an unreadable one, one of another fingerprint, or one
        beyond ``total`` epochs is ignored with a log line saying why (the next save
        overwrites it). A usable one is announced: ``resuming from checkpoint <path> at epoch
        <e> of <total>``.
        """
        if not self.enabled or not self.path.is_file():
            return None
        try:
            payload = torch.load(self.path, map_location="cpu", weights_only=True)
            epoch, digest, state = payload["epoch"], payload["fingerprint"], payload["state"]
        except Exception as error:  # torch raises many types for a damaged file
            return self._ignore(f"it cannot be read ({type(error).__name__}: {error})")
        if payload.get("format") != FORMAT or digest != self.digest:
            return self._ignore(
                "it was written for other settings, input files or library code "
                f"(fingerprint {str(digest)[:12]}, this run's {self.digest[:12]})"
            )
        if not 0 <= epoch <= total:
            return self._ignore(f"its epoch {epoch} is outside this run's 0..{total}")
        self.report(f"resuming from checkpoint {self.path} at epoch {epoch} of {total}")
        return int(epoch), state

    def _ignore(self, why: str) -> None:
        self.report(f"checkpoint {self.path} ignored: {why}; training starts from epoch 0")
        return None

    def remove(self) -> None:
        """Delete the checkpoint (once the run's result is written)."""
        self.path.unlink(missing_ok=True)

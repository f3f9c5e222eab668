"""Atomic file output: an artefact is either complete or absent, never half-written.

Each writer writes to a temporary file in the destination folder and renames it into place
(``os.replace`` is atomic on POSIX within one file system), so a crash, a full disk or Ctrl-C
never leaves a truncated file that looks finished, and an earlier result survives a failure.

Also here: :func:`job_log`, which reports an error the user can fix
(:class:`lindae.errors.UserError`: a bad dataset, a learning rate above the stability bound, a
full disk) as one line on the terminal, with its traceback beside the job's log, and the
checked reading of the intermediate files (:func:`load_record`). Tables and rendered figures
are written by :mod:`lindae.figure_output`, which only the figure side imports.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import functools
import gc
import json
import logging
import os
import signal
import sys
import tempfile
import threading
import traceback
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import UserError, is_user_error
from .lazy import lazy_import

np = lazy_import("numpy")


__all__ = [
    "ArtefactWriteError",
    "IntermediateFileError",
    "intermediate_file_error",
    "atomic_path",
    "write_json",
    "save_record",
    "load_record",
    "job_log",
]


class IntermediateFileError(ValueError, UserError):
    """An intermediate artefact (a spectrum, a training record) cannot be read or is damaged;
    the message names the file and how to rebuild it."""


def intermediate_file_error(
    path: str | os.PathLike[str], what: str, problem: str, rule: str | None = None
) -> IntermediateFileError:
    """The error for an unreadable intermediate file: its path, what is wrong, the remedy."""
    force = f", or run again with --forcerun {rule}" if rule else ""
    return IntermediateFileError(
        f"{path}: cannot use this {what} ({problem}); it is an intermediate file: delete it and "
        f"run the workflow again, which rebuilds it{force}"
    )


class ArtefactWriteError(UserError, OSError):
    """An artefact could not be written (disk full, folder not writable, a file in the way).

    Raised by :func:`atomic_path` and every writer here; the destination is untouched (an
    earlier version survives, no truncated file appears). Keeps the ``errno`` of the cause.
    """


_CAUSES = {
    errno.ENOSPC: "the disk is full: free some space, or set results_dir to another disk",
    errno.EDQUOT: "the disk quota is exceeded: free some space, or set results_dir elsewhere",
    errno.EACCES: "the folder is not writable: fix its permissions, or set results_dir to a "
    "writable folder",
    errno.EPERM: "the folder is not writable: fix its permissions, or set results_dir to a "
    "writable folder",
    errno.EROFS: "the file system is read-only: set results_dir to a writable folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder: move that file away, or set "
    "results_dir elsewhere",
    errno.EEXIST: "a part of the path is a file, not a folder: move that file away, or set "
    "results_dir elsewhere",
}


def _write_error(destination: Path, error: OSError) -> ArtefactWriteError:
    cause = _CAUSES.get(error.errno, "check that the folder exists and is writable")
    reason = error.strerror or str(error)
    return ArtefactWriteError(
        error.errno,
        f"could not write {destination} ({reason}); {cause}. Nothing was written there: an "
        "earlier version, if any, is unchanged and no partial file was left",
    )


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``destination``; rename it into place on success only.

    Any :class:`OSError` (full disk, read-only or missing folder) is re-raised as
    :class:`ArtefactWriteError`, naming ``destination`` and the remedy; the temporary file is
    removed in every failure, so ``destination`` is either the new complete file or unchanged.
    """
    destination = Path(destination)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{destination.name}.",
            suffix=".tmp" + destination.suffix,
            dir=destination.parent,
        )
    except OSError as error:
        raise _write_error(destination, error) from error
    os.close(handle)
    temporary = Path(temporary)
    try:
        os.chmod(temporary, 0o666 & ~_current_umask())  # mkstemp creates 0600; normal modes
        yield temporary
        os.replace(temporary, destination)
    except ArtefactWriteError:
        temporary.unlink(missing_ok=True)
        raise
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _write_error(destination, error) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_with(destination: str | os.PathLike[str], writer: Callable[[Path], Any]) -> None:
    with atomic_path(destination) as temporary:
        writer(temporary)


def write_json(payload: Any, destination: str | os.PathLike[str]) -> None:
    """Write JSON (indented, UTF-8), atomically."""
    _write_with(
        destination,
        lambda path: path.write_text(
            json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        ),
    )


def save_record(
    destination: str | os.PathLike[str],
    arrays: dict[str, np.ndarray],
    metadata: dict[str, Any],
) -> None:
    """Write named arrays plus a JSON ``metadata`` dict as one ``.npz``, atomically."""
    payload = {**arrays, "metadata": np.array(json.dumps(metadata, sort_keys=True))}
    # the temporary name ends in .npz, so numpy writes exactly there
    _write_with(destination, lambda path: np.savez(path, **payload))


def load_record(path: str | os.PathLike[str], rule: str | None = None) -> dict[str, Any]:
    """Read a :func:`save_record` file: its arrays plus the decoded ``metadata`` dict.

    A file that is missing, truncated or not such a record, or that holds non-finite numbers
    (training stops before writing those), raises :class:`IntermediateFileError` naming the
    file and how to rebuild it (``rule``: the rule that writes it, for ``--forcerun``).
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            record = {key: archive[key] for key in archive.files if key != "metadata"}
            record["metadata"] = json.loads(str(archive["metadata"]))
    except FileNotFoundError:
        raise intermediate_file_error(path, "training record", "no such file", rule) from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        problem = f"not a readable training record: {type(error).__name__}: {error}"
        raise intermediate_file_error(path, "training record", problem, rule) from error
    if not isinstance(record["metadata"], dict):
        raise intermediate_file_error(path, "training record", "its metadata is not a dict", rule)
    for key, array in record.items():
        if key != "metadata" and array.dtype.kind == "f" and not np.isfinite(array).all():
            problem = f"array {key!r} holds non-finite values"
            raise intermediate_file_error(path, "training record", problem, rule)
    return record


@functools.cache  # once per process
def _skip_final_collections() -> None:
    """Freeze the heap at interpreter exit.

    Why: a process that imported torch spends about a second of its exit in the interpreter's
    final garbage collections, walking objects that die with it anyway; frozen objects are not
    walked. Nothing is lost: a job's outputs are complete and renamed before it ends, and
    ``atexit`` handlers (logging's flush among them) still run; only garbage *cycles* are
    no longer collected on the way out.
    """
    atexit.register(gc.freeze)


@contextlib.contextmanager
def job_log(path: str | os.PathLike[str], name: str = "lindae") -> Iterator[logging.Logger]:
    """Log a job to ``path``; how a failure is reported depends on who can fix it.

    Used by the workflow's rule scripts so that every job, successful or not, leaves a log.
    A :class:`~lindae.errors.UserError` (a setting, a file, the environment) is printed to
    stderr and logged as one line, ``lindae: error: <message>`` (whitespace collapsed), and the
    job exits with status 1; its traceback goes to ``<log>.traceback`` only, because Snakemake
    shows a failed job's log on the terminal. Any other exception (a bug) logs its traceback
    and is re-raised. SIGTERM (a scheduler's cancel, the main job's stop) becomes an interrupt
    like Ctrl-C, so temporary files are removed on the way out; an interrupted job says so in
    one line and exits with 128 + the signal number.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _skip_final_collections()
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    handlers = [logging.FileHandler(path, mode="w", encoding="utf-8")]
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    received: list[int] = []
    previous = _interrupt_on_sigterm(received)
    try:
        yield logger
    except KeyboardInterrupt:
        signum = received[0] if received else signal.SIGINT
        what = signal.Signals(signum).name
        logger.error("job stopped by %s; no result was written", what)
        print(f"lindae: job stopped by {what}; no result was written", file=sys.stderr)
        raise SystemExit(128 + signum) from None
    except BaseException as error:
        if not is_user_error(error):
            logger.exception("job failed")
            raise
        message = " ".join(str(error).split())
        trace = path.with_name(path.name + ".traceback")
        trace.write_text(traceback.format_exc(), encoding="utf-8")
        propagate, logger.propagate = logger.propagate, False  # nor to terminal handlers
        try:
            logger.error("job failed: %s (traceback: %s)", message, trace)
        finally:
            logger.propagate = propagate
        print(f"lindae: error: {message}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()


def _interrupt_on_sigterm(received: list[int]) -> Any:
    """Make SIGTERM raise KeyboardInterrupt (recording it in ``received``) in this, the main,
    thread; return the handler it replaces (None where handlers cannot be set)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)

"""lindae.io and lindae.figure_output: atomic writes; a full disk or an unwritable folder keeps
the earlier file (case 12)."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from lindae import figure_output, io

matplotlib.use("Agg")


def _full_disk(path, *args, **kwargs):
    """Stand-in for a writer on a full disk: half a file, then ENOSPC."""
    Path(path).write_bytes(b"PK\x03\x04 half an archive")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _full_disk_rows(table):
    """Stand-in for the table text on a full disk: the header is written, then ENOSPC."""
    yield "a\n"
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


WRITERS = {
    "table": ("t.csv", lambda d: figure_output.write_table(pd.DataFrame({"a": [1.0]}), d)),
    "json": ("n.json", lambda d: io.write_json({"a": 1}, d)),
    "record": ("r.npz", lambda d: io.save_record(d, {"a": np.ones(3)}, {"k": 1})),
    "figure": ("f.png", lambda d: figure_output.save_figure(_figure(), d)),
}


def _figure():
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([0, 1])
    return figure


@pytest.mark.parametrize("kind", WRITERS)
def test_writer_failure_keeps_the_earlier_artefact(tmp_path, monkeypatch, kind):
    name, write = WRITERS[kind]
    destination = tmp_path / "results" / name
    write(destination)
    earlier = destination.read_bytes()
    monkeypatch.setattr(figure_output, "csv_chunks", _full_disk_rows)
    monkeypatch.setattr(Path, "write_text", lambda self, *a, **k: _full_disk(self))
    monkeypatch.setattr(np, "savez", _full_disk)
    monkeypatch.setattr(
        "matplotlib.figure.Figure.savefig", lambda self, p, **k: _full_disk(p), raising=True
    )
    with pytest.raises(io.ArtefactWriteError) as caught:
        write(destination)
    monkeypatch.undo()
    assert caught.value.errno == errno.ENOSPC
    assert str(caught.value) == (
        f"[Errno 28] could not write {destination} (No space left on device); the disk is "
        "full: free some space, or set results_dir to another disk. Nothing was written there: "
        "an earlier version, if any, is unchanged and no partial file was left"
    )
    assert destination.read_bytes() == earlier
    assert sorted(p.name for p in destination.parent.iterdir()) == [name]


def test_unwritable_results_folder(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("a file where the results folder should be")
    destination = blocker / "figures" / "fig1.csv"
    with pytest.raises(io.ArtefactWriteError, match="a part of the path is a file, not a folder"):
        figure_output.write_table(pd.DataFrame({"a": [1]}), destination)
    assert blocker.read_text().startswith("a file")


def test_failure_inside_a_writer_is_not_disguised(tmp_path):
    destination = tmp_path / "x.json"
    with pytest.raises(TypeError), io.atomic_path(destination) as temporary:
        temporary.write_text("partial")
        raise TypeError("a bug, not a disk problem")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------- records and one-line errors


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda path: path.write_bytes(b"PK\x03\x04 cut short"), "not a readable training record"),
        (lambda path: np.savez(path, steps=np.arange(3)), "not a readable training record"),
        (
            lambda path: io.save_record(path, {"loss": np.array([1.0, np.nan])}, {"seed": 1}),
            "array 'loss' holds non-finite values",
        ),
        (lambda path: path.unlink(), "no such file"),
    ],
    ids=["truncated", "no-metadata", "nan", "absent"],
)
def test_an_unreadable_record_names_itself_and_the_rebuild(tmp_path, damage, expected):
    path = tmp_path / "linear" / "mnist_AE.npz"
    io.save_record(path, {"loss": np.ones(3)}, {"seed": 321})
    assert io.load_record(path)["metadata"] == {"seed": 321}
    damage(path)
    with pytest.raises(io.IntermediateFileError) as caught:
        io.load_record(path, "train_linear")
    message = str(caught.value)
    assert message.startswith(f"{path}: cannot use this training record (") and expected in message
    assert message.endswith("which rebuilds it, or run again with --forcerun train_linear")


def test_job_log_shows_a_user_error_as_one_line(tmp_path, capsys):
    """A user error ends the job with one line on stderr; its traceback goes to the log."""
    log = tmp_path / "logs" / "job.log"
    with pytest.raises(SystemExit) as stopped, io.job_log(log):
        raise io.IntermediateFileError("results/spectra/mnist.npz: cannot use this spectrum\n(x)")
    assert stopped.value.code == 1
    assert capsys.readouterr().err == (
        "lindae: error: results/spectra/mnist.npz: cannot use this spectrum (x)\n"
    )
    text = log.read_text()
    assert "ERROR job failed: results/spectra/mnist.npz: cannot use this spectrum (x)" in text
    assert "Traceback" not in text  # Snakemake prints a failed job's log on the terminal
    trace = (tmp_path / "logs" / "job.log.traceback").read_text()
    assert "Traceback" in trace and "IntermediateFileError" in trace


def test_job_log_keeps_the_traceback_of_a_bug(tmp_path, capsys):
    with pytest.raises(KeyError), io.job_log(tmp_path / "job.log"):
        raise KeyError("a bug")
    assert capsys.readouterr().err == ""
    assert "KeyError" in (tmp_path / "job.log").read_text()


def test_a_user_error_reaches_no_other_log_handler(tmp_path):
    """Handlers above the job's logger (Snakemake's, Python's last resort) print to the
    terminal: a user error's traceback must not reach them."""
    seen = []

    class Catch(logging.Handler):
        def emit(self, record):
            seen.append(record)

    catch = Catch()
    logging.getLogger().addHandler(catch)
    try:
        with pytest.raises(SystemExit), io.job_log(tmp_path / "job.log"):
            raise io.IntermediateFileError("x.npz: cannot use this spectrum")
    finally:
        logging.getLogger().removeHandler(catch)
    assert seen == []
    assert "Traceback" in (tmp_path / "job.log.traceback").read_text()


def test_a_job_process_exits_with_its_heap_frozen(tmp_path):
    """A job that used job_log skips the final garbage collections (about 1 s after torch):
    by the time the interpreter finalises, the heap is frozen, and logging still flushed."""
    log = tmp_path / "job.log"
    probe = tmp_path / "frozen.txt"
    script = f"""
import atexit, gc
from pathlib import Path
# registered first, so it runs last of the atexit handlers: after the freeze
atexit.register(lambda: Path({str(probe)!r}).write_text(str(gc.get_freeze_count())))
from lindae import io
before = atexit._ncallbacks()
for _ in range(2):
    with io.job_log({str(log)!r}) as logger:
        logger.info("done")
print(atexit._ncallbacks() - before)
"""
    env = {**os.environ, "PYTHONPATH": str(Path(io.__file__).parents[1])}
    run = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True
    )
    assert run.stdout.strip() == "1", "one exit hook per process, however many job logs"
    assert int(probe.read_text()) > 0
    assert log.read_text().count("done") == 1

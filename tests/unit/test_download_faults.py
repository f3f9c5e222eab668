"""Download faults (catalogue cases 1-5): a bad or unreachable mirror fails clearly and
leaves nothing behind; the earlier results survive. A stalled or too slow mirror (issue 13,
finding 5) is abandoned, named, and the next mirror tried. (docs/troubleshooting.md.)"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    ROOT,
    fetch,
    url,
)

from lindae.workflow.download import DownloadError, fetch_dataset


def _earlier_results(tmp_path: Path) -> Path:
    """An artefact of an earlier stage that a failing download must not touch."""
    kept = tmp_path / "out" / "spectra" / "cifar10.npz"
    kept.parent.mkdir(parents=True)
    kept.write_bytes(b"earlier result")
    return kept


def _no_partial_output(out: Path) -> None:
    assert not (out / "mnist.npz").exists() and not (out / "mnist_manifest.json").exists()
    assert not (out / "scratch").exists()
    assert not list(out.rglob(".*.tmp*")), "a temporary file was left"


def test_truncated_file_from_a_mirror(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    truncated = folder / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:100])
    kept = _earlier_results(tmp_path)
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [url(folder)], md5, retries=0)
    message = str(caught.value)
    assert "could not download train-images-idx3-ubyte.gz (dataset mnist" in message
    assert f"{url(folder)} (1 attempt(s)): md5 mismatch: got " in message
    assert f"expected {md5['train-images-idx3-ubyte.gz']} (truncated, corrupted or a " in message
    assert "different file; 100 bytes received)" in message
    _no_partial_output(tmp_path / "out")
    assert kept.read_bytes() == b"earlier result"


def test_wrong_md5_in_the_config(tmp_path, mnist_mirror):
    folder, md5, _ = mnist_mirror
    wrong = dict(md5, **{"t10k-labels-idx1-ubyte.gz": "0" * 32})
    with pytest.raises(
        DownloadError, match=f"md5 mismatch: got {md5['t10k-labels-idx1-ubyte.gz']}"
    ):
        fetch(tmp_path, [url(folder)], wrong, retries=0)
    _no_partial_output(tmp_path / "out")


def test_unreachable_http_mirror(tmp_path, mnist_mirror):
    _, md5, _ = mnist_mirror
    mirror = "http://127.0.0.1:9/mnist/"  # the discard port: connection refused at once
    with pytest.raises(DownloadError) as caught:
        fetch(tmp_path, [mirror], md5, retries=1)
    message = str(caught.value)
    assert f"mirrors tried:\n  - {mirror} (2 attempt(s)): " in message
    assert "refused" in message.lower()
    assert "Without internet access" in message and "config/offline.yaml" in message
    _no_partial_output(tmp_path / "out")


def test_read_only_file_mirror(tmp_path, mnist_mirror):
    folder, md5, arrays = mnist_mirror
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    folder.chmod(0o555)
    try:
        out, _ = fetch(tmp_path, [url(folder)], md5)
    finally:
        folder.chmod(0o755)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    with np.load(out / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["train_images"], arrays["train_images"])


# --- a stalled or slow HTTP mirror (issue 13, finding 5) --------------------------------------


class _SlowMirror(http.server.BaseHTTPRequestHandler):
    """Serves the files of ``folder`` with a valid header, then the body slowly: ``/drip/``
    one byte every 0.2 s (no socket timeout ever fires), ``/steady/`` 2 KiB every 0.05 s of a
    10 MB body (steady progress that never ends in time); ``/fast/`` serves them at once."""

    folder: Path
    stop: threading.Event

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        mode, _, name = self.path.strip("/").partition("/")
        body = b"\0" * 10_000_000 if mode == "steady" else (self.folder / name).read_bytes()
        piece, pause = {"drip": (1, 0.2), "steady": (2048, 0.05)}.get(mode, (len(body), 0))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for start in range(0, len(body), piece):
                if self.stop.wait(pause):
                    return
                self.wfile.write(body[start : start + piece])
                self.wfile.flush()
        except OSError:  # the client gave up: what the test wants
            return

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def slow_mirror(mnist_mirror) -> Iterator[str]:
    """Base URL of a local HTTP server serving the MNIST mirror's files slowly."""
    handler = type(
        "Handler", (_SlowMirror,), {"folder": mnist_mirror[0], "stop": threading.Event()}
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        handler.stop.set()
        server.shutdown()
        server.server_close()


def _fetch_with_limits(tmp_path, mirrors, md5, **limits):
    out = tmp_path / "out"
    record = fetch_dataset(
        "mnist",
        mirrors,
        md5,
        2,
        out / "mnist.npz",
        out / "mnist_manifest.json",
        out / "scratch",
        torchvision="MNIST",
        backoff=0,
        **limits,
    )
    return out, record


def test_a_prompt_http_mirror_is_not_disturbed_by_the_watchdog(tmp_path, mnist_mirror, slow_mirror):
    _, md5, arrays = mnist_mirror
    fast = f"{slow_mirror}/fast/"
    out, record = _fetch_with_limits(tmp_path, [fast], md5, stall_seconds=0.5, deadline_seconds=5)
    assert {entry["url"] for entry in record["files"].values()} == {fast + name for name in md5}
    with np.load(out / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["test_labels"], arrays["test_labels"])


def test_stalled_mirror_is_abandoned_and_the_next_one_serves(
    tmp_path, mnist_mirror, slow_mirror, caplog
):
    folder, md5, arrays = mnist_mirror
    drip = f"{slow_mirror}/drip/"
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="lindae"):
        out, record = _fetch_with_limits(
            tmp_path, [drip, url(folder)], md5, stall_seconds=0.5, deadline_seconds=30
        )
    assert time.monotonic() - started < 20  # four files, each abandoned after ~0.5 s
    assert {entry["url"] for entry in record["files"].values()} == {
        url(folder) + name for name in md5
    }
    with np.load(out / "mnist.npz") as npz:
        np.testing.assert_array_equal(npz["train_images"], arrays["train_images"])
    stalls = [r.getMessage() for r in caplog.records if "stalled" in r.getMessage()]
    assert len(stalls) == 4, stalls  # one per file, no retry of the stalled mirror
    assert (
        f"from {drip}train-images-idx3-ubyte.gz failed: stalled: less than 1024 bytes in 0.5 s"
        in stalls[0]
    )


def test_only_a_stalled_mirror_fails_in_seconds_naming_it(tmp_path, mnist_mirror, slow_mirror):
    _, md5, _ = mnist_mirror
    drip = f"{slow_mirror}/drip/"
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        _fetch_with_limits(tmp_path, [drip], md5, stall_seconds=0.5, deadline_seconds=30)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert (
        f"mirrors tried:\n  - {drip} (1 attempt(s)): stalled: less than 1024 bytes in 0.5 s ("
        in message
    )
    assert "datasets.<name>.stall_seconds" in message
    _no_partial_output(tmp_path / "out")


def test_a_mirror_past_the_deadline_is_abandoned(tmp_path, mnist_mirror, slow_mirror):
    """Steady progress (40 kB/s) is no stall, but the file is not complete in time."""
    _, md5, _ = mnist_mirror
    steady = f"{slow_mirror}/steady/"
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        _fetch_with_limits(tmp_path, [steady], md5, stall_seconds=1, deadline_seconds=1.5)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert f"  - {steady} (1 attempt(s)): deadline: not complete after 1.5 s (" in message
    assert "datasets.<name>.deadline_seconds" in message
    _no_partial_output(tmp_path / "out")


# --- one clear line (issue 13): a job's user error reaches the terminal without a traceback ---

_JOB = """
import sys
from lindae.io import job_log
from lindae.workflow.download import DownloadError
with job_log(sys.argv[1]) as log:
    log.info("starting")
    if sys.argv[2] == "user":
        raise DownloadError("could not download x.gz (dataset mnist); mirrors tried: ...")
    raise ZeroDivisionError("a bug")
"""


@pytest.mark.parametrize("kind", ["user", "bug"])
def test_a_job_reports_a_user_error_in_one_line_and_a_bug_with_its_traceback(tmp_path, kind):
    log = tmp_path / "job.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    result = subprocess.run(
        [sys.executable, "-c", _JOB, str(log), kind], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1
    if kind == "user":
        assert result.stderr == (
            "lindae: error: could not download x.gz (dataset mnist); mirrors tried: ...\n"
        )
        assert "ERROR job failed: could not download x.gz" in log.read_text()
        assert "Traceback" not in log.read_text()
    else:  # a bug keeps its traceback, on the terminal and in the log
        assert "Traceback" in result.stderr and "ZeroDivisionError: a bug" in result.stderr
        assert "Traceback" in log.read_text()

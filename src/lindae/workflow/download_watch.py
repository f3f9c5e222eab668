"""The transfers of a dataset download: bounded, watched, and ``file://`` served like HTTP.

A socket timeout bounds a single read, so a mirror that stalls (a server that drips one byte
every few seconds) or that is far too slow is never timed out by it. Inside
:func:`download_context` (which :func:`lindae.workflow.download.fetch_dataset` runs its
downloads in), every HTTP(S) response reports the bytes it reads to the :class:`Watchdog` of
the current attempt (:data:`ATTEMPT_WATCHDOG`), which abandons the attempt's transfers once
less than :data:`STALL_BYTES` arrived within ``stall_seconds`` or ``deadline_seconds`` have
passed, and says why (:attr:`Watchdog.verdict`); the download then names the mirror and tries
the next one. The same context bounds every socket operation by a timeout and lets
torchvision read ``file://`` mirrors. Standard library only; never imports snakemake.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import io
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

__all__ = ["STALL_BYTES", "Watchdog", "ATTEMPT_WATCHDOG", "download_context"]

#: Progress means at least this many bytes within ``stall_seconds`` (headers included).
STALL_BYTES = 1024


class _FileHandler(urllib.request.FileHandler):
    """``file://`` responses that carry ``length``, like HTTP ones.

    torchvision's downloader sizes its progress bar with ``response.length``, an attribute only
    HTTP responses have; a plain ``file://`` response makes it fail with AttributeError.
    """

    def file_open(self, req: urllib.request.Request) -> Any:
        response = super().file_open(req)
        size = response.headers.get("Content-length")
        response.length = int(size) if size else None
        return response


class Watchdog:
    """Abandons the network transfers of one download attempt when they stall or overrun.

    A socket timeout bounds a single read, so a server that sends a byte every few seconds is
    never timed out. The watchdog counts the bytes received (:class:`_CountingReader`) and,
    from a thread of its own, shuts down the attempt's open sockets once less than
    :data:`STALL_BYTES` arrived within ``stall_seconds`` or ``deadline_seconds`` have passed
    since the attempt began: the blocked read then returns and the attempt fails;
    :attr:`verdict` says why. Only time with a transfer open counts (not md5 checks or the
    extraction of an archive).
    """

    def __init__(self, stall_seconds: float, deadline_seconds: float) -> None:
        self.stall_seconds, self.deadline_seconds = stall_seconds, deadline_seconds
        self.started = self._mark = time.monotonic()
        self.received = self._pending = 0
        self.verdict: str | None = None
        self._sockets: dict[int, socket.socket] = {}  # open transfers, by id
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lindae-download-watchdog")
        self._thread.daemon = True

    def __enter__(self) -> Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def track(self, sock: socket.socket) -> None:
        """Watch ``sock`` (a connection of this attempt); one opened after a verdict is shut."""
        with self._lock:
            if not self._sockets:  # a new transfer: the time without one was no stall
                self._mark, self._pending = time.monotonic(), 0
            self._sockets[id(sock)] = sock
            if self.verdict is not None:
                _shutdown(sock)

    def release(self, sock: socket.socket) -> None:
        """``sock``'s transfer is over."""
        with self._lock:
            self._sockets.pop(id(sock), None)

    def progress(self, count: int) -> None:
        """``count`` more bytes arrived."""
        with self._lock:
            self.received += count
            self._pending += count
            if self._pending >= STALL_BYTES:
                self._mark, self._pending = time.monotonic(), 0

    def _watch(self) -> None:
        interval = max(0.05, min(1.0, self.stall_seconds / 4))
        while not self._done.wait(interval):
            now = time.monotonic()
            with self._lock:
                if not self._sockets:
                    continue
                if now - self.started > self.deadline_seconds:
                    self.verdict = (
                        f"deadline: not complete after {self.deadline_seconds:g} s "
                        f"({self.received} bytes received; datasets.<name>.deadline_seconds)"
                    )
                elif now - self._mark > self.stall_seconds:
                    self.verdict = (
                        f"stalled: less than {STALL_BYTES} bytes in {self.stall_seconds:g} s "
                        f"({self.received} bytes in {now - self.started:.0f} s; "
                        "datasets.<name>.stall_seconds)"
                    )
                if self.verdict is not None:
                    for sock in self._sockets.values():
                        _shutdown(sock)
                    return


def _shutdown(sock: socket.socket) -> None:
    """Wake a read blocked on ``sock`` (it then sees the end of the stream)."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


#: The watchdog of the attempt running in this thread (None: transfers are not watched); a
#: download attempt sets it around its transfers.
ATTEMPT_WATCHDOG: contextvars.ContextVar[Watchdog | None] = contextvars.ContextVar(
    "lindae_download_watchdog", default=None
)


class _CountingReader(io.RawIOBase):
    """A socket's raw reader that reports every byte read to a :class:`Watchdog`."""

    def __init__(self, raw: io.RawIOBase, watchdog: Watchdog) -> None:
        self._raw, self._watchdog = raw, watchdog

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        count = self._raw.readinto(buffer)
        self._watchdog.progress(count or 0)
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


class _WatchedResponse(http.client.HTTPResponse):
    """An HTTP response whose socket (headers and body) the current watchdog sees."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self._watched = (ATTEMPT_WATCHDOG.get(), sock)
        watchdog = self._watched[0]
        if watchdog is not None:
            watchdog.track(sock)
            self.fp = io.BufferedReader(_CountingReader(self.fp.detach(), watchdog))

    def close(self) -> None:
        super().close()
        watchdog, sock = self._watched
        if watchdog is not None:
            watchdog.release(sock)


class _WatchedHTTPConnection(http.client.HTTPConnection):
    response_class = _WatchedResponse


class _WatchedHTTPSConnection(http.client.HTTPSConnection):
    response_class = _WatchedResponse


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_WatchedHTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_WatchedHTTPSConnection, req, context=self._context)


@contextlib.contextmanager
def download_context(timeout: float | None) -> Iterator[None]:
    """Let torchvision read ``file://`` mirrors, bound every socket operation by ``timeout``,
    and let the watchdog of each attempt (:class:`Watchdog`) see every HTTP(S) transfer.

    torchvision calls :func:`urllib.request.urlopen` without a timeout and with the globally
    installed opener; both globals are restored afterwards.
    """
    previous_timeout = socket.getdefaulttimeout()
    previous_opener = urllib.request._opener  # urllib has no public getter for it
    socket.setdefaulttimeout(timeout)
    opener = urllib.request.build_opener(_FileHandler, _HTTPHandler, _HTTPSHandler)
    urllib.request.install_opener(opener)
    try:
        yield
    finally:
        urllib.request.install_opener(previous_opener)
        socket.setdefaulttimeout(previous_timeout)
